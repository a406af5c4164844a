/**
 * Issue 13 in real namespaces, two of our daemons (a: priority 200, b: 100; VRRPv3, advert_int 0.1):
 * - status (`keepalived-ts status -p PIDFILE`, human and --json), /metrics and /status follow real transitions:
 *   a link cut (b takes over by the master-down timer, a in FAULT with `link eth0 down`), the link back
 *   (a preempts), an operator's priority offset (`ctl priority`, logged, b takes over) and its removal;
 * - both daemons share one directory and derive their control sockets from their pid files, without colliding;
 * - `ctl garp` sends a burst (the GARP counter moves), the dual-master gauge rises while a, MASTER, hears b's
 *   adverts (b cannot hear a: an nft drop in b) and falls after the drop is removed;
 * - the endpoint on an address in use: a clear error in the log, the daemon runs on (VRRP and control socket).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, confText, stop, waitFor } from '../harness/daemons.js';
import { getInside, getUnix, sample } from './http.js';

const CLI = new URL('../../../src/cli/main.js', import.meta.url).pathname;
const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-observe-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const VIP = '192.0.2.150';
const A_IP = topo.host('a').ipv4;
const B_IP = topo.host('b').ipv4;

/** VRRPv3, advert_int 0.1; `global` lines go into global_defs. */
function conf(name: string, prio: number, state: string, global = ''): string {
  const text = confText(name, prio, state, 3, VIP).replace('  advert_int 1\n', '  advert_int 0.1\n');
  return d.write(`${name}.conf`, text.replace('global_defs {\n', `global_defs {\n${global}`));
}

interface Ours {
  child: ChildProcess;
  pidFile: string;
  log(): string;
}

/** Our daemon with `-p DIR/NAME.pid` and no --control-socket: the socket is derived (DIR/NAME-ts.sock). */
function start(host: string, name: string, file: string, extra: readonly string[] = []): Ours {
  const pidFile = join(d.dir, `${name}.pid`);
  const child = topo.spawn(
    host,
    process.execPath,
    [CLI, '-n', '-l', '-D', '-f', file, '-p', pidFile, '-r', join(d.dir, `${name}-vrrp.pid`), ...extra],
    { env: { ...process.env, TMPDIR: d.dir } },
  );
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  return { child, pidFile, log: () => out };
}

/** Runs our CLI in the test's namespace (control sockets are files); returns stdout, status. */
function cli(args: readonly string[]): { out: string; status: number } {
  try {
    return { out: execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), status: 0 };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; status?: number };
    return { out: `${x.stdout ?? ''}${x.stderr ?? ''}`, status: x.status ?? -1 };
  }
}

interface Inst {
  name: string;
  state: string;
  effectivePriority: number;
  basePriority: number;
  masterAddress?: string;
  masterPriority: number;
  reason?: string;
  priorityOffset: number;
  sinceMs: number;
}
/** `status --json -p PIDFILE` → VI_1. */
function statusOf(o: Ours): Inst {
  const r = cli(['status', '--json', '-p', o.pidFile]);
  assert.equal(r.status, 0, r.out);
  return (JSON.parse(r.out) as { instances: Inst[] }).instances[0]!;
}

/** statusOf, or undefined while the daemon is not answering yet. */
function statusOrNone(o: Ours): Inst | undefined {
  const r = cli(['status', '--json', '-p', o.pidFile]);
  return r.status === 0 ? (JSON.parse(r.out) as { instances: Inst[] }).instances[0] : undefined;
}

/** Waits until `o` logged `re` (its output is read between the synchronous CLI calls); fails with the log. */
async function logged(o: Ours, re: RegExp, ms = 3000): Promise<void> {
  assert.ok((await waitFor(() => re.test(o.log()), ms)) >= 0, `no ${re} in:\n${o.log().slice(-4000)}`);
}

/** Waits until VI_1 of `o` is in `state` (by its status); returns the instance. */
async function until(o: Ours, state: string, ms = 8000, extra: (i: Inst) => boolean = () => true): Promise<Inst> {
  let last: Inst | undefined;
  const t = await waitFor(() => {
    last = statusOrNone(o);
    return last?.state === state && extra(last);
  }, ms);
  assert.ok(t >= 0, `never ${state}: ${JSON.stringify(last)}\n${o.log().slice(-3000)}`);
  return last!;
}

test('status, metrics and JSON follow real transitions; control sockets from pid files; admin actions', { timeout: 120_000 }, async (t) => {
  const bHttp = join(d.dir, 'b-http.sock');
  const a = start('a', 'a', conf('a', 200, 'MASTER', `  http_endpoint ${A_IP}:9650\n`));
  let b: Ours | undefined;
  try {
    await until(a, 'MASTER');
    b = start('b', 'b', conf('b', 100, 'BACKUP'), [`--http=${bHttp}`]);
    const b0 = await until(b, 'BACKUP', 8000, (i) => i.masterAddress === A_IP);
    assert.deepEqual([b0.masterPriority, b0.reason, b0.effectivePriority], [200, 'startup', 100]);
    await logged(a, new RegExp(`HTTP endpoint listening on ${A_IP.replace(/\./g, '\\.')}:9650`));
    // the two daemons derived different control sockets next to their pid files
    assert.match(cli(['--status', '-p', a.pidFile]).out, /VI_1\s+MASTER/);
    assert.match(cli(['--status', `--control-socket=${join(d.dir, 'b-ts.sock')}`]).out, /VI_1\s+BACKUP/);

    // b's metrics and JSON (UNIX socket endpoint)
    let m = (await getUnix(bHttp, '/metrics')).body;
    assert.equal(sample(m, 'keepalived_up'), 1);
    assert.equal(sample(m, 'keepalived_vrrp_state', { iname: 'VI_1', intf: 'eth0', vrid: '51', ip_address: VIP }), 1);
    assert.equal(sample(m, 'keepalived_ts_vrrp_master_priority', { iname: 'VI_1' }), 200);
    assert.ok((sample(m, 'keepalived_advertisements_received_total', { iname: 'VI_1' }) ?? 0) > 0);
    const st = JSON.parse((await getUnix(bHttp, '/status')).body) as {
      view: { instances: Inst[] };
      keepalived: { data: { iname: string; state: number } }[];
    };
    assert.equal(st.view.instances[0]!.state, 'BACKUP');
    assert.deepEqual([st.keepalived[0]!.data.iname, st.keepalived[0]!.data.state], ['VI_1', 1], "keepalived's JSON document");
    // a's endpoint over TCP, from inside b's namespace
    const am = getInside(topo, 'b', `http://${A_IP}:9650/metrics`);
    assert.equal(sample(am, 'keepalived_vrrp_state', { iname: 'VI_1', ip_address: VIP }), 2);

    // link cut: a FAULT (link eth0 down), b MASTER by the master-down timer
    const cut = Date.now();
    topo.linkDown('a');
    const bm = await until(b, 'MASTER');
    const took = Date.now() - cut;
    assert.equal(bm.reason, 'master down timer');
    assert.ok(bm.sinceMs >= cut - 50 && bm.sinceMs <= Date.now(), `since ${bm.sinceMs} vs cut ${cut}`);
    const af = await until(a, 'FAULT');
    assert.equal(af.reason, 'link eth0 down');
    m = (await getUnix(bHttp, '/metrics')).body;
    assert.equal(sample(m, 'keepalived_vrrp_state', { iname: 'VI_1', ip_address: VIP }), 2);
    assert.equal(sample(m, 'keepalived_become_master_total', { iname: 'VI_1' }), 1);
    assert.equal(sample(m, 'keepalived_ts_vrrp_transitions_total', { iname: 'VI_1', from: 'BACKUP', to: 'MASTER', reason: 'master down timer' }), 1);
    assert.equal(sample(m, 'keepalived_ts_vrrp_failover_duration_seconds_count', { iname: 'VI_1' }), 1);
    const fo = sample(m, 'keepalived_ts_vrrp_failover_duration_seconds_sum', { iname: 'VI_1' })!;
    // Master_Down_Interval = 3 × 0.1 s + skew (256-100)/256 × 0.1 s ≈ 0.36 s, measured from b's last advert
    assert.ok(fo >= 0.3 && fo <= 0.6, `failover ${fo} s (took ${took} ms as seen by the test)`);
    // human status
    const human = cli(['status', '-p', b.pidFile]).out;
    assert.match(human, /^VI_1\s+MASTER\s+100\s+self\s+\d+s\s+master down timer\s+0\.1s\s+-\s+192\.0\.2\.150\s+-$/m);
    assert.doesNotMatch(human, /\x1b\[/, 'no colour when not on a TTY');

    // link back: a preempts; b BACKUP, preempted by a
    topo.linkUp('a');
    const ab = await until(a, 'MASTER');
    assert.equal(ab.reason, `master down timer (preempting ${B_IP} prio 100)`);
    const bb = await until(b, 'BACKUP');
    assert.equal(bb.reason, `preempted by ${A_IP} prio 200`);
    assert.match(
      cli(['status', '-p', b.pidFile]).out,
      new RegExp(`VI_1\\s+BACKUP\\s+100\\s+${A_IP.replace(/\./g, '\\.')} prio 200\\s+\\d+s\\s+preempted by`),
    );

    // maintenance hand-over: a priority offset of -150 on a (logged), b takes over; cleared, a takes it back
    const r = cli(['ctl', '-p', a.pidFile, 'priority', 'VI_1', '-150']);
    assert.deepEqual(r, { out: 'priority offset -150 on VI_1\n', status: 0 });
    await logged(a, /Control: 'priority VI_1 -150' by uid 0 pid \d+: priority offset -150 on VI_1/);
    const a2 = await until(a, 'BACKUP');
    assert.deepEqual([a2.effectivePriority, a2.basePriority, a2.priorityOffset, a2.reason], [50, 200, -150, `preempted by ${B_IP} prio 100`]);
    await until(b, 'MASTER');
    assert.match(cli(['status', '-p', a.pidFile]).out, /VI_1\s+BACKUP\s+50\/200 \(offset -150\)/);
    assert.equal(sample((await getUnix(bHttp, '/metrics')).body, 'keepalived_become_master_total', { iname: 'VI_1' }), 2);
    assert.deepEqual(cli(['ctl', '-p', a.pidFile, 'priority', 'VI_1', '0']), { out: 'priority offset on VI_1 cleared\n', status: 0 });
    const a3 = await until(a, 'MASTER');
    assert.deepEqual([a3.effectivePriority, a3.priorityOffset], [200, 0]);

    // GARP refresh on demand; refused on a BACKUP
    const before =
      sample(getInside(topo, 'b', `http://${A_IP}:9650/metrics`), 'keepalived_ts_vrrp_garp_sent_total', { iname: 'VI_1', kind: 'garp' }) ?? 0;
    assert.deepEqual(cli(['ctl', '-p', a.pidFile, 'garp']), { out: 'GARP/NA refresh sent for VI_1\n', status: 0 });
    const garpAfter = sample(getInside(topo, 'b', `http://${A_IP}:9650/metrics`), 'keepalived_ts_vrrp_garp_sent_total', {
      iname: 'VI_1',
      kind: 'garp',
    });
    assert.equal(garpAfter, before + 5, 'garp_master_repeat 5');
    const refused = cli(['ctl', '-p', b.pidFile, 'garp', 'VI_1']);
    assert.deepEqual([refused.status, refused.out], [1, 'keepalived-ts: VI_1: not a MASTER instance\n']);

    // dual master: b stops hearing a (nft drop in b), becomes MASTER too; a hears b while MASTER
    const dualGauge = () => sample(getInside(topo, 'b', `http://${A_IP}:9650/metrics`), 'keepalived_ts_vrrp_dual_master', { iname: 'VI_1' });
    assert.equal(dualGauge(), 0);
    topo.exec('b', [
      'nft',
      `add table inet ktsdual; add chain inet ktsdual in { type filter hook input priority -300; }; add rule inet ktsdual in ip saddr ${A_IP} ip protocol 112 drop`,
    ]);
    await until(b, 'MASTER');
    assert.ok((await waitFor(() => dualGauge() === 1, 3000)) >= 0, 'dual_master rose on a');
    assert.equal(statusOf(a).state, 'MASTER');
    topo.exec('b', ['nft', 'delete', 'table', 'inet', 'ktsdual']);
    await until(b, 'BACKUP');
    assert.ok((await waitFor(() => dualGauge() === 0, 3000)) >= 0, 'dual_master fell after the split healed');
    t.diagnostic(`failover seen by b's histogram: ${(fo * 1000).toFixed(0)} ms; by the test (status polling): ${took} ms`);
  } finally {
    await stop(a.child);
    if (b) await stop(b.child);
  }
});

test('the endpoint on an address in use: clear error, the daemon runs on', { timeout: 60_000 }, async () => {
  const squatter = topo.spawn('a', process.execPath, ['-e', `require('net').createServer().listen(9651, '${A_IP}', () => console.log('ready'))`]);
  try {
    assert.ok(
      await new Promise<boolean>((r) => {
        squatter.stdout?.once('data', () => r(true));
        setTimeout(() => r(false), 5000);
      }),
      'squatter listening',
    );
    const a = start('a', 'busy', conf('busy', 200, 'MASTER'), [`--http=${A_IP}:9651`]);
    try {
      await until(a, 'MASTER');
      await logged(
        a,
        new RegExp(
          `HTTP endpoint ${A_IP.replace(/\./g, '\\.')}:9651: address already in use \\(EADDRINUSE\\) - HTTP endpoint not started, the daemon carries on without it`,
        ),
      );
      assert.ok(d.hasVip('a', VIP));
      assert.equal(a.child.exitCode, null, 'still running');
      assert.match(cli(['status', '-p', a.pidFile]).out, /VI_1\s+MASTER/);
    } finally {
      await stop(a.child);
    }
  } finally {
    await stop(squatter);
  }
});
