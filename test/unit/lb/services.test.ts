/**
 * virtual_server → LbService/LbDest as keepalived 2.2.7's ipvs_set_srule / ipvs_set_drule / ipvs_group_cmd build
 * them, and the in-memory backend's IPVS-like refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { destOf, netmaskBits, rangeAddresses, servicesOf } from '../../../src/lb/services.js';
import { MemoryBackend } from '../../../src/lb/memory.js';

function model(text: string): KeepalivedConfig {
  const { tree } = parseConfigTree(text, 't.conf');
  const d = new DiagnosticSink();
  const m = buildModel(tree, d);
  const errors = d.items.filter((x) => x.severity === 'error');
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
  );
  return m;
}

test('an address service: protocol, scheduler, persistence with granularity, flags', () => {
  const m = model(`virtual_server 192.0.2.1 80 {
    lb_algo sh
    sh-port
    lb_kind DR
    protocol TCP
    persistence_timeout 600
    persistence_granularity 255.255.255.0
    real_server 192.0.2.10 8080 { weight 3 }
  }`);
  const vs = m.virtualServers[0]!;
  const [t] = servicesOf(vs, m.virtualServerGroups);
  assert.deepEqual(t!.service, {
    key: { kind: 'address', family: 4, protocol: 'TCP', address: '192.0.2.1', port: 80 },
    scheduler: 'sh',
    flags: 0x10,
    timeoutSec: 600,
    netmaskBits: 24,
  });
  // DR: the destination takes the service's port, whatever the real server says
  assert.deepEqual(destOf(vs.realServers[0]!, t!, 3), {
    family: 4,
    address: '192.0.2.10',
    port: 80,
    method: 'DR',
    weight: 3,
    uthreshold: 0,
    lthreshold: 0,
  });
});

test('NAT keeps the real server port; TUN carries the tunnel options; defaults /32 without persistence', () => {
  const m = model(`virtual_server 192.0.2.1 80 {
    lb_kind NAT
    protocol UDP
    ops
    real_server 192.0.2.10 8080 { }
    real_server 192.0.2.11 80 { lvs_method TUN type gue port 6080 csum }
  }`);
  const vs = m.virtualServers[0]!;
  const [t] = servicesOf(vs, m.virtualServerGroups);
  assert.equal(t!.service.netmaskBits, 32);
  assert.equal(t!.service.timeoutSec, 0);
  assert.equal(t!.service.flags, 0x4);
  assert.equal(destOf(vs.realServers[0]!, t!, 1).port, 8080);
  const tun = destOf(vs.realServers[1]!, t!, 1);
  assert.equal(tun.method, 'TUN');
  assert.equal(tun.tunnelType, 'gue');
  assert.equal(tun.tunnelPort, 6080);
  assert.equal(tun.tunnelChecksum, 'csum');
});

test('fwmark services: family of the service, destination port 0 for DR', () => {
  const m = model(`virtual_server fwmark 7 {
    lb_kind DR
    persistence_timeout 30
    real_server 2001:db8::10 80 { }
  }`);
  const vs = m.virtualServers[0]!;
  const [t] = servicesOf(vs, m.virtualServerGroups);
  assert.deepEqual(t!.service.key, { kind: 'fwmark', family: 6, fwmark: 7 });
  assert.equal(t!.service.netmaskBits, 128);
  assert.equal(destOf(vs.realServers[0]!, t!, 1).port, 0);
});

test('a group: one service per range address, fwmarks after ranges, default netmask', () => {
  const m = model(`virtual_server_group G {
    192.0.2.254-255 80
    198.51.100.5 443
    fwmark 9 inet
  }
  virtual_server group G {
    lb_kind DR
    protocol TCP
    persistence_timeout 60
    persistence_granularity 255.255.0.0
    real_server 192.0.2.10 80 { }
  }`);
  const vs = m.virtualServers[0]!;
  const ts = servicesOf(vs, m.virtualServerGroups);
  assert.deepEqual(
    ts.map((t) => (t.service.key.kind === 'address' ? `${t.service.key.address}:${t.service.key.port}` : `fwm${t.service.key.fwmark}`)),
    ['192.0.2.254:80', '192.0.2.255:80', '198.51.100.5:443', 'fwm9'],
  );
  assert.ok(
    ts.every((t) => t.service.netmaskBits === (t.service.key.family === 6 ? 128 : 32)),
    'group members reset the netmask',
  );
  assert.equal(destOf(vs.realServers[0]!, ts[2]!, 1).port, 443);
  assert.equal(destOf(vs.realServers[0]!, ts[3]!, 1).port, 0);
});

test('ranges and netmasks', () => {
  assert.deepEqual(rangeAddresses(4, '192.0.2.255', '192.0.3.1'), ['192.0.2.255', '192.0.3.0', '192.0.3.1']);
  assert.deepEqual(rangeAddresses(6, '2001:db8::fffe', '2001:db8::ffff'), ['2001:db8::fffe', '2001:db8::ffff']);
  // keepalived counts only the last 16 bits of an IPv6 range
  assert.deepEqual(rangeAddresses(6, '2001:db8::1:ffff', '2001:db8::1:1'), ['2001:db8::1:ffff', '2001:db8::1:0', '2001:db8::1:1']);
  assert.equal(netmaskBits('255.255.255.0'), 24);
  assert.equal(netmaskBits('255.255.255.255'), 32);
  assert.equal(netmaskBits('0.0.0.0'), 0);
  assert.equal(netmaskBits('255.0.255.0'), undefined);
});

test('memory backend refuses like IPVS: EEXIST, ESRCH, ENOENT', async () => {
  const b = new MemoryBackend();
  assert.equal(await b.open(), undefined);
  const key = { kind: 'address', family: 4, protocol: 'TCP', address: '192.0.2.1', port: 80 } as const;
  const svc = { key, scheduler: 'wlc', flags: 0, timeoutSec: 0, netmaskBits: 32 };
  const d = { family: 4, address: '192.0.2.10', port: 80, method: 'NAT', weight: 1, uthreshold: 0, lthreshold: 0 } as const;
  assert.equal((await b.addDest(key, d))?.code, 'LB_NOT_FOUND');
  assert.equal(await b.addService(svc), undefined);
  assert.match((await b.addService(svc))!.message, /^EEXIST/);
  assert.equal(await b.addDest(key, d), undefined);
  assert.match((await b.addDest(key, d))!.message, /^EEXIST/);
  assert.equal(await b.editDest(key, { ...d, weight: 5 }), undefined);
  assert.deepEqual(b.table(), { '[192.0.2.1]:tcp:80': { '[192.0.2.10]:80': 5 } });
  assert.equal(await b.delDest(key, d), undefined);
  assert.match((await b.delDest(key, d))!.message, /^ENOENT/);
  assert.match((await b.editDest(key, d))!.message, /^ENOENT/);
  assert.equal(await b.delService(key), undefined);
  assert.match((await b.delService(key))!.message, /^ESRCH/);
  assert.equal((await new MemoryBackend({ unavailable: true }).open())?.code, 'LB_UNAVAILABLE');
  assert.equal(b.ops.filter((o) => o.error).length, 6);
});
