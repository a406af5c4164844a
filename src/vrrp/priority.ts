/**
 * Effective priority from tracker results (keepalived vrrp_track.c semantics):
 * effective = clamp(base + Σ adjustments, 1, 254); the address owner (255) is never adjusted;
 * a failing weight-0 tracker puts the instance into FAULT.
 */
import type { TrackerConfig } from './instance-params.js';
import type { TrackerResult } from './types.js';

/** Priority of the address owner (RFC 5798 6.1). */
export const PRIO_OWNER = 255;

/** What the trackers say about an instance right now. */
export interface PriorityView {
  /** The effective priority (1..254, or 255 for the owner). */
  readonly effective: number;
  /** The first tracker that forces FAULT, if any. */
  readonly faultBy?: TrackerConfig;
  /** Value of a failing track_file (for the fault log line). */
  readonly faultValue?: number;
}

/** Key of a tracker in a results map. */
export function trackerKey(t: { readonly kind: string; readonly name: string }): string {
  return `${t.kind}:${t.name}`;
}

/** One tracker's priority contribution, or 'fault'. Unknown results count as OK (trackers start up). */
export function trackerAdjustment(t: TrackerConfig, r: TrackerResult | undefined): number | 'fault' {
  if (t.kind === 'file') {
    const value = r?.value ?? 0;
    if (t.weight === 0) return value !== 0 ? 'fault' : 0;
    const adj = value * t.weight * (t.reverse ? -1 : 1);
    return adj < -253 ? 'fault' : adj;
  }
  const ok = r === undefined ? true : r.ok !== t.reverse;
  if (t.weight === 0) return ok ? 0 : 'fault';
  if (t.weight > 0) return ok ? t.weight : 0;
  return ok ? 0 : t.weight;
}

/** Computes the effective priority and any fault cause for `base` and the trackers' current results. */
export function effectivePriority(base: number, trackers: readonly TrackerConfig[], results: ReadonlyMap<string, TrackerResult>): PriorityView {
  let sum = 0;
  for (const t of trackers) {
    const r = results.get(trackerKey(t));
    const adj = trackerAdjustment(t, r);
    if (adj === 'fault') return { effective: clampPriority(base, sum), faultBy: t, faultValue: r?.value };
    sum += adj;
  }
  return { effective: clampPriority(base, sum) };
}

function clampPriority(base: number, sum: number): number {
  if (base === PRIO_OWNER) return PRIO_OWNER;
  return Math.min(254, Math.max(1, base + sum));
}

/** keepalived's log text for entering FAULT because of `t` (§4.2 "fault causes"). */
export function faultCauseText(instance: string, t: TrackerConfig, value: number | undefined): string {
  switch (t.kind) {
    case 'script':
      return `(${instance}): entering FAULT state due to script ${t.name}`;
    case 'interface':
      return `(${instance}): entering FAULT state (interface ${t.name} down)`;
    case 'file':
      return `(${instance}): entering FAULT state (tracked file ${t.name} has status ${value ?? 0})`;
    case 'process':
      return `(${instance}) entering FAULT state (tracked process ${t.name} quorum not achieved)`;
    case 'bfd':
      return `(${instance}): entering FAULT state (BFD ${t.name} down)`;
    case 'address':
      return `(${instance}): entering FAULT state (source address ${t.name} removed)`;
  }
}
