/**
 * SNMP's VRRP side against the oracle, part two (one private snmpd for the file, as snmp.test.ts sets it up):
 * KEEPALIVED-MIB's tracked file/process/BFD tables, their definitions and the sync groups' tracked tables; the RFC
 * MIBs' receive error counters and error notifications for crafted bad adverts; SNMP SET of an instance's priority
 * and preempt setting (and the refusals). keepalived 2.2.7 and keepalived-ts run the same configuration against
 * the same snmpd and must give the same walks, the same notifications and the same SET answers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';
import { traps } from './traps.js';
import { VrrpSocket } from '../../../src/net/vrrp-socket.js';
import { encode } from '../../../src/vrrp/packet.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-snmpv-');
const agentx = join(d.dir, 'agentx.sock');
const started: ChildProcess[] = [];
after(() => {
  for (const c of started) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
  topo.destroy();
  d.removeDir();
});

const SNMP_ENV = { ...process.env, MIBS: '' };

/** Runs `argv` in host a (numeric OIDs); stdout and stderr together, whatever the exit status. */
function inA(argv: readonly string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', topo.host('a').netns, ...argv], { encoding: 'utf8', env: SNMP_ENV });
  return `${r.stdout}${r.stderr}`;
}

async function startSnmpd(): Promise<void> {
  const conf = d.write(
    'snmpd.conf',
    `master agentx\nagentXSocket unix:${agentx}\nagentXPerms 0700 0700\nrocommunity public\nrwcommunity private\ntrap2sink 192.0.2.10:16200 public\n`,
  );
  const args = ['-f', '-C', '-c', conf, '-Lf', join(d.dir, 'snmpd.log'), '-p', join(d.dir, 'snmpd.pid'), 'udp:192.0.2.10:161'];
  started.push(topo.spawn('a', '/usr/sbin/snmpd', args, { env: SNMP_ENV }));
  assert.ok((await waitFor(() => existsSync(agentx), 10_000)) >= 0, 'snmpd started');
}

async function startTrapd(file: string): Promise<ChildProcess> {
  const conf = d.write('snmptrapd.conf', 'disableAuthorization yes\n');
  const args = ['-f', '-C', '-c', conf, '-On', '-Lf', file, '-F', 'TRAP %v\\n', '-p', `${file}.pid`, 'udp:192.0.2.10:16200'];
  const c = topo.spawn('a', '/usr/sbin/snmptrapd', args, { env: SNMP_ENV });
  started.push(c);
  assert.ok((await waitFor(() => existsSync(`${file}.pid`), 10_000)) >= 0, 'snmptrapd started');
  return c;
}

function walk(subtree: string): string[] {
  return inA(['snmpwalk', '-v2c', '-c', 'public', '-On', '-r', '2', '-t', '3', '192.0.2.10', subtree]).split('\n').filter(Boolean);
}

/** The master agent drops a subagent's registrations when it goes: wait for that before the next daemon. */
async function gone(): Promise<void> {
  assert.ok((await waitFor(() => walk('.1.3.6.1.4.1.9586.100.5.2').join('\n').includes('No Such Object'), 10_000)) >= 0);
}

const VRRP = '.1.3.6.1.4.1.9586.100.5.2';

test('tracked file, process and BFD tables, their definitions and the sync groups tracked tables: keepalived-ts = keepalived 2.2.7', async () => {
  await startSnmpd();
  const file = d.write('track.val', '5\n');
  const conf = d.write(
    'track.conf',
    `global_defs {
  router_id snmp-track
  enable_snmp_vrrp
  snmp_socket unix:${agentx}
}
vrrp_track_file tf_one {
  file ${file}
  weight 3
}
vrrp_track_file tf_two {
  file ${file}.absent
  weight -2 reverse
}
vrrp_track_process tp_sleep {
  process kts-absent 86411
  quorum 1
  quorum_max 4
  fork_delay 2
  terminate_delay 1.5
  weight 6
}
vrrp_track_process tp_none {
  process kts-no-such-process
  quorum_max 0
}
bfd_instance bfd_b {
  neighbor_ip 192.0.2.11
  weight 7
}
bfd_instance bfd_c {
  neighbor_ip 192.0.2.12
}
vrrp_script chk_g {
  script "/bin/true"
  interval 1
  weight 4
}
vrrp_sync_group G1 {
  group {
    VT_1
    VT_2
  }
  track_interface {
    lo weight 3
  }
  track_script {
    chk_g
  }
  track_file {
    tf_two
  }
  track_process {
    tp_none
  }
  track_bfd {
    bfd_b
  }
  sync_group_tracking_weight
}
vrrp_instance VT_1 {
  state MASTER
  interface eth0
  virtual_router_id 91
  priority 150
  track_file {
    tf_one weight 2
  }
  track_process {
    tp_sleep
  }
  virtual_ipaddress {
    192.0.2.191/24
  }
}
vrrp_instance VT_2 {
  state MASTER
  interface eth0
  virtual_router_id 92
  priority 150
  version 3
  track_file {
    tf_one
  }
  track_bfd {
    bfd_c weight 9
  }
  virtual_ipaddress {
    192.0.2.192/24
  }
}
`,
  );
  const walks: Record<string, string[]> = {};
  for (const who of ['keepalived', 'ours'] as const) {
    const x = who === 'ours' ? d.ours('a', conf) : d.keepalivedAll('a', conf);
    try {
      assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.191') && d.hasVip('a', '192.0.2.192'), 20_000)) >= 0, x.log());
      // the process scan and the file read are in; the counts settle
      await sleep(2500);
      walks[who] = walk(VRRP);
    } finally {
      await stop(x.child);
    }
    await gone();
  }
  const k = walks['keepalived']!;
  const o = walks['ours']!;
  // the oracle's walk has every table this test is about
  for (const table of [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22])
    assert.ok(
      k.some((l) => l.startsWith(`${VRRP}.${table}.1.`)),
      `oracle walk has table ${table}\n${k.join('\n')}`,
    );
  assert.ok(
    k.some((l) => l.startsWith(`${VRRP}.13.1.4.1 = INTEGER: 5`)),
    'the file value read',
  );
  // keepalived 2.2.7 counts no process in a network namespace of its own (its process connector is refused and it
  // did not count a running one there), so the processes tracked here run nowhere: count 0, no quorum
  assert.ok(
    k.some((l) => l.startsWith(`${VRRP}.21.1.12.1 = INTEGER: 1`)),
    'full_command set by the parameters',
  );
  const pick = (w: readonly string[]) => w.filter((l) => /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.2\.(1[2-9]|2[0-2])\./.test(l));
  assert.deepEqual(pick(o), pick(k), `tracker tables differ\n--- ours ---\n${pick(o).join('\n')}\n--- keepalived ---\n${pick(k).join('\n')}`);
  // and the rest of the vrrp subtree too (instances with their tracked priorities, sync group, scripts)
  assert.deepEqual(o, k);
});

test('vrrpRouteTable, vrrpRuleTable and vrrpRouteNextHopTable (static and virtual routes and rules): keepalived-ts = keepalived 2.2.7', async () => {
  if (!existsSync(agentx)) await startSnmpd();
  const conf = d.write(
    'routes.conf',
    `global_defs {
  router_id snmp-routes
  enable_snmp_vrrp
  snmp_socket unix:${agentx}
}
static_routes {
  198.51.100.0/26 via 192.0.2.11 dev eth0 metric 7 table 101 realms 3/4
  198.51.100.64/26 dev eth0 scope link src 192.0.2.10 mtu lock 1400 advmss 1300 hoplimit 9 initcwnd 4 table 102
  blackhole 203.0.113.128/25 table 103
  198.51.100.128/26 table 104 nexthop via 192.0.2.11 dev eth0 weight 2 nexthop via 192.0.2.12 dev eth0 onlink
  2001:db8:5::/64 via 2001:db8::11 dev eth0 table 105 ssthresh lock 107 rtt 20 rttvar 8 window 5000 cwnd 7 reordering 3 rto_min 300
}
static_rules {
  from 198.51.100.0/24 table 101 priority 101
  to 203.0.113.0/24 lookup 102 tos 0x10 fwmark 5/0xff
  from 198.51.100.64/26 to 203.0.113.64/26 table 103 not
  iif eth0 goto 32000 priority 200
  from 2001:db8:6::/64 blackhole priority 300
  oif eth0 uidrange 100-200 table 104 suppress_prefixlength 8
  from 198.51.100.32/27 table 101 suppress_ifgroup 0 priority 500
  from 198.51.100.192/26 l3mdev priority 400
}
vrrp_instance VR_1 {
  state MASTER
  interface eth0
  virtual_router_id 95
  priority 150
  virtual_ipaddress {
    192.0.2.195/24
  }
  virtual_routes {
    203.0.113.0/26 via 192.0.2.11 table 111 tos 8 protocol 99
    unreachable 203.0.113.64/26 table 112
  }
  virtual_rules {
    from 192.0.2.195 table 111 priority 111
  }
}
vrrp_instance VR_2 {
  state BACKUP
  interface eth0
  virtual_router_id 96
  priority 100
  virtual_ipaddress {
    192.0.2.196/24
  }
  virtual_routes {
    203.0.113.192/26 dev eth0 table 113 nexthop via 192.0.2.12 dev eth0 weight 3
  }
}
`,
  );
  const walks: Record<string, string[]> = {};
  for (const who of ['keepalived', 'ours'] as const) {
    const x = who === 'ours' ? d.ours('a', conf) : d.keepalived('a', conf);
    try {
      assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.195'), 15_000)) >= 0, x.log());
      await sleep(1500);
      walks[who] = ['7', '8', '11'].flatMap((t) => walk(`${VRRP}.${t}`));
      walks[`${who}-log`] = [x.log()];
    } finally {
      await stop(x.child);
    }
    await gone();
  }
  const k = walks['keepalived']!;
  const o = walks['ours']!;
  // (an IPv6 route with locked metrics, virtual routes of both instances, static and virtual rules, next hops)
  for (const t of ['7.1.37.0.5', '7.1.3.1.1', '7.1.3.2.1', '8.1.23.0.6', '8.1.23.1.1', '11.1.3.0.4.2', '11.1.6.2.1.1'])
    assert.ok(
      k.some((l) => l.startsWith(`${VRRP}.${t} `)),
      `oracle walk has ${t}\n${k.join('\n')}\n${walks['keepalived-log']![0]}`,
    );
  assert.ok(k.includes(`${VRRP}.8.1.27.0.7 = STRING: "default"`), 'suppress_ifgroup by its /etc/iproute2/group name');
  assert.deepEqual(o, k, `route/rule tables differ\n--- ours log ---\n${walks['ours-log']![0]}`);
});

const VIP = '192.0.2.181';
const GROUP = '224.0.0.18';
const pass = (pw: string) => {
  const b = Buffer.alloc(8);
  Buffer.from(pw).copy(b);
  return b;
};

/** A VRRP advert for VRID 81 from b (192.0.2.11), as the instance VE would take it unless something is wrong. */
function advert(o: { version?: 2 | 3; pw?: string; authType?: number; priority?: number } = {}): Buffer {
  const version = o.version ?? 2;
  return encode(
    {
      version,
      vrid: 81,
      priority: o.priority ?? 100,
      family: 4,
      addresses: [VIP],
      advertIntervalCs: 100,
      authType: version === 2 ? (o.authType ?? 1) : 0,
      ...(version === 2 ? { authData: pass(o.pw ?? 'secret12') } : {}),
    },
    { source: '192.0.2.11', destination: GROUP },
  );
}

const ERR_CONF = () => `global_defs {
  router_id snmp-err
  enable_snmp_vrrp
  enable_snmp_rfc
  enable_traps
  snmp_socket unix:${agentx}
}
vrrp_instance VE {
  state MASTER
  interface eth0
  virtual_router_id 81
  priority 200
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret12
  }
  virtual_ipaddress {
    ${VIP}/24
  }
}
vrrp_instance VE3 {
  state MASTER
  interface eth0
  virtual_router_id 82
  priority 200
  version 3
  virtual_ipaddress {
    192.0.2.182/24
  }
}
`;

/** The counters and reasons the errors move (RFC 2787 and RFC 6527 statistics) and the instance table. */
const RFC_STATS = ['.1.3.6.1.2.1.68.2', '.1.3.6.1.2.1.207.1.2'];

/** snmpset in host a: its answer (stdout and stderr), the exit status left out. */
function snmpset(oid: string, type: string, value: string): string {
  return inA(['snmpset', '-v2c', '-c', 'private', '-On', '-r', '1', '-t', '3', '192.0.2.10', oid, type, value]).trim();
}

test('crafted bad adverts move the RFC error counters and send vrrpTrapAuthFailure / vrrpv3NotifyProtoError; SNMP SET of priority and preempt, and its refusals: keepalived-ts = keepalived 2.2.7', async () => {
  if (!existsSync(agentx)) await startSnmpd();
  const conf = d.write('err.conf', ERR_CONF());
  const tx = topo.inside('b', () => VrrpSocket.open({ family: 4, ifname: 'eth0', onPacket: () => {} }));
  const txLowTtl = topo.inside('b', () => VrrpSocket.open({ family: 4, ifname: 'eth0', ttl: 64, onPacket: () => {} }));
  const badSum = () => {
    const b = advert();
    b[6] = (b[6] ?? 0) ^ 0xff;
    return b;
  };
  // one of each, in this order: wrong version, bad checksum, wrong password, auth type 0 (mismatch), auth type 7
  // (invalid), and a good advert with TTL 64
  const bad: readonly [VrrpSocket, () => Buffer][] = [
    [tx, () => advert({ version: 3 })],
    [tx, badSum],
    [tx, () => advert({ pw: 'wrongpw' })],
    [tx, () => advert({ authType: 0 })],
    [tx, () => advert({ authType: 7 })],
    [txLowTtl, () => advert()],
  ];
  const VE_ROW = `${VRRP}.3.1`;
  const runs: Record<string, { stats: string[]; traps: string[]; sets: string[]; after: string[]; log: string }> = {};
  try {
    for (const who of ['keepalived', 'ours'] as const) {
      const tl = join(d.dir, `traps-err-${who}.log`);
      const trapd = await startTrapd(tl);
      const x: RunningDaemon = who === 'ours' ? d.ours('a', conf) : d.keepalived('a', conf);
      try {
        assert.ok((await waitFor(() => d.hasVip('a', VIP) && d.hasVip('a', '192.0.2.182'), 15_000)) >= 0, x.log());
        await sleep(1000);
        const before = traps(tl).length;
        for (let round = 0; round < 2; round++)
          for (const [s, make] of bad) {
            assert.equal(s.send(make(), GROUP), undefined, 'sent');
            await sleep(50);
          }
        assert.ok((await waitFor(() => traps(tl).length >= before + 10, 8000)) >= 0, `${x.log()}\n${traps(tl).join('\n')}`);
        await sleep(1000);
        const stats = RFC_STATS.flatMap(walk);
        const errorTraps = traps(tl).slice(before);
        const sets = [
          snmpset(`${VE_ROW}.7.1`, 'i', '180'),
          snmpset(`${VE_ROW}.13.1`, 'i', '2'),
          snmpset(`${VE_ROW}.7.1`, 'i', '0'),
          snmpset(`${VE_ROW}.13.1`, 'i', '3'),
          snmpset(`${VE_ROW}.2.1`, 's', 'renamed'),
          snmpset(`${VE_ROW}.28.1`, 'i', '1'),
          snmpset(`${VE_ROW}.27.2`, 'i', '2'),
          snmpset(`${VE_ROW}.7.2`, 'i', '300'),
        ];
        await sleep(1500);
        const table = walk(`${VE_ROW}`).filter((l) => /\.3\.1\.(7|8|13)\.[12] /.test(l));
        runs[who] = {
          stats,
          traps: errorTraps,
          sets,
          after: [...table, ...walk('.1.3.6.1.2.1.68.1.3.1.5'), ...walk('.1.3.6.1.2.1.68.1.3.1.12')],
          log: x.log(),
        };
      } finally {
        await stop(x.child);
        await stop(trapd);
      }
      await gone();
    }
  } finally {
    tx.close();
    txLowTtl.close();
  }
  const k = runs['keepalived']!;
  const o = runs['ours']!;
  // what the oracle shows is what this test is about: checksum and version errors counted, the TTL error the last
  // protocol error, an auth failure notification of each type, the SETs taken
  assert.ok(
    k.stats.some((l) => l.startsWith('.1.3.6.1.2.1.68.2.1.0 = Counter32: 2')),
    k.stats.join('\n'),
  );
  assert.ok(
    k.stats.some((l) => l.startsWith('.1.3.6.1.2.1.68.2.2.0 = Counter32: 2')),
    k.stats.join('\n'),
  );
  assert.ok(
    k.traps.some((l) => l.includes('.1.3.6.1.2.1.68.0.2')),
    k.traps.join('\n'),
  );
  assert.ok(
    k.traps.some((l) => l.includes('.1.3.6.1.2.1.207.0.2')),
    k.traps.join('\n'),
  );
  assert.ok(
    k.after.some((l) => l.startsWith(`${VE_ROW}.7.1 = INTEGER: 180`)),
    k.after.join('\n'),
  );
  assert.equal(k.traps.length, 12, k.traps.join('\n')); // 6 bad adverts twice, each notified
  assert.deepEqual(o.stats, k.stats, `statistics differ\n--- ours log ---\n${o.log}`);
  assert.deepEqual(o.traps, k.traps, `notifications differ\n--- ours log ---\n${o.log}`);
  assert.deepEqual(o.sets, k.sets, 'SET answers differ');
  assert.deepEqual(o.after, k.after, `after the SETs\n--- ours log ---\n${o.log}`);
  assert.match(o.log, /\(VE\) base priority changed from 200 to 180 via SNMP\./);
  assert.match(o.log, /\(VE\) preemption disabled with SNMP/);
});
