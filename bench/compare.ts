/**
 * Benchmark (issue 17): keepalived 2.2.7 against keepalived-ts, side by side in one run, alternating, REPS
 * repetitions (default 5), medians and the ratio ts/keepalived:
 *   - `-t` wall time on a 1-instance config and on 200 instances + 50 virtual servers × 40 real servers;
 *   - start → VIP held: a priority-150 node (v2, advert_int 1) preempting a keepalived master at 100;
 *   - RSS (all processes of the daemon) as master with 1 and with 200 instances, and the anonymous part of it;
 *   - CPU and RSS of a backup with 50 instances receiving 50 adverts/s from a keepalived master.
 * Root only: every daemon runs in namespaces from test/netns/harness, with its own pid files and TMPDIR.
 * Prints a table; asserts nothing. Run: npm run bench -- compare   (REPS=3 npm run bench -- compare for a quick look)
 */
import { execFileSync } from 'node:child_process';
import { Topology } from '../test/netns/harness/topology.js';
import { BUNDLED_CLI, Daemons, stop, waitFor, type RunningDaemon } from '../test/netns/harness/daemons.js';
import { CLK_TCK, median, treeUsage as usage } from '../test/netns/harness/wire.js';

const REPS = Number(process.env['REPS'] ?? 5);
/** How long a 200- or 50-instance master may take to hold its last VIP (keepalived 2.2.7 took over 40 s at load 30). */
const WAIT_MS = Number(process.env['KTS_COMPARE_WAIT_MS'] ?? 120_000);
/** keepalived-ts as installed: the bundle the `keepalived-ts` bin runs (scripts/bundle.mjs). */
const CLI = BUNDLED_CLI;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Impl = 'keepalived' | 'ts';

function instance(i: number, state: string, prio: number): string[] {
  return [
    `vrrp_instance VI_${i} {`,
    `    state ${state}`,
    '    interface eth0',
    `    virtual_router_id ${(i % 255) + 1}`,
    `    priority ${prio}`,
    '    advert_int 1',
    '    virtual_ipaddress {',
    `        203.0.113.${(i % 250) + 1}/32`,
    '    }',
    '}',
  ];
}

function vrrpConf(n: number, state: string, prio: number): string {
  return (
    [...['global_defs {', '    router_id bench', '}'], ...Array.from({ length: n }, (_, i) => instance(i, state, prio)).flat()].join('\n') + '\n'
  );
}

function bigConf(): string {
  const vs = (v: number) => [
    `virtual_server 198.51.100.${v + 1} 80 {`,
    '    delay_loop 6',
    '    lb_algo rr',
    '    lb_kind NAT',
    '    protocol TCP',
    ...Array.from({ length: 40 }, (_, r) => [
      `    real_server 192.0.2.${((v * 40 + r) % 200) + 50} ${8000 + r} {`,
      '        weight 1',
      '        TCP_CHECK {',
      '            connect_port 80',
      '            connect_timeout 3',
      '        }',
      '    }',
    ]).flat(),
    '}',
  ];
  return (
    vrrpConf(200, 'BACKUP', 100) +
    Array.from({ length: 50 }, (_, v) => vs(v))
      .flat()
      .join('\n') +
    '\n'
  );
}

/** Waits for `pred`; throws naming `what` after `ms`. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  if ((await waitFor(pred, ms)) < 0) throw new Error(`timed out waiting for ${what}`);
}

const results = new Map<string, Record<Impl, number[]>>();
function record(name: string, impl: Impl, v: number): void {
  if (!results.has(name)) results.set(name, { keepalived: [], ts: [] });
  results.get(name)![impl].push(v);
}

function start(d: Daemons, impl: Impl, host: string, file: string): RunningDaemon {
  return impl === 'keepalived' ? d.keepalived(host, file) : d.ours(host, file);
}

/** The unbundled tsc output of the CLI: `-t` is also timed from it, to show what the bundle saves. */
const TSC_CLI = new URL('../src/cli/main.js', import.meta.url).pathname;

/** Wall time (ms) of `-t` on `file`: keepalived, or our CLI (`cli`: the bundle unless told). */
async function configTest(topo: Topology, d: Daemons, impl: Impl, file: string, cli = CLI): Promise<number> {
  const argv = impl === 'keepalived' ? ['/usr/sbin/keepalived', '-t', '-f', file] : [process.execPath, cli, '-t', '-f', file];
  const t0 = process.hrtime.bigint();
  execFileSync('ip', ['netns', 'exec', topo.host('a').netns, ...argv], { stdio: 'ignore', env: { ...process.env, TMPDIR: d.dir } });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function oneRep(topo: Topology, d: Daemons, impl: Impl): Promise<void> {
  const one = d.write('one.conf', vrrpConf(1, 'BACKUP', 100));
  const big = d.write('big.conf', bigConf());
  const t1 = await configTest(topo, d, impl, one);
  const tBig = await configTest(topo, d, impl, big);
  record('`-t`, 1 instance (ms)', impl, t1);
  record('`-t`, 200 instances + 50 VS × 40 RS (ms)', impl, tBig);
  // the same from the unbundled tsc output (keepalived has one build: its row repeats its figure)
  record('`-t`, 1 instance, unbundled (ms)', impl, impl === 'ts' ? await configTest(topo, d, impl, one, TSC_CLI) : t1);
  record('`-t`, 200 instances + …, unbundled (ms)', impl, impl === 'ts' ? await configTest(topo, d, impl, big, TSC_CLI) : tBig);

  // start → VIP held: b (150) preempts a keepalived master (100)
  const master = d.keepalived('a', d.write('m100.conf', vrrpConf(1, 'MASTER', 100)));
  await until(() => d.hasVip('a', '203.0.113.1'), 8000, '203.0.113.1 on a');
  const t0 = Date.now();
  const b = start(d, impl, 'b', d.write('p150.conf', vrrpConf(1, 'BACKUP', 150)));
  await until(() => d.hasVip('b', '203.0.113.1'), 30_000, '203.0.113.1 on b');
  record('start → VIP held, prio 150 preempting (ms)', impl, Date.now() - t0);
  record('RSS, 1 instance, master (MB)', impl, usage(b.child.pid!).rssMb);
  await stop(b.child);
  await stop(master.child);

  const m200 = start(d, impl, 'b', d.write('m200.conf', vrrpConf(200, 'MASTER', 150)));
  await until(() => d.hasVip('b', '203.0.113.200'), WAIT_MS, '203.0.113.200 on b');
  await sleep(2000);
  const u200 = usage(m200.child.pid!);
  record('RSS, 200 instances, master (MB)', impl, u200.rssMb);
  record('anonymous RSS, 200 instances, master (MB)', impl, u200.anonMb);
  await stop(m200.child);

  // a backup with 50 instances receiving 50 adverts/s from a keepalived master
  const feeder = d.keepalived('a', d.write('m50.conf', vrrpConf(50, 'MASTER', 200)));
  await until(() => d.hasVip('a', '203.0.113.50'), WAIT_MS, '203.0.113.50 on a');
  const backup = start(d, impl, 'b', d.write('b50.conf', vrrpConf(50, 'BACKUP', 100)));
  await sleep(4000);
  const u0 = usage(backup.child.pid!);
  const w0 = Date.now();
  await sleep(10_000);
  const u1 = usage(backup.child.pid!);
  record('CPU, backup, 50 instances, 50 adverts/s (%)', impl, ((u1.ticks - u0.ticks) / CLK_TCK / ((Date.now() - w0) / 1000)) * 100);
  record('RSS, backup, 50 instances (MB)', impl, u1.rssMb);
  await stop(backup.child);
  await stop(feeder.child);
}

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-compare-', CLI);
try {
  let reps = 0;
  try {
    for (; reps < REPS; reps++) {
      for (const impl of (reps % 2 ? ['ts', 'keepalived'] : ['keepalived', 'ts']) as Impl[]) await oneRep(topo, d, impl);
      process.stderr.write(`rep ${reps + 1}/${REPS} done\n`);
    }
  } catch (e) {
    process.exitCode = 1;
    console.log(`stopped in repetition ${reps + 1}: ${(e as Error).message}; the table has what was measured`);
  }
  console.log(`keepalived 2.2.7 vs keepalived-ts (Node ${process.version}), medians of up to ${REPS}, alternating\n`);
  console.log('| measure | keepalived 2.2.7 | keepalived-ts | ratio |');
  console.log('|---|---|---|---|');
  for (const [name, v] of results) {
    const k = median(v.keepalived);
    const t = median(v.ts);
    const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(x >= 10 ? 1 : 2));
    console.log(`| ${name} | ${f(k)} | ${f(t)} | ${k > 0 ? (t / k).toFixed(2) : '–'} |`);
  }
} finally {
  topo.destroy();
  d.removeDir();
}
