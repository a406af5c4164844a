/**
 * The IPVS data plane: {@link LbBackend} over the generic netlink family "IPVS" (no ipvsadm, no setsockopt).
 * open() resolves the family; a kernel without IPVS answers ENOENT and open() reports LB_UNAVAILABLE with a plain
 * sentence saying what is missing. Every other method maps kernel errnos to the port's stable codes and keeps the
 * kernel's words in the message.
 */
import type { LbBackend, LbDest, LbError, LbErrorCode, LbGlobals, LbService, LbServiceKey, LbServiceState } from '../backend.js';
import { inNetNamespace } from '../../net/netns.js';
import { Genl, genlErrorText, type GenlError, type GenlFamily, type GenlMessage } from '../../net/netlink/genl.js';
import { NLM_F } from '../../net/netlink/codec.js';
import {
  decodeConfig,
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  delDaemonRequest,
  delDestRequest,
  delServiceRequest,
  destRequest,
  flushRequest,
  getConfigRequest,
  getDaemonsRequest,
  getDestsRequest,
  getInfoRequest,
  getServicesRequest,
  IPVS_CMD,
  IPVS_GENL_NAME,
  newDaemonRequest,
  serviceRequest,
  setConfigRequest,
  type IpvsDaemon,
  type IpvsInfo,
  type IpvsRequest,
  type IpvsTimeouts,
} from './messages.js';

/** The sentence open() gives when the running kernel has no IPVS. */
export const IPVS_MISSING_TEXT =
  'IPVS is not available in this kernel (generic netlink family "IPVS" not found; modprobe ip_vs failed or the kernel lacks CONFIG_IP_VS): ' +
  'virtual servers cannot be programmed with IPVS; load ip_vs or use a kernel built with it';

/**
 * How long a sync daemon must have been running before it is stopped. A stop issued within a few milliseconds of
 * the start, before the kernel's new sync thread has run once, was seen to leave IPVS_CMD_DEL_DAEMON unanswered for
 * up to 30 s (Linux 6.1, one CPU); a stop 50 ms after the start never was (0 of 40 tries against 4 of 40).
 */
export const SYNC_DAEMON_SETTLE_MS = 100;

function codeOf(e: GenlError): LbErrorCode {
  switch (e.code) {
    case 'EEXIST':
      return 'LB_EXISTS';
    case 'ESRCH':
    case 'ENOENT':
      return 'LB_NOT_FOUND';
    case 'EOPNOTSUPP':
    case 'EAFNOSUPPORT':
      return 'LB_UNSUPPORTED';
    default:
      return 'LB_KERNEL';
  }
}

function toLbError(e: GenlError): LbError {
  return { code: codeOf(e), message: genlErrorText(e) };
}

/** IPVS over generic netlink. One instance per network namespace; not shared between daemons. */
export class IpvsBackend implements LbBackend {
  readonly name = 'ipvs' as const;
  private genl: Genl | undefined;
  private family: GenlFamily | undefined;
  /** When each state's sync daemon was started by this backend (performance.now()), for SYNC_DAEMON_SETTLE_MS. */
  private readonly daemonStarted = new Map<'master' | 'backup', number>();

  /**
   * @param netns `net_namespace_ipvs`: the network namespace whose IPVS table is programmed (its generic netlink
   *   socket is opened there; '' = the default namespace, pid 1's), instead of the checker's own
   */
  constructor(private readonly netns?: string) {}

  /** Resolves the IPVS family (the kernel autoloads ip_vs where it can). */
  async open(): Promise<LbError | undefined> {
    if (this.genl && this.family) return undefined;
    let g: Genl | GenlError;
    if (this.netns === undefined) g = Genl.open();
    else {
      const r = inNetNamespace(this.netns, () => Genl.open());
      if ('error' in r) return { code: 'LB_UNAVAILABLE', message: r.error };
      g = r.value;
    }
    if (!(g instanceof Genl)) return { code: 'LB_UNAVAILABLE', message: `${IPVS_MISSING_TEXT} (${genlErrorText(g)})` };
    const fam = await g.resolveFamily(IPVS_GENL_NAME);
    if ('code' in fam) {
      g.close();
      return { code: 'LB_UNAVAILABLE', message: fam.code === 'ENOENT' ? IPVS_MISSING_TEXT : `${IPVS_MISSING_TEXT} (${genlErrorText(fam)})` };
    }
    this.genl = g;
    this.family = fam;
    return undefined;
  }

  addService(s: LbService): Promise<LbError | undefined> {
    return this.exec(() => serviceRequest(IPVS_CMD.NEW_SERVICE, s), 'IPVS add service');
  }

  editService(s: LbService): Promise<LbError | undefined> {
    return this.exec(() => serviceRequest(IPVS_CMD.SET_SERVICE, s), 'IPVS edit service');
  }

  delService(key: LbServiceKey): Promise<LbError | undefined> {
    return this.exec(() => delServiceRequest(key), 'IPVS delete service');
  }

  addDest(key: LbServiceKey, d: LbDest): Promise<LbError | undefined> {
    return this.exec(() => destRequest(IPVS_CMD.NEW_DEST, key, d), 'IPVS add destination');
  }

  editDest(key: LbServiceKey, d: LbDest): Promise<LbError | undefined> {
    return this.exec(() => destRequest(IPVS_CMD.SET_DEST, key, d), 'IPVS edit destination');
  }

  delDest(key: LbServiceKey, d: Pick<LbDest, 'family' | 'address' | 'port'>): Promise<LbError | undefined> {
    return this.exec(() => delDestRequest(key, d), 'IPVS delete destination');
  }

  /** Every service with its destinations, in the kernel's dump order. */
  async list(): Promise<readonly LbServiceState[] | LbError> {
    const r = await this.query(() => getServicesRequest(), 'IPVS list services');
    if (!Array.isArray(r)) return r as LbError;
    const out: LbServiceState[] = [];
    for (const m of r as GenlMessage[]) {
      const s = decodeService(m.attrs);
      if (!s) continue;
      const dr = await this.query(() => getDestsRequest(s.key), 'IPVS list destinations');
      if (!Array.isArray(dr) && (dr as LbError).code === 'LB_NOT_FOUND') continue; // deleted since the service dump
      if (!Array.isArray(dr)) return dr as LbError;
      const dests = (dr as GenlMessage[]).map((x) => decodeDest(x.attrs, s.key.family)).filter((x) => x !== undefined);
      out.push({ ...s, dests });
    }
    return out;
  }

  /** Applies `lvs_timeouts` (SET_CONFIG) and `lvs_sync_daemon` (NEW_DAEMON; an existing daemon of that state is replaced). */
  async setGlobals(g: LbGlobals): Promise<LbError | undefined> {
    const t = g.timeouts;
    if (t && (t.tcpSec !== undefined || t.tcpFinSec !== undefined || t.udpSec !== undefined)) {
      const e = await this.exec(() => setConfigRequest(t), 'IPVS set timeouts');
      if (e) return e;
    }
    if (g.syncDaemon) {
      const d = g.syncDaemon;
      const running = await this.daemons();
      if (!Array.isArray(running)) return running as LbError;
      if ((running as IpvsDaemon[]).some((x) => x.state === d.state)) {
        const e = await this.stopSyncDaemon(d.state);
        if (e) return e;
      }
      const e = await this.exec(() => newDaemonRequest(d), 'IPVS start sync daemon');
      if (!e) this.daemonStarted.set(d.state, performance.now());
      return e;
    }
    return undefined;
  }

  /** Stops the sync daemon of one state. */
  async stopSyncDaemon(state: 'master' | 'backup'): Promise<LbError | undefined> {
    const started = this.daemonStarted.get(state);
    const wait = started === undefined ? 0 : started + SYNC_DAEMON_SETTLE_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.daemonStarted.delete(state);
    return this.exec(() => delDaemonRequest(state), 'IPVS stop sync daemon');
  }

  /** Running sync daemons (GET_DAEMON). */
  async daemons(): Promise<readonly IpvsDaemon[] | LbError> {
    const r = await this.query(() => getDaemonsRequest(), 'IPVS list sync daemons');
    if (!Array.isArray(r)) return r as LbError;
    return (r as GenlMessage[]).map((m) => decodeDaemon(m.attrs)).filter((x) => x !== undefined);
  }

  /** Connection timeouts (GET_CONFIG). */
  async timeouts(): Promise<Required<IpvsTimeouts> | LbError> {
    const r = await this.query(() => getConfigRequest(), 'IPVS get timeouts');
    if (!Array.isArray(r)) return r as LbError;
    const m = (r as GenlMessage[])[0];
    return m ? decodeConfig(m.attrs) : { code: 'LB_KERNEL', message: 'IPVS get timeouts: no reply' };
  }

  /** IPVS version and connection table size (GET_INFO). */
  async info(): Promise<IpvsInfo | LbError> {
    const r = await this.query(() => getInfoRequest(), 'IPVS get info');
    if (!Array.isArray(r)) return r as LbError;
    const m = (r as GenlMessage[])[0];
    return m ? decodeInfo(m.attrs) : { code: 'LB_KERNEL', message: 'IPVS get info: no reply' };
  }

  flush(): Promise<LbError | undefined> {
    return this.exec(() => flushRequest(), 'IPVS flush');
  }

  async close(): Promise<void> {
    this.genl?.close();
    this.genl = undefined;
    this.family = undefined;
  }

  private async exec(build: () => IpvsRequest, operation: string): Promise<LbError | undefined> {
    const r = await this.query(build, operation);
    return Array.isArray(r) ? undefined : (r as LbError);
  }

  /** Builds the request (a malformed address is an error value, not an exception) and sends it. */
  private async query(build: () => IpvsRequest, operation: string): Promise<readonly GenlMessage[] | LbError> {
    if (!this.genl || !this.family) return { code: 'LB_UNAVAILABLE', message: `${operation}: the IPVS backend is not open` };
    let req: IpvsRequest;
    try {
      req = build();
    } catch (e) {
      return { code: 'LB_KERNEL', message: `${operation}: ${(e as Error).message}` };
    }
    const r = await this.genl.request(this.family.id, req.cmd, this.family.version || 1, req.attrs, operation, req.dump ? NLM_F.DUMP : 0);
    return r.ok ? r.messages : toLbError(r.error);
  }
}
