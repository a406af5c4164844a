/**
 * `track_bfd` end to end: our MASTER (priority 150) tracks a BFD session to FRR's bfdd (the "upstream"); keepalived
 * 2.2.7 is the BACKUP (priority 100, advert_int 1: Master_Down_Interval 3.61 s). SIGSTOP of bfdd takes our
 * session Down within its Detection Time (30 ms); the supervisor relays it to our VRRP child, which goes FAULT and
 * sends priority 0, so keepalived takes over after its Skew_Time (0.61 s) — well inside Master_Down_Interval.
 * Asserted: keepalived is MASTER between 0.5 s and 1.8 s after the stop; our side logs keepalived's texts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, confText, stop } from '../harness/daemons.js';
import { bfdInstance, isUp, startFrrBfdd, whenLogged } from './peers.js';

test('track_bfd: a BFD Down hands mastership over at once (Skew_Time, not Master_Down_Interval)', { timeout: 90_000 }, async (t) => {
  const topo = Topology.create({ hosts: ['a', 'b', 'c'] });
  const d = Daemons.inTempDir(topo, 'kts-bfd-track-');
  t.after(() => {
    topo.destroy();
    d.removeDir();
  });
  const a = topo.hosts.get('a')!;
  const c = topo.hosts.get('c')!;
  const frr = startFrrBfdd(d, 'c', { peer: a.ipv4, local: c.ipv4, rxMs: 10, txMs: 10, mult: 3 });
  const vip = '192.0.2.200';
  const ours = d.write(
    'ours.conf',
    confText('ours', 150, 'BACKUP', 2, vip, '  track_bfd {\n    to_c\n  }\n') + bfdInstance('to_c', { neighbor: c.ipv4, source: a.ipv4 }),
  );
  const theirs = d.conf('theirs.conf', 100, 'BACKUP', 2, vip);
  const k = d.ours('a', ours);
  const kb = d.keepalived('b', theirs);
  assert.ok((await whenLogged(k, /\(to_c\) Entering Up state/, 15_000)) > 0, `BFD Up\n${k.log()}`);
  assert.ok((await whenLogged(k, /VRRP_Instance\(VI_1\) Tracked BFD instance to_c is UP/, 5000)) > 0, `tracked Up relayed\n${k.log()}`);
  assert.ok((await whenLogged(k, /\(VI_1\) Entering MASTER STATE/, 15_000)) > 0, `ours MASTER\n${k.log()}`);
  assert.ok((await whenLogged(kb, /\(VI_1\) Entering BACKUP STATE/, 15_000)) > 0, 'keepalived BACKUP');
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(isUp(k.log(), 'to_c'), 'still Up before the stop');
  const markK = k.log().length;
  const markB = kb.log().length;
  const pid = Number(topo.exec('c', ['cat', frr.pidFile]).trim());
  const t0 = performance.now();
  process.kill(pid, 'SIGSTOP');
  try {
    const down = await whenLogged(k, /\(to_c\) Entering Down state/, 5000, markK);
    const fault = await whenLogged(k, /\(VI_1\) Entering FAULT STATE/, 5000, markK);
    const master = await whenLogged(kb, /\(VI_1\) Entering MASTER STATE/, 6000, markB);
    t.diagnostic(
      `BFD Down ${(down - t0).toFixed(0)} ms, our FAULT ${(fault - t0).toFixed(0)} ms, keepalived MASTER ${(master - t0).toFixed(0)} ms after SIGSTOP`,
    );
    assert.ok(down > 0 && fault > 0 && master > 0, `${k.log().slice(markK)}\n--- keepalived\n${kb.log().slice(markB)}`);
    assert.match(k.log().slice(markK), /VRRP_Instance\(VI_1\) Tracked BFD instance to_c is DOWN/);
    assert.ok(master - t0 >= 500 && master - t0 <= 1800, `keepalived MASTER ${master - t0} ms after the stop`);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await stop(k.child);
  await stop(kb.child);
  await stop(frr.child);
});
