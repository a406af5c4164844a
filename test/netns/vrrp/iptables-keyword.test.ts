/**
 * `vrrp_iptables` / `vrrp_ipsets` against Debian's keepalived 2.2.7, which is built without iptables and libipset:
 * vrrp_iptables warns "iptables not supported, using nftables instead…" and sets up the default nftables table, and
 * vrrp_ipsets is an unknown keyword. An operator's old configuration must give the same kernel rules from both:
 * each daemon runs the same configuration in host a until both instances are MASTER, and `nft list ruleset`
 * (counters zeroed) must be the same, with the VIP drop rules of the instance without accept mode (`no_accept`, or
 * vrrp_strict's default) in it; after
 * SIGTERM both leave no table. Then again with vrrp_strict. ~40 s.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

let topo: Topology;
let d: Daemons;
before(() => {
  topo = Topology.create({ hosts: ['a'] });
  d = Daemons.inTempDir(topo, 'kts-iptables-');
});
after(() => {
  topo?.destroy();
  d?.removeDir();
});

const conf = (strict: boolean) => `global_defs {
  router_id kts_ipt
  vrrp_iptables IN_CHAIN OUT_CHAIN
  vrrp_ipsets keepalived
${strict ? '  vrrp_strict\n' : ''}}
vrrp_instance VI_1 {
  interface eth0
  state BACKUP
  virtual_router_id 71
  priority 100
  advert_int 1
${strict ? '' : '  no_accept\n'}  virtual_ipaddress {
    192.0.2.171/32
    198.51.100.171/32
  }
}
vrrp_instance VI_6 {
  interface eth0
  state BACKUP
  virtual_router_id 72
  priority 100
  advert_int 1
${strict ? '' : '  accept\n'}  virtual_ipaddress {
    2001:db8::172/128
  }
}
`;

const ruleset = () => topo.exec('a', ['nft', 'list', 'ruleset']).replace(/counter packets \d+ bytes \d+/g, 'counter packets 0 bytes 0');

/** Runs one daemon until both VIPs are up; returns the ruleset then and after its SIGTERM, and its log. */
async function rules(r: RunningDaemon): Promise<{ master: string; after: string; log: string }> {
  try {
    const up = await waitFor(() => d.hasVip('a', '192.0.2.171') && d.hasVip('a', '2001:db8::172'), 20000);
    assert.ok(up >= 0, `both instances MASTER\n${r.log()}`);
    await new Promise((res) => setTimeout(res, 1000)); // rules follow the VIPs
    const master = ruleset();
    await stop(r.child);
    return { master, after: ruleset(), log: r.log() };
  } finally {
    await stop(r.child);
  }
}

for (const strict of [false, true]) {
  test(`vrrp_iptables${strict ? ' + vrrp_strict' : ''}: the same nftables rules as keepalived 2.2.7`, async () => {
    const file = d.write(`a-${strict}.conf`, conf(strict));
    const theirs = await rules(d.keepalived('a', file));
    const ours = await rules(d.ours('a', file));
    const warning = "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option";
    assert.ok(theirs.log.includes(warning) && ours.log.includes(warning), ours.log);
    assert.ok(theirs.log.includes("Unknown keyword 'vrrp_ipsets'") && ours.log.includes("Unknown keyword 'vrrp_ipsets'"), ours.log);
    // keepalived's default table, and VI_1's VIPs (no accept mode) dropped
    assert.match(theirs.master, /table ip keepalived \{/);
    assert.match(theirs.master, /192\.0\.2\.171/);
    assert.match(theirs.master, /198\.51\.100\.171/);
    assert.equal(ours.master, theirs.master);
    assert.equal(theirs.after.includes('keepalived'), false, theirs.after);
    assert.equal(ours.after, theirs.after);
  });
}
