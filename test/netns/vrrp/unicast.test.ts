import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-unicast-');
after(() => {
  topo.destroy();
  d.removeDir();
});
// ours sends from a secondary address: proves the socket is bound to unicast_src_ip
topo.exec('b', ['ip', 'addr', 'add', '192.0.2.50/24', 'dev', 'eth0']);

const conf = (name: string, prio: number, version: 2 | 3, src: string, peer: string, vip: string, extra = '') =>
  `global_defs {\n  router_id ${name}\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 52\n  priority ${prio}\n` +
  `  advert_int 1\n  version ${version}\n` +
  (version === 2 ? '  authentication {\n    auth_type PASS\n    auth_pass uni\n  }\n' : '') +
  `  unicast_src_ip ${src}\n  unicast_peer {\n    ${peer}\n  }\n  virtual_ipaddress {\n    ${vip}\n  }\n${extra}}\n`;

for (const version of [2, 3] as const) {
  test(`unicast VRRPv${version}: ours (200, from a secondary unicast_src_ip) and keepalived (100) elect, and keepalived takes over on stop`, async () => {
    const vip = `192.0.2.${150 + version}`;
    const o = d.ours('b', d.write(`u-ours${version}.conf`, conf('ours', 200, version, '192.0.2.50', '192.0.2.10', vip)));
    // ours is MASTER before keepalived starts (startup order is not what this test is about)
    assert.ok((await waitFor(() => d.hasVip('b', vip), 8000)) >= 0, o.log());
    const k = d.keepalived('a', d.write(`u-ka${version}.conf`, conf('ka', 100, version, '192.0.2.10', '192.0.2.50', vip)));
    try {
      await sleep(4500); // longer than keepalived's Master_Down_Interval
      assert.match(k.log(), /\(VI_1\) Entering BACKUP STATE/);
      assert.doesNotMatch(k.log(), /Entering MASTER STATE/, `keepalived accepts our unicast adverts\n${k.log()}`);
      assert.ok(!d.hasVip('a', vip));
      const t0 = Date.now();
      await stop(o.child);
      const took = await waitFor(() => d.hasVip('a', vip), 3000);
      assert.ok(took >= 0, `keepalived took over\n${k.log()}`);
      assert.ok(Date.now() - t0 < 1500, `hand-over by priority 0 in ${Date.now() - t0} ms`);
    } finally {
      await stop(o.child);
      await stop(k.child);
    }
  });
}

test('old_unicast_checksum on both sides (VRRPv3 unicast, pre-1.3.6 checksum): keepalived accepts our adverts', async () => {
  const vip = '192.0.2.155';
  const o = d.ours('b', d.write('u-old-ours.conf', conf('ours', 200, 3, '192.0.2.50', '192.0.2.10', vip, '  old_unicast_checksum\n')));
  assert.ok((await waitFor(() => d.hasVip('b', vip), 8000)) >= 0, o.log());
  const k = d.keepalived('a', d.write('u-old-ka.conf', conf('ka', 100, 3, '192.0.2.10', '192.0.2.50', vip, '  old_unicast_checksum\n')));
  try {
    await sleep(4500);
    assert.doesNotMatch(k.log(), /Entering MASTER STATE|checksum/i, k.log());
    assert.match(k.log(), /Entering BACKUP STATE/);
  } finally {
    await stop(o.child);
    await stop(k.child);
  }
});

test('check_unicast_src: adverts from an address that is not a configured peer are dropped', async () => {
  const vip = '192.0.2.156';
  const k = d.keepalived('a', d.write('u-src-ka.conf', conf('ka', 200, 3, '192.0.2.10', '192.0.2.50', vip)));
  assert.ok((await waitFor(() => d.hasVip('a', vip), 8000)) >= 0, k.log());
  // ours lists another peer: keepalived's adverts (from 192.0.2.10) are not accepted, so ours also becomes MASTER
  const o = d.ours('b', d.write('u-src-ours.conf', conf('ours', 100, 3, '192.0.2.50', '192.0.2.99', vip, '  check_unicast_src\n')));
  try {
    assert.ok((await waitFor(() => d.hasVip('b', vip), 8000)) >= 0, `not a peer ⇒ ignored ⇒ MASTER\n${o.log()}`);
  } finally {
    await stop(o.child);
  }
  // without check_unicast_src the same adverts are accepted: ours stays BACKUP
  const o2 = d.ours('b', d.write('u-src-ours2.conf', conf('ours', 100, 3, '192.0.2.50', '192.0.2.99', vip)));
  try {
    await sleep(4500);
    assert.ok(!d.hasVip('b', vip), o2.log());
  } finally {
    await stop(o2.child);
    await stop(k.child);
  }
});
