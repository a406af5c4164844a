/**
 * The VRRP router: every instance of one daemon behind one sans-IO object, the way quinn-proto's `Endpoint` routes
 * datagrams to its connections. Bytes, link and tracker news and `now` (monotonic ms) go in; actions and the next
 * deadline come out. No sockets, no timers, no clock, no `node:*`: the Linux runtime and the simulator drive it
 * alike, and everything here is tested without root.
 *
 * What it does above the per-instance state machines (fsm.ts):
 * - dispatch: a received packet goes to the instance with that (socket, VRID); our own echo is ignored;
 * - receive checks in keepalived's order (validate.ts), keepalived's counters, and the drop line rate limited to
 *   one per instance and reason per DROP_LOG_INTERVAL_MS (returned as a `log` action);
 * - sync groups: events of a member go through its group's rules (sync-group.ts);
 * - trackers and links: a result goes to every instance that follows it, a carrier change to the instances on it;
 * - the next deadline over all instances (pollTimeout) and their expiry (timeout);
 * - the pure part of a reload: removed instances stop, changed ones get their new parameters.
 *
 * Adverts are encoded here, and leave as `transmit` actions carrying the bytes: the encoding depends only on the
 * instance (addresses, auth, checksum variant), so keeping it next to the decoding makes the simulator carry the
 * very bytes the runtime sends, and the driver is left with `socket.send(bytes, destination)`.
 */
import type { VrrpAction } from './actions.js';
import { DeadlineQueue } from './deadlines.js';
import { VrrpFsm, type VrrpEvent } from './fsm.js';
import { encode } from './packet.js';
import { AH_HEADER_LENGTH, AH_SEQUENCE_LIMIT, encodeAhPacket } from './ah.js';
import type { AhCounter, RouterAction, RouterInstanceSpec, RouterReload, RouterSyncGroup } from './router-types.js';
import { clearStats, createStats, type VrrpStats } from './stats.js';
import { SyncGroup } from './sync-group.js';
import { AuthType, IPPROTO_AH, VrrpState, type RxMeta, type TrackerResult } from './types.js';
import { compareAddresses } from '../core/inet/address.js';
import { checkReceived, countVerdict, type RxExpectations, type Verdict } from './validate.js';
import { AcceptedAdvert } from './repeat.js';

/** The timeout event (never changed: one object for every timer fire). */
const TIMEOUT: VrrpEvent = Object.freeze({ type: 'timeout' });

/** Rate limit for repeated receive-drop lines: one line per instance and reason per this many ms (as before). */
export const DROP_LOG_INTERVAL_MS = 10_000;

/** Options of a router. */
export interface VrrpRouterOptions {
  /** Minimum gap between two drop lines of one instance and reason; default DROP_LOG_INTERVAL_MS. */
  readonly dropLogIntervalMs?: number;
}

/** One instance as the router holds it. */
export interface RouterInstance {
  readonly fsm: VrrpFsm;
  /** keepalived's counters for the instance (the state machine and the receive checks both count). */
  readonly stats: VrrpStats;
  spec: RouterInstanceSpec;
  expect: RxExpectations;
  /** `kind:name` of every tracker the instance follows. */
  trackers: Set<string>;
  /** The sync group the instance is in, if any. */
  group: SyncGroup | undefined;
  /**
   * The last adverts encoded for it: a master sends the same bytes every Advertisement_Interval until its priority
   * or interval changes, so they are encoded once, not per send (issue 17). Cleared when the spec changes.
   */
  encoded: EncodedAdverts | undefined;
  /** auth_type AH sequence and IP ID counters (unused otherwise). */
  readonly ah: AhCounter;
  /** The last accepted advert: its repeats are not decoded and checked again (repeat.ts). */
  readonly accepted: AcceptedAdvert;
}

/** Encoded adverts (one per destination) and what they were encoded with. */
interface EncodedAdverts {
  readonly priority: number;
  readonly advertIntervalMs: number;
  readonly adverts: readonly { readonly destination: string; readonly bytes: Uint8Array }[];
}

/** The router of one daemon's VRRP instances. */
export class VrrpRouter {
  private readonly all = new Map<string, RouterInstance>();
  /** (socketKey, VRID) → instance name. */
  private readonly byWire = new WireIndex();
  private readonly groupsByName = new Map<string, { sg: SyncGroup; members: string }>();
  private readonly linkUp = new Map<number, boolean>();
  private readonly dropLogged = new Map<string, number>();
  private readonly dropLogIntervalMs: number;
  private readonly agenda = new DeadlineQueue<string>();

  /** @param options see VrrpRouterOptions */
  constructor(options: VrrpRouterOptions = {}) {
    this.dropLogIntervalMs = options.dropLogIntervalMs ?? DROP_LOG_INTERVAL_MS;
  }

  // ---- instances and groups -------------------------------------------------------------------

  /** Adds an instance (in INIT; start it with `event(name, {type: 'startup'})`). Throws on a taken name or (socket, VRID). */
  addInstance(spec: RouterInstanceSpec): RouterInstance {
    const name = spec.params.name;
    const taken = this.byWire.get(spec.socketKey, spec.params.vrid);
    if (this.all.has(name)) throw new RangeError(`instance ${name} exists`);
    if (taken !== undefined) throw new RangeError(`VRID ${spec.params.vrid} on ${spec.socketKey} is taken by ${taken}`);
    const stats = createStats();
    const inst: RouterInstance = {
      fsm: new VrrpFsm(spec.params, stats),
      stats,
      spec,
      expect: expectations(spec),
      trackers: trackerIds(spec),
      group: undefined,
      encoded: undefined,
      ah: { sequence: 0, cycle: false, ipId: 0 },
      accepted: new AcceptedAdvert(),
    };
    this.all.set(name, inst);
    this.byWire.set(spec.socketKey, spec.params.vrid, name);
    return inst;
  }

  /** Forgets an instance without a word (no shutdown actions; see applyReload for the graceful way). */
  removeInstance(name: string): boolean {
    const inst = this.all.get(name);
    if (!inst) return false;
    this.all.delete(name);
    this.agenda.set(name, undefined);
    this.byWire.delete(inst.spec.socketKey, inst.spec.params.vrid);
    for (const k of this.dropLogged.keys()) if (k.startsWith(`${name}/`)) this.dropLogged.delete(k);
    return true;
  }

  /** The instance called `name`. */
  instance(name: string): RouterInstance | undefined {
    return this.all.get(name);
  }

  /** Every instance, in the order they were added. */
  instances(): IterableIterator<RouterInstance> {
    return this.all.values();
  }

  /** The sync groups in force. */
  syncGroups(): SyncGroup[] {
    return [...this.groupsByName.values()].map((g) => g.sg);
  }

  /** The sync group `name` belongs to, if any. */
  groupOf(name: string): SyncGroup | undefined {
    return this.all.get(name)?.group;
  }

  /**
   * (Re)builds the sync groups over the present instances: a group with the same members (and the same state
   * machines) is kept as it is; a member is taken by the first group that lists it, as keepalived does.
   * Returns the names of the groups that were dissolved.
   */
  setSyncGroups(groups: readonly RouterSyncGroup[]): string[] {
    const want = new Map(groups.map((g) => [g.name, g]));
    const removed: string[] = [];
    for (const [name, g] of this.groupsByName) {
      const w = want.get(name);
      const stale = g.sg.members.some((m) => this.all.get(m.name)?.fsm !== m);
      if (w && w.members.join(' ') === g.members && !stale) continue;
      this.groupsByName.delete(name);
      for (const m of g.sg.members) m.syncGate = undefined;
      removed.push(name);
    }
    const taken = new Set<string>();
    for (const g of groups) {
      const members = g.members.filter((m) => this.all.has(m) && !taken.has(m));
      for (const m of members) taken.add(m);
      if (this.groupsByName.has(g.name) || members.length === 0) continue;
      this.groupsByName.set(g.name, {
        sg: new SyncGroup(
          g.name,
          members.map((m) => this.all.get(m)!.fsm),
        ),
        members: g.members.join(' '),
      });
    }
    for (const inst of this.all.values()) inst.group = undefined;
    for (const { sg } of this.groupsByName.values())
      for (const m of sg.members) {
        const inst = this.all.get(m.name);
        if (inst) inst.group = sg;
      }
    return removed;
  }

  // ---- inputs ---------------------------------------------------------------------------------

  /** Hands `event` to one instance (through its sync group, if any). Unknown names give nothing. */
  event(name: string, event: VrrpEvent, now: number): RouterAction[] {
    const inst = this.all.get(name);
    return inst ? this.step(inst, event, now) : [];
  }

  /**
   * A packet received on `socketKey`: IPv4 with its IP header, IPv6 the bare VRRP message; `meta` as the kernel
   * told it. Dispatched by VRID; our own source is ignored; the checks run in keepalived's order.
   */
  receive(socketKey: string, bytes: Uint8Array, meta: RxMeta, now: number): RouterAction[] {
    const ip4 = bytes[0] !== undefined && bytes[0] >> 4 === 4;
    const vrid = vridOf(bytes);
    const name = vrid === undefined ? undefined : this.byWire.get(socketKey, vrid);
    const inst = name === undefined ? undefined : this.all.get(name);
    if (!inst || meta.source === inst.spec.source) return [];
    const s = inst.spec;
    const ah = usesAh(s);
    const repeat = ah ? undefined : inst.accepted.repeatOf(bytes, meta, inst.expect, s);
    const verdict: Verdict =
      repeat ??
      checkReceived(bytes, meta, ah ? { ...inst.expect, ahSequence: inst.ah.sequence } : inst.expect, {
        source: meta.source,
        destination: meta.destination,
        ...(s.params.family === 4 ? { mcastGroup4: s.group, ...(s.oldUnicastChecksum ? { checksum4: 'mcast-group' as const } : {}) } : {}),
      });
    countVerdict(inst.stats, verdict);
    if (verdict.ahSequence !== undefined) inst.ah.sequence = verdict.ahSequence;
    const n = s.params.name;
    if (verdict.ok && !ah && repeat === undefined) inst.accepted.remember(bytes, meta, inst.expect, s, verdict, ip4);
    if (!verdict.ok) {
      const out: RouterAction[] = [{ kind: 'dropped', instance: n, reason: verdict.reason, source: meta.source }];
      const k = `${n}/${verdict.reason}`;
      const last = this.dropLogged.get(k);
      if (last === undefined || now - last >= this.dropLogIntervalMs) {
        this.dropLogged.set(k, now);
        out.push({ kind: 'log', instance: n, record: { level: 'info', text: verdict.logText, detail: verdict.detailOnly ?? false } });
      }
      return out;
    }
    // what comes before `advertReceived` (usually nothing: then no array is grown for it)
    let out: RouterAction[] | undefined;
    for (const text of verdict.logTexts) (out ??= []).push({ kind: 'log', instance: n, record: { level: 'info', text } });
    if (ah) out = pushAll(out ?? [], this.ahReceived(inst, verdict.advert.priority, meta.source));
    // Judged at its arrival: a deadline that passed before the advert arrived acts first (a stalled event loop
    // reads both at once); one that passed only while the advert waited in the socket does not.
    const at = meta.arrivedAt === undefined ? undefined : Math.min(meta.arrivedAt, now);
    if (at !== undefined) {
      const due = inst.fsm.pollTimeout();
      if (due !== undefined && due <= at) out = pushAll(out ?? [], this.step(inst, TIMEOUT, now, { instance: n, lateMs: now - due }));
    }
    const received: RouterAction = {
      kind: 'advertReceived',
      instance: n,
      source: meta.source,
      priority: verdict.advert.priority,
      localState: inst.fsm.state,
    };
    const event: VrrpEvent =
      at === undefined
        ? { type: 'advert', advert: verdict.advert, source: meta.source }
        : { type: 'advert', advert: verdict.advert, source: meta.source, arrivedAt: at };
    const then = this.step(inst, event, now);
    if (out === undefined && then.length === 0) return [received]; // a BACKUP hearing its master: the common case
    out ??= [];
    out.push(received);
    return pushAll(out, then);
  }

  /**
   * log_unknown_vrids: the VRID of a packet received on `socketKey` when no instance there has it (keepalived then
   * logs "Unknown VRID(n) received on interface(…)"); undefined when one has it or the packet is too short.
   */
  unknownVrid(socketKey: string, bytes: Uint8Array): number | undefined {
    const vrid = vridOf(bytes);
    return vrid === undefined || this.byWire.get(socketKey, vrid) !== undefined ? undefined : vrid;
  }

  /** Runs every instance whose deadline is due at `now` (adverts, master-down, delayed GARPs). */
  timeout(now: number): RouterAction[] {
    const out: RouterAction[] = [];
    const done = new Set<string>();
    for (let next = this.agenda.peek(); next !== undefined && next.at <= now && !done.has(next.key); next = this.agenda.peek()) {
      done.add(next.key); // each instance once per call: a deadline that stays due waits for the next call
      const inst = this.all.get(next.key);
      if (!inst) {
        this.agenda.set(next.key, undefined);
        continue;
      }
      pushAll(out, this.step(inst, TIMEOUT, now, { instance: next.key, lateMs: now - next.at }));
    }
    return out;
  }

  /** The earliest deadline over all instances (monotonic ms), or undefined when none is armed. */
  pollTimeout(): number | undefined {
    return this.agenda.peek()?.at;
  }

  /** A tracker's result goes to every instance that follows it. */
  tracker(result: TrackerResult, now: number): RouterAction[] {
    const id = `${result.kind}:${result.name}`;
    const out: RouterAction[] = [];
    for (const inst of this.all.values()) if (inst.trackers.has(id)) out.push(...this.step(inst, { type: 'tracker', result }, now));
    return out;
  }

  /** Records a link's carrier as known (start-up dumps) without telling any instance. */
  noteLink(ifindex: number, up: boolean): void {
    this.linkUp.set(ifindex, up);
  }

  /**
   * Carrier news for interface `ifindex` (`name`): instances on it go to FAULT or recover, instances tracking it
   * as `track_interface` get an interface tracker result. Repeated news of the same state is ignored. `logged`:
   * the caller already logged the news (linkbeat polling: "Linkbeat reports …"), so no "Netlink reports" line.
   */
  link(ifindex: number, name: string, up: boolean, now: number, logged = false): RouterAction[] {
    const users: RouterInstance[] = [];
    const trackers: RouterInstance[] = [];
    for (const inst of this.all.values()) {
      if (inst.spec.ifindex === ifindex) users.push(inst);
      else if (inst.trackers.has(`interface:${name}`)) trackers.push(inst);
    }
    if (!users.length && !trackers.length) return [];
    if ((this.linkUp.get(ifindex) ?? true) === up) return [];
    this.linkUp.set(ifindex, up);
    const first = users[0] ?? trackers[0]!;
    const out: RouterAction[] = logged
      ? []
      : [{ kind: 'log', instance: first.spec.params.name, record: { level: 'info', text: `Netlink reports ${name} ${up ? 'up' : 'down'}` } }];
    for (const inst of users) out.push(...this.step(inst, { type: 'interface', up, name }, now));
    for (const inst of trackers) out.push(...this.step(inst, { type: 'tracker', result: { kind: 'interface', name, ok: up } }, now));
    return out;
  }

  /**
   * The pure part of a reload: removed instances log keepalived's line, stop (priority 0 and VIPs released when
   * MASTER) and are forgotten (`instanceRemoved` follows their actions); updated ones get their new parameters.
   * Transitions caused here carry the reason `reload`. Call setSyncGroups afterwards.
   */
  applyReload(plan: RouterReload, now: number): RouterAction[] {
    const out: RouterAction[] = [];
    for (const name of plan.remove) {
      const inst = this.all.get(name);
      if (!inst) continue;
      out.push({ kind: 'log', instance: name, record: { level: 'info', text: `(${name}) removing instance (no longer in the configuration)` } });
      out.push(...this.translate(inst.fsm.handle({ type: 'shutdown' }, now)).map(asReload));
      this.refresh(inst);
      out.push({ kind: 'instanceRemoved', instance: name, priority: inst.fsm.priority });
      this.removeInstance(name);
    }
    for (const spec of plan.update) {
      const inst = this.all.get(spec.params.name);
      if (!inst) continue;
      inst.spec = spec;
      inst.encoded = undefined;
      inst.expect = expectations(spec);
      inst.trackers = trackerIds(spec);
      out.push(...this.step(inst, { type: 'update', params: spec.params }, now).map(asReload));
    }
    return out;
  }

  /** Graceful stop of every instance: masters send priority 0 and release their VIPs. */
  shutdown(now: number): RouterAction[] {
    const out: RouterAction[] = [];
    for (const inst of this.all.values()) out.push(...this.step(inst, { type: 'shutdown' }, now));
    return out;
  }

  /** Zeroes every instance's counters. */
  clearStats(): void {
    for (const inst of this.all.values()) clearStats(inst.stats);
  }

  // ---- internals ------------------------------------------------------------------------------

  /**
   * keepalived's AH counter rules for an accepted advert (vrrp_check_packet, vrrp_state_master_rx): a BACKUP, or a
   * MASTER hearing a better advert, clears `cycle`; a MASTER hearing a lower priority one takes the rival's
   * sequence number + 1 before it answers ("Syncing seq_num").
   */
  private ahReceived(inst: RouterInstance, priority: number, source: string): RouterAction[] {
    const fsm = inst.fsm;
    if (fsm.state === VrrpState.BACKUP) inst.ah.cycle = false;
    if (fsm.state !== VrrpState.MASTER || priority === 0) return [];
    const cmp = compareAddresses(source, inst.spec.source);
    if (priority < fsm.priority || (priority === fsm.priority && cmp < 0)) {
      inst.ah.sequence = (inst.ah.sequence + 1) >>> 0;
      inst.ah.cycle = false;
      const n = inst.spec.params.name;
      return [{ kind: 'log', instance: n, record: { level: 'info', text: `(${n}) IPSEC-AH : Syncing seq_num - Increment seq` } }];
    }
    if (priority > fsm.priority || cmp > 0) inst.ah.cycle = false;
    return [];
  }

  private step(inst: RouterInstance, event: VrrpEvent, now: number, late?: { instance: string; lateMs: number }): RouterAction[] {
    const name = inst.spec.params.name;
    const g = inst.group;
    const actions = g ? g.handle(name, event, now) : inst.fsm.handle(event, now);
    if (g)
      for (const m of g.members) {
        const i = this.all.get(m.name);
        if (i) this.refresh(i);
      }
    else this.refresh(inst);
    return this.translate(actions, late);
  }

  /** Puts an instance's next deadline on the agenda. */
  private refresh(inst: RouterInstance): void {
    this.agenda.set(inst.spec.params.name, inst.fsm.pollTimeout());
  }

  /** The state machine's actions with each `sendAdvert` encoded into one `transmit` per destination. */
  private translate(actions: readonly VrrpAction[], late?: { instance: string; lateMs: number }): RouterAction[] {
    // The common cases allocate no array of their own (issue 17): nothing to encode (a BACKUP hearing its master)
    // returns the state machine's array, which is new per call; a master's tick (one advert) gives a 1-element one.
    if (!actions.some((a) => a.kind === 'sendAdvert')) {
      for (const a of actions) this.resetCycledAh(a);
      return actions as RouterAction[]; // no sendAdvert: every action is a RouterAction
    }
    const only = actions.length === 1 ? actions[0] : undefined;
    if (only?.kind === 'sendAdvert') {
      const inst = this.all.get(only.instance);
      if (inst && !usesAh(inst.spec)) {
        const sent = encodedAdverts(inst, only.priority, only.advertIntervalMs);
        const lateMs = late?.instance === only.instance ? late.lateMs : undefined;
        if (sent.length === 1) return [transmitOf(only.instance, inst.spec.socketKey, sent[0]!, only.priority, false, lateMs)];
      }
    }
    const out: RouterAction[] = [];
    for (const a of actions) {
      if (a.kind !== 'sendAdvert') {
        this.resetCycledAh(a);
        out.push(a);
        continue;
      }
      const inst = this.all.get(a.instance);
      if (!inst) continue;
      const lateMs = late?.instance === a.instance ? late.lateMs : undefined;
      const ah = usesAh(inst.spec);
      // AH adverts carry a sequence number and an IP ID of their own: encoded per send, never cached
      for (const t of ah ? encodeAdvert(inst.spec, a.priority, a.advertIntervalMs, inst.ah) : encodedAdverts(inst, a.priority, a.advertIntervalMs))
        out.push(transmitOf(a.instance, inst.spec.socketKey, t, a.priority, ah, lateMs));
    }
    return out;
  }

  /** keepalived vrrp_state_goto_master: a cycled AH counter starts again from 0. */
  private resetCycledAh(a: VrrpAction): void {
    if (a.kind !== 'stateChanged' || a.transition.to !== VrrpState.MASTER) return;
    const to = this.all.get(a.transition.instance);
    if (to?.ah.cycle) Object.assign(to.ah, { cycle: false, sequence: 0 });
  }
}

/**
 * A `transmit` action (`ipHeader` and `lateMs` only when they apply), built without the temporary objects of
 * conditional spreads: a master builds one per advert (issue 17).
 */
function transmitOf(
  instance: string,
  socketKey: string,
  t: { readonly destination: string; readonly bytes: Uint8Array },
  priority: number,
  ah: boolean,
  lateMs: number | undefined,
): RouterAction {
  const { destination, bytes } = t;
  if (ah)
    return lateMs === undefined
      ? { kind: 'transmit', instance, socketKey, destination, bytes, ipHeader: true, priority }
      : { kind: 'transmit', instance, socketKey, destination, bytes, ipHeader: true, priority, lateMs };
  return lateMs === undefined
    ? { kind: 'transmit', instance, socketKey, destination, bytes, priority }
    : { kind: 'transmit', instance, socketKey, destination, bytes, priority, lateMs };
}

/** Appends `more` to `out` (without spreading it into arguments) and returns `out`. */
function pushAll<T>(out: T[], more: readonly T[]): T[] {
  for (let i = 0; i < more.length; i++) out.push(more[i]!);
  return out;
}

/** The instance's adverts for `priority` and `advertIntervalMs`: the last ones when those have not changed. */
function encodedAdverts(inst: RouterInstance, priority: number, advertIntervalMs: number): EncodedAdverts['adverts'] {
  const e = inst.encoded;
  if (e?.priority === priority && e.advertIntervalMs === advertIntervalMs) return e.adverts;
  inst.encoded = { priority, advertIntervalMs, adverts: encodeAdvert(inst.spec, priority, advertIntervalMs) };
  return inst.encoded.adverts;
}

/** The VRID of a received packet: IPv4 with its IP header (and AH header), IPv6 the bare VRRP message. */
function vridOf(bytes: Uint8Array): number | undefined {
  const first = bytes[0];
  const ip4 = first !== undefined && first >> 4 === 4;
  const off = ip4 ? (first & 0x0f) * 4 + (bytes[9] === IPPROTO_AH ? AH_HEADER_LENGTH : 0) : 0;
  return bytes[off + 1];
}

/**
 * Instance names by (socket, VRID): a map per socket key, so that dispatching a packet builds no `key/VRID` string
 * (a new string to hash per packet, issue 17).
 */
class WireIndex {
  private readonly bySocket = new Map<string, Map<number, string>>();

  /** How many (socket, VRID) pairs are known. */
  get size(): number {
    let n = 0;
    for (const m of this.bySocket.values()) n += m.size;
    return n;
  }

  get(socketKey: string, vrid: number): string | undefined {
    return this.bySocket.get(socketKey)?.get(vrid);
  }

  set(socketKey: string, vrid: number, name: string): void {
    let m = this.bySocket.get(socketKey);
    if (!m) this.bySocket.set(socketKey, (m = new Map()));
    m.set(vrid, name);
  }

  delete(socketKey: string, vrid: number): void {
    const m = this.bySocket.get(socketKey);
    if (m?.delete(vrid) && m.size === 0) this.bySocket.delete(socketKey);
  }
}

function trackerIds(spec: RouterInstanceSpec): Set<string> {
  return new Set(spec.params.trackers.map((t) => `${t.kind}:${t.name}`));
}

/** A transition caused by a reload says so. */
function asReload(a: RouterAction): RouterAction {
  return a.kind === 'stateChanged' ? { kind: 'stateChanged', transition: { ...a.transition, reason: 'reload' } } : a;
}

/** What the instance expects of received adverts (validate.ts), from its parameters and wire settings. */
export function expectations(spec: RouterInstanceSpec): RxExpectations {
  const p = spec.params;
  return {
    instanceName: p.name,
    vrid: p.vrid,
    version: p.version,
    family: p.family,
    authType: spec.auth?.type ?? AuthType.NONE,
    ...(spec.auth?.data ? { authData: spec.auth.data } : {}),
    advertIntervalCs: Math.round(p.advertIntervalMs / 10),
    vips: p.vips,
    unicast: p.unicastPeers.length > 0,
    unicastPeers: spec.unicastPeers ?? p.unicastPeers.map((address) => ({ address })),
    skipCheckAdvAddr: spec.skipCheckAdvAddr ?? false,
    checkUnicastSrc: spec.checkUnicastSrc ?? false,
  };
}

/** True when the instance sends and expects keepalived's IPsec-AH adverts (VRRPv2 over IPv4 with auth_type AH). */
export function usesAh(spec: RouterInstanceSpec): boolean {
  return spec.params.version === 2 && spec.params.family === 4 && spec.auth?.type === AuthType.AH;
}

/** Moves the AH counters on for one advert, as keepalived's vrrp_update_pkt does (once per advert, not per peer). */
function nextAh(c: AhCounter): { id: number; sequence: number } {
  c.ipId = (c.ipId % 0xffff) + 1; // keepalived's own IP ID: never 0, so the kernel keeps it and the ICV holds
  if (c.sequence > AH_SEQUENCE_LIMIT) c.cycle = true;
  else c.sequence += 1;
  return { id: c.ipId, sequence: c.sequence };
}

/**
 * Our advert with `priority`, encoded once per destination (each unicast peer, else the group) as keepalived sends it.
 * With auth_type AH (`ah` given: the instance's counters, moved on here) each is the whole IPv4 packet with its AH header.
 */
export function encodeAdvert(
  spec: RouterInstanceSpec,
  priority: number,
  advertIntervalMs: number,
  ah?: AhCounter,
): { destination: string; bytes: Uint8Array }[] {
  const p = spec.params;
  const pass = p.version === 2 && spec.auth?.type === AuthType.PASS;
  const unicast = p.unicastPeers.length > 0;
  const targets = unicast ? p.unicastPeers : [spec.group];
  const counters = ah ? nextAh(ah) : undefined;
  return targets.map((destination) => {
    const message = encodeMessage(spec, priority, advertIntervalMs, destination, pass);
    if (!counters) return { destination, bytes: message };
    const { id, sequence } = counters;
    const key = spec.auth?.data ?? new Uint8Array(8);
    return { destination, bytes: encodeAhPacket(message, { source: spec.source, destination, id, ttl: spec.ttl ?? 255, sequence, key, unicast }) };
  });
}

function encodeMessage(spec: RouterInstanceSpec, priority: number, advertIntervalMs: number, destination: string, pass: boolean): Uint8Array {
  const p = spec.params;
  return encode(
    {
      version: p.version,
      vrid: p.vrid,
      priority,
      family: p.family,
      addresses: p.vips,
      advertIntervalCs: Math.round(advertIntervalMs / 10),
      authType: pass ? AuthType.PASS : usesAh(spec) ? AuthType.AH : AuthType.NONE,
      ...(pass && p.family === 4 && spec.auth?.data ? { authData: spec.auth.data } : {}),
    },
    {
      source: spec.source,
      destination,
      ...(p.family === 4 ? { mcastGroup4: spec.group, ...(spec.oldUnicastChecksum ? { checksum4: 'mcast-group' as const } : {}) } : {}),
    },
  );
}
