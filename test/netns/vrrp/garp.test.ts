import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology, capture } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-garp-');
after(() => {
  topo.destroy();
  d.removeDir();
});

test('vrrp_garp_interval 0.25: the 5 gratuitous ARPs of each VIP leave eth0 at least 250 ms apart; garp_master_delay repeats the burst', async () => {
  const cap = capture(topo, 'b', 'arp');
  await cap.ready;
  const conf =
    `global_defs {\n  vrrp_garp_interval 0.25\n  vrrp_garp_master_delay 3\n}\n` +
    `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 61\n  priority 200\n  advert_int 1\n` +
    `  virtual_ipaddress {\n    192.0.2.210\n    192.0.2.211\n  }\n}\n`;
  const a = d.ours('a', d.write('garp-a.conf', conf));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.211'), 8000)) >= 0, a.log());
    await sleep(3000 + 10 * 250 + 1500); // first burst, master delay, second burst
  } finally {
    await stop(a.child);
  }
  const lines = (await cap.stop()).filter((l) => /Request who-has 192\.0\.2\.21[01] .*tell 192\.0\.2\.21[01]/.test(l));
  const times = lines.map((l) => Number(l.split(' ')[0]));
  assert.equal(lines.length, 20, `2 bursts × 2 VIPs × 5 GARPs:\n${lines.join('\n')}`);
  for (let i = 1; i < times.length; i++) {
    const gap = (times[i]! - times[i - 1]!) * 1000;
    assert.ok(gap >= 240, `gap ${gap.toFixed(1)} ms between GARP ${i - 1} and ${i}\n${lines.join('\n')}`);
  }
  // both VIPs interleaved, as keepalived does
  assert.match(lines[0]!, /192\.0\.2\.210/);
  assert.match(lines[1]!, /192\.0\.2\.211/);
});

test('vrrp_garp_interval / vrrp_gna_interval changed by a reload (SIGHUP) pace the next bursts without a restart', async () => {
  const cap = capture(topo, 'b', 'arp or icmp6');
  await cap.ready;
  const conf = (interval: string, extra4: string, extra6: string) =>
    `global_defs {\n  vrrp_garp_interval ${interval}\n  vrrp_gna_interval ${interval}\n  vrrp_garp_master_delay 0\n}\n` +
    `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 62\n  priority 200\n  advert_int 1\n` +
    `  virtual_ipaddress {\n    192.0.2.212\n${extra4}  }\n}\n` +
    `vrrp_instance VI_6 {\n  state MASTER\n  interface eth0\n  virtual_router_id 63\n  priority 200\n  advert_int 1\n` +
    `  virtual_ipaddress {\n    2001:db8::212/64\n${extra6}  }\n}\n`;
  const file = d.write('garp-reload.conf', conf('0.25', '', ''));
  const a = d.ours('a', file);
  try {
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.212') && d.hasVip('a', '2001:db8::212'), 15000)) >= 0, a.log());
    await sleep(5 * 250 + 1500);
    d.write('garp-reload.conf', conf('0.6', '    192.0.2.213\n', '    2001:db8::213/64\n'));
    a.child.kill('SIGHUP');
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.213') && d.hasVip('a', '2001:db8::213'), 10000)) >= 0, a.log());
    await sleep(5 * 600 + 1500);
  } finally {
    await stop(a.child);
  }
  const lines = await cap.stop();
  const times = (re: RegExp) => lines.filter((l) => re.test(l)).map((l) => Number(l.split(' ')[0]) * 1000);
  const gaps = (t: number[]) => t.slice(1).map((x, i) => x - t[i]!);
  const cases: [string, RegExp, number][] = [
    ['GARP before', /Request who-has 192\.0\.2\.212 .*tell 192\.0\.2\.212/, 250],
    ['NA before', /neighbor advertisement, tgt is 2001:db8::212,/, 250],
    ['GARP after', /Request who-has 192\.0\.2\.213 .*tell 192\.0\.2\.213/, 600],
    ['NA after', /neighbor advertisement, tgt is 2001:db8::213,/, 600],
  ];
  for (const [what, re, interval] of cases) {
    const t = times(re);
    assert.equal(t.length, 5, `${what}: 5 frames\n${lines.join('\n')}`);
    for (const g of gaps(t)) {
      assert.ok(g >= interval - 10 && g < interval + 300, `${what}: gap ${g.toFixed(1)} ms for interval ${interval}\n${lines.join('\n')}`);
    }
  }
});
