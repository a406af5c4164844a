/**
 * The test phase of an SNMP SET (net-snmp's RESERVE1/RESERVE2, AgentX TestSet) shared by the writable tables:
 * every varbind is checked by its table's planner, the first refusal wins, and what would change is kept for the
 * commit. Pure.
 */
import { AgentxError, type VarBind } from './agentx.js';

/** A TestSet's answer: the error and 1-based varbind index (0 when none), and what a CommitSet then applies. */
export interface SetPlan<T> {
  readonly error: number;
  readonly index: number;
  readonly changes: readonly T[];
}

/** Checks each varbind with `one` (a change, or an AgentX error number); the first error is the answer. */
export function planEach<T>(varbinds: readonly VarBind[], one: (vb: VarBind) => T | number): SetPlan<T> {
  const changes: T[] = [];
  for (const [i, vb] of varbinds.entries()) {
    const r = one(vb);
    if (typeof r === 'number') return { error: r, index: i + 1, changes: [] };
    changes.push(r);
  }
  return { error: AgentxError.noError, index: 0, changes };
}

/**
 * keepalived's write handlers read `*var_val`: the first byte of the value as net-snmp stores a long, the low byte
 * on this little-endian host (300 → 44, -1 → 255).
 */
export function firstByte(v: number): number {
  return v & 0xff;
}
