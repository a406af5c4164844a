/**
 * `track_bfd` at start-up: the BFD child reports its sessions while the VRRP child is still starting (here held back
 * by `vrrp_startup_delay`). Those states must still reach the instances once they exist: a session that is not Up
 * counts as down (keepalived: bfd_up starts false), so a positive weight is not added. Before the fix, states that
 * arrived early were marked as reported against a router without the instances and never sent again, and the
 * instance counted the session as up (its effective priority had the weight).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, confText, stop, waitFor } from '../harness/daemons.js';
import { bfdInstance } from './peers.js';
import { controlRequest } from '../../../src/daemon/control.js';

test('track_bfd: session states that arrive before the instances exist still count (Down: no weight)', { timeout: 60_000 }, async (t) => {
  const topo = Topology.create({ hosts: ['a'] });
  const d = Daemons.inTempDir(topo, 'kts-bfd-early-');
  t.after(() => {
    topo.destroy();
    d.removeDir();
  });
  const vip = '192.0.2.210';
  const conf = d.write(
    'early.conf',
    'global_defs {\n  vrrp_startup_delay 2\n}\n' +
      confText('ours', 100, 'BACKUP', 2, vip, '  track_bfd {\n    to_x weight 20\n  }\n') +
      // nobody answers at this address: the session never comes Up
      bfdInstance('to_x', { neighbor: '192.0.2.77', minRx: 100, minTx: 100 }),
  );
  const x = d.ours('a', conf);
  try {
    assert.ok((await waitFor(() => /Delaying startup for 2 seconds/.test(x.log()), 15_000)) >= 0, x.log());
    // alone on its link, the instance becomes MASTER after the delay and its Master_Down_Interval
    assert.ok((await waitFor(() => d.hasVip('a', vip), 20_000)) >= 0, x.log());
    const st = await controlRequest(x.controlSocket, 'status');
    assert.ok(st.ok && st.status, JSON.stringify(st));
    const vi = st.status.snapshot.instances.find((i) => i.name === 'VI_1');
    assert.ok(vi, JSON.stringify(st));
    assert.equal(vi.basePriority, 100);
    assert.equal(vi.effectivePriority, 100, `BFD to_x is down: no +20\n${x.log()}`);
  } finally {
    await stop(x.child);
  }
});
