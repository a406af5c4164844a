/**
 * SNMP SET of KEEPALIVED-MIB realServerWeight (keepalived 2.2.7 check_snmp.c check_snmp_realserver_weight): which
 * objects are writable and how the value is read (planCheckSet), and the checker child's subagent carrying a SET
 * transaction from a master agent to the checker runtime's setRealServerWeight on commit only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { startFakeMaster } from './fake-master.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { AgentxError, encodeOid, PduType, VarType, type Oid, type VarBind } from '../../../src/snmp/agentx.js';
import { CHECK_OID } from '../../../src/snmp/check-mib.js';
import { planCheckSet } from '../../../src/snmp/check-set.js';
import type { HostFacts, MibSource } from '../../../src/snmp/source.js';
import { startSnmpAgent } from '../../../src/runtime/snmp/agent.js';

const host: HostFacts = {
  ifindex: () => undefined,
  ipv4: () => undefined,
  ipv6: () => undefined,
  hwaddr: () => undefined,
  realPath: (p) => p,
  nodeName: 'node1',
};

function load(text: string): KeepalivedConfig {
  return buildModel(parseConfigTree(text, 'k.conf').tree, new DiagnosticSink());
}

const CONF = `global_defs {
  enable_snmp_checker
}
virtual_server 192.0.2.50 80 {
  protocol TCP
  sorry_server 192.0.2.19 80
  real_server 192.0.2.10 80 {
    weight 2
  }
  real_server 192.0.2.11 80 {
    weight 1
  }
}
virtual_server fwmark 5 {
  real_server 192.0.2.12 80 {
    weight 3
  }
}
`;

const config = load(CONF);
const src: MibSource = { config, snapshot: { instances: [], syncGroups: [] }, host, version: 'v', startedWallMs: 0, upSinceMs: new Map() };
/** realServerTable column `col` of row (vs, rs), keepalived's numbering (the sorry server first). */
const rsOid = (col: number, vs: number, rs: number): Oid => [...CHECK_OID, 4, 1, col, vs, rs];
const int = (oid: Oid, value: number): VarBind => ({ oid, type: VarType.Integer, value });

test('realServerWeight of a real server is writable; keepalived takes the first byte of the value', () => {
  assert.deepEqual(planCheckSet(src, int(rsOid(7, 1, 2), 9)), { vs: 0, rs: 0, weight: 9 }, 'row 2 of VS 1 is its first real server');
  assert.deepEqual(planCheckSet(src, int(rsOid(7, 1, 3), 0)), { vs: 0, rs: 1, weight: 0 }, 'weight 0 is accepted');
  assert.deepEqual(planCheckSet(src, int(rsOid(7, 2, 1), 300)), { vs: 1, rs: 0, weight: 44 }, 'no sorry server: row 1 is the first; 300 → 44');
  assert.deepEqual(planCheckSet(src, int(rsOid(7, 2, 1), 0xffffffff)), { vs: 1, rs: 0, weight: 255 }, '-1 → 255');
  assert.deepEqual(planCheckSet(src, int(rsOid(7, 2, 1), 256)), { vs: 1, rs: 0, weight: 0 }, '256 → 0');
});

test('the sorry server, rows that do not exist and the other objects are notWritable; a non-INTEGER is wrongType', () => {
  assert.equal(planCheckSet(src, int(rsOid(7, 1, 1), 5)), AgentxError.notWritable, 'the sorry server has no weight object');
  for (const [vs, rs] of [
    [1, 4],
    [2, 2],
    [3, 1],
    [0, 1],
    [1, 0],
  ] as const)
    assert.equal(planCheckSet(src, int(rsOid(7, vs, rs), 5)), AgentxError.notWritable, `row ${vs}.${rs}`);
  for (const col of [2, 6, 8, 10, 13])
    assert.equal(planCheckSet(src, int(rsOid(col, 1, 2), 1)), AgentxError.notWritable, `realServerTable column ${col}`);
  assert.equal(planCheckSet(src, int([...CHECK_OID, 3, 1, 60, 1], 1)), AgentxError.notWritable, 'virtualServerWeight is read-only');
  assert.equal(planCheckSet(src, int([...rsOid(7, 1, 2), 0], 1)), AgentxError.notWritable, 'an OID below the object');
  assert.equal(planCheckSet(src, int(rsOid(7, 1, 2).slice(0, -1), 1)), AgentxError.notWritable, 'the column without a row');
  assert.equal(planCheckSet(src, { oid: rsOid(7, 1, 2), type: VarType.OctetString, value: Buffer.from('5') }), AgentxError.wrongType);
  assert.equal(planCheckSet(src, { oid: rsOid(7, 1, 2), type: VarType.Gauge32, value: 5 }), AgentxError.wrongType);
  // wrongType comes after the existence check, as net-snmp finds no write method for a missing row first
  assert.equal(planCheckSet(src, { oid: rsOid(7, 1, 1), type: VarType.OctetString, value: Buffer.from('5') }), AgentxError.notWritable);
});

/** An AgentX varbind of `oid` (network byte order): an INTEGER, or an OCTET STRING when `value` is a string. */
function vbBytes(oid: Oid, value: number | string): Buffer {
  if (typeof value === 'number') {
    const v = Buffer.alloc(4);
    v.writeInt32BE(value);
    return Buffer.concat([Buffer.from([0, VarType.Integer, 0, 0]), encodeOid(oid), v]);
  }
  const len = Buffer.alloc(4);
  len.writeUInt32BE(value.length);
  const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([Buffer.from([0, VarType.OctetString, 0, 0]), encodeOid(oid), len, Buffer.from(value), pad]);
}

test('the checker child subagent: a SET of realServerWeight reaches setRealServerWeight on commit only, with keepalived answers', async () => {
  const master = await startFakeMaster('kts-agentx-rsw-', (p, { send }) => {
    // the checker child registers KEEPALIVED-MIB's global and check subtrees: the SETs come after both
    if (p.type === PduType.Register && master.seen.filter((x) => x.type === PduType.Register).length === 2) {
      // two varbinds: the second real server of VS 1 to 300 (44), the fwmark one to 7; then commit
      send(PduType.TestSet, 80, Buffer.concat([vbBytes(rsOid(7, 1, 3), 300), vbBytes(rsOid(7, 2, 1), 7)]));
      send(PduType.CommitSet, 81);
      send(PduType.CleanupSet, 82);
      // refused: the sorry server's row, then a string value; nothing is applied
      send(PduType.TestSet, 83, Buffer.concat([vbBytes(rsOid(7, 2, 1), 1), vbBytes(rsOid(7, 1, 1), 1)]));
      send(PduType.CleanupSet, 84);
      send(PduType.TestSet, 85, vbBytes(rsOid(7, 1, 2), 'x'));
      send(PduType.CleanupSet, 86);
    }
  });
  const replies = master.replies;
  const applied: string[] = [];
  const log = new MemoryLogger();
  const agent = startSnmpAgent({
    role: 'check',
    settings: { socket: `unix:${master.path}`, traps: false, vrrp: false, checker: true, rfcv2: false, rfcv3: false },
    config: () => config,
    snapshot: () => ({ instances: [], syncGroups: [] }),
    log,
    version: 'v',
    logDetail: false,
    wallNow: () => 0,
    host,
    setInstance: () => 'not here',
    setRealServerWeight: (vs, rs, w) => {
      applied.push(`${vs}/${rs}=${w}`);
      return undefined;
    },
  });
  try {
    assert.ok(agent, 'the checker child starts a subagent with enable_snmp_checker');
    for (let i = 0; i < 300 && !replies.has(85); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([replies.get(80)?.error, replies.get(81)?.error], [0, 0]);
    assert.deepEqual([replies.get(83)?.error, replies.get(83)?.index], [AgentxError.notWritable, 2]);
    assert.deepEqual([replies.get(85)?.error, replies.get(85)?.index], [AgentxError.wrongType, 1]);
    assert.deepEqual(applied, ['0/1=44', '1/0=7']);
    assert.deepEqual(
      log.records.filter((r) => r.level === 'warning'),
      [],
    );
  } finally {
    agent?.close();
    master.close();
  }
});
