/**
 * Issue 15's interface keywords as the configuration front end reads them, with keepalived 2.2.7's messages and
 * positions: linkbeat_interfaces, interface_up_down_delays, dynamic_interfaces (and its effect on host checks),
 * use_vmac_addr / a VIP's use_vmac, use_ipvlan, vrf.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, parseConfigTree, buildModel } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { checkHost, configTestStatus, type HostView } from '../../../src/config/config-test.js';

function model(text: string) {
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf');
  const d = new DiagnosticSink();
  d.items.push(...diagnostics);
  const config = buildModel(tree, d);
  return { config, diags: d.items, text: d.items.map((x) => formatDiagnostic(x).replace(/^k\.conf:/, '')) };
}

const host: HostView = { interfaceKind: (n) => (n === 'eth0' ? 'ok' : 'missing'), scriptFound: () => false };
const inst = (body: string) => `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n${body}}\n`;

test('linkbeat_interfaces and interface_up_down_delays', () => {
  const { config, text } = model(
    'linkbeat_interfaces {\n  eth0\n  eth1 ETHTOOL\n  eth2 FOO\n}\n' +
      'interface_up_down_delays {\n  eth0 1.5\n  eth1 0.000010 2\n  eth2\n  eth3 x\n  eth4 300\n  eth1 3 4\n}\n',
  );
  assert.deepEqual(
    config.linkbeatInterfaces.map((l) => [l.name, l.type ?? '']),
    [
      ['eth0', ''],
      ['eth1', 'ETHTOOL'],
      ['eth2', ''],
    ],
  );
  assert.deepEqual(
    config.interfaceDelays.map((x) => [x.name, x.downMs, x.upMs]),
    [
      ['eth0', 1500, 0],
      ['eth1', 3000, 4000],
    ],
  );
  assert.deepEqual(text, [
    '4:8: warning: extra characters FOO in linkbeat interface',
    '9:3: warning: No timeouts specified for eth2 up/down delays',
    '10:8: warning: Invalid down delay x for eth3',
    '11:8: warning: Invalid down delay 300 for eth4',
  ]);
});

test('dynamic_interfaces: missing interfaces are no error with it, an error without', () => {
  const body = inst('  track_interface {\n    eth9\n  }\n').replace('interface eth0', 'interface dyn0');
  const run = (text: string) => {
    const { config, diags } = model(text);
    const d = new DiagnosticSink();
    checkHost(config, host, d);
    return { status: configTestStatus([...diags, ...d.items]), msgs: d.items.map((x) => formatDiagnostic(x).replace(/^k\.conf:/, '')) };
  };
  const dyn = run(`global_defs {\n  dynamic_interfaces allow_if_changes\n}\n${body}interface_up_down_delays {\n  dyn0 1\n}\n`);
  assert.deepEqual(dyn, { status: 0, msgs: [] });
  const plain = run(`${body}linkbeat_interfaces {\n  dyn1\n}\n`);
  assert.equal(plain.status, 5);
  assert.deepEqual(plain.msgs, [
    '9:3: error: unknown interface dyn1 specified for linkbeat interface',
    "2:13: error: WARNING - interface dyn0 for vrrp_instance VI_1 doesn't exist",
    "5:5: error: (VI_1) tracked interface eth9 doesn't exist",
    '2:13: error: Non-existent interface specified in configuration',
  ]);
  assert.match(model('global_defs {\n  dynamic_interfaces foo\n}\n').text.join('\n'), /2:22: warning: Unknown dynamic_interfaces option 'foo'/);
});

test('use_vmac_addr, a VIP use_vmac, use_ipvlan, vrf, linkbeat_use_polling in an instance', () => {
  const { config, text } = model(
    inst(
      '  use_vmac\n  use_vmac_addr\n  use_ipvlan\n  linkbeat_use_polling\n' +
        '  virtual_ipaddress {\n    192.0.2.1/32 use_vmac\n    198.51.100.1/24 dev eth1 use_vmac\n  }\n',
    ) +
      inst('  use_ipvlan ipv1 192.0.2.60/24 private vepa 192.0.2.61\n  vrf red\n')
        .replace('VI_1', 'VI_2')
        .replace('virtual_router_id 5', 'virtual_router_id 7') +
      'vrrp_instance VI_3 {\n  vrf red\n  virtual_router_id 6\n  unicast_peer {\n    192.0.2.2\n  }\n}\n',
  );
  const [a, b, c] = config.vrrpInstances;
  assert.equal(a?.useVmacAddr, true);
  assert.equal(a?.linkbeatUsePolling, true);
  assert.deepEqual(
    a?.virtualIpaddress.map((v) => v.useVmac ?? false),
    [false, false],
  );
  assert.deepEqual(b?.useIpvlan, { name: 'ipv1', address: { address: '192.0.2.60', prefixLength: 24, family: 4 }, flags: 'private' });
  assert.equal(b?.vrf, undefined);
  assert.equal(c?.vrf, 'red');
  assert.deepEqual(text, [
    "7:3: warning: (VI_1) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block",
    '1:1: warning: (VI_1) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state',
    '9:5: warning: (VI_1) use_vmac specified for VIP/eVIP 192.0.2.1 and vrrp instance',
    '10:5: warning: (VI_1) use_vmac_addr specified and use_vmac specified for VIP/eVIP 198.51.100.1',
    "16:41: warning: (VI_2) ipvlan type already specified - ignoring 'vepa'",
    "16:46: warning: (VI_2) ipvlan address already specified - ignoring '192.0.2.61'",
    '17:3: warning: (VI_2) Cannot specify VRF interface and interface - ignoring',
  ]);
});

test('a word after linkbeat_interfaces, interface_up_down_delays or track_bfd: keepalived\'s "Block … has extra parameters", -t exits 5, the block is still read', () => {
  const { config, diags, text } = model(
    'linkbeat_interfaces 1 {\n  eth0\n}\ninterface_up_down_delays x {\n  eth0 1\n}\n' + inst('  track_bfd y {\n    b1\n  }\n'),
  );
  assert.ok(text.includes('1:21: warning: Block linkbeat_interfaces has extra parameters 1 ...'), text.join('\n'));
  assert.ok(text.includes('4:26: warning: Block interface_up_down_delays has extra parameters x ...'), text.join('\n'));
  assert.ok(
    text.some((l) => l.endsWith('Block track_bfd has extra parameters y ...')),
    text.join('\n'),
  );
  assert.deepEqual(
    config.linkbeatInterfaces.map((l) => l.name),
    ['eth0'],
  );
  assert.deepEqual(
    config.interfaceDelays.map((l) => l.name),
    ['eth0'],
  );
  assert.deepEqual(
    config.vrrpInstances[0]!.trackBfd.map((t) => t.name),
    ['b1'],
  );
  assert.equal(configTestStatus(diags), 5);
});
