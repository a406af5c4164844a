import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-unicast-');
after(() => { topo.destroy(); d.removeDir(); });
// ours sends from a secondary address: proves the socket is bound to unicast_src_ip
topo.exec('b', ['ip', 'addr', 'add', '192.0.2.50/24', 'dev', 'eth0']);

const conf = (name: string, prio: number, version: 2 | 3, src: string, peer: string, vip: string) =>
  `global_defs {\n  router_id ${name}\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 52\n  priority ${prio}\n` +
  `  advert_int 1\n  version ${version}\n` + (version === 2 ? '  authentication {\n    auth_type PASS\n    auth_pass uni\n  }\n' : '') +
  `  unicast_src_ip ${src}\n  unicast_peer {\n    ${peer}\n  }\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`;

for (const version of [2, 3] as const) {
  test(`unicast VRRPv${version}: ours (200, from a secondary unicast_src_ip) and keepalived (100) elect, and keepalived takes over on stop`, async () => {
    const vip = `192.0.2.${150 + version}`;
    const o = d.ours('b', d.write(`u-ours${version}.conf`, conf('ours', 200, version, '192.0.2.50', '192.0.2.10', vip)));
    // ours is MASTER before keepalived starts (startup order is not what this test is about)
    assert.ok(await waitFor(() => d.hasVip('b', vip), 8000) >= 0, o.log());
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
