import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, parseConfigTree, buildModel } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { checkHost, configTestStatus, type HostView } from '../../../src/config/config-test.js';

/** Parses text into the model; returns it with formatted diagnostics (`line:col: severity: message`). */
function model(text: string) {
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf');
  const d = new DiagnosticSink();
  d.items.push(...diagnostics);
  const config = buildModel(tree, d);
  return { config, diags: d.items, text: d.items.map((x) => formatDiagnostic(x).replace(/^k\.conf:/, '')) };
}

test('static_ipaddress, static_routes and static_rules in ip(8) syntax', () => {
  const { config, text } = model(`static_ipaddress {
  192.0.2.50/24 dev eth0 scope link label eth0:5
  2001:db8::50/64 dev eth0
}
static_routes {
  198.51.100.0/24 via 192.0.2.1 dev eth0 metric 20 table 100
  blackhole 203.0.113.0/24
  default via 192.0.2.254 dev eth0 src 192.0.2.50 protocol static scope global no_track
  2001:db8:1::/48 via 2001:db8::1 dev eth0
}
static_rules {
  from 192.0.2.0/24 table 100 priority 1000
  to 198.51.100.7 lookup main
  fwmark 0x10/0xff table 200
  from 2001:db8::/32 table 300
}
`);
  assert.deepEqual(
    config.staticIpaddress.map((a) => [a.address, a.prefixLength, a.dev, a.scope, a.label]),
    [
      ['192.0.2.50', 24, 'eth0', 'link', 'eth0:5'],
      ['2001:db8::50', 64, 'eth0', undefined, undefined],
    ],
  );
  const [r1, r2, r3, r4] = config.staticRoutes;
  assert.deepEqual(
    [r1?.destination, r1?.prefixLength, r1?.gateway, r1?.dev, r1?.metric, r1?.table, r1?.family],
    ['198.51.100.0', 24, '192.0.2.1', 'eth0', 20, 100, 4],
  );
  assert.deepEqual([r2?.type, r2?.destination, r2?.noTrack, r2?.table], ['blackhole', '203.0.113.0', true, 254]);
  assert.deepEqual(
    [r3?.destination, r3?.prefixLength, r3?.gateway, r3?.source, r3?.protocol, r3?.scope],
    ['0.0.0.0', 0, '192.0.2.254', '192.0.2.50', 4, 0],
  );
  assert.deepEqual([r4?.family, r4?.destination, r4?.prefixLength, r4?.gateway], [6, '2001:db8:1::', 48, '2001:db8::1']);
  const [u1, u2, u3, u4] = config.staticRules;
  assert.deepEqual([u1?.from, u1?.table, u1?.priority], [{ address: '192.0.2.0', prefixLength: 24 }, 100, 1000]);
  assert.deepEqual([u2?.to, u2?.table], [{ address: '198.51.100.7', prefixLength: 32 }, 254]);
  assert.deepEqual([u3?.fwmark, u3?.fwmask, u3?.table], [16, 255, 200]);
  assert.equal(u4?.family, 6);
  // the blackhole route has no interface: keepalived's warning, at the route's line (it fails -t, as keepalived's does)
  assert.ok(text.includes('7:3: warning: Warning - cannot track route 203.0.113.0/24 with no interface specified, not tracking'), text.join('\n'));
  // rules without a preference get keepalived's, counting down per family
  assert.deepEqual(
    config.staticRules.map((r) => r.priority),
    [1000, 16384, 16383, 16384],
  );
});

test('bad routes and rules are positioned errors, never throws', () => {
  const { config, text } = model(`static_routes {
  192.0.2.0/24 via 2001:db8::1 dev eth0
  192.0.2.0/33 dev eth0
  198.51.100.0/24 table nosuch dev eth0
}
static_rules {
  from 192.0.2.1
  from nonsense table 5
  bogus 1 table 5
}
`);
  // keepalived keeps 192.0.2.0/33 as a /32 (with a complaint) and drops the rest
  assert.deepEqual(
    config.staticRoutes.map((r) => `${r.destination}/${r.prefixLength}`),
    ['192.0.2.0/32'],
  );
  assert.equal(config.staticRules.length, 0);
  assert.deepEqual(
    text.filter((l) => l.includes('error')),
    [
      '2:20: error: Cannot mix IPv4 and IPv6 addresses for route',
      '4:25: error: Routing table nosuch not found for route',
      '7:3: error: No action specified for rule - ignoring',
      '8:8: error: Invalid rule from address nonsense',
      '9:3: error: Unknown rule option bogus',
    ],
  );
  assert.ok(text.includes('3:3: warning: Invalid address prefix len 33 for address 192.0.2.0/33 - using 32'), text.join('\n'));
});

test('vrrp_instance virtual_routes / virtual_rules, notify_deleted, track_bfd; vrrp_script user', () => {
  const { config, text } = model(`vrrp_script chk { script "/bin/true"
  user nobody nogroup
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  virtual_ipaddress { 192.0.2.7 }
  virtual_routes {
    198.51.100.0/24 via 192.0.2.1 dev eth0
  }
  virtual_rules {
    from 192.0.2.7 table 7
  }
  notify_deleted /bin/del
  track_script { chk }
}
`);
  const [vi] = config.vrrpInstances;
  assert.equal(vi?.virtualRoutes[0]?.gateway, '192.0.2.1');
  assert.equal(vi?.virtualRules[0]?.table, 7);
  assert.equal(vi?.notify.deleted?.command, '/bin/del');
  assert.deepEqual([config.vrrpScripts[0]?.script.user, config.vrrpScripts[0]?.script.group], ['nobody', 'nogroup']);
  assert.deepEqual(
    text.filter((l) => l.includes('error')),
    [],
  );
});

test('track_file, vrrp_track_process, track_group and bfd_instance blocks', () => {
  const { config, text } = model(`track_file tf1 {
  file /run/tf1
  weight -20 reverse
  init_file 5 overwrite
}
vrrp_track_file tf2 {
  file /run/tf2
}
vrrp_track_process nginx {
  process nginx -g daemon
  param_match partial
  weight 30
  quorum 2
  quorum_max 4
  delay 1.5
}
vrrp_track_process bad {
  quorum 3
}
track_group tg { group { eth0 eth1 } }
bfd_instance b1 {
  neighbor_ip 192.0.2.9
  min_rx 50
  multiplier 3
}
`);
  assert.deepEqual(
    config.trackFiles.map((f) => [f.name, f.path, f.weight, f.reverse, f.init]),
    [
      ['tf1', '/run/tf1', -20, true, { value: 5, overwrite: true }],
      ['tf2', '/run/tf2', 1, false, undefined],
    ],
  );
  const [p] = config.trackProcesses;
  assert.deepEqual(
    [p?.process, p?.params, p?.paramMatch, p?.fullCommand, p?.weight, p?.quorum, p?.quorumMax, p?.forkDelayMs, p?.terminateDelayMs],
    ['nginx', ['-g', 'daemon'], 'partial', true, 30, 2, 4, 1500, 1500],
  );
  assert.equal(config.trackProcesses.length, 1);
  assert.deepEqual(config.trackGroups[0]?.interfaces, ['eth0', 'eth1']);
  assert.deepEqual(
    [config.bfdInstances[0]?.neighbor, config.bfdInstances[0]?.minRxMs, config.bfdInstances[0]?.multiplier, config.bfdInstances[0]?.idleTxMs],
    ['192.0.2.9', 50, 3, 1000],
  );
  assert.ok(text.includes("17:1: error: track process 'bad' process name not specified"), text.join('\n'));
  assert.ok(text.includes('6:1: warning: vrrp_track_file is deprecated - please use track_file'));
  assert.ok(!text.some((l) => l.includes('bfd_instance')), 'bfd_instance runs: no warning');
});

test('references: unknown trackers and sync-group members are reported at the reference', () => {
  const { text } = model(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  track_script {
    nosuch
  }
  track_file {
    nofile weight 5
  }
}
vrrp_sync_group G {
  group { VI_1 VI_X }
  track_process { noproc }
}
`);
  assert.deepEqual(
    text.filter((l) => l.includes('error')),
    [
      '5:5: error: (VI_1) track script nosuch not found, ignoring...',
      '8:5: error: (VI_1) track file nofile not found, ignoring...',
      '13:19: error: (G) track process noproc not found, ignoring...',
      "11:1: error: Virtual router VI_X specified in sync group G doesn't exist - ignoring",
    ],
  );
});

test('host checks and -t exit statuses: missing/loopback interface, VIP dev, script security', () => {
  const host = (ifs: Record<string, 'ok' | 'loopback'>, scripts: string[]): HostView => ({
    interfaceKind: (n) => ifs[n] ?? 'missing',
    scriptFound: (p) => scripts.includes(p),
  });
  const conf = `vrrp_instance VI_1 {
  interface eth9
  virtual_router_id 1
  track_interface { eth8 }
  virtual_ipaddress { 192.0.2.1/24 dev eth7 }
  notify_master "/usr/local/bin/n.sh master"
}
`;
  const run = (h: HostView) => {
    const { config, diags } = model(conf);
    const d = new DiagnosticSink();
    checkHost(config, h, d);
    return { status: configTestStatus([...diags, ...d.items]), text: d.items.map((x) => formatDiagnostic(x).replace(/^k\.conf:/, '')) };
  };
  const bad = run(host({}, []));
  assert.equal(bad.status, 5);
  assert.deepEqual(bad.text, [
    "2:13: error: WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist",
    "4:21: error: (VI_1) tracked interface eth8 doesn't exist",
    "5:23: error: WARNING - interface eth7 for ip address 192.0.2.1 doesn't exist",
    '2:13: error: Non-existent interface specified in configuration',
  ]);
  assert.match(run(host({ eth9: 'loopback', eth8: 'ok', eth7: 'ok' }, [])).text.join(''), /cannot use a loopback interface \(eth9\)/);
  const good = run(host({ eth9: 'ok', eth8: 'ok', eth7: 'ok' }, []));
  assert.deepEqual([good.status, good.text], [0, []]);
  const insecure = run(host({ eth9: 'ok', eth8: 'ok', eth7: 'ok' }, ['/usr/local/bin/n.sh']));
  assert.equal(insecure.status, 6);
  assert.deepEqual(insecure.text, ['6:17: warning: SECURITY VIOLATION - scripts are being executed but script_security not enabled.']);
});
