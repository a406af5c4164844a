import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { startFakeMaster } from './fake-master.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { effectiveSnmp } from '../../../src/config/parse-snmp.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { PduType, encodeOid, encodePdu, type VarBind } from '../../../src/snmp/agentx.js';
import { globalRows, vrrpRows } from '../../../src/snmp/keepalived-mib.js';
import { MibBuilder } from '../../../src/snmp/mib.js';
import { rfcv2Rows, rfcv3Rows } from '../../../src/snmp/rfc-mibs.js';
import type { HostFacts, MibSource } from '../../../src/snmp/source.js';
import { instanceNotifications } from '../../../src/snmp/traps.js';
import { agentWanted, subtreesFor } from '../../../src/runtime/snmp/agent.js';
import { AgentxSubagent, parseAgentxAddress } from '../../../src/runtime/snmp/subagent.js';
import { defaultInstanceSnapshot } from '../../../src/runtime/snapshot.js';

function load(text: string) {
  const d = new DiagnosticSink();
  return { config: buildModel(parseConfigTree(text, 'k.conf').tree, d), diags: d.items.map((x) => x.message) };
}

const host: HostFacts = {
  ifindex: (n) => (n === 'eth0' ? 2 : undefined),
  ipv4: () => Buffer.from([192, 0, 2, 10]),
  ipv6: () => Buffer.alloc(16, 1),
  hwaddr: () => Buffer.from([2, 0, 0, 0, 0, 10]),
  realPath: (p) => (p === '/bin/true' ? '/usr/bin/true' : p),
  nodeName: 'node1',
};

test('global_defs SNMP keywords: each sets its switches; -x turns every MIB on; -A wins over snmp_socket', () => {
  const { config, diags } = load(`global_defs {
  enable_snmp_keepalived
  enable_snmp_rfc
  enable_traps
  snmp_socket tcp:192.0.2.1:705
  snmp_socket unix:/x
}`);
  assert.deepEqual(config.globalDefs.snmp, { traps: true, vrrp: true, checker: false, rfcv2: true, rfcv3: true, socket: 'tcp:192.0.2.1:705' });
  assert.ok(diags.includes('SNMP socket already set to tcp:192.0.2.1:705 - ignoring'), diags.join('\n'));
  assert.ok(!diags.some((m) => /not supported yet/.test(m)), diags.join('\n'));
  const none = load('global_defs {\n  router_id r\n}').config.globalDefs;
  assert.equal(none.snmp, undefined);
  assert.deepEqual(effectiveSnmp(none, { snmp: true, snmpAgentSocket: '/s' }), {
    traps: false,
    vrrp: true,
    checker: true,
    rfcv2: true,
    rfcv3: true,
    socket: '/s',
  });
  assert.deepEqual(effectiveSnmp(config.globalDefs, { snmpAgentSocket: '/a' }).socket, '/a');
  assert.ok(load('global_defs {\n  snmp_socket\n}').diags.includes('SNMP error : snmp socket name missing'));
});

test('which child registers what (keepalived: the checker child takes the global scalars when it runs SNMP)', () => {
  const s = { traps: false, vrrp: true, checker: true, rfcv2: true, rfcv3: false };
  const names = (t: { descr: string }[]) => t.map((x) => x.descr);
  assert.deepEqual(names(subtreesFor('vrrp', s, true)), ['KEEPALIVED-VRRP', 'VRRP']);
  assert.deepEqual(names(subtreesFor('vrrp', s, false)), ['Keepalived', 'KEEPALIVED-VRRP', 'VRRP']);
  assert.deepEqual(names(subtreesFor('check', s, true)), ['Keepalived', 'Healthchecker']);
  assert.deepEqual(names(subtreesFor('vrrp', { ...s, checker: false }, true)), ['Keepalived', 'KEEPALIVED-VRRP', 'VRRP']);
  assert.equal(agentWanted('check', { ...s, checker: false }), false);
  assert.equal(agentWanted('vrrp', { ...s, vrrp: false, rfcv2: false }), false);
  assert.equal(agentWanted('vrrp', { ...s, vrrp: false, rfcv2: false, rfcv3: true }), true);
});

test('AgentX socket names as net-snmp reads them', () => {
  assert.deepEqual(parseAgentxAddress(undefined), { kind: 'unix', path: '/var/agentx/master' });
  assert.deepEqual(parseAgentxAddress('unix:/run/agentx'), { kind: 'unix', path: '/run/agentx' });
  assert.deepEqual(parseAgentxAddress('tcp:localhost:705'), { kind: 'tcp', host: 'localhost', port: 705 });
  assert.deepEqual(parseAgentxAddress('udp:[2001:db8::1]:7050'), { kind: 'udp', host: '2001:db8::1', port: 7050 });
  assert.deepEqual(parseAgentxAddress('192.0.2.1:7050'), { kind: 'tcp', host: '192.0.2.1', port: 7050 });
  assert.ok(parseAgentxAddress('tcp:h:99999') instanceof Error);
  assert.ok(parseAgentxAddress('unix:') instanceof Error);
});

const CONF = `global_defs {
  enable_snmp_vrrp
  enable_snmp_rfcv2
  enable_snmp_rfcv3
  enable_traps
}
vrrp_instance A {
  interface eth0
  virtual_router_id 9
  priority 100
  track_interface {
    eth0
    eth1 weight 3
  }
  virtual_ipaddress {
    192.0.2.50/24
  }
  virtual_ipaddress_excluded {
    192.0.2.51/24
  }
  notify_master /bin/true
}
vrrp_instance B {
  interface eth0
  virtual_router_id 8
  priority 90
  virtual_ipaddress {
    192.0.2.60/24
  }
}
`;

function source(): MibSource {
  const { config } = load(CONF);
  const snapshot = {
    instances: [
      defaultInstanceSnapshot({
        name: 'A',
        vrid: 9,
        state: 2,
        vipSet: true,
        srcIp: '192.0.2.10',
        lastTransitionReason: 'master down timer (192.0.2.11 sent priority 0)',
      }),
      defaultInstanceSnapshot({ name: 'B', vrid: 8, state: 1, lastAdvertSource: '192.0.2.11' }),
    ],
    syncGroups: [],
  };
  return { config, snapshot, host, version: 'Keepalived v2.2.7', startedWallMs: 0, upSinceMs: new Map() };
}

const dump = (fill: (m: MibBuilder) => void): Map<string, unknown> => {
  const m = new MibBuilder();
  fill(m);
  return new Map(m.done().map((v: VarBind) => [v.oid.join('.'), Buffer.isBuffer(v.value) ? v.value.toString('hex') : v.value]));
};

test('KEEPALIVED-MIB rows: keepalived 2.2.7 quirks kept (own interface not tracked, isAdvertised for the first instance only)', () => {
  const src = source();
  const g = dump((m) => globalRows(src, m));
  assert.equal(g.get('1.3.6.1.4.1.9586.100.5.1.2.0'), Buffer.from('node1').toString('hex')); // default router_id
  assert.equal(g.get('1.3.6.1.4.1.9586.100.5.1.3.1.0'), 2); // no smtp_server: family unset reads as ipv6(2)
  assert.equal(g.get('1.3.6.1.4.1.9586.100.5.1.4.0'), 1);
  const v = dump((m) => vrrpRows(src, m));
  const V = '1.3.6.1.4.1.9586.100.5.2';
  assert.equal(v.get(`${V}.3.1.4.1`), 2);
  assert.equal(v.get(`${V}.3.1.4.2`), 1);
  assert.equal(v.get(`${V}.3.1.22.1`), Buffer.from("'/usr/bin/true'").toString('hex'));
  assert.equal(v.get(`${V}.4.1.1.1.1`), Buffer.from('eth1').toString('hex'));
  assert.equal(v.get(`${V}.4.1.1.1.2`), undefined);
  assert.equal(v.get(`${V}.3.1.11.1`), 1);
  assert.equal(v.get(`${V}.6.1.11.1.1`), 1); // first instance's VIP
  assert.equal(v.get(`${V}.6.1.11.1.2`), 2); // its eVIP
  assert.equal(v.get(`${V}.6.1.11.2.1`), 2); // the second instance's VIP: keepalived never sets the flag again
  assert.equal(v.get(`${V}.6.1.10.1.1`), 1);
  assert.equal(v.get(`${V}.6.1.10.2.1`), 2);
});

test('VRRP-MIB serves its first row only (keepalived 2.2.7 header precedence bug), VRRPV3-MIB every instance', () => {
  const src = source();
  const r2 = dump((m) => rfcv2Rows(src, m, 1000));
  const R2 = '1.3.6.1.2.1.68';
  assert.equal(r2.get(`${R2}.1.3.1.3.2.8`), 2); // B (ifindex 2, vrid 8) sorts first: backup(2)
  assert.equal(r2.get(`${R2}.1.3.1.7.2.8`), 'c000020b'); // master_saddr: the last advert's source
  assert.equal(r2.get(`${R2}.1.3.1.3.2.9`), undefined);
  assert.equal(r2.get(`${R2}.1.4.1.2.2.9.192.0.2.50`), 1); // the association table has every instance
  const r3 = dump((m) => rfcv3Rows(src, m, 1000));
  const R3 = '1.3.6.1.2.1.207';
  assert.equal(r3.get(`${R3}.1.1.1.1.6.2.9.1`), 3);
  assert.equal(r3.get(`${R3}.1.1.1.1.3.2.9.1`), 'c000020a'); // MASTER: the primary address (fall-through)
  assert.equal(r3.get(`${R3}.1.2.5.1.13.2.8.1`), 1000);
});

test('a transition to MASTER notifies vrrpInstanceStateChange, vrrpTrapNewMaster and vrrpv3NotifyNewMaster', () => {
  const src = source();
  const n = instanceNotifications(src, 'A', 2, 'master down timer (192.0.2.11 sent priority 0)');
  assert.deepEqual(
    n.map((x) => x.trapOid.join('.')),
    ['1.3.6.1.4.1.9586.100.5.2.10.0.2', '1.3.6.1.2.1.68.0.1', '1.3.6.1.2.1.207.0.1'],
  );
  assert.deepEqual(n[2]!.varbinds[1]!.value, 1); // new master reason: priority (a priority 0 advert)
  assert.equal(n[2]!.detail, '(A) Sending SNMP notification vrrpv3NotifyNewMaster, reason 1');
  assert.deepEqual(
    instanceNotifications(src, 'B', 1).map((x) => x.detail),
    ['(B) Sending SNMP notification'],
  );
  const quiet = {
    ...src,
    config: { ...src.config, globalDefs: { ...src.config.globalDefs, snmp: { ...src.config.globalDefs.snmp!, traps: false } } },
  };
  assert.deepEqual(instanceNotifications(quiet, 'A', 2), []);
});

/** A master agent that answers Open and Register, then sends one GetNext and records what comes back. */
test('the subagent opens a session, registers its subtrees, answers a GetNext, sends a Notify and reconnects', async () => {
  const master = await startFakeMaster('kts-agentx-', (p, { sock }) => {
    if (p.type === PduType.Register && master.seen.filter((x) => x.type === PduType.Register).length === 1)
      sock.write(
        encodePdu(PduType.GetNext, { sessionId: 42, transactionId: 5, packetId: 77 }, Buffer.concat([encodeOid([1, 3, 6, 1, 9]), encodeOid([])])),
      );
  });
  const { seen, sockets: socks } = master;
  const log = new MemoryLogger();
  const agent = new AgentxSubagent({
    address: { kind: 'unix', path: master.path },
    subtrees: [{ oid: [1, 3, 6, 1, 9], descr: 'T' }],
    view: () => [{ oid: [1, 3, 6, 1, 9, 1, 0], type: 2, value: 5 }],
    log,
    description: 'Keepalived',
    upTime: () => 1,
    retryMs: 50,
  });
  try {
    assert.equal(agent.notify([1, 3, 6, 1, 9, 0, 1], []), true); // held until registered
    agent.start();
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(pred(), JSON.stringify(seen.map((p) => p.type)));
    };
    await until(() => seen.some((p) => p.type === PduType.Response && p.packetId === 77) && seen.some((p) => p.type === PduType.Notify));
    const types = seen.map((p) => p.type);
    assert.deepEqual(types.slice(0, 3), [PduType.Open, PduType.Register, PduType.AddAgentCaps]);
    const reply = seen.find((p) => p.type === PduType.Response && p.packetId === 77)!;
    assert.deepEqual(reply.varbinds, [{ oid: [1, 3, 6, 1, 9, 1, 0], type: 2, value: 5 }]);
    assert.equal(reply.sessionId, 42);
    assert.ok(agent.connected);
    assert.ok(log.records.some((r) => r.text === 'AgentX subagent connected'));
    // the master drops the session: the subagent reconnects (after retryMs) and opens a new one
    socks[0]!.destroy();
    await until(() => socks.length === 2 && seen.filter((p) => p.type === PduType.Open).length === 2);
    assert.ok(log.records.some((r) => /AgentX master agent failed to respond/.test(r.text)));
  } finally {
    agent.close();
    master.close();
  }
  assert.equal(socks.length, 2);
});
