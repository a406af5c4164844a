/**
 * SNMP against the oracle: a private snmpd (master agentx, its AgentX socket in a temp directory, community
 * `public` on 192.0.2.10:161) and snmptrapd in a namespace of ours; keepalived 2.2.7 runs a configuration, we
 * snmpwalk KEEPALIVED-MIB, VRRP-MIB and VRRPV3-MIB and collect its notifications; then keepalived-ts runs the same
 * configuration against the same snmpd, and both walks and both sets of notifications must agree.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';
import { traps } from './traps.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-snmp-');
const agentx = join(d.dir, 'agentx.sock');
const trapLog = (tag: string): string => join(d.dir, `traps-${tag}.log`);
const started: ChildProcess[] = [];
after(() => {
  for (const c of started) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
  topo.destroy();
  d.removeDir();
});

/** Runs `argv` in host a with no MIB files loaded (numeric OIDs, as the comparison wants). */
function inA(argv: readonly string[]): string {
  return execFileSync('ip', ['netns', 'exec', topo.host('a').netns, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, MIBS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts snmpd (foreground, logging to a file, pid file) in host a; it is killed by PID at the end. */
async function startSnmpd(): Promise<void> {
  const conf = d.write(
    'snmpd.conf',
    `master agentx\nagentXSocket unix:${agentx}\nagentXPerms 0700 0700\nrocommunity public\ntrap2sink 192.0.2.10:16200 public\n`,
  );
  const args = ['-f', '-C', '-c', conf, '-Lf', join(d.dir, 'snmpd.log'), '-p', join(d.dir, 'snmpd.pid'), 'udp:192.0.2.10:161'];
  started.push(topo.spawn('a', '/usr/sbin/snmpd', args, { env: { ...process.env, MIBS: '' } }));
  assert.ok((await waitFor(() => existsSync(agentx), 10_000)) >= 0, readLog('snmpd.log'));
}

/** Starts snmptrapd writing every notification's objects, one line each, to `file`. */
async function startTrapd(file: string): Promise<ChildProcess> {
  const conf = d.write('snmptrapd.conf', 'disableAuthorization yes\n');
  const args = ['-f', '-C', '-c', conf, '-On', '-Lf', file, '-F', 'TRAP %v\\n', '-p', `${file}.pid`, 'udp:192.0.2.10:16200'];
  const c = topo.spawn('a', '/usr/sbin/snmptrapd', args, { env: { ...process.env, MIBS: '' } });
  started.push(c);
  assert.ok((await waitFor(() => existsSync(`${file}.pid`), 10_000)) >= 0, 'snmptrapd started');
  return c;
}

function readLog(name: string): string {
  const p = join(d.dir, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

const SUBTREES = ['.1.3.6.1.4.1.9586.100.5', '.1.3.6.1.2.1.68', '.1.3.6.1.2.1.207'];

/** snmpwalk of the three MIBs: `OID = TYPE: value` lines. */
function walk(): string[] {
  return SUBTREES.flatMap((t) => inA(['snmpwalk', '-v2c', '-c', 'public', '-On', '-r', '2', '-t', '3', '192.0.2.10', t]).split('\n')).filter(Boolean);
}

/**
 * Objects whose values legitimately differ between the two daemons; their OIDs must still match.
 * - keepalived's version string: it names the implementation (ours adds `, keepalived-ts v…`).
 * - vrrpOperVrUpTime (VRRP-MIB) and vrrpv3OperVrUpTime (VRRPV3-MIB): times in centiseconds since the subagent
 *   started / since the instance left INIT, which depend on when the daemon was scheduled.
 */
const HOST_OR_TIME_DEPENDENT: readonly { readonly prefix: string; readonly why: string }[] = [
  { prefix: '.1.3.6.1.4.1.9586.100.5.1.1.0 ', why: 'version string names the implementation' },
  { prefix: '.1.3.6.1.2.1.68.1.3.1.13.', why: 'vrrpOperVrUpTime: a time' },
  { prefix: '.1.3.6.1.2.1.207.1.1.1.1.12.', why: 'vrrpv3OperVrUpTime: a time' },
];

/** A walk with the dependent values masked (OID and type kept). */
function comparable(lines: readonly string[]): string[] {
  return lines.map((l) => {
    const dep = HOST_OR_TIME_DEPENDENT.find((x) => l.startsWith(x.prefix));
    return dep ? l.replace(/=\s*([A-Za-z0-9-]+):.*$/, '= $1: <masked>') : l;
  });
}

const CONF = `global_defs {
  router_id snmp-test
  notification_email {
    ops@example.com
    oncall@example.com
  }
  notification_email_from keepalived@example.com
  enable_snmp_vrrp
  enable_snmp_rfc
  enable_traps
  snmp_socket unix:${agentx}
}
vrrp_script chk_true {
  script "/bin/true"
  interval 1
  weight -10
}
vrrp_script chk_plain {
  script "/bin/true"
  interval 1
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  version 2
  authentication {
    auth_type PASS
    auth_pass secret
  }
  track_interface {
    eth0 weight 5
  }
  track_script {
    chk_true
  }
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24 label eth0:vip
  }
  virtual_ipaddress_excluded {
    198.51.100.5/32
  }
  notify_master "/bin/true master"
}
vrrp_instance VI_2 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 100
  version 3
  advert_int 0.5
  nopreempt
  virtual_ipaddress {
    192.0.2.102/24
  }
}
vrrp_instance VI_6 {
  state BACKUP
  interface eth0
  virtual_router_id 53
  priority 120
  version 3
  track_script {
    chk_plain weight 7
  }
  virtual_ipaddress {
    2001:db8::100/64
  }
  notify_backup "/bin/true backup"
}
`;

/** Every instance MASTER (three VIPs up, the groups' notifications in), then 1.5 s for the counters to settle. */
async function allMaster(x: RunningDaemon, file: string): Promise<void> {
  const ok = () => d.hasVip('a', '192.0.2.100') && d.hasVip('a', '192.0.2.102') && d.hasVip('a', '2001:db8::100') && traps(file).length >= 12;
  assert.ok((await waitFor(ok, 20_000)) >= 0, `${x.log()}\n${traps(file).join('\n')}`);
  await sleep(1500);
}

test('snmpwalk of KEEPALIVED-MIB, VRRP-MIB and VRRPV3-MIB and the notifications: keepalived-ts = keepalived 2.2.7', async () => {
  await startSnmpd();
  const file = d.write('snmp.conf', CONF);
  const runs: Record<string, { walk: string[]; traps: string[]; log: string }> = {};
  for (const who of ['keepalived', 'ours'] as const) {
    const tl = trapLog(who);
    const trapd = await startTrapd(tl);
    const x = who === 'ours' ? d.ours('a', file) : d.keepalived('a', file);
    try {
      await allMaster(x, tl);
      runs[who] = { walk: walk(), traps: traps(tl), log: x.log() };
    } finally {
      await stop(x.child);
      await stop(trapd);
    }
    // the master agent drops the session's registrations when the subagent goes
    assert.ok(
      (await waitFor(() => inA(['snmpwalk', '-v2c', '-c', 'public', '-On', '192.0.2.10', SUBTREES[0]!]).includes('No Such Object'), 10_000)) >= 0,
    );
  }
  const k = runs['keepalived']!;
  const o = runs['ours']!;
  // the oracle's walk is what the assertions are about: it must have every table this test covers
  assert.ok(k.walk.length > 250, k.walk.join('\n'));
  // (email table, sync group and member, tracked script, eVIP address row, RFC 2787 association, RFC 6527 stats)
  const covered = [
    /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.1\.3\.5\.1\.2\.2 = STRING: "oncall@example\.com"$/,
    /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.2\.1\.1\.2\.1 = STRING: "G1"$/,
    /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.2\.2\.1\.2\.1\.2 = STRING: "VI_2"$/,
    /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.2\.5\.1\.3\.3\.1 = INTEGER: 7$/,
    /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.2\.6\.1\.3\.1\.3 = Hex-STRING: C6 33 64 05\s*$/,
    /^\.1\.3\.6\.1\.2\.1\.68\.1\.4\.1\.2\.\d+\.51\.192\.0\.2\.101 = INTEGER: 1$/,
    /^\.1\.3\.6\.1\.2\.1\.207\.1\.2\.5\.1\.13\.\d+\.52\.1 = Gauge32: 500$/,
  ];
  for (const re of covered)
    assert.ok(
      k.walk.some((l) => re.test(l)),
      `oracle walk has ${re}`,
    );
  assert.deepEqual(comparable(o.walk), comparable(k.walk), `walks differ\n--- ours log ---\n${o.log}`);
  // the masked columns are there in both, with plausible values (centiseconds below a minute)
  for (const w of [k.walk, o.walk])
    for (const l of w.filter((x) => HOST_OR_TIME_DEPENDENT.slice(1).some((dep) => x.startsWith(dep.prefix)))) {
      const cs = Number(/Timeticks: \((\d+)\)/.exec(l)?.[1]);
      assert.ok(cs >= 0 && cs < 6000, l);
    }
  // notifications: the same set (sync group notifications may come before or after their members')
  assert.ok(k.traps.length >= 12, k.traps.join('\n'));
  assert.deepEqual([...o.traps].sort(), [...k.traps].sort(), `notifications differ\n--- ours log ---\n${o.log}`);
});

test('failover: the new master sends vrrpInstanceStateChange, vrrpTrapNewMaster and vrrpv3NotifyNewMaster as keepalived 2.2.7 does', async () => {
  if (!existsSync(agentx)) await startSnmpd();
  const conf = (prio: number, snmp: boolean) => `global_defs {
  router_id fo-${snmp ? 'a' : 'b'}
${snmp ? `  enable_snmp_vrrp\n  enable_snmp_rfc\n  enable_traps\n  snmp_socket unix:${agentx}\n` : ''}}
vrrp_instance VF {
  state BACKUP
  interface eth0
  virtual_router_id 61
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    192.0.2.161/24
  }
}
`;
  const results: Record<string, string[]> = {};
  for (const who of ['keepalived', 'ours'] as const) {
    const tl = trapLog(`fo-${who}`);
    const trapd = await startTrapd(tl);
    const peer = d.keepalived('b', d.write(`fo-peer-${who}.conf`, conf(200, false)));
    let x: RunningDaemon | undefined;
    try {
      assert.ok((await waitFor(() => d.hasVip('b', '192.0.2.161'), 10_000)) >= 0, peer.log());
      x = who === 'ours' ? d.ours('a', d.write(`fo-${who}.conf`, conf(100, true))) : d.keepalived('a', d.write(`fo-${who}.conf`, conf(100, true)));
      assert.ok((await waitFor(() => traps(tl).length >= 1, 10_000)) >= 0, `BACKUP notified\n${x.log()}`);
      await sleep(1500);
      assert.ok(!d.hasVip('a', '192.0.2.161'));
      const t0 = Date.now();
      await stop(peer.child);
      assert.ok((await waitFor(() => traps(tl).length >= 4, 10_000)) >= 0, `failover notified\n${x.log()}\n${traps(tl).join('\n')}`);
      const took = Date.now() - t0;
      // keepalived's peer sends priority 0 on stop: the backup takes over within a skew time, not 3 adverts
      assert.ok(took < 5000, `notifications ${took} ms after the master stopped`);
      await sleep(500);
      results[who] = traps(tl);
    } finally {
      await stop(peer.child);
      if (x) await stop(x.child);
      await stop(trapd);
    }
  }
  const k = results['keepalived']!;
  assert.equal(k.length, 4, k.join('\n'));
  assert.match(k[0]!, /9586\.100\.5\.2\.10\.0\.2 .*"VF".*3\.1\.4 = INTEGER: 1/);
  assert.match(k[1]!, /9586\.100\.5\.2\.10\.0\.2 .*"VF".*3\.1\.4 = INTEGER: 2/);
  assert.match(k[2]!, /OID: \.1\.3\.6\.1\.2\.1\.68\.0\.1 \| \.1\.3\.6\.1\.2\.1\.68\.1\.3\.1\.7\.\d+\.61 = IpAddress: 192\.0\.2\.10$/);
  assert.match(k[3]!, /OID: \.1\.3\.6\.1\.2\.1\.207\.0\.1 /);
  assert.deepEqual(results['ours'], k);
});

test('-x and -A SOCKET (no SNMP keyword in the file): every MIB served on that socket, as keepalived 2.2.7 -x -A', async () => {
  if (!existsSync(agentx)) await startSnmpd();
  const file = d.write(
    'cli.conf',
    `vrrp_instance VX {
  state MASTER
  interface eth0
  virtual_router_id 71
  priority 150
  version 3
  virtual_ipaddress {
    192.0.2.171/24
  }
}
`,
  );
  const walks: Record<string, string[]> = {};
  for (const who of ['keepalived', 'ours'] as const) {
    const flags = ['-x', '-A', `unix:${agentx}`];
    const x: RunningDaemon =
      who === 'ours'
        ? d.ours('a', file, flags)
        : (() => {
            const pid = join(d.dir, `cli-k`);
            const child = topo.spawn('a', '/usr/sbin/keepalived', [
              '-P',
              '-n',
              '-l',
              '-D',
              ...flags,
              '-f',
              file,
              '-p',
              `${pid}.pid`,
              '-r',
              `${pid}-vrrp.pid`,
              '-c',
              `${pid}-chk.pid`,
            ]);
            let out = '';
            child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
            child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
            return { host: 'a', child, log: () => out };
          })();
    try {
      assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.171'), 15_000)) >= 0, x.log());
      await sleep(1000);
      walks[who] = walk();
    } finally {
      await stop(x.child);
    }
    assert.ok(
      (await waitFor(() => inA(['snmpwalk', '-v2c', '-c', 'public', '-On', '192.0.2.10', SUBTREES[0]!]).includes('No Such Object'), 10_000)) >= 0,
    );
  }
  const k = walks['keepalived']!;
  // -x: KEEPALIVED-MIB's global and vrrp subtrees and VRRPV3-MIB (a VRRPv3 instance: VRRP-MIB has only its scalars)
  assert.ok(
    k.some((l) => l.startsWith('.1.3.6.1.4.1.9586.100.5.2.3.1.2.1 = STRING: "VX"')),
    k.join('\n'),
  );
  assert.ok(
    k.some((l) => l.startsWith('.1.3.6.1.2.1.68.1.1.0 = INTEGER: 2')),
    k.join('\n'),
  );
  assert.ok(
    k.some((l) => /^\.1\.3\.6\.1\.2\.1\.207\.1\.1\.1\.1\.6\.\d+\.71\.1 = INTEGER: 3$/.test(l)),
    k.join('\n'),
  );
  assert.deepEqual(comparable(walks['ours']!), comparable(k));
});
