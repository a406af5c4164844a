/**
 * The state machine's view of one vrrp_instance: readonly, fully resolved parameters.
 * The daemon maps the parsed config model onto this type (post-parse fix-ups already applied);
 * the FSM never reads the config model itself. Times are milliseconds.
 */
import type { Family, TrackerKind, VrrpVersion } from './types.js';

/** One tracker an instance follows, with its weight (0 = FAULT semantics) and `reverse` flag. */
export interface TrackerConfig {
  readonly kind: TrackerKind;
  readonly name: string;
  /** -254..254; 0 means a failure puts the instance into FAULT. */
  readonly weight: number;
  readonly reverse: boolean;
}

/** Gratuitous ARP / unsolicited NA scheduling (keepalived garp_* keywords), in ms and counts. */
export interface GarpParams {
  /** garp_master_delay: second burst after becoming MASTER (0 = none). keepalived default 5 s. */
  readonly masterDelayMs: number;
  /** garp_master_repeat: GARPs per VIP per burst. Default 5. */
  readonly masterRepeat: number;
  /** garp_master_refresh: periodic refresh while MASTER (0 = none). */
  readonly masterRefreshMs: number;
  /** garp_master_refresh_repeat: GARPs per VIP per refresh. Default 1. */
  readonly masterRefreshRepeat: number;
  /** garp_lower_prio_delay: second burst after a lower-priority advert (0 = none). */
  readonly lowerPrioDelayMs: number;
  /** garp_lower_prio_repeat: GARPs per VIP when a lower-priority advert is received (0 = none). */
  readonly lowerPrioRepeat: number;
  /**
   * garp_extra_if: while MASTER, one GARP/NA round for the extra interfaces at the first advert more than this
   * after becoming MASTER or after the last round (0 or absent = none). The driver picks the interfaces.
   */
  readonly extraIfIntervalMs?: number;
}

/** Initial state as configured (`state MASTER|BACKUP`). */
export type InitialState = 'MASTER' | 'BACKUP';

/** Everything the pure VRRP state machine needs to know about one instance. */
export interface VrrpInstanceParams {
  /** Instance name, e.g. "VI_1"; log lines are prefixed "(VI_1)". */
  readonly name: string;
  readonly vrid: number;
  readonly family: Family;
  readonly version: VrrpVersion;
  /** Configured (base) priority, 1..255; 255 = address owner. */
  readonly priority: number;
  /** advert_int in ms (v2 whole seconds, v3 multiples of 10 ms). */
  readonly advertIntervalMs: number;
  readonly initialState: InitialState;
  /** nopreempt: never take over from a live lower-priority master. */
  readonly nopreempt: boolean;
  /** preempt_delay in ms (0 = none). */
  readonly preemptDelayMs: number;
  /** Our address used in adverts and for equal-priority tie-breaks (unicast_src_ip or interface primary). */
  readonly primaryAddress: string;
  readonly vips: readonly string[];
  readonly excludedVips: readonly string[];
  /** virtual_routes entries, opaque to the FSM (passed through in add/remove actions). */
  readonly routes: readonly unknown[];
  /** virtual_rules entries, opaque to the FSM. */
  readonly rules: readonly unknown[];
  readonly garp: GarpParams;
  readonly strict: boolean;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  /** down_timer_adverts, 1..100 (default 3). */
  readonly downTimerAdverts: number;
  readonly trackers: readonly TrackerConfig[];
  /** dont_track_primary: own interface faults are ignored. */
  readonly dontTrackPrimary: boolean;
  /** unicast_peer addresses; empty = multicast. Only affects send targets. */
  readonly unicastPeers: readonly string[];
  /** Name of the vrrp_sync_group this instance belongs to, if any. */
  readonly syncGroup?: string;
  /**
   * A configuration fault that holds the instance in FAULT until the configuration changes (keepalived's
   * num_config_faults), in an operator's words: `unicast_fault_no_peer` with no unicast peer.
   */
  readonly configFault?: string;
  /**
   * Improvement over keepalived: when a MASTER sees a competing MASTER (a lower-priority advert from a
   * source it has not heard since it became MASTER — the healing of a partition), it re-announces all VIPs
   * with a full master GARP burst (+ delayed burst), even if garp_lower_prio_repeat is 0. Default true.
   */
  readonly garpOnSplitBrainHeal: boolean;
  /**
   * Improvement over keepalived: a MASTER that yields to a higher-priority advert first sends one advert with its own
   * priority, as keepalived's `higher_prio_send_advert` does. The winner then hears that there was a second master
   * and re-announces its VIPs (garpOnSplitBrainHeal, or garp_lower_prio_repeat) right after the loser stepped down,
   * whichever advert crossed first when a partition healed. Default true.
   */
  readonly yieldAdvert: boolean;
}

/** keepalived's defaults for the garp_* keywords. */
export const DEFAULT_GARP: GarpParams = {
  masterDelayMs: 5000,
  masterRepeat: 5,
  masterRefreshMs: 0,
  masterRefreshRepeat: 1,
  lowerPrioDelayMs: 5000,
  lowerPrioRepeat: 5,
};

/** The minimum an instance needs; everything else has keepalived's default. */
export type VrrpInstanceParamsInput = Partial<VrrpInstanceParams> & Pick<VrrpInstanceParams, 'name' | 'vrid' | 'primaryAddress'>;

/**
 * Fills keepalived's defaults (priority 100, or 255 with `state MASTER`; state MASTER iff priority 255;
 * advert_int 1 s; preempt; down_timer_adverts 3) and applies the strict-mode fix-ups of §1.10.
 */
export function instanceParams(input: VrrpInstanceParamsInput): VrrpInstanceParams {
  const priority = input.priority ?? (input.initialState === 'MASTER' ? 255 : 100);
  const strict = input.strict ?? false;
  const initialState = input.initialState ?? (priority === 255 ? 'MASTER' : 'BACKUP');
  const garp = { ...DEFAULT_GARP, ...input.garp };
  return {
    family: 4,
    version: 2,
    advertIntervalMs: 1000,
    vips: [],
    excludedVips: [],
    routes: [],
    rules: [],
    trackers: [],
    unicastPeers: [],
    dontTrackPrimary: false,
    garpOnSplitBrainHeal: true,
    yieldAdvert: true,
    ...input,
    priority,
    initialState,
    strict,
    nopreempt: (input.nopreempt ?? false) && initialState !== 'MASTER' && priority !== 255,
    preemptDelayMs: strict || input.nopreempt || initialState === 'MASTER' ? 0 : (input.preemptDelayMs ?? 0),
    downTimerAdverts: strict ? 3 : (input.downTimerAdverts ?? 3),
    lowerPrioNoAdvert: strict ? true : (input.lowerPrioNoAdvert ?? false),
    higherPrioSendAdvert: strict ? false : (input.higherPrioSendAdvert ?? false),
    garp: strict ? { ...garp, lowerPrioDelayMs: 0, lowerPrioRepeat: 0 } : garp,
  };
}
