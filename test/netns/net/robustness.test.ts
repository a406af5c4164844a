import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Rtnl, type RtnlEvent } from '../../../src/net/netlink/rtnl.js';
import { Socket } from '../../../src/net/socket.js';
import { K } from '../../../src/net/sysio.js';

const topo = Topology.create({ hosts: ['a'] });
after(() => topo.destroy());

test('netlink event overflow (ENOBUFS) is reported as a resync, and events keep flowing afterwards', async () => {
  const rtnl = topo.inside('a', () => new Rtnl());
  const events: RtnlEvent[] = [];
  topo.inside('a', () => rtnl.subscribe((e) => events.push(e), undefined, 4096));
  try {
    // 250 address additions while this process's event loop is blocked (spawnSync): the 4 KiB buffer overflows
    const batch = Array.from({ length: 250 }, (_, i) => `addr add 198.51.100.${i + 1}/32 dev eth0`).join('\n');
    execFileSync('ip', ['-n', topo.host('a').netns, '-batch', '-'], { input: batch });
    const start = Date.now();
    while (!events.some((e) => e.kind === 'resync') && Date.now() - start < 3000) await sleep(20);
    assert.ok(
      events.some((e) => e.kind === 'resync'),
      `resync reported (${events.length} events seen)`,
    );
    const listed = await rtnl.listAddresses(4);
    assert.equal(listed.filter((a) => a.address.startsWith('198.51.100.')).length, 250, 'a dump after resync sees every address');
    const before = events.length;
    await rtnl.addAddress({ family: 4, ifindex: listed[0]!.ifindex, address: '203.0.113.1', prefixLength: 32 });
    const t0 = Date.now();
    while (!events.slice(before).some((e) => e.kind === 'address' && e.address.address === '203.0.113.1') && Date.now() - t0 < 3000) await sleep(20);
    assert.ok(
      events.slice(before).some((e) => e.kind === 'address' && e.address.address === '203.0.113.1'),
      'events flow after the overflow',
    );
  } finally {
    rtnl.close();
  }
});

test('socket churn: 5,000 open/watch/unwatch/close cycles leave no fd behind', () => {
  const count = () => readdirSync('/proc/self/fd').length;
  const baseline = count();
  for (let i = 0; i < 5000; i++) {
    const s = Socket.open(K.AF_INET as number, K.SOCK_DGRAM as number, 0, { onMessage: () => {} });
    s.close();
  }
  assert.equal(count(), baseline);
});
