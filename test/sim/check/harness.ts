/**
 * A deterministic simulation of one virtual server's health checking: a virtual clock, scripted probe results
 * per real server and checker, and a model IPVS table that rejects what the kernel would (adding a destination
 * twice, removing or re-weighting one that is not there). No sleeping, no sockets.
 */
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import type { VirtualServerConfig } from '../../../src/config/model-lvs.js';
import type { CheckAction, DestRef } from '../../../src/check/actions.js';
import { VirtualServerCheck, type VirtualServerOptions } from '../../../src/check/virtual-server.js';
import { seededRng } from '../../../src/core/rng.js';
import { MinHeap } from '../heap.js';

/** The virtual servers of a keepalived.conf text (errors fail the test). */
export function virtualServers(text: string): VirtualServerConfig[] {
  const { tree, diagnostics } = parseConfigTree(text, 'check.conf');
  const d = new DiagnosticSink();
  const model = buildModel(tree, d);
  const errors = [...diagnostics, ...d.items].filter((x) => x.severity === 'error');
  if (errors.length) throw new Error(`config errors: ${errors.map((e) => e.message).join('; ')}`);
  return [...model.virtualServers];
}

/** What a scripted probe returns. */
export interface Reply {
  readonly ok: boolean;
  /** How long the probe takes (default 0). */
  readonly latencyMs?: number;
  /** Report a timeout instead of a result. */
  readonly timeout?: boolean;
  readonly detail?: string;
  readonly exitStatus?: number;
  readonly signal?: number;
  readonly mismatch?: boolean;
}

/** One probe as the script sees it. */
export interface ProbeCall {
  readonly t: number;
  readonly rs: number;
  readonly checker: number;
  readonly url?: string;
}

/** Decides each probe's result. */
export type ProbeScript = (p: ProbeCall) => Reply;

/** The IPVS table as the actions built it. */
export class IpvsTable {
  service = false;
  readonly dests = new Map<DestRef, number>();
  /** Operations the kernel would have refused. */
  readonly errors: string[] = [];

  /** Applies one action (non-IPVS actions are ignored). */
  apply(a: CheckAction, t: number): void {
    const bad = (why: string): void => {
      this.errors.push(`t=${t} ${a.kind} ${'name' in a ? a.name : a.vs}: ${why}`);
    };
    switch (a.kind) {
      case 'addVirtualServer':
        if (this.service) bad('service exists');
        this.service = true;
        break;
      case 'removeVirtualServer':
        if (!this.service) bad('no service');
        this.service = false;
        break;
      case 'addRealServer':
        if (this.dests.has(a.dest)) bad('exists');
        this.dests.set(a.dest, a.weight);
        break;
      case 'removeRealServer':
        if (!this.dests.delete(a.dest)) bad('absent');
        break;
      case 'setWeight':
        if (!this.dests.has(a.dest)) bad('absent');
        this.dests.set(a.dest, a.weight);
        break;
      default:
        break;
    }
  }
}

/** The actions whose `kind` can be K (also those with a union of kinds). */
type OfKind<K> = CheckAction extends infer A ? (A extends { kind: infer X } ? (K extends X ? A : never) : never) : never;

interface Pending {
  at: number;
  seq: number;
  run: () => void;
}

/** Options of CheckSim. */
export interface SimOptions extends Partial<VirtualServerOptions> {
  readonly seed?: number;
  readonly script: ProbeScript;
}

/** One virtual server driven on a virtual clock. */
export class CheckSim {
  /** The current virtual time (ms). */
  t = 0;
  readonly vs: VirtualServerCheck;
  readonly ipvs = new IpvsTable();
  /** Every action with the time it was emitted. */
  readonly timeline: { readonly t: number; readonly a: CheckAction }[] = [];
  /** Every probe started. */
  readonly probes: (ProbeCall & { readonly n: number })[] = [];
  /** Called after each handled event (for invariants). */
  onStep: (() => void) | undefined;
  private readonly agenda = new MinHeap<Pending>();
  private seq = 0;

  constructor(
    config: VirtualServerConfig,
    private readonly opts: SimOptions,
  ) {
    const { seed, script: _script, rng, ...rest } = opts;
    this.vs = new VirtualServerCheck(config, { ...rest, rng: rng ?? seededRng(seed ?? 1) });
  }

  /** Starts the virtual server at the current time. */
  start(): this {
    this.record(this.vs.start(this.t));
    return this;
  }

  /** Runs `fn` at virtual time `at`. */
  at(at: number, fn: () => void): this {
    this.agenda.push({ at, seq: this.seq++, run: fn });
    return this;
  }

  /** Delivers an event to the virtual server now. */
  send(event: Parameters<VirtualServerCheck['handle']>[0]): void {
    this.record(this.vs.handle(event, this.t));
  }

  /** Advances virtual time to `end`, handling every deadline and probe completion on the way. */
  runUntil(end: number): this {
    for (;;) {
      const timer = this.vs.pollTimeout();
      const next = this.agenda.peek();
      if (next !== undefined && next.at <= end && (timer === undefined || next.at <= timer)) {
        this.agenda.pop();
        this.t = next.at;
        next.run();
      } else if (timer !== undefined && timer <= end) {
        this.t = timer;
        this.send({ type: 'timer' });
      } else {
        break;
      }
    }
    this.t = end;
    return this;
  }

  private record(actions: readonly CheckAction[]): void {
    for (const a of actions) {
      this.timeline.push({ t: this.t, a });
      this.ipvs.apply(a, this.t);
      if (a.kind === 'runProbe') this.launch(a);
    }
    this.onStep?.();
  }

  private launch(a: Extract<CheckAction, { kind: 'runProbe' }>): void {
    const call: ProbeCall = { t: this.t, rs: a.rs, checker: a.checker, ...(a.url ? { url: a.url.path } : {}) };
    this.probes.push({ ...call, n: a.probe });
    const r = this.opts.script(call);
    const { rs, checker, probe } = a;
    this.at(this.t + (r.latencyMs ?? 0), () => {
      const event = r.timeout
        ? { type: 'timeout' as const, probe, ...(r.detail ? { detail: r.detail } : {}) }
        : { type: 'probeResult' as const, probe, ...r };
      this.send({ type: 'checker', rs, checker, event });
    });
  }

  /** Log lines as [t, text]. */
  logs(): [number, string][] {
    return this.timeline.flatMap(({ t, a }) => (a.kind === 'log' ? [[t, a.record.text] as [number, string]] : []));
  }

  /** Log lines containing `part`, as [t, text]. */
  logsWith(part: string): [number, string][] {
    return this.logs().filter(([, text]) => text.includes(part));
  }

  /** Actions of one kind, as [t, action]. */
  actions<K extends CheckAction['kind']>(kind: K): [number, OfKind<K>][] {
    return this.timeline.flatMap(({ t, a }) => (a.kind === kind ? [[t, a as OfKind<K>]] : []));
  }

  /** IPVS operations as short strings: `+rs0=2`, `-rs1`, `~sorry=0`, `+VS`, `-VS`. */
  ipvsOps(): [number, string][] {
    const name = (d: DestRef): string => (d === 'sorry' ? 'sorry' : `rs${d}`);
    return this.timeline.flatMap(({ t, a }): [number, string][] => {
      switch (a.kind) {
        case 'addVirtualServer':
          return [[t, '+VS']];
        case 'removeVirtualServer':
          return [[t, '-VS']];
        case 'addRealServer':
          return [[t, `+${name(a.dest)}=${a.weight}`]];
        case 'removeRealServer':
          return [[t, `-${name(a.dest)}`]];
        case 'setWeight':
          return [[t, `~${name(a.dest)}=${a.weight}`]];
        default:
          return [];
      }
    });
  }

  /** Start times of the probes of one checker. */
  probeTimes(rs = 0, checker = 0): number[] {
    return this.probes.filter((p) => p.rs === rs && p.checker === checker).map((p) => p.t);
  }
}

/** A script: fixed per (rs, checker) functions of time; unlisted checkers always succeed. */
export function byTime(rules: Record<string, (t: number, p: ProbeCall) => Reply | boolean>): ProbeScript {
  return (p) => {
    const f = rules[`${p.rs}/${p.checker}`] ?? rules[`${p.rs}`];
    const r = f ? f(p.t, p) : true;
    return typeof r === 'boolean' ? { ok: r } : r;
  };
}
