/**
 * What the status views need that the state machines do not keep: the master's address, why the last transition
 * happened (the state machine's reason text), an operator's temporary priority offset; and the advert jitter event.
 * Transitions, priorities, adverts, drops and GARP bursts are published by the runtime (publish.ts).
 */
import { eventChannel, publish } from '../../core/events.js';
import type { VrrpInstanceParams } from '../../vrrp/instance-params.js';
import type { InstanceSnapshot } from '../snapshot.js';
import type { Running } from './instance.js';

/** Name of the synthetic tracker that carries an operator's priority offset (a `track_file` of weight 1). */
export const OFFSET_TRACKER = '\u0000admin-priority-offset';

/** What the hook remembers per running instance. */
interface Marks {
  /** Last accepted advert: its source and priority. */
  advertSource?: string;
  advertPriority?: number;
  /** Why the last transition happened, in words. */
  reason?: string;
  /** Operator's temporary priority offset (0 = none). */
  offset: number;
}

const marks = new WeakMap<Running, Marks>();

function marksOf(run: Running): Marks {
  let m = marks.get(run);
  if (!m) {
    m = { offset: 0 };
    marks.set(run, m);
  }
  return m;
}

/** An accepted advert: remembered for the status view (the master's address and priority). */
export function noteAdvert(run: Running, source: string, priority: number): void {
  const m = marksOf(run);
  m.advertSource = source;
  m.advertPriority = priority;
}

/** A transition: its reason (derived by the state machine) is kept for the status view. */
export function noteTransition(run: Running, reason: string): void {
  marksOf(run).reason = reason;
}

/** The jitter channel, looked up once (a master publishes per advert; diagnostics_channel's lookup is a WeakRef per call). */
const JITTER = eventChannel('keepalived-ts:vrrp:jitter');

/** How late (ms) an advert went out on the timer; `wallMs` (the wall clock) is read only when someone listens. */
export function observeJitter(lateMs: number, wallMs: () => number): void {
  if (JITTER.hasSubscribers) publish('keepalived-ts:vrrp:jitter', { lateMs, at: wallMs() });
}

/** FSM parameters with the operator's offset as a weight-1 `track_file` (kept across reloads). */
export function withOffset(run: Running, params: VrrpInstanceParams): VrrpInstanceParams {
  if (!marksOf(run).offset) return params;
  return { ...params, trackers: [...params.trackers, { kind: 'file', name: OFFSET_TRACKER, weight: 1, reverse: false }] };
}

/** Records an offset; the caller feeds the update and the tracker result. */
export function setOffset(run: Running, offset: number): void {
  marksOf(run).offset = offset;
}

/** The snapshot fields the hook adds: master address and priority, last reason, offset. */
export function observedFields(
  run: Running,
): Pick<InstanceSnapshot, 'masterAddress' | 'masterPriority' | 'lastTransitionReason' | 'priorityOffset' | 'lastAdvertSource'> {
  const m = marksOf(run);
  const master = run.fsm.state === 2;
  const masterAddress = master ? run.source : m.advertSource;
  return {
    masterPriority: master ? run.fsm.priority : (m.advertPriority ?? 0),
    ...(masterAddress !== undefined && run.fsm.state !== 3 ? { masterAddress } : {}),
    ...(m.reason !== undefined ? { lastTransitionReason: m.reason } : {}),
    ...(m.offset ? { priorityOffset: m.offset } : {}),
    ...(m.advertSource !== undefined ? { lastAdvertSource: m.advertSource } : {}),
  };
}
