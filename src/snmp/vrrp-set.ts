/**
 * SNMP SET on KEEPALIVED-MIB's vrrpInstanceTable, as keepalived 2.2.7's vrrp_snmp.c write handlers allow it:
 * vrrpInstanceBasePriority (column 7) and vrrpInstancePreempt (13) are writable; vrrpInstanceAccept (27) of a
 * VRRPv3 instance has a handler that refuses with noAccess (Debian builds without ALLOW_SNMP_SET_ACCEPT); every
 * other object is notWritable. keepalived reads the value's first byte (`*var_val`, the low byte of the long on
 * this little-endian host), so a priority of 300 sets 44 and 256 is refused as 0; so do we. Pure.
 */
import type { InstanceChange } from '../runtime/port.js';
import { AgentxError, VarType, type VarBind } from './agentx.js';
import { inSubtree } from './mib.js';
import { VRRP_OID } from './keepalived-mib.js';
import type { MibSource } from './source.js';
import { firstByte, planEach, type SetPlan } from './set-plan.js';

/** vrrpInstanceEntry. */
const INSTANCE_ENTRY = [...VRRP_OID, 3, 1];
const BASE_PRIORITY = 7;
const PREEMPT = 13;
const ACCEPT = 27;

/** One change a SET commits, with keepalived's log line for it. */
export interface PlannedChange {
  readonly instance: string;
  readonly change: InstanceChange;
  readonly log: string;
}

/** One varbind of a SET on the vrrp subtree: the change it makes, or the AgentX error that refuses it. */
export function planVrrpSet(src: MibSource, vb: VarBind): PlannedChange | number {
  if (!inSubtree(vb.oid, INSTANCE_ENTRY) || vb.oid.length !== INSTANCE_ENTRY.length + 2) return AgentxError.notWritable;
  const col = vb.oid[INSTANCE_ENTRY.length]!;
  const ic = src.config.vrrpInstances[vb.oid[INSTANCE_ENTRY.length + 1]! - 1];
  if (!ic) return AgentxError.notWritable;
  if (col === ACCEPT && ic.version === 3) return AgentxError.noAccess;
  if (col !== BASE_PRIORITY && col !== PREEMPT) return AgentxError.notWritable;
  if (vb.type !== VarType.Integer) return AgentxError.wrongType;
  const v = firstByte(Number(vb.value));
  const snap = src.snapshot.instances.find((s) => s.name === ic.name);
  if (col === BASE_PRIORITY) {
    if (v === 0) return AgentxError.wrongValue;
    const from = snap?.basePriority ?? ic.priority;
    return { instance: ic.name, change: { priority: v }, log: `(${ic.name}) base priority changed from ${from} to ${v} via SNMP.` };
  }
  if (v !== 1 && v !== 2) return AgentxError.wrongValue;
  return {
    instance: ic.name,
    change: { nopreempt: v === 2 },
    log: v === 1 ? `(${ic.name}) preemption enabled with SNMP` : `(${ic.name}) preemption disabled with SNMP`,
  };
}

/** Checks every varbind of a TestSet (keepalived's RESERVE1/RESERVE2); the first refusal wins. */
export function planSet(src: MibSource, varbinds: readonly VarBind[]): SetPlan<PlannedChange> {
  return planEach(varbinds, (vb) => planVrrpSet(src, vb));
}
