/**
 * Interfaces that come, go and flap: `dynamic_interfaces` (an instance configured on an interface that does not
 * exist yet waits in FAULT and starts when it appears; deleted and re-created, it waits again), keepalived 2.2.7
 * side by side as the oracle for the first; `interface_up_down_delays` (a carrier flap shorter than the down delay
 * is not seen; a longer loss is, after the delay; recovery after the up delay); `linkbeat_interfaces` (carrier from
 * polling, not from netlink: "Linkbeat reports …").
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-dynl-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const instance = (ifname: string, vip: string, extra = '') =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${ifname}\n  virtual_router_id 61\n  priority 150\n  advert_int 1\n` +
  `  virtual_ipaddress {\n    ${vip}\n  }\n${extra}}\n`;

const hasAddr = (host: string, dev: string, vip: string) => {
  try {
    return topo.exec(host, ['ip', 'addr', 'show', 'dev', dev]).includes(` ${vip}/`);
  } catch {
    return false; // no such device
  }
};

/** A veth pair dyn0 (with 198.51.100.1/24) / dyn1 in `host`, both up. */
function addDyn(host: string): void {
  topo.exec(host, ['ip', 'link', 'add', 'dyn0', 'type', 'veth', 'peer', 'name', 'dyn1']);
  topo.exec(host, ['ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'dyn0']);
  topo.exec(host, ['ip', 'link', 'set', 'dyn1', 'up']);
  topo.exec(host, ['ip', 'link', 'set', 'dyn0', 'up']);
}

test('dynamic_interfaces: -t accepts a missing interface only with it', () => {
  const file = d.write('t-dyn.conf', `global_defs {\n  dynamic_interfaces\n}\n${instance('nosuch0', '198.51.100.50')}`);
  const plain = d.write('t-nodyn.conf', instance('nosuch0', '198.51.100.50'));
  const run = (f: string) => {
    try {
      topo.exec('a', [process.execPath, d.cli, '-t', '-f', f]);
      return 0;
    } catch (e) {
      return (e as { status: number }).status;
    }
  };
  assert.equal(run(file), 0);
  assert.equal(run(plain), 5);
});

for (const who of ['keepalived', 'ours'] as const) {
  test(`dynamic_interfaces (${who}): FAULT until the interface appears, MASTER after; deleted ⇒ waits again`, async () => {
    const host = who === 'ours' ? 'a' : 'b';
    const vip = who === 'ours' ? '198.51.100.61' : '198.51.100.62';
    const file = d.write(`dyn-${who}.conf`, `global_defs {\n  dynamic_interfaces\n}\n${instance('dyn0', vip)}`);
    const r = who === 'ours' ? d.ours(host, file) : d.keepalived(host, file);
    try {
      assert.ok((await waitFor(() => /\(VI_1\) Entering FAULT STATE|\(VI_1\) entering FAULT state/.test(r.log()), 15000)) >= 0, r.log());
      assert.match(r.log(), /Configuration specifies interface dyn0 which doesn't currently exist - will use if created/);
      await sleep(1500);
      assert.doesNotMatch(r.log(), /Entering (BACKUP|MASTER) STATE/, 'stays in FAULT while the interface is missing');
      addDyn(host);
      // BACKUP at once, MASTER after Master_Down_Interval (3 × 1 s + skew)
      const t = await waitFor(() => hasAddr(host, 'dyn0', vip), 10000);
      assert.ok(t >= 2500 && t <= 6000, `MASTER ${t} ms after the interface came (3.4 s expected)\n${r.log()}`);
      if (who === 'keepalived') return; // keepalived 2.2.7 is the oracle for the arrival only
      const before = (r.log().match(/Entering FAULT STATE/g) ?? []).length;
      topo.exec(host, ['ip', 'link', 'del', 'dyn0']);
      assert.ok((await waitFor(() => (r.log().match(/Entering FAULT STATE/g) ?? []).length > before, 3000)) >= 0, r.log());
      addDyn(host);
      const t2 = await waitFor(() => hasAddr(host, 'dyn0', vip), 10000);
      assert.ok(t2 >= 2500 && t2 <= 6000, `MASTER again ${t2} ms after the interface was re-created\n${r.log()}`);
    } finally {
      await stop(r.child);
      try {
        topo.exec(host, ['ip', 'link', 'del', 'dyn0']);
      } catch {
        /* gone */
      }
    }
  });
}

/** Ours MASTER on a's eth0 with `top` (top-level blocks); `steps` runs with the log. */
async function masterWith(tag: string, top: string, vip: string, steps: (log: () => string) => Promise<void>) {
  const r = d.ours('a', d.write(`${tag}.conf`, `${top}${instance('eth0', vip)}`));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', vip), 15000)) >= 0, `MASTER\n${r.log()}`);
    await steps(r.log);
  } finally {
    await stop(r.child);
    topo.linkUp('a');
  }
}

test('interface_up_down_delays: a 0.3 s flap is not seen; a loss is, after the 1.2 s down delay; back after the 0.6 s up delay', async () => {
  const vip = '192.0.2.171';
  await masterWith('delays', 'interface_up_down_delays {\n  eth0 1.2 0.6\n}\n', vip, async (log) => {
    topo.linkDown('a');
    await sleep(300);
    topo.linkUp('a');
    await sleep(2000);
    assert.match(log(), /eth0: Adding flags change from 0x[0-9a-f]+ to 0x[0-9a-f]+ delay by 1200000/);
    assert.doesNotMatch(log(), /Entering FAULT STATE|Netlink reports eth0 down/, 'the flap is filtered');
    assert.ok(d.hasVip('a', vip), 'still MASTER');
    const t0 = Date.now();
    topo.linkDown('a');
    assert.ok((await waitFor(() => /Entering FAULT STATE/.test(log()), 4000)) >= 0, log());
    const down = Date.now() - t0;
    assert.ok(down >= 1100 && down <= 2200, `FAULT ${down} ms after the carrier went (1.2 s delay)`);
    const t1 = Date.now();
    topo.linkUp('a');
    assert.ok((await waitFor(() => /Entering BACKUP STATE/.test(log().split('Entering FAULT STATE')[1] ?? ''), 4000)) >= 0, log());
    const up = Date.now() - t1;
    assert.ok(up >= 500 && up <= 1600, `BACKUP ${up} ms after the carrier came back (0.6 s delay)`);
  });
});

test('linkbeat_interfaces: the carrier is polled (≤ 1 s), netlink news ignored', async () => {
  const vip = '192.0.2.172';
  await masterWith('linkbeat', 'linkbeat_interfaces {\n  eth0\n}\n', vip, async (log) => {
    assert.match(log(), /Using MII-BMSR\/ETHTOOL NIC polling thread\(s\)\.\.\./);
    const t0 = Date.now();
    topo.linkDown('a');
    assert.ok((await waitFor(() => /Linkbeat reports eth0 down/.test(log()), 3000)) >= 0, log());
    const seen = Date.now() - t0;
    assert.ok(seen <= 1500, `polled within a second (+ load): ${seen} ms`);
    assert.ok((await waitFor(() => /Entering FAULT STATE/.test(log()), 1000)) >= 0, log());
    assert.doesNotMatch(log(), /Netlink reports eth0/);
    topo.linkUp('a');
    assert.ok((await waitFor(() => /Linkbeat reports eth0 up/.test(log()), 3000)) >= 0, log());
  });
});
