/**
 * The pure VRRP state machine for one instance (RFC 3768 / RFC 5798 as keepalived 2.2.7 implements them).
 * Sans-IO: typed events and `now` (monotonic ms) in, VrrpAction[] out; timers are a deadline table the
 * driver polls with pollTimeout(). Every transition goes through changeState(), which emits one Transition.
 */
import type { LogRecord } from '../core/log.js';
import type { GarpReason, Transition, TransitionCause, VrrpAction } from './actions.js';
import type { TrackerConfig, VrrpInstanceParams } from './instance-params.js';
import { compareAddresses } from '../core/inet/address.js';
import { effectivePriority, faultCauseText, PRIO_OWNER, trackerKey } from './priority.js';
import { masterDownInterval, skewTime, TimerTable, type VrrpTimer } from './timers.js';
import type { VrrpStats } from './stats.js';
import { VrrpState, type TrackerResult, type VrrpAdvert, type VrrpStateValue } from './types.js';

/** Inputs to the state machine (time is passed separately). */
export type VrrpEvent =
  | { readonly type: 'startup' }
  /**
   * An advert that already passed the codec's and the instance's packet checks. `arrivedAt` (monotonic ms, ≤ now):
   * when the kernel received it, if known; a BACKUP counts Master_Down_Interval from then, not from when the event
   * loop got to it.
   */
  | { readonly type: 'advert'; readonly advert: VrrpAdvert; readonly source: string; readonly arrivedAt?: number }
  | { readonly type: 'timeout' }
  | { readonly type: 'shutdown' }
  | { readonly type: 'tracker'; readonly result: TrackerResult }
  /** Own interface link state (ignored with dont_track_primary); `name` words the transition reason. */
  | { readonly type: 'interface'; readonly up: boolean; readonly name?: string }
  /** Reload: new parameters for the same instance; state is kept, VIP lists are diffed. */
  | { readonly type: 'update'; readonly params: VrrpInstanceParams };

/** Names of the states, as keepalived prints them. */
export const STATE_NAMES: Readonly<Record<VrrpStateValue, string>> = {
  0: 'INIT',
  1: 'BACKUP',
  2: 'MASTER',
  3: 'FAULT',
  97: 'DELETED',
  98: 'STOP',
};

/** The reason text of a transition when nothing more specific is known (see Transition.reason). */
/** Rivals remembered before the quiet ones are forgotten (forgetQuietRivals). */
const RIVALS_PRUNE_AT = 16;

const CAUSE_TEXT: Readonly<Record<TransitionCause, string>> = {
  init: 'startup',
  'master-down': 'master down timer',
  'higher-priority': 'higher priority advert',
  fault: 'fault',
  'fault-recovered': 'fault cleared',
  'sync-group': 'sync group',
  shutdown: 'shutdown',
  owner: 'startup (address owner)',
  reload: 'reload',
};

/** A FAULT reason in an operator's words: `tracked script chk failed`, `link eth1 down`, … */
function faultWhy(t: TrackerConfig, value: number | undefined): string {
  switch (t.kind) {
    case 'script':
      return `tracked script ${t.name} failed`;
    case 'interface':
      return `link ${t.name} down`;
    case 'file':
      return `tracked file ${t.name} status ${value ?? 0}`;
    case 'process':
      return `tracked process ${t.name} quorum lost`;
    case 'bfd':
      return `BFD ${t.name} down`;
    case 'address':
      return `source address ${t.name} removed`;
  }
}

/** Thrown for an input the current state cannot take (h11's LocalProtocolError). */
export class VrrpProtocolError extends Error {
  /** @param state the state the instance was in @param event the offending event type */
  constructor(
    readonly state: VrrpStateValue,
    readonly event: string,
  ) {
    super(`VRRP instance in state ${STATE_NAMES[state]} cannot handle event ${event}`);
  }
}

/** Counters kept by the state machine (keepalived statistics names where they exist). */
export interface FsmCounters {
  becomeMaster: number;
  releaseMaster: number;
  advertSent: number;
  priZeroSent: number;
  priZeroRcvd: number;
}

/** The pure per-instance VRRP state machine. */
export class VrrpFsm {
  /** Current state (keepalived numbering). */
  state: VrrpStateValue = VrrpState.INIT;
  /** Counters; read-only for callers. */
  readonly counters: FsmCounters = { becomeMaster: 0, releaseMaster: 0, advertSent: 0, priZeroSent: 0, priZeroRcvd: 0 };
  /**
   * Set by a sync group: may this instance become MASTER now? Called when the down timer expires.
   * When it says no, the instance stays BACKUP with wantMaster set.
   */
  syncGate: ((fsm: VrrpFsm) => boolean) | undefined;
  /** True while this instance wants MASTER but is held in BACKUP by its sync group. */
  wantMaster = false;
  private p: VrrpInstanceParams;
  private base: number;
  private effective: number;
  private masterAdverIntervalMs: number;
  private readonly timers = new TimerTable<VrrpTimer>();
  private readonly results = new Map<string, TrackerResult>();
  private ifUp = true;
  private ifName: string | undefined;
  /** The reason text of the next transition, when more specific than its cause (see changeState). */
  private why: string | undefined;
  private groupFault = false;
  private preemptTime: number | undefined;
  /** The last advert heard in BACKUP (words the master-down reason: a preemption, a priority 0 hand-over). */
  private lastHeard: { readonly source: string; readonly priority: number } | undefined;
  /** When the instance last became MASTER (a lower-priority advert soon after is the old master yielding). */
  private masterSince: number | undefined;
  private garpRefreshAt: number | undefined;
  /** garp_extra_if: when the next extra-interface round is due (MASTER only). */
  private extraGarpAt: number | undefined;
  private delayedGarp: { count: number; reason: GarpReason } | undefined;
  /** Competing masters (lower-priority advert sources) and when we last heard each (split-brain heal). */
  private readonly rivals = new Map<string, number>();
  private out: VrrpAction[] = [];

  private readonly stats: VrrpStats | undefined;

  /**
   * @param params the resolved instance parameters
   * @param stats optional keepalived-named counters (stats.ts) to bump as well: become_master, release_master,
   *   advert_sent, pri_zero_sent. (advert_rcvd and pri_zero_rcvd are counted by the receive validation.)
   */
  constructor(params: VrrpInstanceParams, stats?: VrrpStats) {
    this.stats = stats;
    this.p = params;
    this.base = params.priority;
    this.effective = params.priority;
    this.masterAdverIntervalMs = params.advertIntervalMs;
  }

  /** Instance name. */
  get name(): string {
    return this.p.name;
  }
  /** Current parameters. */
  get params(): VrrpInstanceParams {
    return this.p;
  }
  /** Current effective priority. */
  get priority(): number {
    return this.effective;
  }
  /** Master_Adver_Interval in ms (v3: learnt from the master). */
  get masterAdverInterval(): number {
    return this.masterAdverIntervalMs;
  }
  /** True when the instance's own conditions (interface, trackers) demand FAULT. */
  get ownFault(): boolean {
    return this.faultReason(false) !== undefined;
  }

  /** Earliest armed deadline (monotonic ms), or undefined when nothing is armed. */
  pollTimeout(): number | undefined {
    return this.timers.next();
  }

  /** Handles one event at time `now` and returns the actions it produced. */
  handle(event: VrrpEvent, now: number): VrrpAction[] {
    this.out = [];
    switch (event.type) {
      case 'startup':
        this.onStartup(now);
        break;
      case 'advert':
        this.onAdvert(event.advert, event.source, now, Math.min(event.arrivedAt ?? now, now));
        break;
      case 'timeout':
        this.onTimeout(now);
        break;
      case 'shutdown':
        this.onShutdown(now);
        break;
      case 'tracker':
        this.results.set(trackerKey(event.result), event.result);
        this.reevaluate(now);
        break;
      case 'interface':
        this.ifUp = event.up;
        this.ifName = event.name ?? this.ifName;
        this.reevaluate(now);
        break;
      case 'update':
        this.onUpdate(event.params, now);
        break;
    }
    return this.out;
  }

  /** Shorthand for handle({type:'timeout'}, now). */
  handleTimeout(now: number): VrrpAction[] {
    return this.handle({ type: 'timeout' }, now);
  }

  /** Sync group: force MASTER (all members want it). */
  forceMaster(now: number): VrrpAction[] {
    this.out = [];
    if (this.state === VrrpState.BACKUP) this.becomeMaster(now, 'sync-group');
    return this.out;
  }

  /** Sync group: force BACKUP (a member left MASTER). */
  forceBackup(now: number): VrrpAction[] {
    this.out = [];
    if (this.state === VrrpState.MASTER) this.leaveMaster(now, 'sync-group');
    return this.out;
  }

  /** Sync group: force FAULT (another member is faulty) or release that hold. */
  setGroupFault(fault: boolean, now: number): VrrpAction[] {
    this.out = [];
    this.groupFault = fault;
    this.reevaluate(now, 'sync-group');
    return this.out;
  }

  // ---- event handlers -------------------------------------------------------------------------

  private onStartup(now: number): void {
    if (this.state !== VrrpState.INIT) throw new VrrpProtocolError(this.state, 'startup');
    this.recomputePriority(false);
    const fault = this.faultReason();
    if (fault !== undefined) {
      this.why = `startup: ${fault.why}`;
      this.changeState(VrrpState.FAULT, now, 'init', true);
      return;
    }
    if (this.p.initialState === 'MASTER' && this.base === PRIO_OWNER) {
      this.becomeMaster(now, 'owner');
      return;
    }
    this.log('info', `(${this.p.name}) removing VIPs.`, true);
    this.vipAction('removeVips');
    this.enterBackup(now, 'init', true);
  }

  private onShutdown(now: number): void {
    if (this.state === VrrpState.STOP) return;
    if (this.state === VrrpState.MASTER) {
      this.sendAdvert(0);
      this.log('info', `(${this.p.name}) sent 0 priority`, true);
      this.log('info', `(${this.p.name}) removing VIPs.`, true);
      this.vipAction('removeVips');
    }
    this.timers.clearAll();
    this.changeState(VrrpState.STOP, now, 'shutdown');
  }

  private onTimeout(now: number): void {
    for (const t of this.timers.takeExpired(now)) {
      if (t === 'garpDelayed') this.fireDelayedGarp();
      else if (t === 'Adver_Timer' && this.state === VrrpState.MASTER) this.masterAdvertTick(now);
      else if (t === 'Master_Down_Timer' && this.state === VrrpState.BACKUP) this.masterDown(now);
    }
  }

  private masterAdvertTick(now: number): void {
    this.sendAdvert(this.effective);
    this.armAdverTimer(now + this.p.advertIntervalMs);
    const g = this.p.garp;
    if (g.masterRefreshMs > 0 && this.garpRefreshAt !== undefined && now > this.garpRefreshAt) {
      this.garp(g.masterRefreshRepeat, 'refresh');
      this.garpRefreshAt = now + g.masterRefreshMs;
    }
    // keepalived vrrp_state_master_tx: the extra interfaces' round comes with the first advert past its time
    const extra = g.extraIfIntervalMs ?? 0;
    if (extra > 0 && this.extraGarpAt === undefined)
      this.extraGarpAt = now + extra; // turned on by a reload
    else if (extra > 0 && now > this.extraGarpAt!) {
      this.garp(1, 'extra-if');
      this.extraGarpAt = now + extra;
    }
  }

  private masterDown(now: number): void {
    this.log('info', `(${this.p.name}) Receive advertisement timeout`, true);
    if (this.syncGate !== undefined && !this.syncGate(this)) {
      this.wantMaster = true;
      this.armDownTimer(now);
      return;
    }
    const h = this.lastHeard;
    if (h?.priority === 0) this.why = `master down timer (${h.source} sent priority 0)`;
    else if (h !== undefined && h.priority < this.effective) this.why = `master down timer (preempting ${h.source} prio ${h.priority})`;
    this.becomeMaster(now, 'master-down');
  }

  private onAdvert(adv: VrrpAdvert, source: string, now: number, arrivedAt: number): void {
    if (adv.priority === 0) this.counters.priZeroRcvd++;
    if (this.state === VrrpState.BACKUP) this.backupRx(adv, source, now, arrivedAt);
    else if (this.state === VrrpState.MASTER) this.masterRx(adv, source, now);
    // INIT, FAULT, STOP: adverts are ignored.
  }

  private backupRx(adv: VrrpAdvert, source: string, now: number, arrivedAt: number): void {
    const name = this.p.name;
    const h = this.lastHeard;
    if (h?.source !== source || h.priority !== adv.priority) this.lastHeard = { source, priority: adv.priority }; // a repeat keeps it
    if (adv.priority === 0) {
      this.log('info', `(${name}) Backup received priority 0 advertisement`, true);
      this.armDownTimerAt(arrivedAt + skewTime(this.p.version, this.effective, this.masterAdverIntervalMs));
      return;
    }
    const delaying = this.p.preemptDelayMs > 0 && (this.preemptTime === undefined || this.preemptTime > now);
    if (!(this.p.nopreempt || adv.priority >= this.effective || delaying)) {
      this.log('info', `(${name}) received lower priority (${adv.priority}) advert from ${source} - discarding`);
      return;
    }
    if (this.p.version === 3) this.adoptInterval(adv.advertIntervalCs * 10);
    this.armDownTimer(arrivedAt);
    if (this.p.preemptDelayMs > 0) {
      if (adv.priority >= this.effective) {
        if (this.preemptTime !== undefined) this.log('info', `(${name}) stop preempt delay`, true);
        this.preemptTime = undefined;
      } else if (this.preemptTime === undefined) {
        const d = this.p.preemptDelayMs;
        const frac = String(Math.round((d % 1000) * 1000)).padStart(6, '0');
        this.log('info', `(${name}) start preempt delay (${Math.floor(d / 1000)}.${frac})`, true);
        this.preemptTime = now + d;
      }
    }
    this.wantMaster = false;
  }

  private masterRx(adv: VrrpAdvert, source: string, now: number): void {
    const name = this.p.name;
    const cmp = compareAddresses(source, this.p.primaryAddress);
    const higher = adv.priority > this.effective || (adv.priority === this.effective && cmp > 0);
    // higher_prio_send_advert (keepalived), or our yield advert: the winner learns that it had a rival (split-brain heal)
    if (adv.priority === 0 || ((this.p.higherPrioSendAdvert || this.p.yieldAdvert) && higher)) {
      this.sendAdvert(this.effective);
      if (adv.priority === 0) {
        this.log('info', `(${name}) Master received priority 0 message`, true);
        return;
      }
    }
    if (adv.priority === this.effective) {
      if (cmp === 0) {
        this.log('info', `(${name}) WARNING - equal priority advert received from remote host with our IP address.`);
      } else if (this.effective === PRIO_OWNER) {
        this.log(
          'info',
          `(${name}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority`,
        );
        this.base = PRIO_OWNER - 1;
        this.effective = PRIO_OWNER - 1;
      }
    }
    if (adv.priority < this.effective || (adv.priority === this.effective && cmp < 0)) {
      this.lowerPriorityRx(adv, source, now);
      return;
    }
    if (cmp === 0 && adv.priority === this.effective) return;
    this.why =
      adv.priority === this.effective
        ? `higher priority advert from ${source} (same priority ${adv.priority}, higher address)`
        : `preempted by ${source} prio ${adv.priority}`;
    this.log(
      'info',
      adv.priority === this.effective
        ? `(${name}) Master received advert from ${source} with same priority ${adv.priority} but higher IP address than ours`
        : `(${name}) Master received advert from ${source} with higher priority ${adv.priority}, ours ${this.effective}`,
    );
    if (this.p.version === 3) this.adoptInterval(adv.advertIntervalCs * 10);
    this.leaveMaster(now, 'higher-priority');
  }

  private lowerPriorityRx(adv: VrrpAdvert, source: string, now: number): void {
    const p = this.p;
    this.log(
      'info',
      `(${p.name}) Received advert from ${source} with lower priority ${adv.priority}, ours ${this.effective}` +
        (p.lowerPrioNoAdvert ? '' : ', forcing new election'),
    );
    if (!p.lowerPrioNoAdvert) this.sendAdvert(this.effective);
    // A new episode: never heard from this rival, or silent for longer than a Master_Down_Interval.
    const last = this.rivals.get(source);
    const quiet = masterDownInterval(p.version, this.effective, p.advertIntervalMs, p.downTimerAdverts);
    const newEpisode = last === undefined || now - last > quiet;
    this.rivals.set(source, now);
    if (this.rivals.size > RIVALS_PRUNE_AT) this.forgetQuietRivals(now);
    if (p.garpOnSplitBrainHeal && newEpisode && p.garp.masterRepeat > 0) {
      this.garp(p.garp.masterRepeat, 'split-brain');
      this.scheduleDelayedGarp(now, p.garp.masterDelayMs, p.garp.masterRepeat, 'master-delayed');
    } else if (p.garp.lowerPrioRepeat > 0) {
      this.garp(p.garp.lowerPrioRepeat, 'lower-prio');
      this.scheduleDelayedGarp(now, p.garp.lowerPrioDelayMs, p.garp.lowerPrioRepeat, 'lower-prio-delayed');
    }
    // The old master's yield advert answering our first advert as the new master (a preemption: it arrives before
    // our second advert) is no rival: keepalived with its defaults would not have seen it, so no notify for it.
    const yielding = this.masterSince !== undefined && now - this.masterSince < p.advertIntervalMs;
    if (!yielding) this.out.push({ kind: 'notifyMasterRxLowerPri', instance: p.name });
  }

  private onUpdate(params: VrrpInstanceParams, now: number): void {
    const old = this.p;
    this.p = params;
    // keepalived builds the instance afresh from the new configuration: an address owner that lowered itself to 254
    // on meeting another owner (masterRx) is 255 again
    this.base = params.priority;
    if (this.state === VrrpState.MASTER) {
      const added = params.vips.filter((v) => !old.vips.includes(v));
      const removed = old.vips.filter((v) => !params.vips.includes(v));
      const addedEx = params.excludedVips.filter((v) => !old.excludedVips.includes(v));
      const removedEx = old.excludedVips.filter((v) => !params.excludedVips.includes(v));
      if (removed.length + removedEx.length > 0) this.vipDiff('removeVips', removed, removedEx);
      if (added.length + addedEx.length > 0) {
        this.vipDiff('addVips', added, addedEx);
        if (params.garp.masterRepeat > 0) this.garpFor(added, params.garp.masterRepeat, 'reload');
      }
    }
    if (this.state !== VrrpState.MASTER || params.advertIntervalMs === old.advertIntervalMs) {
      this.reevaluate(now, 'reload');
      return;
    }
    this.masterAdverIntervalMs = params.advertIntervalMs;
    this.armAdverTimer(now + params.advertIntervalMs);
    this.reevaluate(now, 'reload');
  }

  // ---- priority and fault -----------------------------------------------------------------------

  /** Why the instance must be in FAULT (with keepalived's cause line, if it has one), or undefined. */
  private faultReason(includeGroup = true): { readonly text?: string; readonly why: string } | undefined {
    if (this.p.configFault !== undefined) return { why: this.p.configFault };
    if (includeGroup && this.groupFault) return { why: 'sync group fault' };
    if (!this.ifUp && !this.p.dontTrackPrimary) return { why: `link ${this.ifName ?? 'interface'} down` };
    const view = effectivePriority(this.base, this.p.trackers, this.results);
    if (view.faultBy !== undefined) {
      return { text: faultCauseText(this.p.name, view.faultBy, view.faultValue), why: faultWhy(view.faultBy, view.faultValue) };
    }
    return undefined;
  }

  private recomputePriority(logIt: boolean): void {
    const next = effectivePriority(this.base, this.p.trackers, this.results).effective;
    if (next === this.effective) return;
    if (logIt) {
      this.log('info', `(${this.p.name}) Changing effective priority from ${this.effective} to ${next}`);
      this.out.push({ kind: 'priorityChanged', instance: this.p.name, from: this.effective, to: next });
    }
    this.effective = next;
  }

  private reevaluate(now: number, cause: TransitionCause = 'fault'): void {
    if (this.state === VrrpState.INIT || this.state === VrrpState.STOP) {
      this.recomputePriority(false);
      return;
    }
    this.recomputePriority(true);
    const reason = this.faultReason();
    if (reason !== undefined && this.state !== VrrpState.FAULT) {
      if (reason.text !== undefined) this.log('info', reason.text);
      this.why = cause === 'fault' ? reason.why : undefined;
      this.enterFault(now, cause);
    } else if (reason === undefined && this.state === VrrpState.FAULT) {
      this.leaveFault(now);
    }
  }

  /**
   * Drops rivals silent for longer than the Master_Down_Interval of priority 1 (the longest at this advert interval):
   * such a rival starts a new episode whether remembered or not. Keeps the map bounded over a long mastership on a
   * segment with many (or spoofed) sources.
   */
  private forgetQuietRivals(now: number): void {
    const p = this.p;
    const horizon = masterDownInterval(p.version, 1, p.advertIntervalMs, p.downTimerAdverts);
    for (const [source, at] of this.rivals) if (now - at > horizon) this.rivals.delete(source);
  }

  // ---- transitions ------------------------------------------------------------------------------

  private becomeMaster(now: number, cause: TransitionCause): void {
    const g = this.p.garp;
    this.wantMaster = false;
    this.preemptTime = undefined;
    this.rivals.clear();
    this.masterSince = now;
    this.lastHeard = undefined;
    this.masterAdverIntervalMs = this.p.advertIntervalMs;
    this.changeState(VrrpState.MASTER, now, cause);
    this.sendAdvert(this.effective);
    this.log('info', `(${this.p.name}) setting VIPs.`, true);
    this.vipAction('addVips');
    if (g.masterRepeat > 0) this.garp(g.masterRepeat, 'master');
    this.scheduleDelayedGarp(now, g.masterDelayMs, g.masterRepeat, 'master-delayed');
    this.garpRefreshAt = g.masterRefreshMs > 0 ? now + g.masterRefreshMs : undefined;
    this.extraGarpAt = (g.extraIfIntervalMs ?? 0) > 0 ? now + g.extraIfIntervalMs! : undefined;
    this.armAdverTimer(now + this.p.advertIntervalMs);
    this.notify();
  }

  private leaveMaster(now: number, cause: TransitionCause): void {
    this.timers.clear('garpDelayed');
    this.delayedGarp = undefined;
    this.changeState(VrrpState.BACKUP, now, cause);
    this.log('info', `(${this.p.name}) removing VIPs.`, true);
    this.vipAction('removeVips');
    this.armDownTimer(now);
    this.notify();
  }

  private enterBackup(now: number, cause: TransitionCause, init = false): void {
    this.masterAdverIntervalMs = this.p.advertIntervalMs;
    this.changeState(VrrpState.BACKUP, now, cause, init);
    this.armDownTimer(now);
    this.notify();
  }

  private enterFault(now: number, cause: TransitionCause): void {
    const wasMaster = this.state === VrrpState.MASTER;
    this.timers.clearAll();
    this.delayedGarp = undefined;
    this.wantMaster = false;
    this.changeState(VrrpState.FAULT, now, cause);
    if (wasMaster) {
      this.sendAdvert(0);
      this.log('info', `(${this.p.name}) sent 0 priority`, true);
      this.log('info', `(${this.p.name}) removing VIPs.`, true);
      this.vipAction('removeVips');
    }
    this.notify();
  }

  /**
   * keepalived try_up_instance / vrrp_state_leave_fault: always to BACKUP with a full Master_Down_Interval and the
   * preempt delay started afresh, the address owner too (it takes over when the down timer expires, 3 s later with
   * advert_int 1: keepalived 2.2.7 does the same). A unicast instance first sends one GARP/NA for its own address,
   * so that the master, which may have lost it from its neighbour cache, can send it adverts at once.
   */
  private leaveFault(now: number): void {
    if (this.p.unicastPeers.length > 0) {
      const what = this.p.family === 6 ? 'NA' : 'ARP';
      this.log('info', `${this.p.name}: sending gratuitous ${what} for ${this.p.primaryAddress}`, true);
      this.out.push({ kind: 'sendGarp', instance: this.p.name, addresses: [this.p.primaryAddress], count: 1, reason: 'fault-recovery' });
    }
    this.preemptTime = undefined;
    this.enterBackup(now, 'fault-recovered');
  }

  /** The single place where the state changes: logs, counts, and emits one Transition. */
  private changeState(to: VrrpStateValue, now: number, cause: TransitionCause, init = false): void {
    const from = this.state;
    if (from === to) throw new VrrpProtocolError(from, `transition to ${STATE_NAMES[to]}`);
    this.state = to;
    if (to === VrrpState.MASTER) {
      this.counters.becomeMaster++;
      if (this.stats) this.stats.become_master++;
    }
    if (from === VrrpState.MASTER) {
      this.counters.releaseMaster++;
      if (this.stats) this.stats.release_master++;
    }
    if (to !== VrrpState.STOP) {
      this.log('info', `(${this.p.name}) Entering ${STATE_NAMES[to]} STATE${init ? ' (init)' : ''}`);
    }
    const reason = this.why ?? CAUSE_TEXT[cause];
    this.why = undefined;
    const transition: Transition = {
      instance: this.p.name,
      from,
      to,
      at: now,
      cause,
      reason,
      priority: this.effective,
      becomeMaster: this.counters.becomeMaster,
      releaseMaster: this.counters.releaseMaster,
    };
    this.out.push({ kind: 'stateChanged', transition });
    if (to === VrrpState.STOP) this.notify();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private armDownTimer(now: number): void {
    const mdi = masterDownInterval(this.p.version, this.effective, this.masterAdverIntervalMs, this.p.downTimerAdverts);
    this.armDownTimerAt(now + mdi);
  }

  /** BACKUP: (re)arms Master_Down_Timer; an instance runs either it or Adver_Timer, never both. */
  private armDownTimerAt(deadline: number): void {
    this.timers.clear('Adver_Timer');
    this.timers.set('Master_Down_Timer', deadline);
  }

  /** MASTER: (re)arms Adver_Timer. */
  private armAdverTimer(deadline: number): void {
    this.timers.clear('Master_Down_Timer');
    this.timers.set('Adver_Timer', deadline);
  }

  private adoptInterval(ms: number): void {
    if (ms === this.masterAdverIntervalMs || ms <= 0) return;
    this.log('info', `(${this.p.name}) advertisement interval updated from ${this.masterAdverIntervalMs}ms to ${ms}ms by master`, true);
    this.masterAdverIntervalMs = ms;
  }

  private scheduleDelayedGarp(now: number, delayMs: number, count: number, reason: GarpReason): void {
    if (delayMs <= 0 || count <= 0) return;
    this.delayedGarp = { count, reason };
    this.timers.set('garpDelayed', now + delayMs);
  }

  private fireDelayedGarp(): void {
    const d = this.delayedGarp;
    this.delayedGarp = undefined;
    if (d !== undefined && this.state === VrrpState.MASTER) this.garp(d.count, d.reason);
  }

  private garp(count: number, reason: GarpReason): void {
    this.garpFor([...this.p.vips, ...this.p.excludedVips], count, reason);
  }

  private garpFor(addresses: readonly string[], count: number, reason: GarpReason): void {
    if (addresses.length === 0) return;
    this.out.push({ kind: 'sendGarp', instance: this.p.name, addresses, count, reason });
  }

  private sendAdvert(priority: number): void {
    this.counters.advertSent++;
    if (this.stats) this.stats.advert_sent++;
    if (priority === 0) {
      this.counters.priZeroSent++;
      if (this.stats) this.stats.pri_zero_sent++;
    }
    this.out.push({
      kind: 'sendAdvert',
      instance: this.p.name,
      priority,
      advertIntervalMs: this.p.advertIntervalMs,
      unicastPeers: this.p.unicastPeers,
    });
  }

  private vipAction(kind: 'addVips' | 'removeVips'): void {
    this.vipDiff(kind, this.p.vips, this.p.excludedVips, this.p.routes, this.p.rules);
  }

  private vipDiff(
    kind: 'addVips' | 'removeVips',
    vips: readonly string[],
    excludedVips: readonly string[],
    routes: readonly unknown[] = [],
    rules: readonly unknown[] = [],
  ): void {
    this.out.push({ kind, instance: this.p.name, vips, excludedVips, routes, rules });
  }

  private notify(): void {
    this.out.push({ kind: 'notify', instance: this.p.name, state: this.state, priority: this.effective });
  }

  private log(level: LogRecord['level'], text: string, detail = false): void {
    this.out.push({ kind: 'log', instance: this.p.name, record: detail ? { level, text, detail } : { level, text } });
  }
}
