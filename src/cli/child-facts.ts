/**
 * The facts a child passes on through the supervisor: for the `bgp` child the VRRP child's instance states and the
 * checker child's virtual-server quorum; for the VRRP and checker children the BFD child's session states — each time as the whole current picture, after every change
 * (`keepalived-ts:vrrp:transition`, `keepalived-ts:check:quorum`), at startup and after a reload. A change is sent
 * from a setImmediate, after the handler that made it: the VRRP child's advert path never waits on the IPC send.
 */
import { subscribe } from '../core/events.js';
import type { ChildRole } from '../daemon/child-role.js';
import { stateName } from '../daemon/dump.js';
import type { FactsMessage } from '../daemon/supervisor.js';
import type { RuntimeSnapshot } from '../runtime/snapshot.js';

/** A role's facts out of its runtime's snapshot. */
export function factsOf(role: ChildRole, snap: RuntimeSnapshot): FactsMessage | undefined {
  if (role === 'vrrp') return { kind: 'facts', instances: snap.instances.map((i) => [i.name, stateName(i.state)] as const) };
  if (role === 'check') return { kind: 'facts', quorum: (snap.virtualServers ?? []).map((v) => [v.name, v.quorumUp] as const) };
  if (role === 'bfd') return { kind: 'facts', bfd: (snap.bfd ?? []).map((s) => [s.name, s.clientUp] as const) };
  return undefined;
}

/**
 * Sends `role`'s facts on every change; returns `send` (call it at startup and after a reload). Roles other than
 * vrrp, check and bfd send nothing.
 */
export function forwardFacts(role: ChildRole, snapshot: () => RuntimeSnapshot, tell: (m: FactsMessage) => void): () => void {
  let scheduled = false;
  const send = (): void => {
    scheduled = false;
    const f = factsOf(role, snapshot());
    if (f) tell(f);
  };
  const later = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(send);
  };
  if (role === 'vrrp') subscribe('keepalived-ts:vrrp:transition', later);
  if (role === 'check') subscribe('keepalived-ts:check:quorum', later);
  if (role === 'bfd') subscribe('keepalived-ts:bfd:state', later);
  return later;
}
