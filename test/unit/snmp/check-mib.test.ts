/**
 * KEEPALIVED-MIB's check subtree, pure: the rows check_snmp.c answers for groups, virtual and real servers (which
 * columns are present for which kind of server, the sorry server's row, the statistics columns), the LVS scalars,
 * the notifications' objects in keepalived's order, and the summing of IPVS listings into per-server counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { VarType, type VarBind } from '../../../src/snmp/agentx.js';
import { CHECK_OID, checkNotification, checkRows, ZERO_COUNTERS, type CheckCounters } from '../../../src/snmp/check-mib.js';
import { MibBuilder } from '../../../src/snmp/mib.js';
import type { HostFacts, MibSource } from '../../../src/snmp/source.js';
import type { RuntimeSnapshot } from '../../../src/runtime/snapshot.js';
import { countersOf } from '../../../src/runtime/check/lvs-counters.js';
import { servicesOf } from '../../../src/lb/services.js';
import type { LbCounters, LbServiceState } from '../../../src/lb/backend.js';

const host: HostFacts = {
  ifindex: () => undefined,
  ipv4: () => undefined,
  ipv6: () => undefined,
  hwaddr: () => undefined,
  realPath: (p) => (p === '/bin/true' ? '/usr/bin/true' : p),
  nodeName: 'node1',
};

const CONF = `global_defs {
  router_id lb1
  enable_snmp_checker
  enable_traps
  lvs_timeouts tcp 900 udp 300
  lvs_sync_daemon eth0 VI_1 id 7 maxlen 1400 port 8848 ttl 2 group 239.1.2.3
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress {
    192.0.2.200
  }
}
virtual_server_group G {
  192.0.2.60-62 80
  fwmark 9
  192.0.2.70 80
}
virtual_server 192.0.2.50 80 {
  delay_loop 3
  lb_algo sh
  lb_kind NAT
  protocol TCP
  persistence_timeout 60
  persistence_granularity 255.255.255.0
  sh-port
  quorum 2
  hysteresis 1
  quorum_up "/bin/true up"
  sorry_server 192.0.2.99 8080
  real_server 192.0.2.10 80 {
    weight 3
    uthreshold 50
    inhibit_on_failure
    notify_down "/bin/true down"
    TCP_CHECK {
      connect_timeout 2
    }
  }
  real_server 192.0.2.11 80 {
    TCP_CHECK {
    }
  }
}
virtual_server fwmark 5 {
  lb_algo mh
  lb_kind TUN
  real_server 192.0.2.20 0 {
    lvs_method TUN type gue port 6080 csum
    delay_loop 7
    retry 4
    TCP_CHECK {
      connect_port 80
    }
  }
}
virtual_server group G {
  lb_algo twos
  protocol UDP
  real_server 192.0.2.30 80 {
    MISC_CHECK {
      misc_path /bin/true
    }
  }
}
`;

function load(text: string): KeepalivedConfig {
  const d = new DiagnosticSink();
  return buildModel(parseConfigTree(text, 'k.conf').tree, d);
}

const config = load(CONF);
const snapshot: RuntimeSnapshot = {
  instances: [],
  syncGroups: [],
  virtualServers: [
    {
      name: '[192.0.2.50]:tcp:80',
      quorum: 2,
      quorumUp: true,
      alive: true,
      realServers: [
        { address: '192.0.2.10', port: 80, weight: 3, up: true, failedCheckers: 0 },
        { address: '192.0.2.11', port: 80, weight: 1, up: false, failedCheckers: 1 },
      ],
    },
    { name: 'FWM 5', quorum: 1, quorumUp: false, alive: true, realServers: [{ address: '192.0.2.20', port: 0, weight: 1, up: false }] },
    { name: '[G]:0', quorum: 1, quorumUp: true, alive: true, realServers: [{ address: '192.0.2.30', port: 80, weight: 1, up: true }] },
  ],
};
const src: MibSource = { config, snapshot, host, version: 'v', startedWallMs: 0, upSinceMs: new Map() };

const oid = (...s: number[]): string => [...CHECK_OID, ...s].join('.');
function rows(counters?: CheckCounters): Map<string, VarBind> {
  const m = new MibBuilder();
  checkRows(src, m, counters);
  return new Map(m.done().map((v) => [v.oid.join('.'), v]));
}
const val = (r: Map<string, VarBind>, o: string): unknown => {
  const v = r.get(o)?.value;
  return Buffer.isBuffer(v) ? [...v] : v;
};

test('virtualServerGroupTable and members: fwmark entries first, then addresses (2) and ranges (3) with their columns', () => {
  const r = rows();
  assert.deepEqual(val(r, oid(1, 1, 2, 1)), [...Buffer.from('G')]);
  assert.equal(val(r, oid(2, 1, 2, 1, 1)), 1);
  assert.equal(val(r, oid(2, 1, 3, 1, 1)), 9);
  assert.equal(r.has(oid(2, 1, 4, 1, 1)), false, 'no address type for a fwmark member');
  assert.equal(val(r, oid(2, 1, 2, 1, 2)), 3);
  assert.deepEqual(val(r, oid(2, 1, 6, 1, 2)), [192, 0, 2, 60]);
  assert.deepEqual(val(r, oid(2, 1, 7, 1, 2)), [192, 0, 2, 62]);
  assert.equal(r.has(oid(2, 1, 5, 1, 2)), false, 'a range has no single address');
  assert.equal(val(r, oid(2, 1, 2, 1, 3)), 2);
  assert.deepEqual(val(r, oid(2, 1, 5, 1, 3)), [192, 0, 2, 70]);
  assert.equal(val(r, oid(2, 1, 8, 1, 3)), 80);
  assert.equal(r.get(oid(2, 1, 8, 1, 3))?.type, VarType.Gauge32);
});

test('virtualServerTable: each kind shows its own columns; flags, quorum, times in s and µs, tunnel options', () => {
  const r = rows();
  // address VS
  assert.equal(val(r, oid(3, 1, 2, 1)), 2);
  assert.deepEqual(val(r, oid(3, 1, 6, 1)), [192, 0, 2, 50]);
  assert.equal(val(r, oid(3, 1, 8, 1)), 1, 'TCP');
  assert.equal(val(r, oid(3, 1, 9, 1)), 8, 'sh');
  assert.equal(val(r, oid(3, 1, 10, 1)), 1, 'NAT');
  assert.equal(val(r, oid(3, 1, 14, 1)), 60);
  assert.deepEqual(val(r, oid(3, 1, 15, 1)), [255, 255, 255, 0], 'IPv4 granularity as the netmask');
  assert.equal(r.has(oid(3, 1, 51, 1)), false, 'no IPv6 granularity for an IPv4 address');
  assert.equal(val(r, oid(3, 1, 16, 1)), 3);
  assert.equal(val(r, oid(3, 1, 64, 1)), 3_000_000);
  assert.equal(val(r, oid(3, 1, 20, 1)), 2, 'realServerTotal');
  assert.equal(val(r, oid(3, 1, 21, 1)), 1, 'realServerUp');
  assert.equal(val(r, oid(3, 1, 22, 1)), 2);
  assert.equal(val(r, oid(3, 1, 23, 1)), 1);
  assert.deepEqual(val(r, oid(3, 1, 24, 1)), [...Buffer.from("'/usr/bin/true' 'up'")]);
  assert.equal(r.has(oid(3, 1, 25, 1)), false, 'no quorum_down');
  assert.equal(val(r, oid(3, 1, 26, 1)), 1);
  assert.equal(val(r, oid(3, 1, 54, 1)), 1, 'sh-port');
  assert.equal(val(r, oid(3, 1, 63, 1)), 1, 'the same bit read as mh-port');
  assert.equal(val(r, oid(3, 1, 53, 1)), 2);
  assert.equal(r.has(oid(3, 1, 68, 1)), false, 'no tunnel type for NAT');
  // fwmark VS: no address, port or protocol; both granularity columns (keepalived tests the address family)
  assert.equal(val(r, oid(3, 1, 2, 2)), 1);
  assert.equal(val(r, oid(3, 1, 4, 2)), 5);
  for (const c of [6, 7, 8, 3]) assert.equal(r.has(oid(3, 1, c, 2)), false, `column ${c}`);
  assert.deepEqual(val(r, oid(3, 1, 15, 2)), [255, 255, 255, 255]);
  assert.equal(val(r, oid(3, 1, 51, 2)), 0xffffffff);
  assert.equal(val(r, oid(3, 1, 9, 2)), 13, 'mh');
  assert.equal(val(r, oid(3, 1, 10, 2)), 3, 'TUN');
  assert.equal(val(r, oid(3, 1, 68, 2)), 1, 'ipip by default');
  assert.equal(val(r, oid(3, 1, 23, 2)), 2, 'quorum down');
  // group VS
  assert.equal(val(r, oid(3, 1, 2, 3)), 3);
  assert.deepEqual(val(r, oid(3, 1, 3, 3)), [...Buffer.from('G')]);
  assert.equal(val(r, oid(3, 1, 8, 3)), 2, 'UDP');
  assert.equal(val(r, oid(3, 1, 9, 3)), 14, 'twos');
});

test('realServerTable: the sorry server is row 1 without state columns; real servers with weight, limits, scripts, timers, tunnel', () => {
  const r = rows();
  assert.equal(val(r, oid(4, 1, 2, 1, 1)), 2, 'sorry');
  assert.deepEqual(val(r, oid(4, 1, 4, 1, 1)), [192, 0, 2, 99]);
  assert.equal(val(r, oid(4, 1, 5, 1, 1)), 8080);
  for (const c of [6, 7, 10, 13]) assert.equal(r.has(oid(4, 1, c, 1, 1)), false, `sorry column ${c}`);
  assert.equal(val(r, oid(4, 1, 40, 1, 1)), 1, 'the sorry server has a forwarding method');
  assert.equal(val(r, oid(4, 1, 51, 1, 1)), 0, 'zeroed connect timeout');
  assert.equal(val(r, oid(4, 1, 2, 1, 2)), 1);
  assert.equal(val(r, oid(4, 1, 6, 1, 2)), 1);
  assert.equal(val(r, oid(4, 1, 7, 1, 2)), 3);
  assert.equal(val(r, oid(4, 1, 8, 1, 2)), 50);
  assert.equal(r.has(oid(4, 1, 9, 1, 2)), false, 'no lower threshold');
  assert.equal(val(r, oid(4, 1, 10, 1, 2)), 2, 'inhibit_on_failure: action when down is not "remove"');
  assert.deepEqual(val(r, oid(4, 1, 12, 1, 2)), [...Buffer.from("'/usr/bin/true' 'down'")]);
  assert.equal(val(r, oid(4, 1, 51, 1, 2)), 5_000_000, "the real server's connect_timeout (the checker's is not its)");
  assert.equal(val(r, oid(4, 1, 6, 1, 3)), 2);
  assert.equal(val(r, oid(4, 1, 13, 1, 3)), 1, 'failed checkers');
  // fwmark VS's TUN/GUE server
  assert.equal(val(r, oid(4, 1, 52, 2, 1)), 2, 'gue');
  assert.equal(val(r, oid(4, 1, 53, 2, 1)), 6080);
  assert.equal(val(r, oid(4, 1, 54, 2, 1)), 2, 'csum');
  assert.equal(val(r, oid(4, 1, 43, 2, 1)), 4, 'retry');
  assert.equal(val(r, oid(4, 1, 46, 2, 1)), 7);
  assert.equal(val(r, oid(4, 1, 50, 2, 1)), 7_000_000);
});

test('statistics columns: Gauge32/Counter32 low words, Counter64 in full, rate high halves; zero before any reading', () => {
  const big = 5 * 2 ** 32 + 7;
  const c = { ...ZERO_COUNTERS, conns: 20, inpkts: 120, outpkts: 100, inbytes: big, outbytes: 9000, cps: 3, inbps: big };
  const r = rows([{ vs: c, sorry: { ...ZERO_COUNTERS, activeconns: 4 }, rs: [{ ...c, activeconns: 2, persistconns: 1 }, undefined] }]);
  assert.equal(val(r, oid(3, 1, 27, 1)), 20);
  assert.equal(r.get(oid(3, 1, 28, 1))?.type, VarType.Counter32);
  assert.equal(val(r, oid(3, 1, 30, 1)), BigInt(big));
  assert.equal(r.get(oid(3, 1, 30, 1))?.type, VarType.Counter64);
  assert.equal(val(r, oid(3, 1, 38, 1)), 20n);
  assert.equal(val(r, oid(3, 1, 32, 1)), 3);
  assert.equal(val(r, oid(3, 1, 35, 1)), 7, 'inbps, 32 bits');
  assert.equal(val(r, oid(3, 1, 48, 1)), 5, 'inbps high half');
  assert.equal(val(r, oid(3, 1, 47, 1)), 0, "inbps low: keepalived's answer below 4 GiB");
  assert.equal(val(r, oid(4, 1, 15, 1, 1)), 4, 'sorry server active connections');
  assert.equal(val(r, oid(4, 1, 14, 1, 2)), 20);
  assert.equal(val(r, oid(4, 1, 17, 1, 2)), 1);
  assert.equal(val(r, oid(4, 1, 20, 1, 2)), BigInt(big));
  assert.equal(val(r, oid(4, 1, 37, 1, 2)), 5, 'real server inbps high half');
  assert.equal(val(r, oid(4, 1, 14, 1, 3)), 0, 'no reading for this server');
  assert.equal(val(rows(), oid(3, 1, 27, 2)), 0);
});

test('lvsSyncDaemon and lvsTimeouts scalars: present when configured', () => {
  const r = rows();
  assert.equal(val(r, oid(6, 1, 0)), 1);
  assert.deepEqual(val(r, oid(6, 2, 0)), [...Buffer.from('eth0')]);
  assert.deepEqual(val(r, oid(6, 3, 0)), [...Buffer.from('VI_1')]);
  assert.equal(val(r, oid(6, 4, 0)), 7);
  assert.equal(val(r, oid(6, 5, 0)), 1400);
  assert.equal(val(r, oid(6, 6, 0)), 8848);
  assert.equal(val(r, oid(6, 7, 0)), 2);
  assert.equal(val(r, oid(6, 8, 0)), 1);
  assert.deepEqual(val(r, oid(6, 9, 0)), [239, 1, 2, 3]);
  assert.equal(val(r, oid(7, 1, 0)), 900);
  assert.equal(r.has(oid(7, 2, 0)), false, 'tcpfin not set');
  assert.equal(val(r, oid(7, 3, 0)), 300);
  const bare = new MibBuilder();
  checkRows({ ...src, config: load('virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.2 80 {\n }\n}\n') }, bare);
  const b = new Map(bare.done().map((v) => [v.oid.join('.'), v.value]));
  assert.equal(b.get(oid(6, 1, 0)), 2);
  assert.equal(b.has(oid(6, 2, 0)), false);
  assert.equal(b.has(oid(7, 1, 0)), false);
});

test("notifications: realServerStateChange and virtualServerQuorumStateChange objects in keepalived's order", () => {
  /** The notification for VS `i` (with real server `rs` in state `alive`), 1 of 2 real servers up, quorum up. */
  const trap = (i: number, rs?: number, more: { stopping?: boolean; alive?: boolean } = {}) =>
    checkNotification(src, {
      vs: config.virtualServers[i]!,
      ...(rs !== undefined ? { rs: { index: rs, alive: more.alive ?? false } } : {}),
      realUp: 1,
      realTotal: 2,
      quorumUp: true,
      stopping: more.stopping ?? false,
    });
  const rs = trap(0, 1)!;
  assert.deepEqual(rs.trapOid, [...CHECK_OID, 5, 0, 1]);
  const cols = (n: { varbinds: readonly VarBind[] }) => n.varbinds.map((v) => v.oid.slice(CHECK_OID.length - 1).join('.'));
  assert.deepEqual(cols(rs), [
    '3.4.1.3',
    '3.4.1.4',
    '3.4.1.5',
    '3.4.1.6',
    '3.3.1.2',
    '3.3.1.5',
    '3.3.1.6',
    '3.3.1.7',
    '3.3.1.8',
    '3.3.1.21',
    '3.3.1.20',
    '1.2.0',
  ]);
  assert.deepEqual(
    rs.varbinds.map((v) => (Buffer.isBuffer(v.value) ? v.value.toString('hex') : v.value)),
    [1, 'c000020b', 80, 2, 2, 1, 'c0000232', 80, 1, 1, 2, Buffer.from('lb1').toString('hex')],
  );
  const q = trap(2, undefined, { stopping: true })!;
  assert.deepEqual(q.trapOid, [...CHECK_OID, 5, 0, 2]);
  assert.deepEqual(cols(q), ['3.3.1.2', '3.3.1.3', '3.3.1.8', '3.3.1.23', '3.3.1.22', '3.3.1.21', '3.3.1.20', '1.2.0']);
  assert.equal(q.varbinds[2]!.value, 2, 'UDP: keepalived sends TruthValue(protocol == TCP)');
  assert.equal(q.varbinds[3]!.value, 3, 'stopping');
  const f = checkNotification(src, { vs: config.virtualServers[1]!, realUp: 0, realTotal: 1, quorumUp: false, stopping: false })!;
  assert.deepEqual(cols(f).slice(0, 3), ['3.3.1.2', '3.3.1.4', '3.3.1.8']);
  assert.equal(f.varbinds[3]!.value, 2, 'quorum down');
  assert.equal(trap(1, 3, { alive: true }), undefined, 'no such real server');
});

test('countersOf: a group sums its services; a destination equal to the sorry server counts for the sorry server', () => {
  const counters = (n: number): LbCounters => ({ connections: n, packetsIn: n, packetsOut: n, bytesIn: n, bytesOut: n, cps: n });
  const vs = config.virtualServers[2]!;
  const targets = servicesOf(vs, config.virtualServerGroups);
  assert.equal(targets.length, 5, '3 range addresses, 1 address, 1 fwmark');
  const listing: LbServiceState[] = targets.slice(0, 3).map((t, i) => ({
    ...t.service,
    counters: counters(10 * (i + 1)),
    dests: [
      {
        family: 4,
        address: '192.0.2.30',
        port: 80,
        method: 'NAT',
        weight: 1,
        uthreshold: 0,
        lthreshold: 0,
        activeConnections: 1,
        inactiveConnections: 2,
        counters: counters(i + 1),
        persistentConnections: 1,
      } as LbServiceState['dests'][number],
    ],
  }));
  const [c] = countersOf([{ targets, realServers: vs.realServers }], listing);
  assert.equal(c!.vs.conns, 60);
  assert.equal(c!.vs.cps, 60);
  assert.equal(c!.vs.inpps, 0, 'no rate from the backend: 0');
  assert.equal(c!.rs[0]!.conns, 6);
  assert.equal(c!.rs[0]!.activeconns, 3);
  assert.equal(c!.rs[0]!.persistconns, 3);
  const a = config.virtualServers[0]!;
  const at = servicesOf(a, config.virtualServerGroups);
  const dest = (address: string, port: number, n: number) => ({
    family: 4 as const,
    address,
    port,
    method: 'NAT' as const,
    weight: 1,
    uthreshold: 0,
    lthreshold: 0,
    activeConnections: n,
    inactiveConnections: 0,
    counters: counters(n),
  });
  const [s] = countersOf(
    [{ targets: at, realServers: a.realServers, sorry: a.sorryServer! }],
    [{ ...at[0]!.service, counters: counters(9), dests: [dest('192.0.2.99', 8080, 4), dest('192.0.2.11', 80, 5)] }],
  );
  assert.equal(s!.sorry!.activeconns, 4);
  assert.equal(s!.rs[0]!.conns, 0);
  assert.equal(s!.rs[1]!.conns, 5);
});
