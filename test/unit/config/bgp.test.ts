import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, formatDiagnostic, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { DEFAULT_GOBGP_PROTO_DIR } from '../../../src/config/model-bgp.js';

function model(text: string) {
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf');
  const d = new DiagnosticSink();
  d.items.push(...diagnostics);
  return { config: buildModel(tree, d), diags: d.items.map(formatDiagnostic) };
}

const instance = (extra: string) => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.100/24
  }
${extra}
}
`;

test('bgp_announce block: every keyword, communities as 32-bit values', () => {
  const { config, diags } = model(`bgp_announce {
  engine gobgp
  gobgp_api 127.0.0.1:50052
  gobgp_proto_dir /opt/gobgp/api
  gobgpd_config /etc/keepalived/gobgpd.toml
  gobgpd_path /usr/local/bin/gobgpd
  gobgpd_pid_file /run/kts-gobgpd.pid
  next_hop 192.0.2.1
  med 40
  community 65000:100 65000:200
  community 64512:1
  graceful_shutdown 2.5
  table 100
  proto 99
  route_type lo
}
`);
  assert.deepEqual(diags, []);
  const b = config.bgpAnnounce;
  assert.ok(b);
  assert.equal(b.engine, 'gobgp');
  assert.equal(b.gobgpApi, '127.0.0.1:50052');
  assert.equal(b.gobgpProtoDir, '/opt/gobgp/api');
  assert.equal(b.gobgpdConfig, '/etc/keepalived/gobgpd.toml');
  assert.equal(b.gobgpdPath, '/usr/local/bin/gobgpd');
  assert.equal(b.gobgpdPidFile, '/run/kts-gobgpd.pid');
  assert.equal(b.nextHop, '192.0.2.1');
  assert.equal(b.med, 40);
  assert.deepEqual(b.communities, [65000 * 65536 + 100, 65000 * 65536 + 200, 64512 * 65536 + 1]);
  assert.equal(b.gracefulShutdownMs, 2500);
  assert.equal(b.table, 100);
  assert.equal(b.proto, 99);
  assert.equal(b.routeType, 'lo');
  assert.deepEqual([b.pos.line, b.pos.col], [1, 1]);
});

test('bgp_announce block: defaults (gobgp on 127.0.0.1:50051, Debian proto path, next-hop self, main table, proto 18, blackhole)', () => {
  const { config, diags } = model('bgp_announce {\n}\n');
  assert.deepEqual(diags, []);
  const b = config.bgpAnnounce;
  assert.ok(b);
  assert.deepEqual(
    [b.engine, b.gobgpApi, b.gobgpProtoDir, b.gobgpdConfig, b.nextHop, b.med, b.communities, b.gracefulShutdownMs, b.table, b.proto, b.routeType],
    ['gobgp', '127.0.0.1:50051', DEFAULT_GOBGP_PROTO_DIR, undefined, 'self', undefined, [], 0, 254, 18, 'blackhole'],
  );
  assert.equal(model('global_defs {\n  router_id x\n}\n').config.bgpAnnounce, undefined);
});

test('bgp_announce block: bad values are reported at file:line:col and keep the default', () => {
  const { config, diags } = model(`bgp_announce {
  engine bird
  gobgp_api localhost
  gobgpd_config relative.toml
  next_hop myself
  med -1
  community 65536:1 1:x
  graceful_shutdown soon
  table 0
  proto 256
  route_type unreachable
  hold_time 3
}
`);
  assert.deepEqual(diags, [
    "k.conf:2:10: error: engine: 'bird' is not one of gobgp, kernel",
    "k.conf:3:13: error: gobgp_api: 'localhost' is not HOST:PORT",
    'k.conf:4:17: error: gobgpd_config: an absolute path is needed',
    "k.conf:5:12: error: next_hop: invalid address 'myself'",
    'k.conf:6:7: error: med: -1 is out of range [0-4294967295]',
    "k.conf:7:13: error: community: '65536:1' is not a community ASN:VALUE (each 0-65535)",
    "k.conf:7:21: error: community: '1:x' is not a community ASN:VALUE (each 0-65535)",
    "k.conf:8:21: error: graceful_shutdown: 'soon' is not a number of seconds",
    'k.conf:9:9: error: table: 0 is out of range [1-4294967295]',
    'k.conf:10:9: error: proto: 256 is out of range [1-255]',
    "k.conf:11:14: error: route_type: 'unreachable' is not one of blackhole, lo",
    "k.conf:12:3: warning: Unknown keyword 'hold_time' in bgp_announce",
  ]);
  const b = config.bgpAnnounce;
  assert.ok(b);
  assert.deepEqual(
    [b.engine, b.gobgpApi, b.nextHop, b.med, b.communities, b.table, b.proto, b.routeType],
    ['gobgp', '127.0.0.1:50051', 'self', undefined, [], 254, 18, 'blackhole'],
  );
});

test('vrrp_instance bgp_announce: condition, med and communities', () => {
  const { config, diags } = model(instance('  bgp_announce master_quorum\n  bgp_med 7\n  bgp_community 65000:1\n'));
  assert.deepEqual(diags, []);
  const a = config.vrrpInstances[0]?.bgpAnnounce;
  assert.deepEqual(a && [a.when, a.med, a.communities, a.pos.line], ['master_quorum', 7, [65000 * 65536 + 1], 7]);
  const bare = model(instance('  bgp_announce\n')).config.vrrpInstances[0]?.bgpAnnounce;
  assert.deepEqual(bare && [bare.when, bare.med, bare.communities], ['master', undefined, []]);
  assert.equal(model(instance('')).config.vrrpInstances[0]?.bgpAnnounce, undefined);
});

test('vrrp_instance bgp keywords: bgp_med before bgp_announce applies; without bgp_announce it is ignored with a warning', () => {
  const before = model(instance('  bgp_med 9\n  bgp_announce quorum\n'));
  assert.deepEqual(before.diags, []);
  assert.deepEqual([before.config.vrrpInstances[0]?.bgpAnnounce?.when, before.config.vrrpInstances[0]?.bgpAnnounce?.med], ['quorum', 9]);
  const lone = model(instance('  bgp_community 1:2\n'));
  assert.deepEqual(lone.diags, ['k.conf:7:3: warning: (VI_1) bgp_med/bgp_community without bgp_announce - ignored']);
  assert.equal(lone.config.vrrpInstances[0]?.bgpAnnounce, undefined);
  const bad = model(instance('  bgp_announce always\n'));
  assert.deepEqual(bad.diags, ["k.conf:7:16: error: bgp_announce: 'always' is not one of master, quorum, master_quorum"]);
  assert.equal(bad.config.vrrpInstances[0]?.bgpAnnounce?.when, 'master');
});
