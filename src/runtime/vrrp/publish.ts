/**
 * What the VRRP runtime tells observers: router actions turned into events on the channels of src/core/events.ts
 * (transitions with their reason, priority changes, accepted adverts, drops, GARP bursts). When nobody listens,
 * isPublished() is one `hasSubscribers` test per action and nothing is built (issue 17: no garbage per advert).
 */
import type { Channel } from 'node:diagnostics_channel';
import { eventChannel, publish } from '../../core/events.js';
import { STATE_NAMES } from '../../vrrp/fsm.js';
import type { RouterAction } from '../../vrrp/router-types.js';

/** Where an instance runs, for the transition event. */
export interface PublishedInstance {
  readonly vrid: number;
  readonly family: 4 | 6;
  /** The configured interface (the VMAC's parent with use_vmac). */
  readonly ifname: string;
}

/**
 * The channel each published kind of action goes to, looked up once: diagnostics_channel's own lookup by name goes
 * through a WeakRef per call, and this runs for every action (issue 17). Holding the channels here keeps them alive,
 * so they are the very objects subscribers get for these names.
 */
const CHANNEL_OF: Partial<Record<RouterAction['kind'], Channel>> = {
  stateChanged: eventChannel('keepalived-ts:vrrp:transition'),
  priorityChanged: eventChannel('keepalived-ts:vrrp:priority'),
  advertReceived: eventChannel('keepalived-ts:vrrp:advert'),
  dropped: eventChannel('keepalived-ts:vrrp:drop'),
};

/** Whether anyone listens for `a` (call before building publishAction's arguments). */
export function isPublished(a: RouterAction): boolean {
  return CHANNEL_OF[a.kind]?.hasSubscribers === true;
}

/** Publishes `a` if observers care about it; `at` is wall-clock ms. GARP bursts are published by the sender. */
export function publishAction(a: RouterAction, where: PublishedInstance, at: number): void {
  switch (a.kind) {
    case 'stateChanged': {
      const t = a.transition;
      publish('keepalived-ts:vrrp:transition', {
        instance: t.instance,
        vrid: where.vrid,
        family: where.family,
        interface: where.ifname,
        from: STATE_NAMES[t.from],
        to: STATE_NAMES[t.to],
        reason: t.reason,
        priority: t.priority,
        at,
      });
      break;
    }
    case 'priorityChanged':
      publish('keepalived-ts:vrrp:priority', { instance: a.instance, from: a.from, to: a.to, at });
      break;
    case 'advertReceived':
      publish('keepalived-ts:vrrp:advert', {
        instance: a.instance,
        source: a.source,
        priority: a.priority,
        localState: STATE_NAMES[a.localState],
        at,
      });
      break;
    case 'dropped':
      publish('keepalived-ts:vrrp:drop', { instance: a.instance, reason: a.reason, source: a.source, at });
      break;
    default:
      break;
  }
}
