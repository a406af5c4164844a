import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';
import { parseConfigTree } from '../../../src/config/index.js';

const dir = new URL('../../../../test/fixtures/seed-configs/', import.meta.url).pathname;
const load = (f: string) => loadConfig(dir + f);
const errors = (r: ReturnType<typeof loadConfig>) => r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);

test('basics-node102-master.conf: strict mode, PASS auth truncated with a warning, VIP with dev and label', () => {
  const r = load('basics-node102-master.conf');
  assert.deepEqual(errors(r), []);
  const g = r.config.globalDefs;
  assert.equal(g.routerId, 'node102.yinzhengjie.org.cn');
  assert.deepEqual(g.notificationEmail, ['jason@yinzhengjie.org.cn']);
  assert.deepEqual(g.smtpServer, { host: '127.0.0.1', port: 25 });
  assert.equal(g.vrrpStrict, true);
  assert.equal(g.vrrpSkipCheckAdvAddr, true);
  assert.equal(g.vrrpGarpIntervalMs, 0);
  const [vi] = r.config.vrrpInstances;
  assert.ok(vi);
  assert.equal(vi.name, 'VIP01');
  // strict mode: `state MASTER` without being the address owner (priority 255) is reset to BACKUP, as keepalived
  assert.equal(vi.state, 'BACKUP');
  assert.ok(r.diagnostics.some((x) => x.severity === 'warning' && x.message === '(VIP01) State MASTER must match being address owner'));
  assert.equal(vi.interface, 'eth1');
  assert.equal(vi.virtualRouterId, 27);
  assert.equal(vi.priority, 150);
  assert.equal(vi.advertIntervalMs, 3000);
  // vrrp_strict removes authentication (keepalived: not in strict mode)
  assert.equal(vi.authentication, undefined);
  assert.deepEqual(
    vi.virtualIpaddress.map((v) => [v.address, v.prefixLength, v.dev, v.label]),
    [['172.30.1.200', 32, 'eth1', 'eth1:0']],
  );
  assert.ok(r.diagnostics.some((d) => d.message === 'Truncating auth_pass to 8 characters'));
});

test('dual-master-node1.conf: two instances with opposite roles, PASS auth, custom multicast group', () => {
  const r = load('dual-master-node1.conf');
  assert.deepEqual(errors(r), []);
  assert.equal(r.config.globalDefs.vrrpMcastGroup4, '224.1.100.88');
  assert.deepEqual(
    r.config.vrrpInstances.map((i) => [i.name, i.state, i.virtualRouterId, i.priority, i.authentication?.password, i.virtualIpaddress[0]?.address]),
    [
      ['VI_1', 'MASTER', 50, 100, 'IDDf1j+y', '192.168.1.118'],
      ['VI_2', 'BACKUP', 51, 98, '9xEKWUjH', '192.168.1.119'],
    ],
  );
});

test('notify-node1.conf: notify scripts kept as written', () => {
  const r = load('notify-node1.conf');
  assert.deepEqual(errors(r), []);
  const n = r.config.vrrpInstances[0]?.notify;
  assert.equal(n?.master?.command, '/etc/keepalived/notify.sh master');
  assert.equal(n?.backup?.command, '/etc/keepalived/notify.sh backup');
  assert.equal(n?.fault?.command, '/etc/keepalived/notify.sh fault');
});

test('minimal-lb01-master.conf (one-line blocks) and lvs-tun (virtual_server modelled, see lvs.test.ts)', () => {
  const m = load('minimal-lb01-master.conf');
  assert.deepEqual(errors(m), []);
  const vi = m.config.vrrpInstances[0];
  assert.deepEqual([vi?.virtualRouterId, vi?.priority, vi?.authentication?.password, vi?.virtualIpaddress[0]?.label], [51, 150, '1111', 'eth0:1']);
  const l = load('lvs-tun-dr01-master.conf');
  assert.deepEqual(errors(l), []);
  assert.deepEqual(l.config.unparsed, []);
  assert.equal(l.config.virtualServers.length, 1);
});

test('keepalived defaults and fix-ups: priority/state derivation, v2/v3 advert rounding, v3 drops auth, nopreempt vs MASTER', () => {
  const text =
    `vrrp_instance A {\n interface eth0\n virtual_router_id 1\n state MASTER\n advert_int 1.4\n nopreempt\n}\n` +
    `vrrp_instance B {\n interface eth0\n virtual_router_id 2\n priority 255\n version 3\n advert_int 0.123\n authentication {\n auth_type PASS\n auth_pass x\n }\n}\n` +
    `vrrp_instance C {\n interface eth0\n virtual_router_id 3\n virtual_ipaddress {\n 2001:db8::1/64\n }\n}\n`;
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf');
  assert.deepEqual(diagnostics, []);
  void tree;
  const fs = { readFile: (p: string) => (p === 'k.conf' ? text : undefined), listDir: () => [] };
  const r = loadConfig('k.conf', { fs });
  const [a, b, c] = r.config.vrrpInstances;
  assert.deepEqual([a?.priority, a?.state, a?.advertIntervalMs, a?.nopreempt], [255, 'MASTER', 1000, false]);
  assert.deepEqual([b?.state, b?.advertIntervalMs, b?.authentication], ['MASTER', 120, undefined]);
  assert.deepEqual([c?.family, c?.version, c?.priority, c?.state], [6, 3, 100, 'BACKUP']);
  const msgs = r.diagnostics.map(formatDiagnostic);
  // keepalived 2.2.7 -t: the derived priority 255 is checked first
  assert.ok(msgs.includes('k.conf:1:1: warning: (A) nopreempt is incompatible with priority 255. resetting nopreempt'), msgs.join('\n'));
  assert.ok(msgs.includes('k.conf:8:1: warning: (B) VRRP version 3 does not support authentication. Ignoring.'), msgs.join('\n'));
});

test('negative cases: unknown keyword, out of range, bad IP, missing VRID, duplicate VRID — each positioned', () => {
  const text =
    'global_defs {\n bogus_key 1\n vrrp_mcast_group4 300.1.1.1\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 256\n}\n' +
    'vrrp_instance B {\n interface eth0\n virtual_router_id 9\n priority 0\n}\nvrrp_instance C {\n interface eth0\n virtual_router_id 9\n}\n';
  const fs = { readFile: (p: string) => (p === 'n.conf' ? text : undefined), listDir: () => [] };
  const msgs = loadConfig('n.conf', { fs }).diagnostics.map(formatDiagnostic);
  assert.deepEqual(msgs, [
    "n.conf:2:2: warning: Unknown keyword 'bogus_key'",
    "n.conf:3:20: error: vrrp_mcast_group4: invalid IPv4 address '300.1.1.1'",
    'n.conf:7:20: error: virtual_router_id: 256 is out of range [1-255]',
    'n.conf:5:1: error: (A) the virtual router id must be set',
    'n.conf:12:11: error: priority: 0 is out of range [1-255]',
    'n.conf:14:1: error: (C) VRID 9 is already used by B on eth0',
  ]);
});

test('vmac_xmit_base: kept with use_vmac; without a vmac, or in strict mode, a config error (keepalived -t fails) and cleared', async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'kts-xb-'));
  try {
    const inst = (n: string, vrid: number, extra: string) =>
      `vrrp_instance ${n} {\n interface eth0\n virtual_router_id ${vrid}\n${extra} vmac_xmit_base\n virtual_ipaddress {\n  192.0.2.${vrid}\n }\n}\n`;
    const f = join(dir, 'k.conf');
    writeFileSync(f, inst('A', 61, ' use_vmac\n') + inst('B', 62, '') + inst('C', 63, ' use_vmac\n strict_mode\n priority 255\n'));
    const r = loadConfig(f);
    const [a, b, c] = r.config.vrrpInstances;
    assert.deepEqual(a!.useVmac, { xmitBase: true });
    assert.equal(b!.useVmac, undefined);
    assert.deepEqual(c!.useVmac, {});
    const kept = r.diagnostics.filter((x) => x.failsTest).map((x) => x.message);
    assert.deepEqual(kept, ['(B) vmac_xmit_base is only valid with a vmac', '(C) xmit_base is incompatible with strict mode - resetting']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('native_ipv6 as keepalived: IPv6 and VRRPv3 without addresses decided yet, an error after IPv4 ones; later IPv4 VIPs mismatch', () => {
  const text =
    `vrrp_instance A {\n interface eth0\n virtual_router_id 1\n native_ipv6\n virtual_ipaddress {\n 2001:db8::1/64\n }\n}\n` +
    `vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 192.0.2.1/24\n }\n native_ipv6\n}\n` +
    `vrrp_instance C {\n interface eth0\n virtual_router_id 3\n unicast_src_ip 192.0.2.9\n native_ipv6\n virtual_ipaddress {\n 192.0.2.2/24\n }\n}\n` +
    `vrrp_instance D {\n interface eth0\n virtual_router_id 4\n native_ipv6\n virtual_ipaddress {\n 192.0.2.3/24\n }\n}\n`;
  const fs = { readFile: (p: string) => (p === 'k.conf' ? text : undefined), listDir: () => [] };
  const r = loadConfig('k.conf', { fs });
  const [a, b, c, d] = r.config.vrrpInstances;
  assert.deepEqual([a?.family, a?.version, b?.family, b?.version, c?.family, d?.family, d?.version], [6, 3, 4, 2, 4, 6, 3]);
  assert.deepEqual(errors(r), [
    'k.conf:15:2: error: (B) Cannot specify native_ipv6 with IPv4 addresses',
    'k.conf:21:2: error: (C) Cannot specify native_ipv6 with IPv4 addresses',
  ]);
  // keepalived alloc_vrrp_vip: a VIP of the other family is reported (-t fails) and dropped; the instance stays
  assert.deepEqual(r.diagnostics.filter((x) => x.failsTest && x.message.includes('family')).map(formatDiagnostic), [
    'k.conf:31:2: warning: (D): address family must match VRRP instance [192.0.2.3/24] - ignoring',
  ]);
  assert.deepEqual(d?.virtualIpaddress, []);
});

test('regex_stack: checked with keepalived check_http.c texts (log lines, -t unaffected); valid values change nothing', () => {
  const url = (line: string) =>
    `virtual_server 192.0.2.100 80 {\n lb_algo rr\n lb_kind DR\n protocol TCP\n real_server 192.0.2.10 80 {\n  HTTP_GET {\n   url {\n    path /\n    regex "ok"\n    ${line}\n   }\n  }\n }\n}\n`;
  const msgs = (line: string) => {
    const text = url(line);
    const r = loadConfig('k.conf', { fs: { readFile: (p: string) => (p === 'k.conf' ? text : undefined), listDir: () => [] } });
    return r.diagnostics.map((x) => `${x.severity}${x.failsTest ? '!' : ''}: ${x.message}`);
  };
  assert.deepEqual(msgs('regex_stack 32768 524288'), []);
  assert.deepEqual(msgs('regex_stack 32768'), ['warning: regex_stack requires start and max values']);
  assert.deepEqual(msgs('regex_stack 3x 5'), ['warning: regex_stack invalid start value']);
  assert.deepEqual(msgs('regex_stack 3 -5'), ['warning: regex_stack invalid max value']);
  assert.deepEqual(msgs('regex_stack 9 5'), ['warning: regex stack start cannot exceed max value']);
});
