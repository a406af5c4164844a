import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-preempt-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const start = (who: 'ours' | 'keepalived', host: string, file: string): RunningDaemon =>
  who === 'ours' ? d.ours(host, file) : d.keepalived(host, file);

for (const [first, second] of [
  ['keepalived', 'ours'],
  ['ours', 'keepalived'],
] as const) {
  test(`preemption: ${second} (200) starting next to a running ${first} (100) takes mastership`, async () => {
    const vip = '192.0.2.171';
    const x = start(first, 'a', d.conf(`p1-${first}.conf`, 100, 'BACKUP', 3, vip));
    let y: RunningDaemon | undefined;
    try {
      assert.ok((await waitFor(() => d.hasVip('a', vip), 8000)) >= 0, x.log());
      y = start(second, 'b', d.conf(`p1-${second}.conf`, 200, 'BACKUP', 3, vip));
      assert.ok((await waitFor(() => d.hasVip('b', vip) && !d.hasVip('a', vip), 8000)) >= 0, `${second} preempted\n${y.log()}\n${x.log()}`);
    } finally {
      if (y) await stop(y.child);
      await stop(x.child);
    }
  });

  test(`nopreempt: ${second} (200, nopreempt) starting next to a running ${first} (100) stays BACKUP until the master goes`, async () => {
    const vip = '192.0.2.172';
    const x = start(first, 'a', d.conf(`p2-${first}.conf`, 100, 'BACKUP', 3, vip));
    let y: RunningDaemon | undefined;
    try {
      assert.ok((await waitFor(() => d.hasVip('a', vip), 8000)) >= 0, x.log());
      y = start(second, 'b', d.conf(`p2-${second}.conf`, 200, 'BACKUP', 3, vip, '  nopreempt\n'));
      await sleep(5000);
      assert.ok(d.hasVip('a', vip) && !d.hasVip('b', vip), `nopreempt respected\n${y.log()}\n${x.log()}`);
      assert.doesNotMatch(y.log(), /Entering MASTER STATE/);
      await stop(x.child);
      assert.ok((await waitFor(() => d.hasVip('b', vip), 3000)) >= 0, `takes over when the master stops\n${y.log()}`);
    } finally {
      if (y) await stop(y.child);
      await stop(x.child);
    }
  });
}

for (const [master, backup] of [
  ['keepalived', 'ours'],
  ['ours', 'keepalived'],
] as const) {
  test(`hard loss: the ${master} master's link cut at the bridge ⇒ ${backup} owns the VIP within Master_Down_Interval + 150 ms`, async () => {
    const vip = '192.0.2.173';
    const x = start(master, 'a', d.conf(`p3-${master}.conf`, 200, 'BACKUP', 3, vip));
    let y: RunningDaemon | undefined;
    try {
      assert.ok((await waitFor(() => d.hasVip('a', vip), 8000)) >= 0, x.log());
      y = start(backup, 'b', d.conf(`p3-${backup}.conf`, 100, 'BACKUP', 3, vip));
      await sleep(4500);
      assert.ok(!d.hasVip('b', vip), `${backup} is BACKUP\n${y.log()}`);
      const mdi = 3 * 1000 + ((256 - 100) / 256) * 1000;
      topo.linkDown('a');
      const took = await waitFor(() => d.hasVip('b', vip), 6000);
      assert.ok(took >= 0, `${backup} took over\n${y.log()}`);
      assert.ok(took <= mdi + 150, `takeover in ${took} ms, bound ${Math.round(mdi + 150)} ms`);
      assert.ok(took >= mdi - 1000 - 50, `not before Master_Down_Interval less one advert interval (${took} ms)`);
    } finally {
      topo.linkUp('a');
      if (y) await stop(y.child);
      await stop(x.child);
    }
  });
}
