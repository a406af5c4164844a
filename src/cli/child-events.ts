/**
 * Observer events that cross processes: the `bgp` and `bfd` children's channels (`keepalived-ts:bgp:*`,
 * `keepalived-ts:bfd:*`) are sent to the
 * supervisor, which passes them on to the VRRP child — the process that serves the HTTP endpoint — where they are
 * published again on the same channels, so the metrics and the event stream there see them as local events.
 */
import { publish, subscribe, type EventMap, type EventName } from '../core/events.js';
import type { ChildRole } from '../daemon/child-role.js';
import type { EventMessage } from '../daemon/supervisor.js';

/** The channels each role forwards. */
const FORWARDED: Readonly<Partial<Record<ChildRole, readonly EventName[]>>> = {
  bgp: ['keepalived-ts:bgp:route', 'keepalived-ts:bgp:state'],
  bfd: ['keepalived-ts:bfd:state', 'keepalived-ts:bfd:sessions'],
};

/** Sends `role`'s forwarded channels to the supervisor; returns the function that stops it. */
export function forwardEvents(role: ChildRole, tell: (m: EventMessage) => void): () => void {
  const offs = (FORWARDED[role] ?? []).map((name) => subscribe(name, (payload) => tell({ kind: 'event', name, payload })));
  return () => {
    for (const off of offs) off();
  };
}

/** Publishes an event another child sent (through the supervisor) on its channel here; unknown names are ignored. */
export function republish(m: EventMessage): void {
  const known = Object.values(FORWARDED).some((names) => names.includes(m.name));
  if (known) publish(m.name, m.payload as EventMap[typeof m.name]);
}
