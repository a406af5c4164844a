/**
 * The load balancer on nftables where the kernel has no IPVS: an {@link LbBackend} that keeps a model of the
 * services and real servers and makes two tables of our own hold it (names and layout: ./ruleset.ts).
 *
 * Every call made in one turn of the event loop becomes one `nft -f` transaction, so the start-up (or a reload)
 * is applied whole or not at all, and a checker result is a handful of element adds/deletes (plus, when a
 * numgen scheduler's total weight changes, its one scheduling rule replaced in place, same handle). When a
 * transaction fails, every call in it gets LB_KERNEL with nft's words and the model is as before it.
 *
 *   const lb = new NftBackend({ links: rtnlLinks(rtnl) });
 *   await lb.open();                       // creates, or reads back an earlier run's tables
 *   await lb.addService(svc); await lb.addDest(svc.key, dest);
 *   lb.takeNotices();                      // e.g. "scheduler wlc: … scheduling as wrr instead"
 *   await lb.close();                      // removes both tables (unless leaveOnClose)
 */
import { spawn } from 'node:child_process';
import {
  sameServiceKey,
  serviceKeyText,
  type LbBackend,
  type LbCounters,
  type LbDest,
  type LbDestState,
  type LbError,
  type LbGlobals,
  type LbNotice,
  type LbService,
  type LbServiceKey,
  type LbServiceState,
} from '../backend.js';
import type { DestLink, LinkSource } from './links.js';
import {
  NFT_LB_DEFAULTS,
  dropTable,
  parseDescription,
  renderDestAdd,
  renderDestDelete,
  renderDestDescribe,
  renderDrTable,
  renderNatTable,
  renderSched,
  renderServiceAdd,
  renderServiceDelete,
  schedElements,
  type NftLbOptions,
  type SchedElements,
  type SvcView,
} from './ruleset.js';
import { maglevTable, numgenSlots, planScheduler, shTable, SVC_F, type SchedPlan } from './schedule.js';

/** Runs nft with arguments and optional stdin. Must never reject. */
export type NftExec = (
  args: readonly string[],
  stdin?: string,
) => Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>;

/** An NftExec spawning `argv` (default `nft`), e.g. ['ip', 'netns', 'exec', NS, 'nft'] (as src/runtime/vrrp/nft-vips.ts). */
export function nftExec(argv: readonly string[] = ['nft']): NftExec {
  return (args, stdin) =>
    new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      const child = spawn(argv[0]!, [...argv.slice(1), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.stdin.on('error', () => {
        /* reported by 'close' */
      });
      child.on('error', (e) => resolve({ code: -1, stdout, stderr: `cannot run ${argv[0]}: ${e.message}` }));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(stdin ?? '');
    });
}

/** Construction options. */
export interface NftBackendOptions extends Partial<NftLbOptions> {
  readonly exec?: NftExec;
  /** Needed for DR real servers (MAC addresses, devices); without it DR is LB_UNAVAILABLE. */
  readonly links?: LinkSource;
  /** close() leaves the tables in place (keepalived's `--dont-release-ipvs`). */
  readonly leaveOnClose?: boolean;
  /** Called at the end of close() (e.g. to close the rtnetlink client behind `links`). */
  readonly onClose?: () => void;
}

interface Dest {
  id: number;
  sid: number;
  dest: LbDest;
  link?: DestLink;
}
interface Svc {
  id: number;
  svc: LbService;
  plan: SchedPlan;
  mode?: 'NAT' | 'DR';
  dests: Dest[];
  sched: SchedElements;
  handle?: number;
}
interface Model {
  services: Svc[];
  nextId: number;
  dr: boolean;
}

/** One queued call: applied to the working model, it returns its nft lines or its error. */
type Op = (m: Model, out: string[], touched: Set<Svc>, gone: Dest[]) => LbError | undefined | Promise<LbError | undefined>;

const EMPTY_SCHED: SchedElements = { modulus: 1, elements: new Map() };
const err = (code: LbError['code'], message: string): LbError => ({ code, message });
const cloneModel = (m: Model): Model => ({
  nextId: m.nextId,
  dr: m.dr,
  services: m.services.map((s) => ({ ...s, dests: s.dests.map((d) => ({ ...d })) })),
});

/** The nftables data plane. */
export class NftBackend implements LbBackend {
  readonly name = 'nftables' as const;
  private readonly o: NftLbOptions;
  private readonly exec: NftExec;
  private model: Model = { services: [], nextId: 1, dr: false };
  private queue: { op: Op; resolve: (e: LbError | undefined) => void }[] = [];
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private opened = false;
  private notices: LbNotice[] = [];

  constructor(private readonly opts: NftBackendOptions = {}) {
    this.o = { ...NFT_LB_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([k]) => k in NFT_LB_DEFAULTS)) };
    this.exec = opts.exec ?? nftExec();
  }

  /** Notices since the last call (schedulers run as their nearest equivalent, tables read back). */
  takeNotices(): readonly LbNotice[] {
    const n = this.notices;
    this.notices = [];
    return n;
  }

  /* Life cycle ------------------------------------------------------------------------------------------ */

  /** Checks nft, then reads back an earlier run's tables (rewritten whole, counters kept) or creates them. */
  async open(): Promise<LbError | undefined> {
    const probe = await this.exec(['list', 'tables']);
    if (probe.code !== 0) return err('LB_UNAVAILABLE', `nftables: ${firstLine(probe.stderr) || 'nft failed'}`);
    const found = await this.readBack();
    this.model = found?.model ?? { services: [], nextId: 1, dr: false };
    const script = [renderNatTable(this.o)];
    if (this.model.dr) {
      if (!this.opts.links) return err('LB_UNAVAILABLE', 'nftables: DR services in the old table but no link source');
      script.push(renderDrTable(this.o, await this.opts.links.ingressDevices()));
    } else {
      script.push(dropTable('netdev', this.o.drTable));
    }
    for (const s of this.model.services) {
      if (!s.mode) continue;
      s.handle = undefined;
      const v = this.view(s);
      const want = this.wantSched(s);
      script.push(lines(renderServiceAdd(this.o, v, want.modulus).map((l) => withCounter(l, found?.counters))));
      for (const d of s.dests) {
        if (s.mode === 'DR' && this.opts.links) {
          const l = await this.opts.links.resolve(d.dest.family, d.dest.address);
          if (typeof l !== 'string') d.link = l;
        }
        script.push(lines(renderDestAdd(this.o, v, d).map((l) => withCounter(l, found?.counters))));
      }
      script.push(lines(renderSched(this.o, v, EMPTY_SCHED, want, undefined)));
      s.sched = want;
    }
    const r = await this.run(script.join(''), this.model);
    if (r) return r;
    this.opened = true;
    if (found) this.notices.push({ text: `nftables: reconciled table ${this.o.table} from an earlier run (${this.model.services.length} services)` });
    return undefined;
  }

  /** Removes both tables unless told to leave them. */
  async close(): Promise<void> {
    await this.settled();
    if (this.opened && !this.opts.leaveOnClose) {
      await this.exec(['-f', '-'], dropTable('inet', this.o.table) + dropTable('netdev', this.o.drTable));
      this.model = { services: [], nextId: 1, dr: false };
    }
    this.opened = false;
    this.opts.onClose?.();
  }

  /** Removes every service (`lvs_flush`): both tables rewritten empty in one transaction. */
  async flush(): Promise<LbError | undefined> {
    await this.settled();
    const e = await this.run(renderNatTable(this.o) + dropTable('netdev', this.o.drTable), this.model);
    if (!e) this.model = { services: [], nextId: this.model.nextId, dr: false };
    return e;
  }

  /** lvs_timeouts and lvs_sync_daemon have no nftables equivalent here: refused, naming the option. */
  async setGlobals(g: LbGlobals): Promise<LbError | undefined> {
    if (g.syncDaemon)
      return err(
        'LB_UNSUPPORTED',
        'lvs_sync_daemon is not supported by the nftables backend (no IPVS connection sync; conntrackd does that for conntrack)',
      );
    if (g.timeouts && Object.values(g.timeouts).some((v) => v !== undefined)) {
      return err(
        'LB_UNSUPPORTED',
        "lvs_timeouts is not supported by the nftables backend (conntrack's own timeouts apply: net.netfilter.nf_conntrack_*_timeout_*)",
      );
    }
    return undefined;
  }

  /* Services -------------------------------------------------------------------------------------------- */

  addService(s: LbService): Promise<LbError | undefined> {
    return this.submit((m) => {
      if (this.find(m, s.key)) return err('LB_EXISTS', `EEXIST: Service already exists (${serviceKeyText(s.key)})`);
      const plan = this.check(s);
      if ('code' in plan) return plan;
      m.services.push({ id: m.nextId++, svc: s, plan, dests: [], sched: EMPTY_SCHED });
      if (plan.notice) this.notices.push({ service: s.key, text: `${serviceKeyText(s.key)}: ${plan.notice}` });
      return undefined;
    });
  }

  editService(s: LbService): Promise<LbError | undefined> {
    return this.submit((m, out, touched) => {
      const svc = this.find(m, s.key);
      if (!svc) return err('LB_NOT_FOUND', `ESRCH: No such service (${serviceKeyText(s.key)})`);
      const plan = this.check(s);
      if ('code' in plan) return plan;
      if (svc.mode) {
        // the service's chain and maps are rebuilt in place (its counters and real servers' elements stay)
        out.push(...renderServiceDelete(this.o, this.view(svc)).filter((l) => !l.startsWith('delete counter')));
        svc.svc = s;
        svc.plan = plan;
        svc.sched = EMPTY_SCHED;
        svc.handle = undefined;
        out.push(...renderServiceAdd(this.o, this.view(svc), modulusPlaceholder(svc.id)).filter((l) => !l.startsWith('add counter')));
        touched.add(svc);
      } else {
        svc.svc = s;
        svc.plan = plan;
      }
      if (plan.notice) this.notices.push({ service: s.key, text: `${serviceKeyText(s.key)}: ${plan.notice}` });
      return undefined;
    });
  }

  delService(key: LbServiceKey): Promise<LbError | undefined> {
    return this.submit((m, out, _touched, gone) => {
      const svc = this.find(m, key);
      if (!svc) return err('LB_NOT_FOUND', `ESRCH: No such service (${serviceKeyText(key)})`);
      if (svc.mode) {
        const v = this.view(svc);
        for (const d of svc.dests) {
          out.push(...renderDestDelete(this.o, v, d));
          gone.push(d);
        }
        out.push(...renderServiceDelete(this.o, v));
      }
      m.services = m.services.filter((x) => x !== svc);
      return undefined;
    });
  }

  /* Real servers ---------------------------------------------------------------------------------------- */

  async addDest(key: LbServiceKey, d: LbDest): Promise<LbError | undefined> {
    let link: DestLink | undefined;
    if (d.method === 'DR' && this.opts.links) {
      const l = await this.opts.links.resolve(d.family, d.address);
      if (typeof l === 'string') return err('LB_KERNEL', `${serviceKeyText(key)}: ${l}`);
      link = l;
    }
    return this.submit(async (m, out, touched) => {
      const svc = this.find(m, key);
      if (!svc) return err('LB_NOT_FOUND', `ESRCH: No such service (${serviceKeyText(key)})`);
      if (svc.dests.some((x) => x.dest.address === d.address && x.dest.port === d.port))
        return err('LB_EXISTS', `EEXIST: Destination already exists ([${d.address}]:${d.port})`);
      const bad = this.checkDest(svc, d);
      if (bad) return bad;
      if (!svc.mode) {
        svc.mode = d.method === 'DR' ? 'DR' : 'NAT';
        if (svc.mode === 'DR' && !m.dr) {
          out.push(renderDrTable(this.o, await this.opts.links!.ingressDevices()));
          m.dr = true;
        }
        out.push(...renderServiceAdd(this.o, this.view(svc), modulusPlaceholder(svc.id)));
      }
      const dest: Dest = { id: m.nextId++, sid: svc.id, dest: d, ...(link ? { link } : {}) };
      svc.dests.push(dest);
      out.push(...renderDestAdd(this.o, this.view(svc), dest));
      touched.add(svc);
      return undefined;
    });
  }

  editDest(key: LbServiceKey, d: LbDest): Promise<LbError | undefined> {
    return this.submit((m, out, touched) => {
      const svc = this.find(m, key);
      const dest = svc?.dests.find((x) => x.dest.address === d.address && x.dest.port === d.port);
      if (!svc || !dest) return err('LB_NOT_FOUND', `ENOENT: No such destination ([${d.address}]:${d.port} in ${serviceKeyText(key)})`);
      const bad = this.checkDest(svc, d, dest);
      if (bad) return bad;
      dest.dest = d;
      out.push(...renderDestDescribe(this.o, this.view(svc), dest));
      touched.add(svc);
      return undefined;
    });
  }

  delDest(key: LbServiceKey, d: Pick<LbDest, 'family' | 'address' | 'port'>): Promise<LbError | undefined> {
    return this.submit((m, out, touched, gone) => {
      const svc = this.find(m, key);
      const dest = svc?.dests.find((x) => x.dest.address === d.address && x.dest.port === d.port);
      if (!svc || !dest) return err('LB_NOT_FOUND', `ENOENT: No such destination ([${d.address}]:${d.port} in ${serviceKeyText(key)})`);
      svc.dests = svc.dests.filter((x) => x !== dest);
      out.push(...renderDestDelete(this.o, this.view(svc), dest));
      gone.push(dest);
      touched.add(svc);
      return undefined;
    });
  }

  /* Reading back ---------------------------------------------------------------------------------------- */

  /**
   * The model with the kernel's counters: packets/bytes in (client → server) and out (server → client, NAT only:
   * DR replies bypass the director, as with IPVS) and connections scheduled. Active/inactive connection counts
   * are not read (conntrack is not dumped): they are 0.
   */
  async list(): Promise<readonly LbServiceState[] | LbError> {
    await this.settled();
    const c = await this.counters();
    if ('code' in c) return c;
    const get = (n: string) => c.get(n) ?? { packets: 0, bytes: 0 };
    const counters = (p: string): LbCounters => ({
      connections: get(`${p}_conn`).packets,
      packetsIn: get(`${p}_in`).packets,
      bytesIn: get(`${p}_in`).bytes,
      packetsOut: get(`${p}_out`).packets,
      bytesOut: get(`${p}_out`).bytes,
    });
    return this.model.services.map((s) => ({
      ...s.svc,
      counters: counters(`vs${s.id}`),
      dests: s.dests.map((d): LbDestState => ({ ...d.dest, activeConnections: 0, inactiveConnections: 0, counters: counters(`rs${d.id}`) })),
    }));
  }

  /** Resolves once every call so far has reached the kernel. */
  async settled(): Promise<void> {
    for (;;) {
      const c = this.chain;
      await c;
      if (c === this.chain && !this.scheduled) return;
    }
  }

  /* Internals ------------------------------------------------------------------------------------------- */

  private find(m: Model, key: LbServiceKey): Svc | undefined {
    return m.services.find((s) => sameServiceKey(s.svc.key, key));
  }

  private view(s: Svc): SvcView {
    return { id: s.id, svc: s.svc, mode: s.mode ?? 'NAT', shape: s.plan.shape };
  }

  /** What a service asks that this backend cannot do, as LB_UNSUPPORTED naming the option; else its plan. */
  private check(s: LbService): SchedPlan | LbError {
    const no = (what: string) => err('LB_UNSUPPORTED', `${serviceKeyText(s.key)}: ${what} is not supported by the nftables backend`);
    if (s.persistenceEngine) return no(`persistence_engine ${s.persistenceEngine}`);
    if (s.flags & SVC_F.ONEPACKET) return no('ops (one-packet scheduling)');
    const plan = planScheduler(s.scheduler, s.flags);
    return plan ?? no(`lvs_sched ${s.scheduler}`);
  }

  private checkDest(svc: Svc, d: LbDest, old?: Dest): LbError | undefined {
    const no = (what: string) => err('LB_UNSUPPORTED', `${serviceKeyText(svc.svc.key)}: ${what} is not supported by the nftables backend`);
    if (d.method === 'TUN') return no('lvs_method TUN (no tunnel encapsulation)');
    if (d.uthreshold) return no('uthreshold (no live connection counts)');
    if (d.lthreshold) return no('lthreshold (no live connection counts)');
    if (d.family !== svc.svc.key.family) return no(`a real server of the other address family ([${d.address}])`);
    if (d.method === 'DR' && svc.svc.key.kind === 'fwmark')
      return no('lvs_method DR with a fwmark service (the netdev ingress hook runs before any firewall mark is set)');
    const mode = d.method === 'DR' ? 'DR' : 'NAT';
    if (svc.mode && svc.mode !== mode) return no(`lvs_method ${d.method} mixed with ${svc.mode} in one virtual server`);
    if (old && old.dest.method !== d.method) return no('changing lvs_method of a real server in place');
    if (d.method === 'DR' && !this.opts.links)
      return err('LB_UNAVAILABLE', `${serviceKeyText(svc.svc.key)}: DR needs the host's links (no link source given)`);
    return undefined;
  }

  /** The scheduling elements a service should have now. */
  private wantSched(s: Svc): SchedElements {
    const dests = s.dests.map((d) => ({ id: d.id, weight: d.dest.weight, name: `${d.dest.address}:${d.dest.port}` }));
    const shape = s.plan.shape;
    const v = this.view(s);
    if (shape.kind === 'numgen') return schedElements(v, numgenSlots(shape, dests));
    return schedElements(v, shape.table === 'mh' ? maglevTable(dests) : shTable(dests));
  }

  /** Queues a call; calls of one event-loop turn run as one transaction. */
  private submit(op: Op): Promise<LbError | undefined> {
    return new Promise((resolve) => {
      this.queue.push({ op, resolve });
      if (this.scheduled) return;
      this.scheduled = true;
      this.chain = this.chain
        .then(async () => {
          await new Promise<void>((r) => setImmediate(r));
          this.scheduled = false;
          await this.burst();
        })
        .catch(() => {
          /* burst never throws */
        });
    });
  }

  private async burst(): Promise<void> {
    const calls = this.queue;
    this.queue = [];
    const work = cloneModel(this.model);
    const out: string[] = [];
    const touched = new Set<Svc>();
    const gone: Dest[] = [];
    const results: (LbError | undefined)[] = [];
    for (const c of calls) {
      const before = out.length;
      let e: LbError | undefined;
      try {
        e = await c.op(work, out, touched, gone);
      } catch (x) {
        e = err('LB_KERNEL', String(x));
      }
      if (e) out.length = before;
      results.push(e);
    }
    for (const s of touched) {
      if (!work.services.includes(s) || !s.mode) continue;
      const want = this.wantSched(s);
      const ph = modulusPlaceholder(s.id);
      for (let i = 0; i < out.length; i++) if (out[i]!.includes(ph)) out[i] = out[i]!.replace(ph, String(want.modulus));
      out.push(...renderSched(this.o, this.view(s), s.sched, want, s.handle));
      s.sched = want;
    }
    out.push(...(await this.staleKeys(work, gone)));
    const failed = out.length ? await this.run(lines(out), work) : undefined;
    if (!failed) this.model = work;
    calls.forEach((c, i) => c.resolve(results[i] ?? failed));
  }

  /** Persistence and DR flow entries pointing at removed real servers, to delete with them. */
  private async staleKeys(m: Model, gone: readonly Dest[]): Promise<string[]> {
    const out: string[] = [];
    const bySvc = new Map<number, Set<number>>();
    for (const d of gone) bySvc.set(d.sid, (bySvc.get(d.sid) ?? new Set()).add(d.id));
    for (const [sid, ids] of bySvc) {
      const s = m.services.find((x) => x.id === sid) ?? this.model.services.find((x) => x.id === sid);
      if (!s?.mode) continue;
      const T = s.mode === 'NAT' ? `inet ${this.o.table}` : `netdev ${this.o.drTable}`;
      const maps = [...(s.svc.timeoutSec > 0 ? [`persist_${sid}`] : []), ...(s.mode === 'DR' ? [`flows_${sid}`] : [])];
      for (const map of maps) {
        const r = await this.exec(['-j', 'list', 'map', ...T.split(' '), map]);
        if (r.code !== 0) continue;
        for (const [k, v] of mapElements(r.stdout)) if (ids.has((v & 0x7fffffff) >>> 0)) out.push(`delete element ${T} ${map} { ${k} }`);
      }
    }
    return out;
  }

  /** Runs a script; learns the handles of new scheduling rules from nft's echo; LB_KERNEL on failure. */
  private async run(script: string, m: Model): Promise<LbError | undefined> {
    // nft echoes (with handles) only when a scheduling rule is new: echo costs time on big tables
    const r = await this.exec([...(/^add rule .* map @sched_\d+$/m.test(script) ? ['-e', '-a'] : []), '-f', '-'], script);
    if (r.code !== 0)
      return err(
        'LB_KERNEL',
        `nft: ${r.stderr
          .split('\n')
          .filter((l) => l.trim() && !/^\s*\^+\s*$/.test(l))
          .slice(0, 2)
          .join(': ')}`,
      );
    for (const line of r.stdout.split('\n')) {
      const h = / (?:vs|dr)_(\d+) .* map @sched_(\d+) # handle (\d+)$/.exec(line);
      const s = h && h[1] === h[2] ? m.services.find((x) => x.id === Number(h[1])) : undefined;
      if (s) s.handle = Number(h![3]);
    }
    return undefined;
  }

  /** Named counters of both tables. */
  private async counters(dr = this.model.dr): Promise<Map<string, { packets: number; bytes: number }> | LbError> {
    const out = new Map<string, { packets: number; bytes: number }>();
    const tables = [['inet', this.o.table], ...(dr ? [['netdev', this.o.drTable]] : [])];
    for (const [family, name] of tables) {
      const r = await this.exec(['-j', 'list', 'counters', 'table', family!, name!]);
      if (r.code !== 0) return err('LB_KERNEL', `nft: ${firstLine(r.stderr)}`);
      for (const o of jsonObjects(r.stdout)) {
        const c = o['counter'] as { name: string; packets: number; bytes: number } | undefined;
        if (c) out.set(c.name, { packets: c.packets, bytes: c.bytes });
      }
    }
    return out;
  }

  /** An earlier run's model (from the `ids` comments) and counters, if its NAT table is there. */
  private async readBack(): Promise<{ model: Model; counters: Map<string, { packets: number; bytes: number }> } | undefined> {
    const nat = await this.exec(['-j', 'list', 'set', 'inet', this.o.table, 'ids']);
    if (nat.code !== 0) return undefined;
    const dr = await this.exec(['-j', 'list', 'set', 'netdev', this.o.drTable, 'ids']);
    const model: Model = { services: [], nextId: 1, dr: false };
    const dests: { id: number; sid: number; dest: LbDest }[] = [];
    for (const text of [...setComments(nat.stdout), ...(dr.code === 0 ? setComments(dr.stdout) : [])]) {
      const d = parseDescription(text);
      if (!d) continue;
      model.nextId = Math.max(model.nextId, d.id + 1);
      if (d.kind === 'd') {
        dests.push(d);
        continue;
      }
      const plan = planScheduler(d.svc.scheduler, d.svc.flags);
      if (plan) model.services.push({ id: d.id, svc: d.svc, plan, dests: [], sched: EMPTY_SCHED });
    }
    for (const d of dests) {
      const s = model.services.find((x) => x.id === d.sid);
      if (!s) continue;
      s.mode = d.dest.method === 'DR' ? 'DR' : 'NAT';
      if (s.mode === 'DR') model.dr = true;
      s.dests.push({ id: d.id, sid: d.sid, dest: d.dest });
    }
    const counters = await this.counters(model.dr);
    return { model, counters: 'code' in counters ? new Map() : counters };
  }
}

/* Helpers --------------------------------------------------------------------------------------------- */

/** Stands for a new scheduling rule's modulus until the burst knows it. */
const modulusPlaceholder = (id: number) => `MODULUS_OF_${id}`;
const lines = (l: readonly string[]) => (l.length ? `${l.join('\n')}\n` : '');
const firstLine = (t: string) => t.split('\n').find((l) => l.trim()) ?? '';

/** `add counter T name` with the values an earlier run left. */
function withCounter(line: string, counters: Map<string, { packets: number; bytes: number }> | undefined): string {
  const m = /^add counter \S+ \S+ (\S+)$/.exec(line);
  const c = m && counters?.get(m[1]!);
  return c ? `${line} { packets ${c.packets} bytes ${c.bytes} }` : line;
}

function jsonObjects(text: string): Record<string, unknown>[] {
  try {
    return (JSON.parse(text) as { nftables?: Record<string, unknown>[] }).nftables ?? [];
  } catch {
    return [];
  }
}

/** Comments of a set's elements (`nft -j list set`). */
function setComments(text: string): string[] {
  const out: string[] = [];
  for (const o of jsonObjects(text)) {
    const set = o['set'] as { elem?: unknown[] } | undefined;
    for (const e of set?.elem ?? []) {
      const c = (e as { elem?: { comment?: string } }).elem?.comment;
      if (c) out.push(c);
    }
  }
  return out;
}

/** Elements of a map as nft key text and numeric value (`nft -j list map`). */
function mapElements(text: string): [string, number][] {
  const out: [string, number][] = [];
  const keyText = (k: unknown): string => {
    if (typeof k === 'string' || typeof k === 'number') return String(k);
    const o = k as { concat?: unknown[]; elem?: { val: unknown }; prefix?: { addr: string; len: number } };
    if (o.concat) return o.concat.map(keyText).join(' . ');
    if (o.elem) return keyText(o.elem.val);
    if (o.prefix) return `${o.prefix.addr}/${o.prefix.len}`;
    return JSON.stringify(k);
  };
  for (const o of jsonObjects(text)) {
    const map = o['map'] as { elem?: [unknown, unknown][] } | undefined;
    for (const [k, v] of map?.elem ?? []) out.push([keyText(k), Number(v)]);
  }
  return out;
}
