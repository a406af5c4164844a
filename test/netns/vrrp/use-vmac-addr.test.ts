/**
 * `use_vmac_addr` (and `use_vmac` after a VIP): VIPs off the instance's interface (`dev`) or of the other family get a
 * macvlan of their own on their interface, with the RFC 5798 MAC of their family and the instance's VRID. The same
 * configuration runs under keepalived 2.2.7 and under ours in the same namespace, one after the other; where each VIP
 * ends up (device kind, parent, MAC, name) must be the same, and the VMACs must be gone after a stop.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a'] });
const d = Daemons.inTempDir(topo, 'kts-vaddr-');
after(() => {
  topo.destroy();
  d.removeDir();
});
topo.extraLink('a');

const VIPS = ['192.0.2.180', '198.51.100.80', '2001:db8::80', '198.51.100.81'];
const conf = (extraVip: string) =>
  `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 63\n  priority 200\n  advert_int 1\n  use_vmac_addr\n` +
  `  virtual_ipaddress {\n    192.0.2.180/32\n    198.51.100.80/24 dev ex0\n  }\n` +
  `  virtual_ipaddress_excluded {\n    2001:db8::80/64\n    ${extraVip}\n  }\n}\n`;

interface Placement {
  readonly vip: string;
  readonly dev: string;
  readonly kind: string;
  readonly parent: string;
  readonly mac: string;
}

/** Where each VIP is: its device's name, kind (macvlan or ''), parent and MAC. */
function placements(): Placement[] {
  const addrs = JSON.parse(topo.exec('a', ['ip', '-j', '-d', 'addr', 'show'])) as {
    ifname: string;
    link?: string;
    address: string;
    linkinfo?: { info_kind?: string };
    addr_info: { local: string }[];
  }[];
  return VIPS.map((vip) => {
    const dev = addrs.find((l) => l.addr_info.some((a) => a.local === vip));
    return { vip, dev: dev?.ifname ?? '', kind: dev?.linkinfo?.info_kind ?? '', parent: dev?.link ?? '', mac: dev?.address ?? '' };
  });
}

const macvlans = () => topo.exec('a', ['ip', '-d', 'link', 'show', 'type', 'macvlan']).trim();

async function placed(r: RunningDaemon): Promise<Placement[]> {
  try {
    assert.ok((await waitFor(() => placements().every((p) => p.dev !== ''), 15000)) >= 0, `every VIP set\n${r.log()}`);
    return placements();
  } finally {
    await stop(r.child);
  }
}

test('use_vmac_addr: VIPs on their own VMACs as keepalived 2.2.7 puts them; removed at stop', async () => {
  const file = d.write('vaddr.conf', conf('198.51.100.81/24 dev ex0'));
  const theirs = await placed(d.keepalived('a', file));
  assert.equal((await waitFor(() => macvlans() === '', 5000)) >= 0, true, 'keepalived removed its VMACs');
  const r = d.ours('a', file);
  const ours = await placed(r);
  assert.deepEqual(ours, theirs, r.log());
  // what keepalived does, spelled out: the own-interface VIP stays on eth0; the others are on macvlans
  const at = new Map(ours.map((p) => [p.vip, p]));
  assert.equal(at.get('192.0.2.180')?.dev, 'eth0');
  assert.deepEqual(
    [at.get('198.51.100.80')?.kind, at.get('198.51.100.80')?.parent, at.get('198.51.100.80')?.mac],
    ['macvlan', 'ex0', '00:00:5e:00:01:3f'],
  );
  assert.equal(at.get('198.51.100.81')?.dev, at.get('198.51.100.80')?.dev, 'one VMAC per (family, interface)');
  assert.deepEqual(
    [at.get('2001:db8::80')?.kind, at.get('2001:db8::80')?.parent, at.get('2001:db8::80')?.mac],
    ['macvlan', 'eth0', '00:00:5e:00:02:3f'],
  );
  assert.ok((await waitFor(() => macvlans() === '', 5000)) >= 0, `our VMACs removed at stop\n${macvlans()}`);
});

test('without use_vmac_addr, a VIP with `use_vmac` gets one; the others stay on their interfaces', async () => {
  const file = d.write('vip-vmac.conf', conf('198.51.100.81/24 dev ex0 use_vmac').replace('  use_vmac_addr\n', ''));
  const theirs = await placed(d.keepalived('a', file));
  await waitFor(() => macvlans() === '', 5000);
  const r = d.ours('a', file);
  const ours = await placed(r);
  assert.deepEqual(ours, theirs, r.log());
  const at = new Map(ours.map((p) => [p.vip, p]));
  assert.equal(at.get('198.51.100.80')?.dev, 'ex0');
  assert.equal(at.get('2001:db8::80')?.dev, 'eth0');
  assert.deepEqual([at.get('198.51.100.81')?.kind, at.get('198.51.100.81')?.parent], ['macvlan', 'ex0']);
});
