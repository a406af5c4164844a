/**
 * One BFD session in asynchronous mode (RFC 5880 section 6.8), sans-IO: decoded packets and the time in,
 * actions (packets to send, state changes, log lines) and the next deadline out. No demand mode, no echo,
 * no authentication (a packet with the A bit is discarded, as keepalived 2.2.7 does).
 *
 * Timing (section 6.8.2–6.8.4, 6.8.7):
 * - the transmit interval is max(bfd.DesiredMinTxInterval, bfd.RemoteMinRxInterval), where
 *   DesiredMinTxInterval is `min_tx` when Up and `idle_tx` (at least 1 s) otherwise;
 * - each interval is jittered to 75–100 % of it, 75–90 % when bfd.DetectMult is 1;
 * - the Detection Time is the remote Detect Mult × max(bfd.RequiredMinRxInterval, the remote Desired Min TX);
 * - entering Up with `min_tx` ≠ `idle_tx` starts a Poll Sequence; a Poll is answered at once with Final;
 * - a `min_tx` raised while Up (reload) is advertised at once, but the interval used stays the old one until the
 *   Poll Sequence ends (section 6.8.3); a change of the interval used is an `intervals` action;
 * - a passive session sends nothing until it has heard its peer (bfd.RemoteDiscr ≠ 0).
 * Log texts are keepalived's (bfd/bfd_scheduler.c): "(NAME) Entering Up state", "(NAME) Expired after …".
 *
 * What the session's clients (track_bfd, BFD_CHECK) are told follows keepalived's bfd_event_send: Up when the session
 * comes Up, Down when it falls from Up — unless the peer signalled AdminDown, which RFC 5880 section 6.8.16 says
 * must not be taken for a forwarding failure; then the clients keep the last word they had (`clientUp`).
 */
import { BfdDiag, BfdState, diagName, encodeControl, STATE_NAMES, type BfdControl, type BfdControlInit } from './packet.js';

/** A session's configuration: times in microseconds (the wire unit). */
export interface BfdSessionConfig {
  /** Instance name, as in logs. */
  readonly name: string;
  /** `min_tx`: bfd.DesiredMinTxInterval while Up. */
  readonly desiredMinTxUs: number;
  /** `min_rx`: bfd.RequiredMinRxInterval. */
  readonly requiredMinRxUs: number;
  /** `idle_tx`: bfd.DesiredMinTxInterval while not Up (raised to 1 s if lower, RFC 5880 section 6.8.3). */
  readonly idleTxUs: number;
  /** `multiplier`: bfd.DetectMult. */
  readonly detectMult: number;
  /** `passive`: wait for the peer before sending. */
  readonly passive: boolean;
}

/** What a session asks its driver to do. */
export type BfdSessionAction =
  | { readonly kind: 'send'; readonly bytes: Uint8Array; readonly control: BfdControlInit }
  | {
      readonly kind: 'state';
      readonly from: BfdState;
      readonly to: BfdState;
      readonly diag: number;
      readonly remoteDiag: number;
      readonly at: number;
    }
  | { readonly kind: 'log'; readonly level: 'info' | 'warning'; readonly text: string }
  /** The transmit interval used changed without a state change (the peer's Required Min RX, or a Poll Sequence ended). */
  | { readonly kind: 'intervals'; readonly txIntervalUs: number; readonly detectTimeUs: number };

/** A read-only view of a session, for status, metrics and tests. Times in microseconds unless named Ms. */
export interface BfdSessionSnapshot {
  readonly name: string;
  readonly state: string;
  readonly remoteState: string;
  readonly localDiscr: number;
  readonly remoteDiscr: number;
  readonly localDiag: string;
  readonly remoteDiag: string;
  readonly txIntervalUs: number;
  readonly detectTimeUs: number;
  readonly remoteMinRxUs: number;
  readonly remoteDesiredMinTxUs: number;
  readonly remoteDetectMult: number;
  readonly pollActive: boolean;
  /**
   * What the clients were last told (keepalived's bfd_event_send): true from entering Up until a fall from Up
   * that the peer did not signal with AdminDown.
   */
  readonly clientUp: boolean;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly upTransitions: number;
  readonly downTransitions: number;
  /** When the session last entered its current state (monotonic ms). */
  readonly sinceMs: number;
}

/** The lowest DesiredMinTxInterval while not Up (RFC 5880 section 6.8.3). */
export const IDLE_TX_FLOOR_US = 1_000_000;

/** The jitter factor range for one interval: [low, high) of the negotiated interval (RFC 5880 section 6.8.7). */
export function jitterRange(detectMult: number): readonly [number, number] {
  return detectMult === 1 ? [0.75, 0.9] : [0.75, 1];
}

/** Detection Time in µs: remote Detect Mult × max(local RequiredMinRx, remote DesiredMinTx) (section 6.8.4). */
export function detectionTimeUs(remoteDetectMult: number, requiredMinRxUs: number, remoteDesiredMinTxUs: number): number {
  return remoteDetectMult * Math.max(requiredMinRxUs, remoteDesiredMinTxUs);
}

/** One BFD session's state machine and timers. */
export class BfdSession {
  private state: BfdState = BfdState.Down;
  private remoteState: BfdState = BfdState.Down;
  private remoteDiscr = 0;
  private localDiag = 0;
  private remoteDiag = 0;
  private remoteMinRxUs = 1;
  private remoteDesiredMinTxUs = 0;
  private remoteDetectMult = 0;
  private remoteDemand = false;
  private pollActive = false;
  /** bfd.DesiredMinTxInterval still in use while a Poll Sequence announces a higher one (section 6.8.3). */
  private heldDesiredMinTxUs: number | undefined;
  private clientUp = false;
  private lastTxAt = Number.NEGATIVE_INFINITY;
  /** When the next periodic packet is due instead of lastTxAt + jittered interval (deferTx), or undefined. */
  private txDeferredTo: number | undefined;
  private jitter: number;
  private detectAt = Number.POSITIVE_INFINITY;
  private resetAt = Number.POSITIVE_INFINITY;
  private sinceMs: number;
  private packetsIn = 0;
  private packetsOut = 0;
  private ups = 0;
  private downs = 0;
  private started = false;

  /**
   * @param cfg the configuration
   * @param localDiscr bfd.LocalDiscr: non-zero, unique among this system's sessions
   * @param rng uniform [0, 1) for the transmit jitter
   * @param now monotonic ms
   */
  constructor(
    private cfg: BfdSessionConfig,
    readonly localDiscr: number,
    private readonly rng: () => number,
    now: number,
  ) {
    if (localDiscr === 0) throw new RangeError('bfd.LocalDiscr must be non-zero');
    this.jitter = this.drawJitter();
    this.sinceMs = now;
  }

  /** The session's name. */
  get name(): string {
    return this.cfg.name;
  }

  /** bfd.SessionState. */
  get sessionState(): BfdState {
    return this.state;
  }

  /** Starts transmitting (the first packet goes out at once unless passive). */
  start(now: number): BfdSessionAction[] {
    this.started = true;
    return this.tick(now);
  }

  /** Takes a new configuration (reload): intervals take effect from the next packet; Up starts a Poll Sequence. */
  reconfigure(cfg: BfdSessionConfig): void {
    const changed = cfg.desiredMinTxUs !== this.cfg.desiredMinTxUs || cfg.requiredMinRxUs !== this.cfg.requiredMinRxUs;
    if (this.state === BfdState.Up && cfg.desiredMinTxUs > this.cfg.desiredMinTxUs) this.heldDesiredMinTxUs ??= this.cfg.desiredMinTxUs;
    else if (cfg.desiredMinTxUs <= (this.heldDesiredMinTxUs ?? 0)) this.heldDesiredMinTxUs = undefined;
    this.cfg = cfg;
    if (changed && this.state === BfdState.Up) this.pollActive = true;
    this.jitter = Math.min(this.jitter, jitterRange(cfg.detectMult)[1]);
  }

  /** bfd.DesiredMinTxInterval now: `min_tx` when Up, `idle_tx` (≥ 1 s) otherwise. */
  desiredMinTxUs(): number {
    return this.state === BfdState.Up ? this.cfg.desiredMinTxUs : Math.max(this.cfg.idleTxUs, IDLE_TX_FLOOR_US);
  }

  /**
   * The transmit interval used in µs, before jitter: max(bfd.DesiredMinTxInterval, bfd.RemoteMinRxInterval), with the
   * old DesiredMinTxInterval while a Poll Sequence for a higher one runs.
   */
  txIntervalUs(): number {
    return Math.max(this.heldDesiredMinTxUs ?? this.desiredMinTxUs(), this.remoteMinRxUs);
  }

  /** Re-reads what the clients are told from the state (keepalived sends every session's state at start and reload). */
  resync(): void {
    this.clientUp = this.state === BfdState.Up;
  }

  /** The Detection Time in µs from the last packet heard (0 before any). */
  detectTimeUs(): number {
    return detectionTimeUs(this.remoteDetectMult, this.cfg.requiredMinRxUs, this.remoteDesiredMinTxUs);
  }

  /** When the next periodic packet is due (monotonic ms), or +Infinity while the session may not send. */
  nextTxAt(): number {
    return this.txAllowed() ? this.txAt() : Number.POSITIVE_INFINITY;
  }

  /**
   * The periodic packet that tick() just returned did not leave from here: another sender (the driver's native
   * transmit watchdog) has been sending this session's packets while the driver was late. It is not counted, and
   * the next periodic packet is due at `at` (the other sender's next one, RFC 5880 section 6.8.7 spacing).
   */
  deferTx(at: number): void {
    this.packetsOut--;
    this.txDeferredTo = at;
  }

  /** `n` packets of this session left from another sender (the native watchdog): counted as sent. */
  countSentElsewhere(n: number): void {
    this.packetsOut += n;
  }

  /** The bytes of the periodic packet this session would send now (no Final; nothing changes). */
  periodicPacket(): Uint8Array {
    return encodeControl(this.control(false));
  }

  /** When the next timer is due (monotonic ms), or +Infinity. */
  nextDeadline(): number {
    return Math.min(this.txAllowed() ? this.txAt() : Number.POSITIVE_INFINITY, this.detectAt, this.resetAt);
  }

  /** A received packet that passed decodeControl's checks and was matched to this session (section 6.8.6). */
  receive(p: BfdControl, now: number): BfdSessionAction[] {
    const out: BfdSessionAction[] = [];
    if (p.authPresent || this.state === BfdState.AdminDown) return out;
    this.packetsIn++;
    const oldDetect = this.detectTimeUs();
    const oldTx = this.txIntervalUs();
    const oldState = this.state;
    this.remoteDiscr = p.myDiscr;
    this.remoteState = p.state;
    this.remoteDiag = p.diag;
    this.remoteDemand = p.demand;
    this.remoteMinRxUs = p.requiredMinRxUs;
    this.remoteDesiredMinTxUs = p.desiredMinTxUs;
    this.remoteDetectMult = p.detectMult;
    if (p.final) {
      this.pollActive = false;
      this.heldDesiredMinTxUs = undefined;
    }
    const detect = this.detectTimeUs();
    if (detect !== oldDetect)
      out.push({ kind: 'log', level: 'info', text: `${' '.repeat(this.cfg.name.length + 2)} Detection time is ${detect} us (was ${oldDetect} us)` });

    if (p.state === BfdState.AdminDown) {
      if (this.state !== BfdState.Down) this.toDown(BfdDiag.NeighborDown, now, out);
    } else if (this.state === BfdState.Down) {
      if (p.state === BfdState.Down) this.enter(BfdState.Init, now, out);
      else if (p.state === BfdState.Init) this.enter(BfdState.Up, now, out);
    } else if (this.state === BfdState.Init) {
      if (p.state === BfdState.Init || p.state === BfdState.Up) this.enter(BfdState.Up, now, out);
    } else if (p.state === BfdState.Down) {
      this.toDown(BfdDiag.NeighborDown, now, out);
    }

    if (this.state === BfdState.Init || this.state === BfdState.Up) this.detectAt = now + detect / 1000;
    else this.resetAt = now + detect / 1000;
    const tx = this.txIntervalUs();
    if (tx !== oldTx && this.state === oldState) out.push({ kind: 'intervals', txIntervalUs: tx, detectTimeUs: detect });
    if (p.poll) out.push(this.send(now, true));
    out.push(...this.tick(now));
    return out;
  }

  /** Runs the timers that are due at `now`: detection expiry, remote reset in Down, periodic transmission. */
  tick(now: number): BfdSessionAction[] {
    const out: BfdSessionAction[] = [];
    if (now >= this.detectAt) {
      const deadMs = now - (this.detectAt - this.detectTimeUs() / 1000);
      if (this.state === BfdState.Up)
        out.push({
          kind: 'log',
          level: 'warning',
          text: `(${this.cfg.name}) Expired after ${Math.floor(deadMs)} ms (${Math.round((now - this.detectAt) * 1000)} usec overdue)`,
        });
      this.remoteDiscr = 0;
      this.toDown(BfdDiag.DetectExpired, now, out);
    }
    if (now >= this.resetAt) {
      this.resetAt = Number.POSITIVE_INFINITY;
      this.remoteDiscr = 0;
      this.remoteState = BfdState.Down;
      this.remoteDiag = 0;
      this.remoteDemand = false;
      this.pollActive = false;
    }
    if (this.txAllowed() && now >= this.txAt()) out.push(this.send(now, false));
    return out;
  }

  /** Goes AdminDown (shutdown or disable): one AdminDown packet tells the peer at once; nothing more is sent. */
  adminDown(now: number): BfdSessionAction[] {
    const out: BfdSessionAction[] = [];
    if (this.state === BfdState.AdminDown) return out;
    const from = this.state;
    this.state = BfdState.AdminDown;
    this.localDiag = BfdDiag.AdminDown;
    this.detectAt = this.resetAt = Number.POSITIVE_INFINITY;
    this.txDeferredTo = undefined;
    this.pollActive = false;
    this.heldDesiredMinTxUs = undefined;
    this.sinceMs = now;
    out.push({ kind: 'log', level: 'warning', text: `(${this.cfg.name}) Entering AdminDown state` });
    out.push({ kind: 'state', from, to: this.state, diag: this.localDiag, remoteDiag: this.remoteDiag, at: now });
    if (this.remoteDiscr !== 0 || !this.cfg.passive) out.push(this.send(now, false));
    return out;
  }

  /** A read-only view for status and metrics. */
  snapshot(): BfdSessionSnapshot {
    return {
      name: this.cfg.name,
      state: STATE_NAMES[this.state]!,
      remoteState: STATE_NAMES[this.remoteState]!,
      localDiscr: this.localDiscr,
      remoteDiscr: this.remoteDiscr,
      localDiag: diagName(this.localDiag),
      remoteDiag: diagName(this.remoteDiag),
      txIntervalUs: this.txIntervalUs(),
      detectTimeUs: this.detectTimeUs(),
      remoteMinRxUs: this.remoteMinRxUs,
      remoteDesiredMinTxUs: this.remoteDesiredMinTxUs,
      remoteDetectMult: this.remoteDetectMult,
      pollActive: this.pollActive,
      clientUp: this.clientUp,
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      upTransitions: this.ups,
      downTransitions: this.downs,
      sinceMs: this.sinceMs,
    };
  }

  private txAt(): number {
    return this.txDeferredTo ?? this.lastTxAt + (this.txIntervalUs() * this.jitter) / 1000;
  }

  private txAllowed(): boolean {
    if (!this.started || this.state === BfdState.AdminDown) return false;
    if (this.cfg.passive && this.remoteDiscr === 0) return false;
    if (this.remoteMinRxUs === 0) return false;
    return !(this.remoteDemand && this.state === BfdState.Up && this.remoteState === BfdState.Up);
  }

  private drawJitter(): number {
    const [lo, hi] = jitterRange(this.cfg.detectMult);
    return lo + (hi - lo) * this.rng();
  }

  private control(final: boolean): BfdControlInit {
    return {
      diag: this.localDiag,
      state: this.state,
      poll: this.pollActive && !final,
      final,
      detectMult: this.cfg.detectMult,
      myDiscr: this.localDiscr,
      yourDiscr: this.remoteDiscr,
      desiredMinTxUs: this.desiredMinTxUs(),
      requiredMinRxUs: this.cfg.requiredMinRxUs,
    };
  }

  private send(now: number, final: boolean): BfdSessionAction {
    const control = this.control(final);
    this.packetsOut++;
    if (!final) {
      this.lastTxAt = now;
      this.txDeferredTo = undefined;
      this.jitter = this.drawJitter();
    }
    return { kind: 'send', bytes: encodeControl(control), control };
  }

  private enter(to: BfdState, now: number, out: BfdSessionAction[]): void {
    const from = this.state;
    this.state = to;
    this.localDiag = BfdDiag.None;
    this.resetAt = Number.POSITIVE_INFINITY;
    this.sinceMs = now;
    if (to === BfdState.Up) {
      this.ups++;
      this.clientUp = true;
      out.push({ kind: 'log', level: 'info', text: `(${this.cfg.name}) Entering Up state` });
      if (this.cfg.desiredMinTxUs !== Math.max(this.cfg.idleTxUs, IDLE_TX_FLOOR_US)) this.pollActive = true;
    }
    out.push({ kind: 'state', from, to, diag: this.localDiag, remoteDiag: this.remoteDiag, at: now });
  }

  private toDown(diag: number, now: number, out: BfdSessionAction[]): void {
    const from = this.state;
    if (from === BfdState.Up) {
      this.downs++;
      if (this.remoteState !== BfdState.AdminDown) this.clientUp = false;
      out.push({
        kind: 'log',
        level: 'warning',
        text: `(${this.cfg.name}) Entering Down state (Local diagnostic - ${diagName(diag)}, Remote diagnostic - ${diagName(this.remoteDiag)})`,
      });
    }
    this.state = BfdState.Down;
    this.localDiag = diag;
    this.detectAt = Number.POSITIVE_INFINITY;
    this.txDeferredTo = undefined;
    this.pollActive = false;
    this.heldDesiredMinTxUs = undefined;
    this.sinceMs = now;
    if (from !== BfdState.Down) out.push({ kind: 'state', from, to: BfdState.Down, diag, remoteDiag: this.remoteDiag, at: now });
  }
}
