/**
 * A VIP of the other address family in `virtual_ipaddress` (an IPv6 address in an IPv4 instance): keepalived 2.2.7
 * reports "(VI_1): address family must match VRRP instance [ADDR] - ignoring" (vrrp_data.c alloc_vrrp_vip), drops the
 * address and runs the instance with the rest. The same configuration in keepalived (a, priority 200) and ours
 * (b, priority 100) on one link: both run, say the same line, and exchange adverts (each counts one VIP, so
 * neither logs a mismatch); whichever is MASTER holds the IPv4 VIP and not the IPv6 one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-vipfam-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const V4 = '192.0.2.171';
const V6 = '2001:db8::171';
const conf = (prio: number) =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 57\n  priority ${prio}\n  advert_int 1\n` +
  `  virtual_ipaddress {\n    ${V4}/24\n    ${V6}/64\n  }\n}\n`;
const LINE = `(VI_1): address family must match VRRP instance [${V6}/64] - ignoring`;
const has6 = (host: string) => topo.exec(host, ['ip', '-6', 'addr', 'show', 'dev', 'eth0']).includes(` ${V6}/`);

test('an IPv6 VIP in an IPv4 instance: keepalived 2.2.7 and ours report it, drop it, and run the instance together', async () => {
  const k = d.keepalived('a', d.write('ka.conf', conf(200)));
  const o = d.ours('b', d.write('ours.conf', conf(100)));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', V4), 15_000)) >= 0, `keepalived MASTER with the IPv4 VIP\n${k.log()}`);
    assert.ok((await waitFor(() => /\(VI_1\) Entering BACKUP STATE/.test(o.log()), 15_000)) >= 0, o.log());
    await sleep(3000); // adverts both ways: ours stays BACKUP, nobody complains about the VIP count
    assert.ok(k.log().includes(LINE), k.log());
    assert.ok(o.log().includes(LINE), o.log());
    assert.ok(!has6('a') && !has6('b'), 'the IPv6 VIP is on neither');
    assert.ok(!d.hasVip('b', V4));
    assert.doesNotMatch(o.log(), /Entering MASTER STATE|address (list|count)|received an invalid|ip address associated with VRID/i, o.log());
    assert.doesNotMatch(k.log(), /received an invalid|ip address associated with VRID/i, k.log());
    // keepalived goes: ours takes over with the IPv4 VIP only
    await stop(k.child);
    assert.ok((await waitFor(() => d.hasVip('b', V4), 10_000)) >= 0, o.log());
    assert.ok(!has6('b'), 'ours did not add the IPv6 VIP');
  } finally {
    await stop(o.child);
    await stop(k.child);
  }
});
