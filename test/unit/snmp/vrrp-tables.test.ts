import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/core/log.js';
import { AgentxSubagent, type SetHandler } from '../../../src/runtime/snmp/subagent.js';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { startFakeMaster } from './fake-master.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { AgentxError, decodePdu, encodeOid, encodePdu, PduType, VarType, type VarBind } from '../../../src/snmp/agentx.js';
import { MibBuilder } from '../../../src/snmp/mib.js';
import { rfcv2Rows, rfcv3Rows } from '../../../src/snmp/rfc-mibs.js';
import { countDrop, dropNotifications, ProtoError, type RfcErrorCounts } from '../../../src/snmp/rfc-errors.js';
import type { HostFacts, MibSource } from '../../../src/snmp/source.js';
import { vrrpRouteRows } from '../../../src/snmp/vrrp-routes-mib.js';
import { planSet } from '../../../src/snmp/vrrp-set.js';
import { vrrpTrackerRows } from '../../../src/snmp/vrrp-trackers-mib.js';
import { defaultInstanceSnapshot, type RuntimeSnapshot } from '../../../src/runtime/snapshot.js';

const host: HostFacts = {
  ifindex: (n) => (n === 'eth0' ? 2 : undefined),
  ipv4: () => Buffer.from([192, 0, 2, 10]),
  ipv6: () => Buffer.alloc(16, 1),
  hwaddr: () => Buffer.from([2, 0, 0, 0, 0, 10]),
  realPath: (p) => p,
  nodeName: 'node1',
};

const CONF = `global_defs {
  enable_snmp_vrrp
  enable_snmp_rfc
  enable_traps
}
track_file tf {
  file /run/x
  weight 3
}
vrrp_track_process tp {
  process sleep 99
  quorum_max 4
  fork_delay 2
  weight 6 reverse
}
bfd_instance bb {
  neighbor_ip 192.0.2.11
  weight 7
}
static_routes {
  198.51.100.0/26 via 192.0.2.11 dev eth0 metric 7 table 101 realms 3/4
  198.51.100.128/26 table 104 nexthop via 192.0.2.11 dev eth0 weight 2 nexthop via 192.0.2.12 dev eth0 onlink
  2001:db8:5::/64 via 2001:db8::11 dev eth0 table 105 ssthresh lock 107 rtt 20
}
static_rules {
  from 198.51.100.0/24 to 203.0.113.0/24 table 101 priority 101 not
  from 198.51.100.192/26 l3mdev priority 400
}
vrrp_sync_group G {
  group {
    A
  }
  track_file {
    tf weight 2
  }
  track_bfd {
    bb
  }
}
vrrp_instance A {
  interface eth0
  virtual_router_id 9
  priority 150
  authentication {
    auth_type PASS
    auth_pass secret
  }
  track_process {
    tp
  }
  virtual_ipaddress {
    192.0.2.50/24
  }
  virtual_routes {
    unreachable 203.0.113.64/26 table 112
  }
  virtual_rules {
    from 192.0.2.50 goto 32000 priority 111
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 8
  version 3
  priority 90
  virtual_ipaddress {
    192.0.2.60/24
  }
}
`;

function source(over: Partial<RuntimeSnapshot> = {}, rfcErrors?: Map<string, RfcErrorCounts>): MibSource {
  const d = new DiagnosticSink();
  const config = buildModel(parseConfigTree(CONF, 'k.conf').tree, d);
  const snapshot: RuntimeSnapshot = {
    instances: [
      defaultInstanceSnapshot({ name: 'A', vrid: 9, state: 2, vipSet: true, basePriority: 150 }),
      defaultInstanceSnapshot({ name: 'B', vrid: 8, state: 1, version: 3 }),
    ],
    syncGroups: [],
    ...over,
  };
  return { config, snapshot, host, version: 'v', startedWallMs: 0, upSinceMs: new Map(), ...(rfcErrors ? { rfcErrors } : {}) };
}

const dump = (fill: (m: MibBuilder) => void): Map<string, unknown> => {
  const m = new MibBuilder();
  fill(m);
  return new Map(m.done().map((v: VarBind) => [v.oid.join('.'), Buffer.isBuffer(v.value) ? v.value.toString('hex') : v.value]));
};
const V = '1.3.6.1.4.1.9586.100.5.2';

test('tracker tables: definitions with the runtime results, tracked rows with the definition weights, sync group rows', () => {
  const src = source({
    trackers: [
      { kind: 'file', name: 'tf', ok: false, value: 5 },
      { kind: 'process', name: 'tp', ok: true, value: 2 },
      { kind: 'bfd', name: 'bb', ok: true },
    ],
  });
  const v = dump((m) => vrrpTrackerRows(src, m));
  assert.equal(v.get(`${V}.13.1.4.1`), 5); // the file's value
  assert.equal(v.get(`${V}.13.1.5.1`), 3);
  assert.equal(v.get(`${V}.16.1.2.1.1`), Buffer.from('tf').toString('hex')); // the group's tracked file
  assert.equal(v.get(`${V}.16.1.3.1.1`), 3); // keepalived shows the definition's weight, not the reference's
  assert.equal(v.get(`${V}.18.1.3.1`), 1); // BFD up
  assert.equal(v.get(`${V}.19.1.3.1.1`), 7);
  assert.equal(v.get(`${V}.20.1.2.1.1`), Buffer.from('tp').toString('hex'));
  assert.equal(v.get(`${V}.20.1.4.1.1`), 1); // reverse
  assert.equal(v.get(`${V}.21.1.4.1`), Buffer.from('99').toString('hex'));
  assert.equal(v.get(`${V}.21.1.5.1`), 1); // parameters: param_match exact
  assert.equal(v.get(`${V}.21.1.9.1`), 4);
  assert.equal(v.get(`${V}.21.1.10.1`), 2_000_000); // fork_delay in µs
  assert.equal(v.get(`${V}.21.1.12.1`), 1); // full_command, as keepalived sets it with parameters
  assert.equal(v.get(`${V}.21.1.13.1`), 2);
  assert.equal(v.get(`${V}.21.1.14.1`), 1);
  assert.equal(v.get(`${V}.17.1.2.1.1`), undefined); // A tracks no BFD of its own
  const none = dump((m) => vrrpTrackerRows(source(), m));
  assert.equal(none.get(`${V}.13.1.4.1`), 0);
  assert.equal(none.get(`${V}.18.1.3.1`), 0);
  assert.equal(none.get(`${V}.21.1.14.1`), 2);
});

test('route, rule and next-hop tables: static rows under instance 0, virtual ones under their instance', () => {
  const v = dump((m) => vrrpRouteRows(source(), m));
  assert.equal(v.get(`${V}.7.1.3.0.1`), 'c6336400');
  assert.equal(v.get(`${V}.7.1.5.0.1`), 'c000020b');
  assert.equal(v.get(`${V}.7.1.8.0.1`), 7);
  assert.equal(v.get(`${V}.7.1.11.0.1`), 2);
  assert.equal(v.get(`${V}.7.1.44.0.1`), 4); // realms 3/4: to-realm 4, from-realm 3
  assert.equal(v.get(`${V}.7.1.45.0.1`), 3);
  assert.equal(v.get(`${V}.7.1.10.0.2`), 2); // multipath
  assert.equal(v.get(`${V}.7.1.6.0.2`), undefined); // two next hops: no secondary gateway
  assert.equal(v.get(`${V}.11.1.6.0.2.1`), 2);
  assert.equal(v.get(`${V}.11.1.7.0.2.2`), 1); // onlink
  assert.equal(v.get(`${V}.7.1.2.0.3`), 2);
  assert.equal(v.get(`${V}.7.1.36.0.3`), 107);
  assert.equal(v.get(`${V}.7.1.37.0.3`), 1); // locked
  assert.equal(v.get(`${V}.7.1.27.0.3`), 200); // rtt 20: keepalived 2.2.7 shows 200 (held against it in the netns test)
  assert.equal(v.get(`${V}.7.1.10.1.1`), 7); // unreachable
  assert.equal(v.get(`${V}.7.1.14.1.1`), 1); // A is MASTER with its VIPs set
  assert.equal(v.get(`${V}.8.1.2.0.1`), Buffer.from('both').toString('hex'));
  assert.equal(v.get(`${V}.8.1.4.0.1`), 'cb007100'); // the obsolete address column: the destination first
  assert.equal(v.get(`${V}.8.1.8.0.1`), 1);
  assert.equal(v.get(`${V}.8.1.24.0.2`), 0); // l3mdev: table action, table 0
  assert.equal(v.get(`${V}.8.1.32.0.2`), 1);
  assert.equal(v.get(`${V}.8.1.23.1.1`), 2); // goto
  assert.equal(v.get(`${V}.8.1.22.1.1`), 32000);
  assert.equal(v.get(`${V}.8.1.6.1.1`), undefined);
});

test('receive errors: counted and notified as keepalived does (auth errors: VRRP-MIB; TTL, version, checksum: VRRPV3-MIB)', () => {
  let c: RfcErrorCounts | undefined;
  for (const r of ['checksum', 'version-mismatch', 'checksum', 'ttl', 'auth-failure', 'advert-interval']) c = countDrop(c, r);
  assert.deepEqual(c, { checksum: 2, version: 1, protoReason: ProtoError.ipTtlError });
  const errs = new Map([['A', c!]]);
  const src = source({}, errs);
  const r2 = dump((m) => rfcv2Rows(src, m, 0));
  assert.equal(r2.get('1.3.6.1.2.1.68.2.1.0'), 2);
  assert.equal(r2.get('1.3.6.1.2.1.68.2.2.0'), 1);
  assert.equal(r2.get('1.3.6.1.2.1.68.2.3.0'), 0);
  const r3 = dump((m) => rfcv3Rows(src, m, 0));
  assert.equal(r3.get('1.3.6.1.2.1.207.1.2.1.0'), 2n);
  assert.equal(r3.get('1.3.6.1.2.1.207.1.2.5.1.6.2.9.1'), 1);
  const auth = dropNotifications(src, 'A', 'authtype-mismatch', '192.0.2.11');
  assert.deepEqual(
    auth.map((n) => [n.trapOid.join('.'), n.varbinds.map((v) => [v.oid.join('.'), Buffer.isBuffer(v.value) ? v.value.toString('hex') : v.value])]),
    [
      [
        '1.3.6.1.2.1.68.0.2',
        [
          ['1.3.6.1.2.1.68.1.5.2.9', 'c000020b'],
          ['1.3.6.1.2.1.68.1.6.2.9', 2],
        ],
      ],
    ],
  );
  const proto = dropNotifications(src, 'B', 'checksum', '192.0.2.11');
  assert.equal(proto[0]!.trapOid.join('.'), '1.3.6.1.2.1.207.0.2');
  assert.deepEqual(proto[0]!.varbinds[0]!.oid.join('.'), '1.3.6.1.2.1.207.1.2.5.1.6.2.8.1');
  assert.equal(proto[0]!.varbinds[0]!.value, ProtoError.checksumError);
  assert.deepEqual(dropNotifications(src, 'B', 'auth-failure', '192.0.2.11'), []); // v3: no VRRP-MIB row
  assert.deepEqual(dropNotifications(src, 'A', 'advert-interval', '192.0.2.11'), []);
});

test('SET: base priority and preempt taken (first byte, as keepalived reads it), the rest refused', () => {
  const src = source();
  const row = (col: number, i: number) => [...V.split('.').map(Number), 3, 1, col, i];
  const int = (col: number, i: number, value: number): VarBind => ({ oid: row(col, i), type: VarType.Integer, value });
  const ok = planSet(src, [int(7, 1, 300), int(13, 1, 2)]);
  assert.equal(ok.error, AgentxError.noError);
  assert.deepEqual(
    ok.changes.map((c) => [c.instance, c.change, c.log]),
    [
      ['A', { priority: 44 }, '(A) base priority changed from 150 to 44 via SNMP.'],
      ['A', { nopreempt: true }, '(A) preemption disabled with SNMP'],
    ],
  );
  assert.deepEqual(planSet(src, [int(13, 1, 1), int(7, 2, 256)]), { error: AgentxError.wrongValue, index: 2, changes: [] });
  assert.equal(planSet(src, [int(13, 1, 3)]).error, AgentxError.wrongValue);
  assert.equal(planSet(src, [{ oid: row(7, 1), type: VarType.OctetString, value: Buffer.from('x') }]).error, AgentxError.wrongType);
  assert.equal(planSet(src, [int(2, 1, 1)]).error, AgentxError.notWritable);
  assert.equal(planSet(src, [int(28, 1, 1)]).error, AgentxError.notWritable);
  assert.equal(planSet(src, [int(27, 2, 1)]).error, AgentxError.noAccess); // a v3 instance's accept: refused by its handler
  assert.equal(planSet(src, [int(27, 1, 1)]).error, AgentxError.notWritable);
  assert.equal(planSet(src, [int(7, 3, 1)]).error, AgentxError.notWritable);
});

test('a TestSet PDU decodes with its varbinds', () => {
  const vb = Buffer.concat([
    Buffer.from([0, VarType.Integer, 0, 0]),
    encodeOid([1, 3, 6, 1, 4, 1, 9586, 100, 5, 2, 3, 1, 7, 1]),
    Buffer.from([0, 0, 0, 180]),
  ]);
  const p = decodePdu(encodePdu(PduType.TestSet, { sessionId: 1, transactionId: 2, packetId: 3 }, vb));
  assert.equal(p.type, PduType.TestSet);
  assert.deepEqual(p.varbinds, [{ oid: [1, 3, 6, 1, 4, 1, 9586, 100, 5, 2, 3, 1, 7, 1], type: VarType.Integer, value: 180 }]);
});

/** A master agent that drives one SET transaction (TestSet, CommitSet, CleanupSet) and one refused TestSet. */
test('the subagent answers TestSet and CommitSet, applies on commit only, and does not answer CleanupSet (RFC 2741 §7.2.4)', async () => {
  const vb = (value: number) =>
    Buffer.concat([Buffer.from([0, VarType.Integer, 0, 0]), encodeOid([1, 3, 6, 1, 9, 1, 0]), Buffer.from([0, 0, 0, value])]);
  const master = await startFakeMaster('kts-agentx-set-', (p, { send }) => {
    if (p.type === PduType.Register) {
      send(PduType.TestSet, 80, vb(7), 9);
      send(PduType.CommitSet, 81, undefined, 9);
      send(PduType.CleanupSet, 82, undefined, 9);
      send(PduType.TestSet, 83, vb(0), 9);
      send(PduType.CleanupSet, 84, undefined, 9);
    }
  });
  const replies = master.replies;
  const applied: number[] = [];
  let pending: number | undefined;
  const set: SetHandler = {
    test: (vbs) => {
      const v = Number(vbs[0]!.value);
      pending = v;
      return v === 0 ? { error: AgentxError.wrongValue, index: 1 } : { error: 0, index: 0 };
    },
    commit: () => {
      if (pending !== undefined) applied.push(pending);
      return 0;
    },
    cleanup: () => {
      pending = undefined;
    },
  };
  const agent = new AgentxSubagent({
    address: { kind: 'unix', path: master.path },
    subtrees: [{ oid: [1, 3, 6, 1, 9], descr: 'T' }],
    view: () => [],
    log: new MemoryLogger(),
    description: 'Keepalived',
    upTime: () => 1,
    set,
  });
  try {
    agent.start();
    for (let i = 0; i < 300 && !replies.has(83); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100)); // a CleanupSet answer, were there one, would be in by now
    assert.equal(replies.get(80)?.error, 0);
    assert.equal(replies.get(81)?.error, 0);
    assert.equal(replies.has(82), false);
    assert.deepEqual([replies.get(83)?.error, replies.get(83)?.index], [AgentxError.wrongValue, 1]);
    assert.equal(replies.has(84), false);
    assert.deepEqual(applied, [7]);
  } finally {
    agent.close();
    master.close();
  }
});
