/**
 * Carries the checker core's IPVS actions out on an LbBackend, as keepalived's `ipvs_talk()` does: one command at
 * a time per service (a destination is never added before its service), EEXIST on an add and ENOENT/ESRCH on a
 * delete logged but taken as success, SET_DEST of a missing destination retried as NEW_DEST, and every refusal
 * logged with keepalived's text: `IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Destination already exists(17)
 * (192.0.2.1:tcp:80 -> 192.0.2.10:80)`.
 *
 * It remembers which services it created, so that a stop or reload removes only those (a service that was in the
 * kernel before the daemon came is left there).
 */
import type { Logger } from '../../core/log.js';
import type { LbBackend, LbDest, LbError, LbService, LbServiceKey } from '../../lb/backend.js';
import { serviceKeyText } from '../../lb/backend.js';
import { publish } from '../../core/events.js';

/** keepalived's command names and numbers (linux/ip_vs.h IP_VS_SO_SET_*). */
const CMD = {
  addService: ['IP_VS_SO_SET_ADD', 1154],
  editService: ['IP_VS_SO_SET_EDIT', 1155],
  delService: ['IP_VS_SO_SET_DEL', 1156],
  flush: ['IP_VS_SO_SET_FLUSH', 1157],
  addDest: ['IP_VS_SO_SET_ADDDEST', 1159],
  delDest: ['IP_VS_SO_SET_DELDEST', 1160],
  editDest: ['IP_VS_SO_SET_EDITDEST', 1161],
} as const;

type Cmd = keyof typeof CMD;

const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  ENOMEM: 12,
  EEXIST: 17,
  EINVAL: 22,
  ENOPROTOOPT: 92,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EMSGSIZE: 90,
};

/** libipvs `ipvs_strerror()`: the text for an errno, which depends on the command for some. */
function ipvsStrerror(cmd: Cmd, errno: string, fallback: string): string {
  if (errno === 'EEXIST' && cmd === 'addService') return 'Service already exists';
  if (errno === 'ENOENT' && (cmd === 'addService' || cmd === 'editService')) return 'Scheduler or persistence engine not found';
  if (errno === 'EEXIST' && cmd === 'addDest') return 'Destination already exists';
  if (errno === 'ENOENT' && (cmd === 'editDest' || cmd === 'delDest')) return 'No such destination';
  const generic: Readonly<Record<string, string>> = {
    ESRCH: 'No such service',
    EPERM: 'Permission denied (you must be root)',
    EINVAL: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
    ENOPROTOOPT: 'Protocol not available',
    ENOMEM: 'Memory allocation problem',
    EOPNOTSUPP: 'Operation not supported with IPv6',
    EAFNOSUPPORT: 'Operation not supported with specified address family',
    EMSGSIZE: 'Module is wrong version',
  };
  return generic[errno] ?? fallback;
}

/** The errno name of a backend error (`EEXIST: …` texts), else one implied by its code. */
function errnoOf(cmd: Cmd, e: LbError): string {
  const m = /^(E[A-Z0-9]+)\b/.exec(e.message);
  if (m) return m[1]!;
  if (e.code === 'LB_EXISTS') return 'EEXIST';
  if (e.code === 'LB_NOT_FOUND') return cmd === 'delDest' || cmd === 'editDest' ? 'ENOENT' : 'ESRCH';
  return 'EINVAL';
}

/** format_srule: `192.0.2.1:tcp:80`, `Fwm 5`, `Fwm 5 inet6`. */
export function formatSrule(k: LbServiceKey): string {
  if (k.kind === 'fwmark') return `Fwm ${k.fwmark}${k.family === 6 ? ' inet6' : ''}`;
  return `${k.address}:${k.protocol.toLowerCase()}:${k.port}`;
}

/** format_drule: ` -> 192.0.2.10:80`. */
function formatDrule(d: Pick<LbDest, 'address' | 'port'>): string {
  return ` -> ${d.address}:${d.port}`;
}

/** Counts of what the writer did. */
export interface LbWriterStats {
  commands: number;
  errors: number;
}

/** Serialised, logged access to a backend. */
export class LbWriter {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly created = new Set<string>();
  private all: Promise<void> = Promise.resolve();
  /** What was sent and refused. */
  readonly stats: LbWriterStats = { commands: 0, errors: 0 };

  constructor(
    readonly backend: LbBackend,
    private readonly log: Logger,
  ) {}

  /** Resolves when every queued command has been answered. */
  async idle(): Promise<void> {
    let last: Promise<void> | undefined;
    while (last !== this.all) {
      last = this.all;
      await last;
    }
  }

  /** True when this daemon created the service (so it may remove it). */
  owns(key: LbServiceKey): boolean {
    return this.created.has(serviceKeyText(key) + key.family);
  }

  /**
   * IP_VS_SO_SET_ADD; EEXIST is logged and taken as success, and the service is then ours like one we created: as
   * keepalived (ipvs_talk ignores EEXIST on an add, clear_service_vs deletes every configured service at stop), a
   * service left in the kernel by a daemon that was killed is taken over and removed at the next stop.
   */
  addService(s: LbService): Promise<void> {
    return this.queue(s.key, async () => {
      const e = await this.backend.addService(s);
      if (!e || e.code === 'LB_EXISTS') this.created.add(serviceKeyText(s.key) + s.key.family);
      this.report('addService', e, s.key);
    });
  }

  /** IP_VS_SO_SET_EDIT. */
  editService(s: LbService): Promise<void> {
    return this.queue(s.key, async () => this.report('editService', await this.backend.editService(s), s.key));
  }

  /** IP_VS_SO_SET_DEL, only for a service this daemon created. */
  delService(key: LbServiceKey): Promise<void> {
    return this.queue(key, async () => {
      if (!this.owns(key)) return;
      this.created.delete(serviceKeyText(key) + key.family);
      this.report('delService', await this.backend.delService(key), key);
    });
  }

  /** IP_VS_SO_SET_ADDDEST. */
  addDest(key: LbServiceKey, d: LbDest): Promise<void> {
    return this.queue(key, async () => this.report('addDest', await this.backend.addDest(key, d), key, d));
  }

  /** IP_VS_SO_SET_EDITDEST; a missing destination is added instead (ipvs_talk). */
  editDest(key: LbServiceKey, d: LbDest): Promise<void> {
    return this.queue(key, async () => {
      const e = await this.backend.editDest(key, d);
      if (e && errnoOf('editDest', e) === 'ENOENT') this.report('addDest', await this.backend.addDest(key, d), key, d);
      else this.report('editDest', e, key, d);
    });
  }

  /** IP_VS_SO_SET_DELDEST. */
  delDest(key: LbServiceKey, d: LbDest): Promise<void> {
    return this.queue(key, async () => this.report('delDest', await this.backend.delDest(key, d), key, d));
  }

  /** IP_VS_SO_SET_FLUSH, after everything queued. */
  async flush(): Promise<void> {
    await this.idle();
    const e = await this.backend.flush();
    this.created.clear();
    this.stats.commands++;
    if (e) this.logError('flush', e, '');
  }

  private queue(key: LbServiceKey, job: () => Promise<void>): Promise<void> {
    const k = serviceKeyText(key) + key.family;
    const prev = this.chains.get(k) ?? Promise.resolve();
    const next = prev.then(job).catch((err: unknown) => {
      this.log.log({ level: 'err', text: `IPVS: ${(err as Error)?.message ?? String(err)}` });
    });
    this.chains.set(k, next);
    this.all = Promise.all([this.all, next]).then(() => undefined);
    void next.then(() => {
      if (this.chains.get(k) === next) this.chains.delete(k);
    });
    return next;
  }

  private report(cmd: Cmd, e: LbError | undefined, key: LbServiceKey, d?: Pick<LbDest, 'address' | 'port'>): void {
    this.stats.commands++;
    for (const n of this.backend.takeNotices?.() ?? []) this.log.log({ level: 'notice', text: `Load balancer: ${n.text}` });
    if (!e) return;
    if (e.code === 'LB_UNSUPPORTED') {
      // an option the data plane cannot honour: a clear error naming the virtual server, never a silent skip
      this.stats.errors++;
      this.log.log({
        level: 'err',
        text: `Virtual server ${formatSrule(key)} cannot be served by the ${this.backend.name} data plane: ${e.message}`,
      });
      return;
    }
    this.logError(cmd, e, ` (${formatSrule(key)}${d ? formatDrule(d) : ''})`);
  }

  private logError(cmd: Cmd, e: LbError, where: string): void {
    const errno = errnoOf(cmd, e);
    const [name, num] = CMD[cmd];
    const benign =
      (errno === 'EEXIST' && (cmd === 'addService' || cmd === 'addDest')) ||
      ((errno === 'ENOENT' || errno === 'ESRCH') && (cmd === 'delService' || cmd === 'delDest'));
    if (!benign) this.stats.errors++;
    this.log.log({ level: 'info', text: `IPVS cmd ${name}(${num}) error: ${ipvsStrerror(cmd, errno, e.message)}(${ERRNO[errno] ?? 0})${where}` });
    publish('keepalived-ts:netlink:error', { what: `${name}${where}`, code: errno, message: e.message, at: Date.now() });
  }
}
