/**
 * MINIMAL OBSERVER HOOK (issue 13, observe branch): the VRRP runtime's publishing on the observer channels of
 * src/core/events.ts, plus the few facts the status views need that the FSM does not keep (the master's address,
 * why the last transition happened, an operator's temporary priority offset). The runtime calls these from a
 * handful of one-line hooks; observers never see runtime objects. The router refactor may fold this into the
 * runtime proper — the channel payloads are the contract, not this file.
 */
import { publish } from '../../core/events.js';
import type { VrrpAction, TransitionCause } from '../../vrrp/actions.js';
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
  /** The latest fault-ish condition (`link eth0 down`, `tracked script chk failed (weight -20)`). */
  hint?: string;
  /** Why the last transition happened, in words. */
  reason?: string;
  /** Operator's temporary priority offset (0 = none). */
  offset: number;
}

const marks = new WeakMap<Running, Marks>();

function marksOf(run: Running): Marks {
  let m = marks.get(run);
  if (!m) { m = { offset: 0 }; marks.set(run, m); }
  return m;
}

const STATE_NAMES: Record<number, string> = { 0: 'INIT', 1: 'BACKUP', 2: 'MASTER', 3: 'FAULT', 4: 'GOTO_MASTER', 97: 'STOP', 98: 'DELETED' };

/** A state value as keepalived names it. */
function stateText(s: number): string {
  return STATE_NAMES[s] ?? String(s);
}

/** The operator's words for a transition cause, with what the runtime saw around it. */
export function reasonText(cause: TransitionCause, m: Marks, to: number, group?: string, ourPriority = 0): string {
  switch (cause) {
    case 'init': return to === 3 ? `startup (${m.hint ?? 'fault'})` : 'startup';
    case 'owner': return 'address owner (priority 255)';
    case 'master-down':
      if (m.advertPriority === 0 && m.advertSource) return `master down timer (${m.advertSource} sent priority 0)`;
      if (m.advertSource && m.advertPriority !== undefined && m.advertPriority < ourPriority) return `master down timer (preempting ${m.advertSource} prio ${m.advertPriority})`;
      return 'master down timer';
    case 'higher-priority':
      return m.advertSource ? `preempted by ${m.advertSource} prio ${m.advertPriority ?? '?'}` : 'higher priority advert';
    case 'fault': return m.hint ?? 'fault';
    case 'fault-recovered': return m.hint ? `fault cleared (${m.hint})` : 'fault cleared';
    case 'sync-group': return group ? `sync group ${group}` : 'sync group';
    case 'shutdown': return 'shutdown';
  }
}

/** An accepted advert: remembered (master address) and published. */
export function noteAdvert(run: Running, source: string, priority: number, wallMs: number): void {
  const m = marksOf(run);
  m.advertSource = source;
  m.advertPriority = priority;
  publish('keepalived-ts:vrrp:advert', { instance: run.cfg.name, source, priority, localState: stateText(run.fsm.state), at: wallMs });
}

/** A link or tracker change that may explain the next transition. */
export function noteHint(run: Running, text: string): void {
  marksOf(run).hint = text;
}

/** The words for a tracker result as the status view shows them. */
export function trackerHint(params: VrrpInstanceParams | undefined, kind: string, name: string, ok: boolean): string {
  const t = params?.trackers.find((x) => x.kind === kind && x.name === name);
  const what = kind === 'interface' ? `link ${name} ${ok ? 'up' : 'down'}` : `tracked ${kind} ${name} ${ok ? 'recovered' : 'failed'}`;
  return t && kind !== 'interface' ? `${what} (weight ${t.weight})` : what;
}

/** Publishes what an action tells observers (transitions, priority changes, GARP bursts). */
export function observeAction(run: Running, a: VrrpAction, wallMs: number, group?: string): void {
  if (a.kind === 'stateChanged') {
    const t = a.transition;
    const m = marksOf(run);
    m.reason = reasonText(t.cause, m, t.to, group, t.priority);
    publish('keepalived-ts:vrrp:transition', {
      instance: run.cfg.name, vrid: run.cfg.virtualRouterId, family: run.cfg.family, interface: run.ifname,
      from: stateText(t.from), to: stateText(t.to), reason: m.reason, priority: t.priority, at: wallMs,
    });
  } else if (a.kind === 'priorityChanged') {
    publish('keepalived-ts:vrrp:priority', { instance: run.cfg.name, from: a.from, to: a.to, at: wallMs });
  } else if (a.kind === 'sendGarp') {
    publish('keepalived-ts:vrrp:garp', { instance: run.cfg.name, addresses: a.addresses, count: a.count, at: wallMs });
  }
}

/** How late (ms) an advert went out on the timer. */
export function observeJitter(lateMs: number, wallMs: number): void {
  publish('keepalived-ts:vrrp:jitter', { lateMs, at: wallMs });
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
export function observedFields(run: Running): Pick<InstanceSnapshot, 'masterAddress' | 'masterPriority' | 'lastTransitionReason' | 'priorityOffset'> {
  const m = marksOf(run);
  const master = run.fsm.state === 2;
  const masterAddress = master ? run.source : m.advertSource;
  return {
    masterPriority: master ? run.fsm.priority : m.advertPriority ?? 0,
    ...(masterAddress !== undefined && run.fsm.state !== 3 ? { masterAddress } : {}),
    ...(m.reason !== undefined ? { lastTransitionReason: m.reason } : {}),
    ...(m.offset ? { priorityOffset: m.offset } : {}),
  };
}
