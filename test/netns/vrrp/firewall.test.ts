import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-fw-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const conf = (prio: number) =>
  `global_defs {\n  vrrp_strict\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 71\n` +
  `  priority ${prio}\n  advert_int 1\n  version 3\n  virtual_ipaddress {\n    192.0.2.230/24\n  }\n}\n`;
const ruleset = (host: string) => topo.exec(host, ['nft', 'list', 'ruleset']);

test('vrrp_strict (no accept mode): the MASTER drops traffic to its VIP with the same nftables tables keepalived 2.2.7 builds; removed at stop', async () => {
  const o = d.ours('a', d.write('fw-a.conf', conf(200)));
  let k: ReturnType<Daemons['keepalived']> | undefined;
  try {
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.230'), 8000)) >= 0, o.log());
    assert.ok((await waitFor(() => /elements = \{ 192\.0\.2\.230 \}/.test(ruleset('a')), 3000)) >= 0, ruleset('a'));
    const ours = ruleset('a');
    assert.match(o.log(), /use_vmac or no_accept\/strict specified, but no firewall configured - using nftables/);
    // keepalived as MASTER of the same instance builds the same ruleset
    k = d.keepalived('b', d.write('fw-b.conf', conf(100)));
    await waitFor(() => /Entering BACKUP STATE/.test(k!.log()), 5000);
    await stop(o.child);
    assert.doesNotMatch(ruleset('a'), /keepalived/, 'our tables are gone after stop');
    assert.ok((await waitFor(() => /elements = \{ 192\.0\.2\.230 \}/.test(ruleset('b')), 6000)) >= 0, `${ruleset('b')}\n${k.log()}`);
    assert.equal(ours, ruleset('b'));
  } finally {
    await stop(o.child);
    if (k) await stop(k.child);
  }
});
