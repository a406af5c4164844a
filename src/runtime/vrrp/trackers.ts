/**
 * The daemon's trackers — `vrrp_script`, `track_file`, `vrrp_track_process` — run once each however many
 * instances follow them; results are handed to one callback that routes them to the instances tracking them.
 * On reload, a tracker whose declaration is unchanged keeps running (and its current result), so an unchanged
 * configuration causes no priority change.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { KeepalivedConfig } from '../../config/model.js';
import { prepareScriptOutcome, type PreparedScript, type ScriptContext } from '../../notify/prepare.js';
import { FileTracker } from '../../track/file-tracker.js';
import { ProcessTrackerDriver } from '../../track/proc-scan.js';
import { ProcConnector, type ProcConnectorBuffer } from '../../net/proc-connector.js';
import { ScriptTrackerDriver } from '../../track/script-driver.js';
import type { TrackerResult } from '../../vrrp/types.js';
import { canonical } from './reload-plan.js';

interface Stoppable {
  stop(): void;
}

/** Tracker declarations some instance or sync group refers to. */
function used(cfg: KeepalivedConfig, kind: 'trackScript' | 'trackFile' | 'trackProcess'): Set<string> {
  const s = new Set<string>();
  for (const o of [...cfg.vrrpInstances, ...cfg.vrrpSyncGroups]) for (const t of o[kind]) s.add(t.name);
  return s;
}

/** A configuration whose `vrrp_script`s are all usable, with each one prepared (argv, uid, gid). */
export interface UsableScripts {
  readonly cfg: KeepalivedConfig;
  readonly prepared: ReadonlyMap<string, PreparedScript>;
}

/**
 * keepalived's check_vrrp_script_security (vrrp.c): every `vrrp_script` is prepared once, and one that cannot run —
 * its program not found, insecure under `enable_script_security`, no usable user — is dropped from the
 * configuration, so that no instance or sync group tracks it: it neither faults an instance nor adds its weight.
 */
export function withUsableScripts(cfg: KeepalivedConfig, scripts: ScriptContext, log: Logger): UsableScripts {
  const prepared = new Map<string, PreparedScript>();
  for (const sc of cfg.vrrpScripts) {
    // keepalived removes a vrrp_script without a usable default user, and its trackers ignore it
    const noUser = `Unable to set default user for vrrp script ${sc.name} - removing`;
    const o = prepareScriptOutcome(sc.script.command, 'track', scripts, sc.script.user, sc.script.group, noUser);
    // "… since not found/accessible" is the configuration's own diagnostic (config-test.ts checkHost), logged with it
    if (o.ok) prepared.set(sc.name, o.script);
    else if (o.refused === 'insecure') log.log({ level: 'info', text: `Disabling track script ${sc.name} due to insecure` });
  }
  if (prepared.size === cfg.vrrpScripts.length) return { cfg, prepared };
  return { cfg: { ...cfg, vrrpScripts: cfg.vrrpScripts.filter((s) => prepared.has(s.name)) }, prepared };
}

/** strerror() of the errors the connector's subscription meets. */
const STRERROR: Readonly<Record<number, string>> = { 1: 'Operation not permitted', 93: 'Protocol not supported', 111: 'Connection refused' };

/** The running trackers of one daemon. */
export class TrackerSet {
  private readonly running = new Map<string, { key: string; driver: Stoppable; last?: TrackerResult }>();
  /** The process events socket, open while a vrrp_track_process is in use (keepalived: one for all). */
  private connector: ProcConnector | undefined;
  private readonly processDrivers = new Set<ProcessTrackerDriver>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onResult: (r: TrackerResult) => void,
  ) {}

  /** Starts what `cfg` needs, keeps what is unchanged, stops the rest. */
  sync(cfg: KeepalivedConfig, prepared: ReadonlyMap<string, PreparedScript>): void {
    const want = new Map<string, { key: string; start: (report: (r: TrackerResult) => void) => Stoppable | undefined }>();
    const scriptsUsed = used(cfg, 'trackScript');
    for (const sc of cfg.vrrpScripts) {
      if (!scriptsUsed.has(sc.name)) continue;
      want.set(`script:${sc.name}`, {
        key: canonical(sc),
        start: (report) => {
          const script = prepared.get(sc.name);
          if (!script) return undefined; // withUsableScripts dropped it
          const d = new ScriptTrackerDriver({
            script: script.spec,
            clock: this.clock,
            logger: this.log,
            onUpdate: report,
            track: { name: sc.name, intervalMs: sc.intervalMs, timeoutMs: sc.timeoutMs, rise: sc.rise, fall: sc.fall, initFail: sc.initFail },
          });
          d.start();
          return d;
        },
      });
    }
    const filesUsed = used(cfg, 'trackFile');
    for (const tf of cfg.trackFiles) {
      if (!filesUsed.has(tf.name)) continue;
      want.set(`file:${tf.name}`, {
        key: canonical(tf),
        start: (report) => {
          const f = new FileTracker({ name: tf.name, path: tf.path, ...(tf.init ? { initFile: tf.init } : {}) }, this.log, report);
          f.start();
          return f;
        },
      });
    }
    const procsUsed = used(cfg, 'trackProcess');
    for (const tp of cfg.trackProcesses) {
      if (!procsUsed.has(tp.name)) continue;
      want.set(`process:${tp.name}`, {
        key: canonical(tp),
        start: (report) => {
          const d = new ProcessTrackerDriver({
            clock: this.clock,
            logger: this.log,
            onUpdate: report,
            trackers: [
              {
                name: tp.name,
                process: tp.process,
                ...(tp.params ? { params: tp.params } : {}),
                paramMatch: tp.paramMatch,
                fullCommand: tp.fullCommand,
                quorum: tp.quorum,
                ...(tp.quorumMax !== undefined ? { quorumMax: tp.quorumMax } : {}),
                forkDelayMs: tp.forkDelayMs,
                terminateDelayMs: tp.terminateDelayMs,
              },
            ],
          });
          d.start();
          this.processDrivers.add(d);
          return {
            stop: () => {
              d.stop();
              this.processDrivers.delete(d);
            },
          };
        },
      });
    }
    this.syncConnector(procsUsed.size > 0, cfg);
    for (const [id, r] of this.running) {
      if (want.get(id)?.key !== r.key) {
        r.driver.stop();
        this.running.delete(id);
      }
    }
    for (const [id, w] of want) {
      if (this.running.has(id)) continue;
      const entry: { key: string; driver: Stoppable; last?: TrackerResult } = { key: w.key, driver: { stop() {} } };
      this.running.set(id, entry);
      const driver = w.start((r) => {
        entry.last = r;
        this.onResult(r);
      });
      if (driver) entry.driver = driver;
      else this.running.delete(id);
    }
  }

  /** The last result of every running tracker (re-applied to instances created or updated by a reload). */
  results(): TrackerResult[] {
    return [...this.running.values()].flatMap((r) => (r.last ? [r.last] : []));
  }

  /** Stops everything. */
  stop(): void {
    for (const r of this.running.values()) r.driver.stop();
    this.running.clear();
    this.connector?.close();
    this.connector = undefined;
  }

  /**
   * Opens the process events connector when a vrrp_track_process is used, sized by `process_monitor_rcv_bufs`
   * (`_force`: SO_RCVBUFFORCE) as keepalived sizes its own; closes it when none is. Without it (no connector in the
   * kernel) the trackers go on polling.
   */
  private syncConnector(wanted: boolean, cfg: KeepalivedConfig): void {
    if (!wanted) {
      this.connector?.close();
      this.connector = undefined;
      return;
    }
    if (this.connector) return;
    try {
      this.connector = ProcConnector.open(
        () => {
          for (const d of this.processDrivers) d.scanSoon();
        },
        (p) => this.log.log({ level: 'info', text: `process monitor: ${p.syscall} ${p.code}`, detail: true }),
        processMonitorBuffer(cfg),
      );
    } catch (e) {
      // keepalived's text; the kernel answers ECONNREFUSED outside the initial network namespace
      const err = e as { errno?: number; message?: string };
      this.log.log({
        level: 'info',
        text: `Failed to set/clear process event listen - errno ${err.errno ?? 0} - ${STRERROR[err.errno ?? 0] ?? err.message}`,
      });
    }
  }
}

/** The process events connector's receive buffer from `process_monitor_rcv_bufs(_force)`; undefined: the kernel's default. */
export function processMonitorBuffer(cfg: KeepalivedConfig): ProcConnectorBuffer | undefined {
  const b = cfg.globalDefs.netlinkRcvBufs?.processMonitor;
  return b && b.size > 0 ? { bytes: b.size, force: b.force } : undefined;
}
