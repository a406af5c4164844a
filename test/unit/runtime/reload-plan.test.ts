import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { planReload } from '../../../src/runtime/vrrp/reload-plan.js';
import { trackerConfigs } from '../../../src/runtime/vrrp/params.js';

const model = (text: string) => buildModel(parseConfigTree(text, 'k.conf').tree, new DiagnosticSink());

const inst = (name: string, vrid: number, body = '') => `vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  virtual_ipaddress { 192.0.2.${vrid} }
${body}}
`;

test('an identical file (even with lines moved) keeps every instance', () => {
  const a = model(inst('VI_1', 1) + inst('VI_2', 2));
  const b = model(`! a comment that moves every position\n\n${inst('VI_1', 1)}${inst('VI_2', 2)}`);
  assert.deepEqual(planReload(a, b), { keep: ['VI_1', 'VI_2'], update: [], add: [], remove: [] });
});

test('priority or VIP changes update in place; VRID or interface changes restart; gone and new instances', () => {
  const a = model(inst('VI_1', 1) + inst('VI_2', 2) + inst('VI_3', 3) + inst('VI_4', 4));
  const b = model(inst('VI_1', 1, '  priority 150\n') + inst('VI_2', 22) + inst('VI_3', 3).replace('eth0', 'eth1') + inst('VI_5', 5));
  const p = planReload(a, b);
  assert.deepEqual(p.keep, []);
  assert.deepEqual(
    p.update.map((i) => i.name),
    ['VI_1'],
  );
  assert.deepEqual(
    p.add.map((i) => i.name),
    ['VI_2', 'VI_3', 'VI_5'],
  );
  assert.deepEqual(p.remove, ['VI_2', 'VI_3', 'VI_4']);
});

test('a changed vrrp_script weight updates the instances tracking it, and only them', () => {
  const script = (w: number) => `vrrp_script chk {\n  script /bin/true\n  weight ${w}\n}\n`;
  const a = model(script(-10) + inst('VI_1', 1, '  track_script { chk }\n') + inst('VI_2', 2));
  const b = model(script(-20) + inst('VI_1', 1, '  track_script { chk }\n') + inst('VI_2', 2));
  const p = planReload(a, b);
  assert.deepEqual([p.keep, p.update.map((i) => i.name)], [['VI_2'], ['VI_1']]);
});

test('tracker weights: instance override, declaration default, sync-group trackers force FAULT unless tracking weight', () => {
  const c = model(
    `vrrp_script s1 {\n  script /bin/true\n  weight -10\n}\ntrack_file f1 {\n  file /tmp/f1\n  weight 5\n}\n` +
      inst('VI_1', 1, '  track_script {\n    s1 weight 7 reverse\n  }\n  track_file { f1 }\n  track_interface { eth0\n eth1 weight 3 }\n') +
      inst('VI_2', 2) +
      'vrrp_sync_group G {\n  group { VI_1 VI_2 }\n  track_script { s1 }\n}\n',
  );
  const [vi1, vi2] = c.vrrpInstances;
  assert.deepEqual(trackerConfigs(c, vi1!), [
    { kind: 'interface', name: 'eth1', weight: 3, reverse: false },
    { kind: 'script', name: 's1', weight: 7, reverse: true },
    { kind: 'file', name: 'f1', weight: 5, reverse: false },
  ]);
  assert.deepEqual(trackerConfigs(c, vi2!), [{ kind: 'script', name: 's1', weight: 0, reverse: false }]);
});

test('track_src_ip follows the configured unicast_src_ip/mcast_src_ip with weight 0, and nothing without one (keepalived clears the flag)', () => {
  const m = model(
    inst('VI_1', 1, '  unicast_src_ip 192.0.2.50\n  unicast_peer { 192.0.2.10 }\n  track_src_ip\n') +
      inst('VI_2', 2, '  mcast_src_ip 192.0.2.51\n  track_src_ip\n') +
      inst('VI_3', 3, '  track_src_ip\n') +
      inst('VI_4', 4, '  unicast_src_ip 192.0.2.52\n'),
  );
  const address = (i: number) => trackerConfigs(m, m.vrrpInstances[i]!).filter((t) => t.kind === 'address');
  assert.deepEqual(address(0), [{ kind: 'address', name: '192.0.2.50', weight: 0, reverse: false }]);
  assert.deepEqual(address(1), [{ kind: 'address', name: '192.0.2.51', weight: 0, reverse: false }]);
  assert.deepEqual(address(2), []);
  assert.deepEqual(address(3), []);
});
