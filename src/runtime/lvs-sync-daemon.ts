/**
 * The IPVS connection sync daemon (`lvs_sync_daemon`), started and stopped over generic netlink
 * (IPVS_CMD_NEW_DAEMON / IPVS_CMD_DEL_DAEMON) as keepalived 2.2.7 does (ipvswrapper.c ipvs_syncd_cmd,
 * ipvs_syncd_master/backup):
 * - bound to a vrrp_instance, the VRRP child runs it: a backup daemon when the instance starts, and on each
 *   transition to MASTER the backup daemon is stopped and a master daemon started; leaving MASTER does the
 *   reverse; at stop the daemon of the current state is stopped;
 * - without an instance, the checker child runs a master and a backup daemon from start to stop.
 * Commands run one at a time, in order. Its own generic netlink socket, whatever `lvs_backend` says.
 */
import type { LvsSyncDaemonConfig } from '../config/model.js';
import type { Logger } from '../core/log.js';
import type { LbError, LbGlobals } from '../lb/backend.js';
import { IpvsBackend } from '../lb/ipvs/backend.js';

/** A daemon's role (IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP). */
export type SyncState = 'master' | 'backup';

/** What the sync daemon needs from IPVS (an IpvsBackend; a fake in tests). */
export interface SyncDaemonIpvs {
  setGlobals(g: LbGlobals): Promise<LbError | undefined>;
  stopSyncDaemon(state: SyncState): Promise<LbError | undefined>;
  close(): Promise<void>;
}

/** Opens IPVS over generic netlink; an error text when the kernel has none. */
export async function openIpvs(): Promise<SyncDaemonIpvs | string> {
  const b = new IpvsBackend();
  const e = await b.open();
  return e ? e.message : b;
}

/** One configured sync daemon. */
export class LvsSyncDaemon {
  private queue: Promise<void> = Promise.resolve();
  /** The states whose daemon we started and have not stopped. */
  private readonly running = new Set<SyncState>();

  constructor(
    /** The resolved configuration (syncId set). */
    readonly config: LvsSyncDaemonConfig,
    private readonly ipvs: SyncDaemonIpvs,
    private readonly log: Logger,
  ) {}

  /** Opens IPVS for `config`; undefined (logged) when IPVS is not there. */
  static async open(
    config: LvsSyncDaemonConfig,
    log: Logger,
    open: () => Promise<SyncDaemonIpvs | string> = openIpvs,
  ): Promise<LvsSyncDaemon | undefined> {
    const ipvs = await open();
    if (typeof ipvs === 'string') {
      log.log({ level: 'err', text: `lvs_sync_daemon: IPVS is not available (${ipvs}) - no sync daemon` });
      return undefined;
    }
    return new LvsSyncDaemon(config, ipvs, log);
  }

  /** Starts the daemon of `state` (replacing one of that state already running). */
  start(state: SyncState): Promise<void> {
    const c = this.config;
    const syncDaemon = {
      state,
      ifname: c.ifname,
      syncId: c.syncId ?? 0,
      ...(c.maxlen !== undefined ? { maxlen: c.maxlen } : {}),
      ...(c.port !== undefined ? { port: c.port } : {}),
      ...(c.ttl !== undefined ? { ttl: c.ttl } : {}),
      ...(c.group !== undefined ? { group: c.group } : {}),
    };
    return this.run(async () => {
      const e = await this.ipvs.setGlobals({ syncDaemon });
      if (e) this.log.log({ level: 'err', text: `IPVS: cannot start the ${state} sync daemon on ${c.ifname}: ${e.message}` });
      else this.running.add(state);
    });
  }

  /** Stops the daemon of `state` if we started it. */
  stop(state: SyncState): Promise<void> {
    return this.run(async () => {
      if (!this.running.delete(state)) return;
      const e = await this.ipvs.stopSyncDaemon(state);
      if (e && e.code !== 'LB_NOT_FOUND') this.log.log({ level: 'err', text: `IPVS: cannot stop the ${state} sync daemon: ${e.message}` });
    });
  }

  /** ipvs_syncd_master: the instance became MASTER. */
  async becomeMaster(): Promise<void> {
    await this.stop('backup');
    await this.start('master');
  }

  /** ipvs_syncd_backup: the instance left MASTER. */
  async leaveMaster(): Promise<void> {
    await this.stop('master');
    await this.start('backup');
  }

  /** Stops every daemon we started and closes the socket. */
  async close(): Promise<void> {
    for (const s of [...this.running]) await this.stop(s);
    await this.queue;
    await this.ipvs.close();
  }

  /** Resolves when every command queued so far has run. */
  idle(): Promise<void> {
    return this.queue;
  }

  private run(fn: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(fn, fn);
    return this.queue;
  }
}
