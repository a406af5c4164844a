/**
 * Deterministic simulation of VRRP routers on one L2 segment (quinn-style harness): one VrrpRouter per simulated
 * node, encoded packets between them (IPv4 with the IP header the kernel would add), a virtual clock that jumps to
 * the next deadline (router deadlines, packets in flight, scripted events), seeded latency / loss / duplication, and
 * partitions. Records a timeline for assertions.
 */
import { seededRng, type Rng } from '../../src/core/rng.js';
import type { GarpReason } from '../../src/vrrp/actions.js';
import type { VrrpEvent } from '../../src/vrrp/fsm.js';
import { instanceParams, type VrrpInstanceParamsInput } from '../../src/vrrp/instance-params.js';
import { IPV4_HEADER_LENGTH, VRRP_TTL, writeIpv4Header } from '../../src/vrrp/ipv4-header.js';
import { VrrpRouter } from '../../src/vrrp/router.js';
import type { RouterAction } from '../../src/vrrp/router-types.js';
import { IPPROTO_VRRP, VrrpState, type VrrpStateValue } from '../../src/vrrp/types.js';
import { MinHeap } from './heap.js';

/** Link characteristics of the simulated segment. */
export interface LinkModel {
  /** One-way latency in ms. */
  readonly latencyMs: number;
  /** Extra uniformly random latency in [0, jitterMs). */
  readonly jitterMs: number;
  /** Probability a packet is lost. */
  readonly loss: number;
  /** Probability a packet is delivered twice. */
  readonly duplicate: number;
}

/** Something that happened, at virtual time `t` (ms). */
export type TimelineEntry =
  | {
      readonly t: number;
      readonly kind: 'state';
      readonly node: string;
      readonly instance: string;
      readonly from: VrrpStateValue;
      readonly to: VrrpStateValue;
    }
  | {
      readonly t: number;
      readonly kind: 'garp';
      readonly node: string;
      readonly instance: string;
      readonly addresses: readonly string[];
      readonly count: number;
      readonly reason: GarpReason;
    }
  | {
      readonly t: number;
      readonly kind: 'vips';
      readonly node: string;
      readonly instance: string;
      readonly op: 'add' | 'remove';
      readonly vips: readonly string[];
    }
  | { readonly t: number; readonly kind: 'log'; readonly node: string; readonly text: string }
  | { readonly t: number; readonly kind: 'groupNotify'; readonly node: string; readonly group: string; readonly state: VrrpStateValue };

/** One simulated host: its router (instances, optionally in sync groups) and its link state. */
export interface SimNode {
  readonly name: string;
  /** The node's VRRP router (a fresh one on restart). */
  router: VrrpRouter;
  /** The addresses the node owns (its instances' primary addresses): unicast adverts to them reach it. */
  readonly addresses: ReadonlySet<string>;
  /** The instance inputs and group layout, for restarts (replaced by reload()). */
  spec: { readonly instances: VrrpInstanceParamsInput[]; readonly groups: Record<string, string[]> };
  /** false after crash() or stop(): receives and sends nothing. */
  alive: boolean;
  /** Partition label; packets only flow between nodes with equal labels. */
  segment: number;
  /** true between freeze() and thaw() (SIGSTOP): no timers run, packets to it wait in its socket buffer. */
  frozen: boolean;
  /** true while setLink(name, false) holds its carrier down: it neither sends nor receives. */
  linkDown?: boolean;
}

/** What a link shaper decides for one packet from `from` to `to`: drop it, or add `delayMs` to its latency. */
export interface ShapeVerdict {
  readonly drop: boolean;
  readonly delayMs: number;
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly to: SimNode;
  readonly from: SimNode;
  readonly socketKey: string;
  readonly bytes: Uint8Array;
  readonly source: string;
  readonly destination: string;
}
interface Wake {
  readonly at: number;
  readonly seq: number;
  readonly router: VrrpRouter;
  readonly node: SimNode;
}

/** The simulated socket of a family: every instance of a node shares it (dispatch is by VRID). */
const socketKey = (family: 4 | 6): string => `sim/${family}`;
interface Scripted {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** The simulated segment, clock and agenda. */
export class SimNetwork {
  /** Current virtual time (ms). */
  now = 0;
  /** Everything that happened, in order. */
  readonly timeline: TimelineEntry[] = [];
  /** Number of events processed (deliveries, timer expiries, scripted events). */
  events = 0;
  /** When false, only state and GARP entries are recorded (for benchmarks). */
  recordAll = true;
  /** Per-packet fault injection (one-way loss, extra loss and delay), asked for every copy put on the segment. */
  shaper: ((from: SimNode, to: SimNode) => ShapeVerdict) | undefined;
  /** Called after every processed instant (for invariant checkers that watch the cluster continuously). */
  afterStep: (() => void) | undefined;
  readonly nodes: SimNode[] = [];
  private readonly rng: Rng;
  private seq = 0;
  private readonly inflight = new MinHeap<InFlight>();
  private readonly wakes = new MinHeap<Wake>();
  private readonly scripted = new MinHeap<Scripted>();
  private readonly byVrid = new Map<number, SimNode[]>();
  private readonly holders = new Map<string, Set<string>>();
  /** Packets that reached a frozen node (its socket buffer). */
  private held: InFlight[] = [];

  /** @param link segment model @param seed PRNG seed for latency/loss/duplication */
  constructor(
    readonly link: LinkModel = { latencyMs: 0, jitterMs: 0, loss: 0, duplicate: 0 },
    seed = 1,
  ) {
    this.rng = seededRng(seed);
  }

  /** Adds a node with the given instances; `groups` lists sync groups by member names. */
  addNode(name: string, instances: VrrpInstanceParamsInput[], groups: Record<string, string[]> = {}): SimNode {
    const node: SimNode = {
      name,
      router: new VrrpRouter(),
      addresses: new Set(instances.map((p) => p.primaryAddress)),
      spec: { instances, groups },
      alive: true,
      segment: 0,
      frozen: false,
    };
    this.build(node);
    this.nodes.push(node);
    for (const p of instances) {
      const list = this.byVrid.get(p.vrid) ?? [];
      if (!list.includes(node)) list.push(node);
      this.byVrid.set(p.vrid, list);
    }
    return node;
  }

  /** A fresh router for `node` (a process (re)start). */
  private build(node: SimNode): void {
    node.router = new VrrpRouter();
    for (const input of node.spec.instances) {
      const params = instanceParams(input);
      node.router.addInstance({
        params,
        socketKey: socketKey(params.family),
        ifindex: 1,
        source: params.primaryAddress,
        group: params.family === 4 ? '224.0.0.18' : 'ff02::12',
      });
    }
    node.router.setSyncGroups(Object.entries(node.spec.groups).map(([name, members]) => ({ name, members })));
  }

  /** The state machines of `node`'s instances. */
  private fsms(node: SimNode) {
    return [...node.router.instances()].map((i) => i.fsm);
  }

  /** The node called `name`. */
  node(name: string): SimNode {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined) throw new RangeError(`no node ${name}`);
    return n;
  }

  /** Runs `fn` at virtual time `at`. */
  at(at: number, fn: () => void): void {
    this.scripted.push({ at, seq: this.seq++, run: fn });
  }

  /** Starts `name` at virtual time `at` (a restart gets fresh state machines). */
  startAt(at: number, name: string): void {
    this.at(at, () => this.start(name));
  }

  /** Starts every instance of `name` (or of all nodes) now. */
  start(name?: string): void {
    for (const n of name === undefined ? this.nodes : [this.node(name)]) {
      if (this.fsms(n).some((f) => f.state !== VrrpState.INIT)) this.build(n);
      n.alive = true;
      for (const f of this.fsms(n)) this.dispatch(n, f.name, { type: 'startup' });
    }
  }

  /** Graceful stop (SIGTERM): instances send priority 0 and release VIPs. */
  stop(name: string): void {
    const n = this.node(name);
    this.apply(n, n.router.shutdown(this.now));
    this.wake(n);
    n.alive = false;
  }

  /** Hard failure: the node disappears without a word; its VIPs vanish with it. */
  crash(name: string): void {
    const n = this.node(name);
    n.alive = false;
    n.frozen = false;
    this.held = this.held.filter((h) => h.to !== n);
    for (const set of this.holders.values()) set.delete(n.name);
  }

  /** SIGSTOP: the node's timers stop and packets to it queue until thaw(). */
  freeze(name: string): void {
    this.node(name).frozen = true;
  }

  /** SIGCONT: queued packets are read (in arrival order) and late timers run, as a resumed process would. */
  thaw(name: string): void {
    const n = this.node(name);
    if (!n.frozen) return;
    n.frozen = false;
    for (const p of this.held.filter((h) => h.to === n)) this.inflight.push({ ...p, at: this.now, seq: this.seq++ });
    this.held = this.held.filter((h) => h.to !== n);
    this.wake(n);
  }

  /** Carrier change of the node's (only) interface, as netlink would report it; packets stop while it is down. */
  setLink(name: string, up: boolean): void {
    const n = this.node(name);
    n.linkDown = !up;
    this.apply(n, n.router.link(1, 'eth0', up, this.now));
    this.wake(n);
  }

  /**
   * SIGHUP with a new configuration of the same instances (same names and VRIDs): the router's pure reload (state
   * kept, VIP lists diffed), then the sync groups are rebuilt. A later restart uses the new configuration.
   */
  reload(name: string, instances: VrrpInstanceParamsInput[], groups: Record<string, string[]> = {}): void {
    const n = this.node(name);
    n.spec = { instances, groups };
    if (!n.alive) return;
    const update = instances.map((input) => {
      const params = instanceParams(input);
      return {
        params,
        socketKey: socketKey(params.family),
        ifindex: 1,
        source: params.primaryAddress,
        group: params.family === 4 ? '224.0.0.18' : 'ff02::12',
      };
    });
    this.apply(n, n.router.applyReload({ remove: [], update }, this.now));
    n.router.setSyncGroups(Object.entries(groups).map(([g, members]) => ({ name: g, members })));
    this.wake(n);
  }

  /** Splits the segment: each list of node names becomes its own partition. */
  partition(...parts: string[][]): void {
    parts.forEach((names, i) => {
      for (const nm of names) this.node(nm).segment = i + 1;
    });
  }

  /** Heals every partition. */
  heal(): void {
    for (const n of this.nodes) n.segment = 0;
  }

  /** Sends an event to one instance on one node. */
  inject(nodeName: string, instance: string, event: VrrpEvent): void {
    const n = this.node(nodeName);
    if (n.router.instance(instance) === undefined) throw new RangeError(`no instance ${instance} on ${nodeName}`);
    this.dispatch(n, instance, event);
  }

  /** Advances virtual time, processing everything due, until `until` (inclusive). */
  runUntil(until: number): void {
    for (;;) {
      const next = this.nextDeadline();
      if (next === undefined || next > until) break;
      this.now = next;
      this.processDue();
      this.afterStep?.();
    }
    this.now = until;
  }

  /** Runs for `ms` more milliseconds. */
  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Nodes whose instance `instance` is MASTER right now. */
  masters(instance: string): string[] {
    return this.nodes.filter((n) => n.alive && n.router.instance(instance)?.fsm.state === VrrpState.MASTER).map((n) => n.name);
  }

  /** State of `instance` on `node`. */
  stateOf(node: string, instance: string): VrrpStateValue {
    const f = this.node(node).router.instance(instance)?.fsm;
    if (f === undefined) throw new RangeError(`no instance ${instance} on ${node}`);
    return f.state;
  }

  /** Nodes currently holding `vip`. */
  holdersOf(vip: string): string[] {
    return [...(this.holders.get(vip) ?? [])].sort();
  }

  /** Timeline state entries, optionally filtered. */
  transitions(filter: { node?: string; instance?: string; to?: VrrpStateValue } = {}): Extract<TimelineEntry, { kind: 'state' }>[] {
    return this.timeline.filter(
      (e): e is Extract<TimelineEntry, { kind: 'state' }> =>
        e.kind === 'state' &&
        (filter.node === undefined || e.node === filter.node) &&
        (filter.instance === undefined || e.instance === filter.instance) &&
        (filter.to === undefined || e.to === filter.to),
    );
  }

  /** Log texts recorded for `node` (with times). */
  logs(node: string): { t: number; text: string }[] {
    return this.timeline
      .filter((e): e is Extract<TimelineEntry, { kind: 'log' }> => e.kind === 'log' && e.node === node)
      .map((e) => ({ t: e.t, text: e.text }));
  }

  private nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const h of [this.inflight.peek(), this.wakes.peek(), this.scripted.peek()]) {
      if (h !== undefined && (min === undefined || h.at < min)) min = h.at;
    }
    return min;
  }

  private processDue(): void {
    const now = this.now;
    for (let s = this.scripted.peek(); s !== undefined && s.at <= now; s = this.scripted.peek()) {
      this.scripted.pop();
      this.events++;
      s.run();
    }
    for (let p = this.inflight.peek(); p !== undefined && p.at <= now; p = this.inflight.peek()) {
      this.inflight.pop();
      if (!p.to.alive) continue;
      if (p.to.segment !== p.from.segment || p.to.linkDown === true) continue;
      if (p.to.frozen) {
        this.held.push(p);
        continue;
      }
      this.events++;
      const meta = { source: p.source, destination: p.destination, ttl: VRRP_TTL, ifindex: 1 };
      this.apply(p.to, p.to.router.receive(p.socketKey, p.bytes, meta, now));
      this.wake(p.to);
    }
    for (let w = this.wakes.peek(); w !== undefined && w.at <= now; w = this.wakes.peek()) {
      this.wakes.pop();
      // Stale wakes are skipped; a deadline already past (a thawed node's late timers) is due now.
      const due = w.router.pollTimeout();
      if (!w.node.alive || w.node.frozen || w.node.router !== w.router || due === undefined || due > now) continue;
      this.events++;
      this.apply(w.node, w.router.timeout(now));
      this.wake(w.node);
    }
  }

  private dispatch(node: SimNode, instance: string, event: VrrpEvent): void {
    this.apply(node, node.router.event(instance, event, this.now));
    this.wake(node);
  }

  /** Puts the node's next deadline on the agenda. */
  private wake(node: SimNode): void {
    const d = node.router.pollTimeout();
    if (d !== undefined) this.wakes.push({ at: Math.max(d, this.now), seq: this.seq++, router: node.router, node });
  }

  private apply(node: SimNode, actions: readonly RouterAction[]): void {
    const t = this.now;
    for (const a of actions) {
      switch (a.kind) {
        case 'transmit':
          this.transmit(node, a.instance, a.socketKey, a.destination, a.bytes, a.ipHeader === true);
          break;
        case 'stateChanged':
          this.timeline.push({ t, kind: 'state', node: node.name, instance: a.transition.instance, from: a.transition.from, to: a.transition.to });
          break;
        case 'sendGarp':
          this.timeline.push({ t, kind: 'garp', node: node.name, instance: a.instance, addresses: a.addresses, count: a.count, reason: a.reason });
          break;
        case 'addVips':
        case 'removeVips':
          for (const v of [...a.vips, ...a.excludedVips]) {
            const set = this.holders.get(v) ?? new Set<string>();
            if (a.kind === 'addVips') set.add(node.name);
            else set.delete(node.name);
            this.holders.set(v, set);
          }
          if (this.recordAll)
            this.timeline.push({ t, kind: 'vips', node: node.name, instance: a.instance, op: a.kind === 'addVips' ? 'add' : 'remove', vips: a.vips });
          break;
        case 'log':
          if (this.recordAll) this.timeline.push({ t, kind: 'log', node: node.name, text: a.record.text });
          break;
        case 'groupNotify':
          this.timeline.push({ t, kind: 'groupNotify', node: node.name, group: a.group, state: a.state });
          break;
        default:
          break;
      }
    }
  }

  /** Puts our encoded advert on the segment: to every node with that VRID, or to the owner of a unicast destination. */
  private transmit(from: SimNode, instance: string, key: string, destination: string, message: Uint8Array, ipHeader: boolean): void {
    if (!from.alive || from.linkDown === true) return;
    const spec = from.router.instance(instance)?.spec;
    if (spec === undefined) return;
    const p = spec.params;
    const unicast = p.unicastPeers.length > 0;
    const bytes = p.family === 4 && !ipHeader ? withIpv4Header(message, spec.source, destination) : message;
    for (const node of this.byVrid.get(p.vrid) ?? []) {
      if (node === from) continue;
      if (unicast && !node.addresses.has(destination)) continue;
      if (this.link.loss > 0 && this.rng.next() < this.link.loss) continue;
      const shape = this.shaper?.(from, node);
      if (shape?.drop === true) continue;
      const copies = this.link.duplicate > 0 && this.rng.next() < this.link.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        const at = this.now + this.link.latencyMs + (this.link.jitterMs > 0 ? this.rng.next() * this.link.jitterMs : 0) + (shape?.delayMs ?? 0);
        this.inflight.push({ at, seq: this.seq++, to: node, from, socketKey: key, bytes, source: spec.source, destination });
      }
    }
  }
}

/** The IPv4 packet the kernel makes of a VRRP message (TTL 255, protocol 112), as a raw socket receives it. */
function withIpv4Header(message: Uint8Array, source: string, destination: string): Uint8Array {
  const out = Buffer.alloc(IPV4_HEADER_LENGTH + message.length);
  writeIpv4Header(out, { source, destination, payloadLength: message.length, ttl: VRRP_TTL, protocol: IPPROTO_VRRP });
  out.set(message, IPV4_HEADER_LENGTH);
  return out;
}
