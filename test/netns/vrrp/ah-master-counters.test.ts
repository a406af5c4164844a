/**
 * auth_type AH while MASTER: adverts that fail the AH check keep being read and counted (auth_failure) after the
 * instance became MASTER, and a valid AH advert with a higher priority still takes MASTER away — the AH receive
 * socket keeps working in every state. The failing adverts come from the rogue tool (keepalived-ts-rogue
 * --auth-type AH: IP protocol 51, ICV keyed with a wrong password), each checked on the wire with tcpdump.
 *
 * Same stream at keepalived 2.2.7 as MASTER: it logs every one as ours does, and it also shows why the earlier
 * symptom (ah-interop.test.ts: "counts stuck after ours became MASTER") was not ours: keepalived restarts a
 * MASTER's advert timer on every packet it reads for the VRID, valid or not (vrrp_dispatcher_read ends with
 * vrrp_init_instance_sands), so a stream of failing adverts at least as fast as advert_int silences it — and a
 * peer that hears nothing from it has nothing to count. Ours keeps advertising on schedule.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, capture } from '../harness/topology.js';
import { Daemons, enteredBackupInit, stop, waitFor, type RunningOurs } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';
import type { RogueReport } from '../../../src/cli/rogue-run.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-ahm-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const ROGUE = new URL('../../../src/cli/rogue.js', import.meta.url).pathname;
const VRID = 62;
const ROGUE_SRC = '192.0.2.66';
/** Failing adverts per run, and their rate (20/s: 20 times advert_int). */
const COUNT = 40;
const RATE = 20;
const INVALID = /\(VI_1\) IPSEC-AH : invalid IPSEC HMAC-MD5 value/g;

function ahConf(name: string, vip: string): string {
  return d.write(
    name,
    `global_defs {\n  router_id ${name}\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${VRID}\n` +
      `  priority 100\n  advert_int 1\n  authentication {\n    auth_type AH\n    auth_pass secret12\n  }\n` +
      `  virtual_ipaddress {\n    ${vip}/24\n  }\n}\n`,
  );
}

async function stats(o: RunningOurs): Promise<Record<string, number>> {
  const r = await controlRequest(o.controlSocket, 'json');
  if (!r.ok) throw new Error(r.error);
  return (JSON.parse(r.text ?? '[]') as { stats: Record<string, number> }[])[0]!.stats;
}

/** Runs the rogue tool in host b at the AH instance; returns its report. */
async function rogue(vip: string, kind: 'auth' | 'spoof', extra: readonly string[]): Promise<RogueReport> {
  const argv = [ROGUE, '--interface', 'eth0', '--vrid', String(VRID), '--vip', vip, '--source', ROGUE_SRC, '--auth-type', 'AH'];
  const c = topo.spawn('b', process.execPath, [...argv, '--auth-pass', 'secret12', '--kind', kind, '--json', ...extra]);
  let out = '';
  c.stdout?.on('data', (x: Buffer) => (out += x.toString()));
  c.stderr?.on('data', (x: Buffer) => (out += x.toString()));
  const code = await new Promise<number | null>((r) => c.on('exit', r));
  assert.equal(code, 0, out);
  return JSON.parse(out.trim().split('\n')[0]!) as RogueReport;
}

/** Captured protocol-51 lines in host a from `src`. */
const from = (lines: readonly string[], src: string): string[] => lines.filter((l) => l.includes(` ${src} > 224.0.0.18: AH(`));

test('AH, ours MASTER: every failing AH advert is counted as auth_failure, adverts go on, a valid higher one still takes over', async () => {
  const vip = '192.0.2.171';
  const o = d.ours('a', ahConf('ours.conf', vip));
  try {
    assert.ok((await enteredBackupInit(o, ['VI_1'], 12000)) >= 0, o.log());
    // alone: MASTER after Master_Down_Interval (AH instances start BACKUP)
    assert.ok((await waitFor(() => d.hasVip('a', vip), 8000)) >= 0, o.log());
    const before = await stats(o);
    const cap = capture(topo, 'a', 'ip proto 51');
    await cap.ready;
    const rep = await rogue(vip, 'auth', ['--rate', String(RATE), '--count', String(COUNT)]);
    assert.equal(rep.sent, COUNT, JSON.stringify(rep));
    await waitFor(() => false, 300); // the last ones are read
    const wire = await cap.stop();
    const after1 = await stats(o);
    assert.equal(from(wire, ROGUE_SRC).length, COUNT, `every rogue advert reached a\n${wire.join('\n')}`);
    assert.equal(after1['auth_failure']! - before['auth_failure']!, COUNT, `each counted once\n${JSON.stringify(after1)}\n${o.log()}`);
    assert.equal(after1['advert_rcvd'], before['advert_rcvd'], JSON.stringify(after1));
    assert.ok(d.hasVip('a', vip), 'still MASTER');
    assert.ok((o.log().match(INVALID) ?? []).length >= 1, o.log());
    // ours advertised on schedule during the stream (advert_int 1 s over the rogue's ~2 s)
    const ownSent = from(wire, topo.host('a').ipv4).length;
    const secs = rep.seconds;
    assert.ok(
      ownSent >= Math.floor(secs) - 1 && ownSent <= Math.ceil(secs) + 2,
      `ours sent ${ownSent} adverts in ${secs.toFixed(2)} s\n${wire.join('\n')}`,
    );
    // a valid AH advert (the sniffed password, priority 254) is still heard while MASTER: ours steps down
    const t0 = Date.now();
    await rogue(vip, 'spoof', ['--rate', '2', '--seconds', '3', '--priority', '254']);
    const s2 = await stats(o);
    assert.ok(s2['advert_rcvd']! >= 1, JSON.stringify(s2));
    assert.ok(!d.hasVip('a', vip), `ours yielded to the valid higher-priority advert\n${o.log()}`);
    assert.match(o.log(), /\(VI_1\) Entering BACKUP STATE/);
    assert.ok(Date.now() - t0 < 6000);
  } finally {
    await stop(o.child, 'SIGKILL');
  }
});

test('AH, keepalived 2.2.7 MASTER, same stream: it logs every failing advert, and its own adverts stop while the stream lasts', async () => {
  const vip = '192.0.2.172';
  const k = d.keepalived('a', ahConf('ka.conf', vip));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', vip), 12000)) >= 0, k.log());
    await waitFor(() => false, 1500);
    const logged = (k.log().match(INVALID) ?? []).length;
    const cap = capture(topo, 'a', 'ip proto 51');
    await cap.ready;
    const rep = await rogue(vip, 'auth', ['--rate', String(RATE), '--count', String(COUNT)]);
    await waitFor(() => false, 300);
    const wire = await cap.stop();
    assert.equal(from(wire, ROGUE_SRC).length, COUNT, wire.join('\n'));
    assert.equal((k.log().match(INVALID) ?? []).length - logged, COUNT, k.log());
    // keepalived restarts its advert timer on each of them: at most the one already due when the stream began
    const rogueTimes = from(wire, ROGUE_SRC).map((l) => Number(l.split(' ')[0]));
    const first = Math.min(...rogueTimes);
    const last = Math.max(...rogueTimes);
    const own = from(wire, topo.host('a').ipv4).map((l) => Number(l.split(' ')[0]));
    const during = own.filter((t) => t > first + 1.05 && t < last);
    assert.equal(
      during.length,
      0,
      `keepalived sent ${during.length} adverts during a ${(last - first).toFixed(2)} s stream (rep ${rep.seconds.toFixed(2)} s)\n${wire.join('\n')}`,
    );
    // and it advertises again once the stream stops
    const cap2 = capture(topo, 'a', 'ip proto 51');
    await cap2.ready;
    await waitFor(() => false, 2500);
    assert.ok(from(await cap2.stop(), topo.host('a').ipv4).length >= 1, 'keepalived advertises again');
  } finally {
    await stop(k.child);
    await d.crashKeepalived(k);
  }
});
