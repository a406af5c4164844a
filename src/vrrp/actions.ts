/**
 * What the pure VRRP state machine asks its driver to do, and the one typed transition event it emits.
 * Every action names the instance it belongs to so that a sync group can return one flat list.
 */
import type { LogRecord } from '../core/log.js';
import type { VrrpStateValue } from './types.js';

/** Why a GARP/NA burst is sent (keepalived schedules each kind differently). */
export type GarpReason =
  'master' | 'master-delayed' | 'lower-prio' | 'lower-prio-delayed' | 'refresh' | 'split-brain' | 'fault-recovery' | 'reload' | 'extra-if';

/** Why a state transition happened. */
export type TransitionCause =
  'init' | 'master-down' | 'higher-priority' | 'fault' | 'fault-recovered' | 'sync-group' | 'shutdown' | 'owner' | 'reload';

/** One state transition, emitted exactly once by changeState() (for logs, notify, metrics). */
export interface Transition {
  readonly instance: string;
  readonly from: VrrpStateValue;
  readonly to: VrrpStateValue;
  readonly at: number;
  readonly cause: TransitionCause;
  /** Why, in words an operator reads: `master down timer`, `preempted by 192.0.2.2 prio 150`, `link eth0 down`, … */
  readonly reason: string;
  /** Effective priority at the time of the transition (what `notify` reports). */
  readonly priority: number;
  /** Running totals, as keepalived's become_master / release_master statistics. */
  readonly becomeMaster: number;
  readonly releaseMaster: number;
}

/** Everything the VRRP core can ask for. */
export type VrrpAction =
  | {
      readonly kind: 'sendAdvert';
      readonly instance: string;
      readonly priority: number;
      readonly advertIntervalMs: number;
      /** Unicast peers, or empty for the multicast group. */
      readonly unicastPeers: readonly string[];
    }
  | {
      readonly kind: 'addVips' | 'removeVips';
      readonly instance: string;
      readonly vips: readonly string[];
      readonly excludedVips: readonly string[];
      readonly routes: readonly unknown[];
      readonly rules: readonly unknown[];
    }
  | {
      readonly kind: 'sendGarp';
      readonly instance: string;
      readonly addresses: readonly string[];
      /** GARPs/NAs per address in this burst. */
      readonly count: number;
      readonly reason: GarpReason;
    }
  | { readonly kind: 'notify'; readonly instance: string; readonly state: VrrpStateValue; readonly priority: number }
  | { readonly kind: 'groupNotify'; readonly group: string; readonly state: VrrpStateValue }
  | { readonly kind: 'notifyMasterRxLowerPri'; readonly instance: string }
  | { readonly kind: 'priorityChanged'; readonly instance: string; readonly from: number; readonly to: number }
  | { readonly kind: 'log'; readonly instance: string; readonly record: LogRecord }
  | { readonly kind: 'stateChanged'; readonly transition: Transition };
