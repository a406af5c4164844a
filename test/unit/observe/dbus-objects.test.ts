import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NOTIFY_STATE_NUMBER,
  instanceObjectPath,
  introspectXml,
  isObjectPath,
  stateWord,
  validPathElement,
  vrrpObjectPath,
} from '../../../src/observe/dbus/objects.js';
import { parseConfigTree, buildModel } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';

test("object paths are keepalived's: namespace and instance names, interface made valid, VRID, family", () => {
  assert.equal(vrrpObjectPath({}), '/org/keepalived/Vrrp1/Vrrp');
  assert.equal(vrrpObjectPath({ netNamespace: 'blue', instanceName: 'one' }), '/org/keepalived/Vrrp1/blue/one/Vrrp');
  assert.equal(instanceObjectPath({}, { ifname: 'eth0.100', vrid: 51, family: 4 }), '/org/keepalived/Vrrp1/Instance/eth0_100/51/IPv4');
  assert.equal(instanceObjectPath({ instanceName: 'x' }, { ifname: '', vrid: 7, family: 6 }), '/org/keepalived/Vrrp1/x/Instance/none/7/IPv6');
  assert.equal(validPathElement('br-lan:1'), 'br_lan_1');
  // keepalived does not make namespace names valid: a '-' makes the path one GDBus refuses
  assert.equal(isObjectPath(vrrpObjectPath({ netNamespace: 'ns-1' })), false);
  assert.equal(isObjectPath('/org/keepalived/Vrrp1/Vrrp'), true);
  assert.equal(isObjectPath('/'), true);
  assert.equal(isObjectPath('/org/'), false);
});

test('states: the State words and the VrrpStatusChange numbers of keepalived', () => {
  assert.deepEqual([0, 1, 2, 3, 97, 98, 5].map(stateWord), ['Init', 'Backup', 'Master', 'Fault', 'Deleted', 'Stop', 'Unknown']);
  assert.deepEqual(NOTIFY_STATE_NUMBER, { BACKUP: 1, MASTER: 2, FAULT: 3, DELETED: 97, STOP: 98 });
});

test("introspection: an object's interfaces, then its children; an empty node where there is nothing", () => {
  const paths = ['/org/keepalived/Vrrp1/Vrrp', '/org/keepalived/Vrrp1/Instance/eth0/51/IPv4', '/org/keepalived/Vrrp1/Instance/eth0/52/IPv6'];
  assert.match(introspectXml('/', undefined, paths), /<node>\n {2}<node name="org"\/>\n<\/node>\n$/);
  const mid = introspectXml('/org/keepalived/Vrrp1', undefined, paths);
  assert.deepEqual(
    [...mid.matchAll(/<node name="([^"]+)"/g)].map((m) => m[1]),
    ['Vrrp', 'Instance'],
  );
  assert.equal(/<interface/.test(mid), false);
  const vrrp = introspectXml('/org/keepalived/Vrrp1/Vrrp', 'org.keepalived.Vrrp1.Vrrp', paths);
  assert.deepEqual(
    [...vrrp.matchAll(/<interface name="([^"]+)"/g)].map((m) => m[1]),
    ['org.freedesktop.DBus.Properties', 'org.freedesktop.DBus.Introspectable', 'org.freedesktop.DBus.Peer', 'org.keepalived.Vrrp1.Vrrp'],
  );
  for (const m of ['PrintData', 'PrintStats', 'PrintStatsClear', 'ReloadConfig']) assert.ok(vrrp.includes(`<method name="${m}">`), m);
  const inst = introspectXml(paths[1]!, 'org.keepalived.Vrrp1.Instance', paths);
  assert.ok(inst.includes('<property type="s" name="Name" access="read">') && inst.includes('<property type="(us)" name="State" access="read">'));
  assert.ok(inst.includes('<signal name="VrrpStatusChange">'));
  assert.match(introspectXml('/nope', undefined, paths), /<node>\n<\/node>\n$/);
});

test('enable_dbus and dbus_service_name are read into global_defs', () => {
  const text = 'global_defs {\n  enable_dbus\n  dbus_service_name org.keepalived.Vrrp1.b\n}\n';
  const { tree, diagnostics } = parseConfigTree(text, 'dbus.conf', { configId: 'dbus' });
  const d = new DiagnosticSink();
  d.items.push(...diagnostics);
  const m = buildModel(tree, d);
  assert.equal(m.globalDefs.enableDbus, true);
  assert.equal(m.globalDefs.dbusServiceName, 'org.keepalived.Vrrp1.b');
  assert.deepEqual(
    d.items.map((x) => x.message),
    [],
  );
  const bare = new DiagnosticSink();
  const m2 = buildModel(parseConfigTree('global_defs {\n  dbus_service_name\n}\n', 'b.conf', { configId: 'b' }).tree, bare);
  assert.equal(m2.globalDefs.dbusServiceName, undefined);
  assert.ok(bare.items.some((x) => x.message === 'dbus_service_name missing - ignoring'));
});
