/**
 * VRRP keywords taken as keepalived 2.2.7 takes them: vrf (an instance without interface), vrrp_down_timer_adverts,
 * default_interface, log_unknown_vrids, vmac_prefix / vmac_addr_prefix, kernel_rx_buf_size, vrrp_rx_bufs_policy /
 * multiplier, the *_netlink_*_rcv_bufs(_force) family, notify_priority_changes in a sync group and debug.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { notifiesPriorityChanges } from '../../../src/runtime/vrrp/notify-wiring.js';

const model = (text: string) => {
  const d = new DiagnosticSink();
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf');
  d.items.push(...diagnostics);
  return { config: buildModel(tree, d), diags: d.items.map((x) => `${x.severity}${x.failsTest ? '(kept)' : ''}: ${x.message}`) };
};
const inst = (name: string, body = '', iface = '  interface eth0\n') =>
  `vrrp_instance ${name} {\n${iface}  virtual_router_id 1\n  unicast_peer {\n    192.0.2.2\n  }\n${body}}\n`;

test('vrf: no "not supported" warning; a VIP without dev in an instance without interface is removed as keepalived does', () => {
  const { config, diags } = model(
    inst('V', '  unicast_src_ip 192.0.2.1\n  virtual_ipaddress {\n    192.0.2.50 dev eth1\n    192.0.2.51\n  }\n', '  vrf red\n'),
  );
  assert.deepEqual(diags, ['warning(kept): (V): no interface for vip 192.0.2.51 - removing']);
  const [i] = config.vrrpInstances;
  assert.equal(i?.vrf, 'red');
  assert.equal(i?.interface, undefined);
  assert.deepEqual(
    i?.virtualIpaddress.map((v) => `${v.address} ${v.dev}`),
    ['192.0.2.50 eth1'],
  );
  // with an interface, vrf is refused (keepalived's texts); multicast likewise
  assert.deepEqual(model(inst('W', '  vrf red\n')).diags, ['warning(kept): (W) Cannot specify VRF interface and interface - ignoring']);
  const mc = model('vrrp_instance M {\n  vrf red\n  virtual_router_id 1\n}\n').diags;
  assert.ok(mc.includes('warning(kept): (M) vrf can only be specified with unicast - clearing'), mc.join('\n'));
});

test("vrrp_down_timer_adverts is the instances' default; their own down_timer_adverts and strict mode win", () => {
  const { config, diags } = model(
    `global_defs {\n  vrrp_down_timer_adverts 7\n}\n${inst('A')}${inst('B', '  down_timer_adverts 2\n').replace('virtual_router_id 1', 'virtual_router_id 2')}`,
  );
  assert.deepEqual(diags, []);
  assert.deepEqual(
    config.vrrpInstances.map((i) => i.downTimerAdverts),
    [7, 2],
  );
  assert.deepEqual(model(`global_defs {\n  vrrp_down_timer_adverts 101\n}\n`).diags, [
    "warning(kept): Invalid vrrp_down_timer_adverts [1:100] '101'",
  ]);
  assert.equal(model(`global_defs {\n  vrrp_down_timer_adverts 101\n}\n${inst('A')}`).config.vrrpInstances[0]?.downTimerAdverts, 3);
});

test('default_interface: a static_ipaddress without dev goes there (eth0 when unset)', () => {
  const st = 'static_ipaddress {\n  192.0.2.5/24\n  192.0.2.6/24 dev eth9\n}\n';
  const a = model(st);
  assert.deepEqual(a.diags, []);
  assert.deepEqual(
    a.config.staticIpaddress.map((v) => v.dev),
    ['eth0', 'eth9'],
  );
  const b = model(`global_defs {\n  default_interface bond0\n}\n${st}`);
  assert.deepEqual(
    b.config.staticIpaddress.map((v) => v.dev),
    ['bond0', 'eth9'],
  );
  assert.deepEqual(model('global_defs {\n  default_interface\n}\n').diags, ['warning(kept): default_interface requires interface name']);
});

test("log_unknown_vrids, vmac_prefix, vmac_addr_prefix (a second one is refused with keepalived's text)", () => {
  const { config, diags } = model('global_defs {\n  log_unknown_vrids\n  vmac_prefix vm\n  vmac_prefix xx\n  vmac_addr_prefix va\n}\n');
  assert.deepEqual(diags, ['warning(kept): vmac prefix has already been specified - ignoring xx']);
  assert.deepEqual([config.globalDefs.logUnknownVrids, config.globalDefs.vmacPrefix, config.globalDefs.vmacAddrPrefix], [true, 'vm', 'va']);
});

test("vrrp_rx_bufs_policy / multiplier and kernel_rx_buf_size, with keepalived's conflict rules and texts", () => {
  const g = (body: string) => model(`global_defs {\n${body}}\n`);
  assert.deepEqual(g('  vrrp_rx_bufs_policy MTU\n  vrrp_rx_bufs_multiplier 4\n').config.globalDefs.vrrpRxBufsPolicy, { mtu: true, advert: false });
  assert.equal(g('  vrrp_rx_bufs_multiplier 4\n').config.globalDefs.vrrpRxBufsMultiplier, 4);
  assert.deepEqual(g('  vrrp_rx_bufs_policy advert\n').config.globalDefs.vrrpRxBufsPolicy, { mtu: false, advert: true });
  assert.deepEqual(g('  vrrp_rx_bufs_policy 8192\n').config.globalDefs.vrrpRxBufsPolicy, { mtu: false, advert: false, size: 8192 });
  const both = g('  vrrp_rx_bufs_policy MTU ADVERT\n');
  assert.deepEqual(both.diags, ['warning(kept): Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT']);
  assert.deepEqual(both.config.globalDefs.vrrpRxBufsPolicy, { mtu: true, advert: false });
  const sized = g('  vrrp_rx_bufs_policy 8192\n  vrrp_rx_bufs_policy MTU\n');
  assert.deepEqual(sized.diags, ['warning(kept): Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy']);
  assert.deepEqual(sized.config.globalDefs.vrrpRxBufsPolicy, { mtu: false, advert: false, size: 8192 });
  assert.deepEqual(g('  vrrp_rx_bufs_policy bogus\n').diags, ['warning(kept): Invalid vrrp_rx_bufs_policy bogus']);
  const k = (v: string) => model(inst('K', `  kernel_rx_buf_size ${v}\n`));
  assert.equal(k('65536').config.vrrpInstances[0]?.kernelRxBufSize, 65536);
  assert.deepEqual(k('0').diags, [], 'keepalived accepts 0 (= unset)');
  assert.deepEqual(k('5000 6').diags, ['warning(kept): (K) invalid kernel_rx_buf_size specified']);
  assert.deepEqual(k('-1').diags, ['warning(kept): (K) invalid kernel_rx_buf_size specified']);
});

test('the *_netlink_*_rcv_bufs(_force) family', () => {
  const { config, diags } = model(
    'global_defs {\n  vrrp_netlink_cmd_rcv_bufs 300000\n  vrrp_netlink_monitor_rcv_bufs_force\n  lvs_netlink_monitor_rcv_bufs 70000\n  lvs_netlink_monitor_rcv_bufs_force false\n  vrrp_netlink_cmd_rcv_bufs_force maybe\n}\n',
  );
  assert.deepEqual(diags, ["warning(kept): Invalid value 'maybe' for global vrrp_netlink_cmd_rcv_bufs_force specified"]);
  assert.deepEqual(config.globalDefs.netlinkRcvBufs, {
    vrrpCmd: { size: 300000, force: false },
    vrrpMonitor: { size: 0, force: true },
    lvsMonitor: { size: 70000, force: false },
  });
  assert.deepEqual(model('global_defs {\n  lvs_netlink_cmd_rcv_bufs x\n}\n').diags, ['warning(kept): lvs_netlink_cmd_rcv_bufs size (x) invalid']);
  // process_monitor_rcv_bufs(_force): vrrp_track_process's connector socket, no "not supported" any more
  const pm = model('global_defs {\n  process_monitor_rcv_bufs 3000000\n  process_monitor_rcv_bufs_force yes\n}\n');
  assert.deepEqual(pm.diags, []);
  assert.deepEqual(pm.config.globalDefs.netlinkRcvBufs, { processMonitor: { size: 3000000, force: true } });
  assert.deepEqual(model('global_defs {\n  process_monitor_rcv_bufs_force 7\n}\n').diags, [
    "warning(kept): Invalid value '7' for global process_monitor_rcv_bufs_force specified",
  ]);
});

test("notify_priority_changes: the instance's own, else its sync group's, else global_defs'", () => {
  const text = (global: string, group: string, own: string) =>
    `global_defs {\n${global}}\nvrrp_sync_group G {\n  group {\n    A\n    B\n  }\n${group}}\n` +
    inst('A', own) +
    inst('B').replace('virtual_router_id 1', 'virtual_router_id 2') +
    inst('C').replace('virtual_router_id 1', 'virtual_router_id 3');
  const of = (global: string, group: string, own: string) => {
    const { config, diags } = model(text(global, group, own));
    assert.deepEqual(diags, []);
    return config.vrrpInstances.map((i) => notifiesPriorityChanges(config, i));
  };
  assert.deepEqual(of('', '', ''), [false, false, false]);
  assert.deepEqual(of('  vrrp_notify_priority_changes\n', '', ''), [true, true, true]);
  assert.deepEqual(of('  vrrp_notify_priority_changes\n', '  notify_priority_changes false\n', ''), [false, false, true]);
  assert.deepEqual(of('', '  notify_priority_changes\n', '  notify_priority_changes off\n'), [false, true, false]);
  const bad = model(`vrrp_sync_group G {\n  group {\n    A\n  }\n  notify_priority_changes perhaps\n}\n`).diags;
  assert.ok(bad.includes("warning(kept): (G) Invalid value 'perhaps' for sync group notify_priority_changes specified"), bad.join('\n'));
});

test("debug: 0-4 accepted (keepalived.data shows it, nothing else uses it), other values refused with keepalived's text", () => {
  const { config, diags } = model(inst('D', '  debug 3\n  kernel_rx_buf_size 4096\n'));
  assert.deepEqual(diags, []);
  assert.equal(config.vrrpInstances[0]?.debug, 3);
  assert.deepEqual(model(inst('D', '  debug 5\n')).diags, ["warning(kept): (D) Debug value '5' not valid; must be between 0-4"]);
});
