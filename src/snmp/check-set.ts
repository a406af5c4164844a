/**
 * SNMP SET on KEEPALIVED-MIB's realServerTable, as keepalived 2.2.7's check_snmp.c allows it: realServerWeight
 * (column 7) of a real server's row is writable (check_snmp_realserver_weight). The sorry server's row has no
 * weight object, so it is notWritable like a row that does not exist and every other object (net-snmp finds no
 * write method for them). The value must be an INTEGER (wrongType otherwise) and keepalived takes its first byte
 * (`(unsigned)(*var_val)`): every value is accepted, 300 sets 44, -1 sets 255, 0 sets 0. Pure.
 */
import { AgentxError, VarType, type VarBind } from './agentx.js';
import { inSubtree } from './mib.js';
import { CHECK_OID } from './check-mib.js';
import type { MibSource } from './source.js';
import { firstByte } from './set-plan.js';

/** realServerEntry. */
const RS_ENTRY = [...CHECK_OID, 4, 1];
const WEIGHT = 7;

/** A weight a SET commits: the real server by 0-based indexes into the configuration (sorry server not counted). */
export interface PlannedWeight {
  readonly vs: number;
  readonly rs: number;
  readonly weight: number;
}

/** One varbind of a SET on the check subtree: the weight it sets, or the AgentX error that refuses it. */
export function planCheckSet(src: MibSource, vb: VarBind): PlannedWeight | number {
  if (!inSubtree(vb.oid, RS_ENTRY) || vb.oid.length !== RS_ENTRY.length + 3) return AgentxError.notWritable;
  const [col, ivs, irs] = vb.oid.slice(RS_ENTRY.length) as [number, number, number];
  const vs = src.config.virtualServers[ivs - 1];
  if (col !== WEIGHT || !vs) return AgentxError.notWritable;
  const rs = irs - 1 - (vs.sorryServer ? 1 : 0);
  if (rs < 0 || rs >= vs.realServers.length) return AgentxError.notWritable;
  if (vb.type !== VarType.Integer) return AgentxError.wrongType;
  return { vs: ivs - 1, rs, weight: firstByte(Number(vb.value)) };
}
