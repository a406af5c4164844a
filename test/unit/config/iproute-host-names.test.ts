import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';
import type { ConfigFs } from '../../../src/config/preprocess.js';
import { hostIpRouteNames, mergeIpRouteFile, RT_TABLES } from '../../../src/config/iproute-names.js';

const memFs = (files: Record<string, string>): ConfigFs => ({ readFile: (p) => files[p], listDir: () => [] });

test("an /etc/iproute2 file's entries come first, then the defaults whose numbers it did not name (keepalived's read_file + add_default)", () => {
  const text = [
    '# reserved values',
    '255\tlocal',
    '100 vip  # our VIP table',
    '101 vip',
    '102 two words here',
    '-3 negative',
    '0x1000 hex',
    'notanumber name',
    '4294967296 toolarge',
    '! 7 bang-comment',
    '  200   spaced',
    '254 mymain',
  ].join('\n');
  const m = mergeIpRouteFile(text, RT_TABLES, 0xffffffff);
  assert.equal(m.get('vip'), 100, 'a name found twice keeps its first number');
  assert.equal(m.get('hex'), 0x1000);
  assert.equal(m.get('spaced'), 200);
  assert.equal(m.get('mymain'), 254);
  assert.equal(m.get('local'), 255);
  assert.equal(m.get('main'), undefined, "254 is named by the file, so the default 'main' is not added");
  assert.equal(m.get('default'), 253, 'a default whose number the file left alone is added');
  for (const gone of ['two', 'negative', 'toolarge', 'bang-comment', 'notanumber', 'name']) assert.equal(m.get(gone), undefined, gone);
  assert.equal(mergeIpRouteFile(undefined, RT_TABLES, 0xffffffff), RT_TABLES, 'no file: the defaults');
});

test('a route and a rule naming a table, protocol, realm and group from the host files load as keepalived loads them', () => {
  const conf = [
    'static_routes {',
    '  192.0.2.0/24 dev eth0 table vip protocol ours realms edge no_track', // no_track: a tracked route is RTPROT_KEEPALIVED
    '}',
    'static_rules {',
    '  from 192.0.2.0/24 table vip suppress_ifgroup dmz',
    '}',
    'vrrp_instance VI_1 {',
    '  interface eth0',
    '  virtual_router_id 51',
    '  priority 100',
    '  virtual_ipaddress {',
    '    192.0.2.10/24',
    '  }',
    '  virtual_routes {',
    '    198.51.100.0/24 via 192.0.2.1 table vip',
    '  }',
    '}',
  ].join('\n');
  const files = {
    '/k/k.conf': conf,
    '/etc/iproute2/rt_tables': '100 vip\n',
    '/etc/iproute2/rt_protos': '77 ours\n',
    '/etc/iproute2/rt_realms': '9 edge\n',
    '/etc/iproute2/group': '5 dmz\n',
  };
  const r = loadConfig('/k/k.conf', { fs: memFs(files) });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), []);
  const route = r.config!.staticRoutes[0]!;
  assert.deepEqual([route.table, route.protocol, route.realms], [100, 77, 9]);
  assert.equal(r.config!.staticRules[0]!.table, 100);
  assert.equal(r.config!.staticRules[0]!.suppressIfgroup, 5);
  assert.equal(r.config!.vrrpInstances[0]!.virtualRoutes?.[0]?.table, 100);
  assert.ok(!(r.sources ?? []).some((s) => s.path.startsWith('/etc/iproute2/')), 'the name files are not configuration sources');

  // the same configuration on a host without the files: keepalived's messages, the lines dropped
  const bare = loadConfig('/k/k.conf', { fs: memFs({ '/k/k.conf': conf }) });
  const errors = bare.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  assert.ok(errors.includes('Routing table vip not found for route'), errors.join('\n'));
  assert.ok(errors.includes('Routing table vip not found for rule'), errors.join('\n'));
  assert.equal(bare.config!.staticRoutes.length, 0);
});

test('hostIpRouteNames reads each table from its own file', () => {
  const seen: string[] = [];
  const names = hostIpRouteNames((p) => (seen.push(p), p.endsWith('rt_dsfield') ? '0x44 mine\n' : undefined));
  assert.deepEqual(
    seen.sort(),
    ['group', 'rt_dsfield', 'rt_protos', 'rt_realms', 'rt_scopes', 'rt_tables'].map((f) => `/etc/iproute2/${f}`),
  );
  assert.equal(names.dsfield.get('mine'), 0x44);
  assert.equal(names.dsfield.get('AF11'), 0x28);
  assert.equal(names.tables, RT_TABLES);
});
