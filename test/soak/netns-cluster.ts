/**
 * The netns chaos soak's cluster (root only): the VRIDs every node runs, the keepalived.conf text of one node (the
 * same text for keepalived-ts and keepalived 2.2.7), and one node's daemon — start, SIGSTOP/SIGCONT, SIGKILL, SIGHUP
 * — with its processes found from /proc (parent, VRRP child, anything they forked) and their RSS.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { masterDownInterval } from '../../src/vrrp/timers.js';
import { pidIn, waitFor, type Daemons, type RunningDaemon } from '../netns/harness/daemons.js';

/** One VRID of the soak cluster. */
export interface SoakVrid {
  readonly name: string;
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly advertIntervalMs: number;
  readonly family: 4 | 6;
}

/**
 * The cluster's instances: a VRRPv2 sync group at 1 s (its members go to FAULT when the node's tracker fails), a
 * VRRPv3 VRID at 1 s (preempt_delay on some seeds), a VRRPv3 VRID at 0.05 s and an IPv6 VRRPv3 VRID at 1 s (the
 * last three lose 60 priority when the tracker fails).
 */
export const SOAK_VRIDS: readonly SoakVrid[] = [
  { name: 'VI_G1', vrid: 10, version: 2, advertIntervalMs: 1000, family: 4 },
  { name: 'VI_G2', vrid: 11, version: 2, advertIntervalMs: 1000, family: 4 },
  { name: 'VI_3', vrid: 30, version: 3, advertIntervalMs: 1000, family: 4 },
  { name: 'VI_F', vrid: 50, version: 3, advertIntervalMs: 50, family: 4 },
  { name: 'VI_6', vrid: 60, version: 3, advertIntervalMs: 1000, family: 6 },
];
/** The instances keepalived 2.2.7 nodes do not run (see configText). */
export const KEEPALIVED_SKIPS: readonly string[] = ['VI_F'];
/** Index in SOAK_VRIDS of the instance with preempt_delay (when the seed draws one). */
export const PREEMPT_DELAY_INDEX = 2;
/** The preempt_delay drawn on some seeds, ms. */
export const PREEMPT_DELAY_MS = 2000;
/** The tracker script's interval, ms. */
export const SCRIPT_INTERVAL_MS = 1000;

/** The VIPs of a VRID: one always, a second one when `extra` (a reload toggles it). */
export function vipsOf(v: SoakVrid, extra: boolean): string[] {
  const first = v.family === 4 ? `203.0.113.${v.vrid}` : `2001:db8:${v.vrid}::1`;
  const second = v.family === 4 ? `198.51.100.${v.vrid}` : `2001:db8:${v.vrid}::2`;
  return extra ? [first, second] : [first];
}

/** Every VIP a VRID may ever have (for the watchers). */
export function allVipsOf(v: SoakVrid): string[] {
  return vipsOf(v, true);
}

/** What a node runs and with which priorities. */
export interface NodePlan {
  readonly name: string;
  readonly impl: 'ours' | 'keepalived';
  /** Per SOAK_VRIDS entry; the sync group's two members share one. */
  readonly priorities: number[];
  readonly nopreempt: boolean[];
}

/** The cluster-wide part of the configuration, shared by every node (a reload changes it on every node). */
export interface ClusterPlan {
  /** Per SOAK_VRIDS entry: the second VIP is configured. */
  readonly extraVip: boolean[];
  readonly preemptDelay: boolean;
}

/**
 * keepalived.conf of one node. keepalived 2.2.7 gets `vrrp_higher_prio_send_advert` (README, "Split brain heals
 * cleanly": what a keepalived peer needs so that a winner learns of the split; keepalived-ts does it by default).
 * keepalived 2.2.7 does not run the 0.05 s VRID (KEEPALIVED_SKIPS): under load it misses adverts at that interval
 * without real-time scheduling (README, "No false failover under load"), and with `vrrp_rt_priority` its VRRP
 * child is killed by RLIMIT_RTTIME — at start-up with its 10 ms default, and on every reload with a raised
 * `vrrp_rlimit_rttime` ("child process cannot set realtime rlimit"); both seen in this soak.
 */
export function configText(node: NodePlan, cluster: ClusterPlan, okFile: string): string {
  const inst = SOAK_VRIDS.map((v, k) => {
    if (node.impl === 'keepalived' && KEEPALIVED_SKIPS.includes(v.name)) return '';
    const auth = v.version === 2 ? '  authentication {\n    auth_type PASS\n    auth_pass soak1234\n  }\n' : '';
    const opts = [
      node.nopreempt[k] ? '  nopreempt\n' : '',
      k === PREEMPT_DELAY_INDEX && cluster.preemptDelay ? `  preempt_delay ${PREEMPT_DELAY_MS / 1000}\n` : '',
    ].join('');
    // Sync-group members fault with the tracker (weight 0); the others lose 60 priority.
    const track = k <= 1 ? '    chk weight 0\n' : '    chk\n';
    const vips = vipsOf(v, cluster.extraVip[k]!)
      .map((a) => `    ${a}/${v.family === 4 ? 32 : 128}\n`)
      .join('');
    return (
      `vrrp_instance ${v.name} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${v.vrid}\n  priority ${node.priorities[k]}\n` +
      `  advert_int ${v.advertIntervalMs / 1000}\n  version ${v.version}\n${opts}${auth}  virtual_ipaddress {\n${vips}  }\n` +
      `  track_script {\n${track}  }\n}\n`
    );
  });
  const peer = node.impl === 'keepalived' ? '  vrrp_higher_prio_send_advert\n' : '';
  return (
    `global_defs {\n  router_id ${node.name}\n  script_user root\n${peer}}\n` +
    `vrrp_script chk {\n  script "/usr/bin/test -e ${okFile}"\n  interval ${SCRIPT_INTERVAL_MS / 1000}\n  fall 1\n  rise 1\n  weight -60\n}\n` +
    `vrrp_sync_group SG {\n  group {\n    VI_G1\n    VI_G2\n  }\n}\n` +
    inst.join('')
  );
}

/**
 * The settle bound of the cluster: the largest Master_Down_Interval (of priority 1, the slowest backup) + one advert
 * interval over the VRIDs, plus preempt_delay where configured.
 */
export function clusterSettleMs(cluster: ClusterPlan): number {
  return Math.max(
    ...SOAK_VRIDS.map(
      (v, k) =>
        masterDownInterval(v.version, 1, v.advertIntervalMs, 3) +
        v.advertIntervalMs +
        (k === PREEMPT_DELAY_INDEX && cluster.preemptDelay ? PREEMPT_DELAY_MS : 0),
    ),
  );
}

/** The pids a process forked (its children, recursively), from /proc/PID/task/TID/children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of text.split(/\s+/).filter(Boolean).map(Number)) out.push(c, ...descendants(c));
  }
  return out;
}

/** VmRSS of a process in KiB, or undefined when it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** True while a pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** One node's daemon across its restarts. */
export class SoakDaemon {
  private run: (RunningDaemon & { readonly vrrpPidFile: string }) | undefined;
  /** Set before every signal we send that ends the daemon, so that its exit is not a crash. */
  private expectExit = false;
  /** Starts counted (1 after the first start). */
  starts = 0;

  /**
   * @param onUnexpectedExit called when the daemon's parent exits without our SIGKILL
   */
  constructor(
    readonly plan: NodePlan,
    private readonly d: Daemons,
    readonly confFile: string,
    private readonly onUnexpectedExit: (text: string) => void,
  ) {}

  /** Writes the configuration (start or reload use it). */
  writeConfig(text: string): void {
    writeFileSync(this.confFile, text);
  }

  /** Starts the daemon (keepalived 2.2.7 `-P`, or ours). */
  start(): void {
    this.expectExit = false;
    this.starts++;
    const r = this.plan.impl === 'ours' ? this.d.ours(this.plan.name, this.confFile) : this.d.keepalived(this.plan.name, this.confFile);
    this.run = r;
    r.child.once('exit', (code, signal) => {
      if (this.expectExit || this.run !== r) return;
      const tail = r.log().split('\n').slice(-25).join('\n');
      this.onUnexpectedExit(`${this.plan.name} (${this.plan.impl}) exited unexpectedly: code ${code} signal ${signal}\n${tail}`);
    });
  }

  /**
   * Resolves true once the daemon has logged `(NAME) Entering … STATE` for every instance (the moment it can
   * take part: start-up of Node.js under load takes seconds), false after `ms`. The only use of a log: it marks
   * when "the network allows it" after a restart; the invariants are never read from logs.
   */
  async ready(ms: number): Promise<boolean> {
    const run = this.run;
    if (run === undefined) return false;
    const lines = SOAK_VRIDS.filter((v) => this.plan.impl === 'ours' || !KEEPALIVED_SKIPS.includes(v.name)).map(
      (v) => new RegExp(`\\(${v.name}\\) Entering [A-Z]+ STATE`),
    );
    return (await waitFor(() => lines.every((re) => re.test(run.log())), ms)) >= 0;
  }

  /** The supervising parent's pid. */
  get parentPid(): number | undefined {
    return this.run?.child.pid;
  }

  /** The VRRP child's pid (from its pid file). */
  vrrpPid(): number | undefined {
    return this.run ? pidIn(this.run.vrrpPidFile) : undefined;
  }

  /** The parent and everything it forked. */
  pids(): number[] {
    const p = this.parentPid;
    return p === undefined || !alive(p) ? [] : [p, ...descendants(p)];
  }

  /** SIGSTOP (true) or SIGCONT (false) to every process of the daemon. */
  freeze(stop: boolean): void {
    for (const pid of this.pids()) signal(pid, stop ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGHUP to the parent: reload. */
  reload(): void {
    if (this.parentPid !== undefined) signal(this.parentPid, 'SIGHUP');
  }

  /** SIGKILL to every process of the daemon (children first), as a crash; resolves when the parent has exited. */
  async kill(): Promise<void> {
    this.expectExit = true;
    const child = this.run?.child;
    for (const pid of this.pids().reverse()) signal(pid, 'SIGKILL');
    if (child) await exited(child);
  }

  /** SIGTERM, at the end of the run. */
  async stop(): Promise<void> {
    this.expectExit = true;
    const child = this.run?.child;
    if (!child) return;
    for (const pid of this.pids()) signal(pid, 'SIGCONT');
    child.kill('SIGTERM');
    await exited(child);
  }

  /** Everything the current run printed (diagnosis only; invariants never read logs). */
  log(): string {
    return this.run?.log() ?? '';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

function exited(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => c.once('exit', () => resolve()));
}
