/**
 * Reading processes from /proc, and a polling driver for process trackers.
 *
 * keepalived follows the netlink proc connector's fork/exec/exit events. This driver counts from /proc scans: at
 * a modest rate (default every 500 ms), and at once (scanSoon) when the connector socket the runtime opens
 * (src/net/proc-connector.ts, sized by process_monitor_rcv_bufs) reports an event. Detection latency is then a
 * scan's time, else at most one period (plus the configured fork/terminate delays).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { TrackerResult } from '../vrrp/types.js';
import { matchesProcess, QuorumTracker, usesFullCommand, type ProcInfo, type TrackProcessOptions } from './process-tracker.js';

/** Parses one /proc/PID/stat line into comm and zombie flag. */
export function parseStat(stat: string): { comm: string; zombie: boolean } | undefined {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  return { comm: stat.slice(open + 1, close), zombie: stat[close + 2] === 'Z' };
}

/**
 * Lists the processes in `procRoot` (default /proc); unreadable entries (raced exits) are skipped.
 * With `onlyComms`, /proc/PID/cmdline is read only for processes whose comm is in the set (argv is [] for the
 * others), which keeps a scan cheap when no tracker needs full command lines.
 */
export function scanProcesses(procRoot = '/proc', onlyComms?: ReadonlySet<string>): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const ent of readdirSync(procRoot)) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const st = parseStat(readFileSync(`${procRoot}/${ent}/stat`, 'latin1'));
      if (!st) continue;
      if (onlyComms && !onlyComms.has(st.comm)) {
        out.push({ pid: Number(ent), comm: st.comm, argv: [], zombie: st.zombie });
        continue;
      }
      const raw = readFileSync(`${procRoot}/${ent}/cmdline`, 'latin1');
      const argv = raw.length === 0 ? [] : raw.replace(/\0$/, '').split('\0');
      out.push({ pid: Number(ent), comm: st.comm, argv, zombie: st.zombie });
    } catch {
      /* process exited meanwhile */
    }
  }
  return out;
}

/** The shortest time between two event-driven scans, ms. */
const SOON_MS = 20;

/** Options of ProcessTrackerDriver. */
export interface ProcessTrackerDriverOptions {
  readonly trackers: readonly TrackProcessOptions[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onUpdate: (r: TrackerResult) => void;
  /** Scan period, ms (default 500). */
  readonly pollMs?: number;
  /** For tests: an alternative process lister. */
  readonly scan?: () => ProcInfo[];
}

/** Polls /proc for all vrrp_track_process blocks together. */
export class ProcessTrackerDriver {
  /** The pure trackers, one per configured block, in configuration order. */
  readonly trackers: readonly QuorumTracker[];
  private timer: NodeJS.Timeout | undefined;
  /** An event-driven scan waiting (scanSoon). */
  private soon: NodeJS.Timeout | undefined;
  private lastScan = -Infinity;
  /** comm names to read cmdlines for; undefined when some tracker matches on full command lines. */
  private readonly comms: ReadonlySet<string> | undefined;

  constructor(private readonly o: ProcessTrackerDriverOptions) {
    this.trackers = o.trackers.map((t) => new QuorumTracker(t));
    this.comms = o.trackers.some(usesFullCommand) ? undefined : new Set(o.trackers.map((t) => t.process));
  }

  /** Scans at once (reporting initial state), then periodically. */
  start(): void {
    this.scanOnce();
    this.timer = setInterval(() => this.scanOnce(), this.o.pollMs ?? 500);
  }

  /** Stops polling. */
  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.timer = undefined;
    this.soon = undefined;
  }

  /**
   * A process event arrived (the proc connector, src/net/proc-connector.ts): scans at once instead of at the next
   * poll, but not more often than every SOON_MS, so that a fork storm costs a scan per SOON_MS, not per fork.
   */
  scanSoon(): void {
    if (!this.timer || this.soon) return;
    const wait = Math.max(0, this.lastScan + SOON_MS - this.o.clock.now());
    this.soon = setTimeout(() => {
      this.soon = undefined;
      if (this.timer) this.scanOnce();
    }, wait);
  }

  /** One scan: counts matches per tracker and feeds the pure trackers. */
  scanOnce(): void {
    const procs = this.o.scan ? this.o.scan() : scanProcesses('/proc', this.comms);
    const now = this.o.clock.now();
    this.lastScan = now;
    for (const t of this.trackers) {
      const n = procs.reduce((acc, p) => acc + (matchesProcess(t.opts, p) ? 1 : 0), 0);
      const step = t.setCount(now, n);
      for (const l of step.logs) this.o.logger.log(l);
      if (step.update) this.o.onUpdate(step.update);
    }
  }
}
