/**
 * `npm run lab` (root): a narrated failover in throw-away network namespaces.
 *
 * Builds node1, node2 and a client on one bridge (test/netns/harness), starts two of our daemons from the
 * example configurations vip-node1.conf / vip-node2.conf (rewritten for the namespaces: ens160 → eth0,
 * 192.168.1.118 → 192.0.2.118), and walks through: election, the client reaching the VIP, a graceful stop
 * (SIGTERM) of the master, its restart (preemption), a crash (SIGKILL) and a restart after the crash. Every
 * step is timed against the VRRP bound it should meet (RFC 3768 §6.1) plus a stated margin; a table at the end
 * sums up. Exit status 0 when every step behaved, 1 when one did not, 2 when not run as root, 130 on Ctrl-C.
 * The namespaces, daemons and temp files are removed on every exit path.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../test/netns/harness/topology.js';
import { Daemons, enteredBackupInit, stop, waitFor, type RunningOurs } from '../test/netns/harness/daemons.js';
import { arpingMac, neighbourMac, touch } from '../test/netns/harness/client.js';
import { masterDownIntervalMs, skewTimeMs } from '../test/netns/harness/vrrp-timing.js';
import { rewriteSeedConfig } from '../test/netns/harness/seed-rewrite.js';
import { controlRequest } from '../src/daemon/control.js';
import { stateName } from '../src/daemon/dump.js';

/** vip-node1.conf / vip-node2.conf: advert_int 1, priorities 100 and 98, VRRPv2. */
const ADVERT_MS = 1000;
const PRIO = [100, 98] as const;
/** Allowance on top of each protocol bound: signal delivery, netlink, 20 ms polling, a busy machine. */
const MARGIN_MS = 400;
/** From the VIP appearing on the new master to the client's neighbour entry following (gratuitous ARP). */
const GARP_WAIT_MS = 1000;
const VIP = '192.0.2.118';
const NAMES = ['node1', 'node2'] as const;
const HOSTS = ['a', 'b'] as const;
const SEEDS = new URL('../../test/fixtures/seed-configs/', import.meta.url);

/** One line of the summary. */
interface Step {
  readonly what: string;
  readonly ms?: number;
  readonly bound: string;
  readonly ok: boolean;
}

/** The lab's state: topology, daemons, the running pair, the clock for the narration, the results. */
class Lab {
  readonly steps: Step[] = [];
  readonly nodes: (RunningOurs | undefined)[] = [undefined, undefined];
  private readonly files: string[];
  private readonly t0 = Date.now();

  constructor(
    readonly topo: Topology,
    readonly daemons: Daemons,
  ) {
    const avoid = [...topo.hosts.values()].map((h) => h.ipv4);
    this.files = ['vip-node1.conf', 'vip-node2.conf'].map((f) => {
      const r = rewriteSeedConfig(readFileSync(new URL(f, SEEDS), 'utf8'), { ifname: 'eth0', avoid });
      this.say(`${f}: ${[...r.interfaces, ...r.addresses].map(([a, b]) => `${a} → ${b}`).join(', ')}`);
      return daemons.write(f, r.text);
    });
  }

  /** Prints a line with the time since the lab started. */
  say(text: string): void {
    console.log(`[${((Date.now() - this.t0) / 1000).toFixed(3).padStart(7)}s] ${text}`);
  }

  /** Records a step's outcome and narrates it. */
  record(step: Step): boolean {
    this.steps.push(step);
    this.say(`${step.ok ? 'ok    ' : 'FAILED'} ${step.what}${step.ms === undefined ? '' : `: ${step.ms} ms`} (expected ${step.bound})`);
    return step.ok;
  }

  mac(i: number): string {
    return this.topo.host(HOSTS[i]!).mac;
  }
  hasVip(i: number): boolean {
    return this.daemons.hasVip(HOSTS[i]!, VIP);
  }

  /** Starts our daemon on node i; resolves with the time it logged `Entering BACKUP STATE (init)`. */
  async start(i: number): Promise<number> {
    const d = this.daemons.ours(HOSTS[i]!, this.files[i]!);
    this.nodes[i] = d;
    this.say(`${NAMES[i]}: starting keepalived-ts (pid ${d.child.pid}) with ${this.files[i]}`);
    if ((await enteredBackupInit(d)) < 0) throw new Error(`${NAMES[i]} did not start:\n${d.log()}`);
    this.say(`${NAMES[i]}: VI_1 entered BACKUP (init)`);
    return Date.now();
  }

  /** Sends `sig` to node i's daemon and resolves when it has exited. */
  async halt(i: number, sig: NodeJS.Signals): Promise<void> {
    const d = this.nodes[i];
    this.nodes[i] = undefined;
    if (d) await stop(d.child, sig);
  }

  /** Narrates each running daemon's own view (its control socket). */
  async roles(): Promise<void> {
    for (const [i, d] of this.nodes.entries()) {
      if (!d) {
        this.say(`${NAMES[i]}: not running`);
        continue;
      }
      const r = await controlRequest(d.controlSocket, 'status', 3000);
      const inst = r.ok ? r.status?.snapshot.instances[0] : undefined;
      this.say(
        `${NAMES[i]}: ${inst ? `VI_1 ${stateName(inst.state)}, priority ${inst.effectivePriority}, VIP ${this.hasVip(i) ? 'present' : 'absent'}` : `no status (${r.ok ? 'empty' : r.error})`}`,
      );
    }
  }

  /** The client's neighbour entry must follow to node i's MAC without the client sending anything (GARP). */
  async clientFollows(i: number, vipAt: number, arping = true): Promise<void> {
    const ms = await waitFor(() => neighbourMac(this.topo, 'c', VIP) === this.mac(i), GARP_WAIT_MS);
    const waited = ms < 0 ? -1 : Date.now() - vipAt;
    this.record({
      what: `client's ARP entry for ${VIP} follows to ${NAMES[i]} ${this.mac(i)} by GARP`,
      ...(ms < 0 ? {} : { ms: waited }),
      bound: `≤ ${GARP_WAIT_MS}`,
      ok: ms >= 0,
    });
    if (!arping) return;
    const who = arpingMac(this.topo, 'c', VIP);
    this.record({ what: `client arping ${VIP}: answered by ${who ?? 'nobody'}`, bound: `${this.mac(i)} (${NAMES[i]})`, ok: who === this.mac(i) });
  }
}

/** Both daemons up: node1 (MASTER in its file) takes the VIP, node2 stays BACKUP past its own down interval. */
async function election(lab: Lab): Promise<void> {
  const init1 = await lab.start(0);
  const mdi1 = masterDownIntervalMs(2, PRIO[0], ADVERT_MS);
  const up = await waitFor(() => lab.hasVip(0), mdi1 + 3000);
  lab.record({
    what: 'node1 becomes MASTER (alone; a non-owner waits Master_Down_Interval)',
    ...(up < 0 ? {} : { ms: Date.now() - init1 }),
    bound: `≈ ${mdi1.toFixed(0)} (≤ +${MARGIN_MS})`,
    ok: up >= 0 && Date.now() - init1 <= mdi1 + MARGIN_MS,
  });
  const init2 = await lab.start(1);
  await sleep(Math.max(0, init2 + masterDownIntervalMs(2, PRIO[1], ADVERT_MS) + 500 - Date.now()));
  lab.record({
    what: 'node2 stays BACKUP past its Master_Down_Interval, VIP only on node1',
    bound: 'VIP on node1 only',
    ok: lab.hasVip(0) && !lab.hasVip(1),
  });
  await lab.roles();
  touch(lab.topo, 'c', VIP);
  const ms = await waitFor(() => neighbourMac(lab.topo, 'c', VIP) === lab.mac(0), 2000);
  lab.record({
    what: `client resolves ${VIP} to node1 ${lab.mac(0)}`,
    bound: 'node1 MAC',
    ok: ms >= 0 && arpingMac(lab.topo, 'c', VIP) === lab.mac(0),
  });
}

/** SIGTERM to the master: priority 0 advert ⇒ node2 takes over after its Skew_Time. */
async function gracefulStop(lab: Lab): Promise<void> {
  const skew = skewTimeMs(2, PRIO[1], ADVERT_MS);
  lab.say('node1: SIGTERM (graceful stop: it sends priority 0 and removes the VIP)');
  const t = Date.now();
  const exited = lab.halt(0, 'SIGTERM');
  const ms = await waitFor(() => lab.hasVip(1), 5000);
  const took = Date.now() - t;
  lab.record({
    what: 'VIP moves to node2 after SIGTERM',
    ...(ms < 0 ? {} : { ms: took }),
    bound: `Skew_Time ${skew.toFixed(0)} + 100 (≤ +${MARGIN_MS})`,
    ok: ms >= 0 && took <= skew + 100 + MARGIN_MS,
  });
  await exited;
  await lab.clientFollows(1, t + took);
  await lab.roles();
}

/** node1 restarted: it starts in BACKUP, ignores node2's lower priority and takes the VIP back. */
async function preemption(lab: Lab, what: string, stale = false): Promise<void> {
  const mdi = masterDownIntervalMs(2, PRIO[0], ADVERT_MS);
  const init = await lab.start(0);
  if (stale) lab.record({ what: 'node1 removed the stale VIP at start-up', bound: 'VIP absent on node1 in BACKUP(init)', ok: !lab.hasVip(0) });
  const ms = await waitFor(() => lab.hasVip(0) && !lab.hasVip(1), mdi + 3000);
  const took = Date.now() - init;
  lab.record({
    what,
    ...(ms < 0 ? {} : { ms: took }),
    bound: `Master_Down_Interval ${mdi.toFixed(0)} + 100 (≤ +${MARGIN_MS})`,
    ok: ms >= 0 && took <= mdi + 100 + MARGIN_MS,
  });
  await lab.clientFollows(0, Date.now());
  await lab.roles();
}

/** SIGKILL to the master: no priority 0; node2 waits Master_Down_Interval after the last advert it heard. */
async function crash(lab: Lab): Promise<void> {
  const mdi = masterDownIntervalMs(2, PRIO[1], ADVERT_MS);
  lab.say("node1: SIGKILL (a crash: no priority-0 advert, the VIP stays configured in node1's kernel)");
  const t = Date.now();
  await lab.halt(0, 'SIGKILL');
  const ms = await waitFor(() => lab.hasVip(1), mdi + 3000);
  const took = Date.now() - t;
  lab.record({
    what: 'node2 takes over after SIGKILL',
    ...(ms < 0 ? {} : { ms: took }),
    bound: `Master_Down_Interval ${mdi.toFixed(0)} − up to one advert_int (${ADVERT_MS}) (≤ +${MARGIN_MS})`,
    ok: ms >= 0 && took >= mdi - ADVERT_MS - 50 && took <= mdi + MARGIN_MS,
  });
  lab.say(`node1's kernel still has ${VIP}: ${lab.hasVip(0) ? 'yes (nobody removed it)' : 'no'}; the client follows node2's GARP`);
  await lab.clientFollows(1, t + took, false);
  await lab.roles();
}

/** Prints the summary table. */
function summary(steps: readonly Step[]): void {
  const rows = [
    ['step', 'measured', 'expected', 'result'],
    ...steps.map((s) => [s.what, s.ms === undefined ? '-' : `${s.ms} ms`, s.bound, s.ok ? 'ok' : 'FAILED']),
  ];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(
    `\n${rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(w[c]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n')}`,
  );
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('npm run lab needs root (network namespaces)');
    return 2;
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      console.log(`\n${sig}: cleaning up`);
      process.exit(130);
    });
  const topo = Topology.create({ hosts: ['a', 'b', 'c'] });
  const daemons = Daemons.inTempDir(topo, 'kts-lab-');
  process.on('exit', () => {
    topo.destroy();
    daemons.removeDir();
  });
  const lab = new Lab(topo, daemons);
  for (const [h, label] of [
    ['a', 'node1'],
    ['b', 'node2'],
    ['c', 'client'],
  ] as const) {
    const i = topo.host(h);
    lab.say(`${label.padEnd(6)} netns ${i.netns}, eth0 ${i.ipv4}/24, MAC ${i.mac}`);
  }
  try {
    await election(lab);
    await gracefulStop(lab);
    await preemption(lab, 'node1 restarted: preempts back (from its BACKUP init)');
    await crash(lab);
    await preemption(lab, 'node1 restarted after the crash: preempts back', true);
  } catch (e) {
    lab.record({ what: `aborted: ${(e as Error).message}`, bound: '-', ok: false });
  } finally {
    await Promise.all([0, 1].map((i) => Promise.race([lab.halt(i, 'SIGTERM'), sleep(3000)])));
  }
  summary(lab.steps);
  const failed = lab.steps.filter((s) => !s.ok).length;
  console.log(failed ? `\n${failed} step(s) FAILED` : '\nevery step behaved');
  return failed ? 1 : 0;
}

process.exit(await main());
