/**
 * BFD_CHECK end to end (root): the load-balancer lab (test/netns/lb/lb-topology.ts) with keepalived-ts in the
 * director, nftables backend, and a virtual server whose real server rs1 is judged by BFD only: `BFD_CHECK` on a
 * `bfd_instance` to FRR's bfdd running in rs1's namespace (100 ms × 3, Detection Time 300 ms); rs2 has a TCP_CHECK.
 *
 * - rs1 joins the table once the session is Up (`alpha`), and the client reaches both servers;
 * - cutting rs1's link (its bridge port): from the moment the cut command returned, our session is Down between
 *   (Detection Time − one interval − 5 ms) and (Detection Time + 150 ms), the checker logs rs1 DOWN by Detection Time
 *   + 300 ms (the BFD child → supervisor → checker relay), and rs1 is out of the nftables table by Detection Time +
 *   900 ms: the nftables backend writes each change with an `nft -f` process, which on this shared 2-core host at load
 *   ~20 took 230–450 ms after the checker's verdict (plus the 20 ms poll of the control socket). Meanwhile the
 *   client reaches rs2 only, without a failure;
 * - restoring the link brings rs1 back once the session is Up again;
 * - the peer's administrative shutdown (bfdd sends AdminDown) takes our session Down but not rs1 out of the pool:
 *   keepalived 2.2.7 sends its checker no event then (RFC 5880 section 6.8.16), and neither do we.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlRequest } from '../../../src/daemon/control.js';
import type { LvsReport } from '../../../src/lb/report.js';
import { waitFor } from '../harness/daemons.js';
import { LbLab, RS, VIP4 } from '../lb/lb-topology.js';
import { bfdInstance, startFrrBfdd, whenLogged } from './peers.js';

const CLI = new URL('../../../src/cli/main.js', import.meta.url).pathname;
const DETECT = 300;
const INTERVAL = 100;
const LOW = DETECT - INTERVAL - 5;
const HIGH = DETECT + 900;
const RS1 = `${RS.rs1.v4}:8080`;
const RS2 = `${RS.rs2.v4}:8080`;

const lab = new LbLab();
const dir = mkdtempSync(join(tmpdir(), 'kts-bfdchk-'));
after(() => {
  lab.destroy();
  rmSync(dir, { recursive: true, force: true });
});
const write = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const frr = startFrrBfdd({ dir, write, topo: { spawn: (host, cmd, args) => lab.spawn(host as keyof LbLab['ns'], cmd, args) } }, 'rs1', {
  peer: '192.0.2.1',
  local: RS.rs1.v4,
  rxMs: INTERVAL,
  txMs: INTERVAL,
  mult: 3,
});
const conf = write(
  'keepalived.conf',
  `global_defs {\n  router_id lbbfd\n}\n${bfdInstance('B1', { neighbor: RS.rs1.v4, source: '192.0.2.1', minRx: INTERVAL, minTx: INTERVAL })}` +
    `virtual_server ${VIP4} 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
    `  real_server ${RS.rs1.v4} 8080 {\n    alpha\n    BFD_CHECK {\n      name B1\n    }\n  }\n` +
    `  real_server ${RS.rs2.v4} 8080 {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n`,
);
const sock = join(dir, 'ctl.sock');
const child = lab.spawn('dir', process.execPath, [
  CLI,
  '-n',
  '-l',
  '-D',
  '-f',
  conf,
  '-p',
  join(dir, 'k.pid'),
  '-r',
  join(dir, 'vrrp.pid'),
  '-c',
  join(dir, 'chk.pid'),
  '-b',
  join(dir, 'bfd.pid'),
  `--control-socket=${sock}`,
]);
let out = '';
child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
const k = { host: 'dir', child, log: () => out };
after(() => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Real servers of the service on port 80, as `address:port`, sorted. */
async function dests(): Promise<string[]> {
  const r = await controlRequest(sock, 'lvs');
  if (!r.ok || !r.lvs) throw new Error(`lvs: ${JSON.stringify(r)}`);
  const s = (r.lvs as LvsReport).services.find((x) => x.key.kind === 'address' && x.key.port === 80);
  return (s?.dests ?? []).map((d) => `${d.address}:${d.port}`).sort();
}
/** Polls dests() every 20 ms until `want` holds: performance.now() then, or -1 after `ms`. */
async function destsWhen(want: (d: string[]) => boolean, ms: number): Promise<number> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (want(await dests())) return performance.now();
    await sleep(20);
  }
  return -1;
}
const bridgePort = (state: 'up' | 'down') => execFileSync('ip', ['-n', lab.ns.sw, 'link', 'set', 'p1', state]);
const frrVtysh = (...cmds: string[]) =>
  lab.sh(
    lab.ns.rs1,
    `vtysh --vty_socket ${frr.vtySocketDir} -d bfdd ${['configure terminal', 'bfd', `peer 192.0.2.1 local-address ${RS.rs1.v4}`, ...cmds].map((c) => `-c '${c}'`).join(' ')}`,
  );
const diag = () => `${out.slice(-4000)}\n--- frr\n${frr.log().slice(-2000)}`;

test(
  'BFD_CHECK with FRR bfdd: rs1 is in the pool while its session is Up, out within the Detection Time of a link cut, back after',
  { timeout: 120_000 },
  async (t) => {
    assert.ok((await waitFor(() => out.includes('Startup complete'), 15_000)) >= 0, diag());
    assert.ok((await whenLogged(k, /\(B1\) Entering Up state/, 20_000)) > 0, `session Up\n${diag()}`);
    assert.ok((await destsWhen((d) => d.includes(RS1) && d.includes(RS2), 10_000)) > 0, `both in the pool\n${diag()}`);
    assert.match(out, new RegExp(`BFD check of \\[B1\\] RS\\(\\[${RS.rs1.v4.replace(/\./g, '\\.')}\\]:tcp:8080\\) is UP`));
    // the 100 ms intervals are agreed by a Poll Sequence after Up (RFC 5880 6.8.3): the line may come a little later
    assert.ok((await whenLogged(k, /Detection time is 300000 us/, 10_000)) > 0, `negotiated 3 × 100 ms\n${diag()}`);
    const before = await lab.requests(VIP4, 20);
    assert.deepEqual(before, { failed: 0, rs1: 10, rs2: 10 });

    // cut rs1's link
    const mark = out.length;
    t.after(() => bridgePort('up'));
    bridgePort('down');
    const cutAt = performance.now();
    const bfdDown = whenLogged(k, /\(B1\) Entering Down state/, 5000, mark);
    const checkDown = whenLogged(k, /BFD check of \[B1\] RS\(\[192\.0\.2\.11\]:tcp:8080\) is DOWN/, 5000, mark);
    const goneAt = await destsWhen((d) => !d.includes(RS1), 5000);
    assert.ok(goneAt > 0, `rs1 removed\n${diag()}`);
    const gone = goneAt - cutAt;
    t.diagnostic(
      `link cut → BFD Down logged after ${((await bfdDown) - cutAt).toFixed(0)} ms, the checker's DOWN after ${((await checkDown) - cutAt).toFixed(0)} ms, ` +
        `rs1 out of the nftables table after ${gone.toFixed(0)} ms (Detection Time ${DETECT} ms)`,
    );
    const within = (what: string, at: number, high: number) =>
      assert.ok(at - cutAt >= LOW && at - cutAt <= high, `${what} after ${(at - cutAt).toFixed(0)} ms, outside [${LOW}, ${high}]\n${diag()}`);
    within('BFD Down', await bfdDown, DETECT + 150);
    within("the checker's DOWN", await checkDown, DETECT + 300);
    within('rs1 out of the table', goneAt, HIGH);
    assert.match(out.slice(mark), /\(B1\) Entering Down state \(Local diagnostic - Control Detection Time Expired/);
    assert.match(out.slice(mark), /BFD check of \[B1\] RS\(\[192\.0\.2\.11\]:tcp:8080\) is DOWN/);
    assert.deepEqual(await dests(), [RS2]);
    assert.deepEqual(await lab.requests(VIP4, 10), { failed: 0, rs2: 10 }, 'the client reaches rs2 only');
    await sleep(1500);
    assert.deepEqual(await dests(), [RS2], 'rs1 stays out while the link is down');

    // restore
    bridgePort('up');
    const upAt = performance.now();
    const backAt = await destsWhen((d) => d.includes(RS1), 10_000);
    assert.ok(backAt > 0, `rs1 back\n${diag()}`);
    t.diagnostic(`link restored → rs1 back in the table after ${(backAt - upAt).toFixed(0)} ms (BFD three-way handshake at 1 s idle_tx)`);
    assert.deepEqual(await lab.requests(VIP4, 20), { failed: 0, rs1: 10, rs2: 10 });
  },
);

test('the peer going AdminDown takes the session Down but not rs1 out of the pool (keepalived sends no event)', { timeout: 60_000 }, async () => {
  const mark = out.length;
  frrVtysh('shutdown');
  // FRR 8.4 signals AdminDown with diagnostic 0 (its shutdown does not set diag 7)
  const down = await whenLogged(k, /\(B1\) Entering Down state \(Local diagnostic - Neighbor Signaled Session Down/, 5000, mark);
  assert.ok(down > 0, `session Down on the peer's AdminDown\n${diag()}`);
  const st = (await controlRequest(sock, 'status')) as { status?: { snapshot?: { bfd?: { remoteState: string; clientUp: boolean }[] } } };
  const b1 = st.status?.snapshot?.bfd?.[0];
  assert.equal(b1?.remoteState, 'AdminDown', JSON.stringify(st));
  assert.equal(b1?.clientUp, true, 'the checker was not told Down');
  await sleep(1000);
  assert.deepEqual(await dests(), [RS1, RS2], 'rs1 stays in the pool');
  assert.doesNotMatch(out.slice(mark), /BFD check of \[B1\]/);
  frrVtysh('no shutdown');
  assert.ok((await whenLogged(k, /\(B1\) Entering Up state/, 10_000, mark)) > 0, `Up again\n${diag()}`);
  // a real failure afterwards is seen again
  const mark2 = out.length;
  bridgePort('down');
  assert.ok((await destsWhen((d) => !d.includes(RS1), 5000)) > 0, `rs1 removed on a cut after the AdminDown episode\n${diag()}`);
  assert.match(out.slice(mark2), /BFD check of \[B1\] RS\(\[192\.0\.2\.11\]:tcp:8080\) is DOWN/);
  bridgePort('up');
});
