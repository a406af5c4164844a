/**
 * The status view: one plain, JSON-ready picture of a daemon built from a control-socket status report (process
 * facts + runtime snapshot). `keepalived-ts status --json`, the HTTP `/status` and the dashboard all serve this
 * shape; the human `status` renders it (render.ts). Virtual servers are read from the snapshot's optional
 * `virtualServers` (the checker runtime's contribution) through a tolerant reader, so this view does not depend
 * on that runtime's internal types.
 */
import type { BfdSessionFacts } from '../core/events.js';
import type { BgpSnapshot, InstanceSnapshot, ProcessInfo, RuntimeSnapshot } from '../runtime/snapshot.js';

/** keepalived's state names by value. */
const STATES: Record<number, string> = { 0: 'INIT', 1: 'BACKUP', 2: 'MASTER', 3: 'FAULT', 4: 'GOTO_MASTER', 97: 'STOP', 98: 'DELETED' };

/** A state value as keepalived names it. */
export function stateText(s: number): string {
  return STATES[s] ?? String(s);
}

/** One VRRP instance in the status view. */
export interface InstanceView {
  readonly name: string;
  readonly state: string;
  /** keepalived's numeric state (the exporters' `keepalived_vrrp_state` value). */
  readonly stateValue: number;
  readonly vrid: number;
  readonly family: 4 | 6;
  readonly version: 2 | 3;
  readonly interface: string;
  readonly basePriority: number;
  readonly effectivePriority: number;
  /** Operator's temporary offset, 0 when none. */
  readonly priorityOffset: number;
  /** Current master: address (absent when unknown) and priority. */
  readonly masterAddress?: string;
  readonly masterPriority: number;
  /** Wall-clock ms of the last transition (0 = never). */
  readonly sinceMs: number;
  /** Why it got there. */
  readonly reason?: string;
  readonly advertIntervalSec: number;
  readonly syncGroup?: string;
  /** VIP addresses (without dev/label). */
  readonly vips: readonly string[];
  /** VIPs as the dumps show them (`192.0.2.1 dev eth0`). */
  readonly vipsDetail: readonly string[];
  readonly excludedVips: readonly string[];
  /** Tracked objects (`interface eth1`, `script chk_nginx weight -20`). */
  readonly tracked: readonly string[];
  readonly advertsReceived: number;
  readonly advertsSent: number;
  readonly becomeMaster: number;
  readonly releaseMaster: number;
  /** keepalived's full counters (the exporter metrics read these). */
  readonly stats: InstanceSnapshot['stats'];
  readonly garpDelaySec: number;
}

/** IPVS-style counters of a service or destination. */
export interface LbCounters {
  readonly inPackets: number;
  readonly outPackets: number;
  readonly inBytes: number;
  readonly outBytes: number;
  readonly conns: number;
}

/** One real server. */
export interface RealServerView {
  /** `ip:port` */
  readonly address: string;
  readonly up: boolean;
  readonly weight: number;
  readonly configuredWeight?: number;
  /** Being drained by an operator (weight 0 until its connections finish). */
  readonly drained: boolean;
  /** Last checker result text (`TCP connect success`, `HTTP status 503`, …) and its latency. */
  readonly lastResult?: string;
  readonly latencyMs?: number;
  readonly counters?: LbCounters;
}

/** One virtual server. */
export interface VirtualServerView {
  /** keepalived's name for it (`192.0.2.100:80`, `fwmark 1`, `group NAME`). */
  readonly name: string;
  /** `ip:port` for the exporters' labels (the name when it has no address). */
  readonly address: string;
  /** Protocol name (`TCP`, `UDP`, `SCTP`). */
  readonly protocol: string;
  readonly quorumUp: boolean;
  readonly realServers: readonly RealServerView[];
  readonly counters?: LbCounters;
}

/** One BFD session (the `bfd` child's `bfd_instance`). Intervals in ms. */
export interface BfdSessionView {
  readonly name: string;
  readonly neighbor: string;
  readonly source?: string;
  /** keepalived's state names: AdminDown, Down, Init, Up. */
  readonly state: string;
  readonly remoteState: string;
  readonly localDiag: string;
  /** Negotiated transmit and receive intervals, and the detection time, in ms. */
  readonly txIntervalMs: number;
  readonly rxIntervalMs: number;
  readonly detectTimeMs: number;
  readonly upTransitions: number;
  readonly downTransitions: number;
  /** Wall-clock ms the session entered its state. */
  readonly sinceMs: number;
}

/** A BFD session of the snapshot as the view shows it. */
export function bfdSessionView(s: BfdSessionFacts): BfdSessionView {
  return {
    name: s.name,
    neighbor: s.neighbor,
    ...(s.source !== undefined ? { source: s.source } : {}),
    state: s.state,
    remoteState: s.remoteState,
    localDiag: s.localDiag,
    txIntervalMs: s.txIntervalUs / 1000,
    rxIntervalMs: s.rxIntervalUs / 1000,
    detectTimeMs: s.detectTimeUs / 1000,
    upTransitions: s.upTransitions,
    downTransitions: s.downTransitions,
    sinceMs: s.sinceWallMs,
  };
}

/** The whole status view. */
export interface StatusView {
  readonly process: ProcessInfo;
  readonly routerId?: string;
  readonly instances: readonly InstanceView[];
  readonly syncGroups: readonly { readonly name: string; readonly state: string; readonly members: readonly string[] }[];
  readonly virtualServers: readonly VirtualServerView[];
  /** `vrrp_script` results: GOOD or BAD. */
  readonly scripts: readonly { readonly name: string; readonly status: 'GOOD' | 'BAD' }[];
  readonly timing?: RuntimeSnapshot['timing'];
  /** BGP announcement (the `bgp` child), when it runs. */
  readonly bgp?: BgpSnapshot;
  /** BFD sessions (the `bfd` child), when it runs. */
  readonly bfd?: readonly BfdSessionView[];
  /** Wall-clock ms the view was taken. */
  readonly at: number;
}

/** Builds the view from a status report. */
export function statusView(process: ProcessInfo, snap: RuntimeSnapshot, nowMs: number): StatusView {
  const scripts = (snap.scripts ?? []).map((s) => ({ name: s.name, status: s.ok ? ('GOOD' as const) : ('BAD' as const) }));
  const scriptStatus = new Map(scripts.map((s) => [s.name, s.status]));
  const groupOf = new Map<string, string>();
  for (const g of snap.syncGroups) for (const m of g.members) groupOf.set(m, g.name);
  return {
    process,
    ...(snap.routerId !== undefined ? { routerId: snap.routerId } : {}),
    instances: snap.instances.map((i) => instanceView(i, groupOf.get(i.name), scriptStatus)),
    syncGroups: snap.syncGroups.map((g) => ({ name: g.name, state: stateText(g.state), members: g.members })),
    virtualServers: readVirtualServers((snap as unknown as Record<string, unknown>)['virtualServers']),
    scripts,
    ...(snap.timing ? { timing: snap.timing } : {}),
    ...(snap.bgp ? { bgp: snap.bgp } : {}),
    ...(snap.bfd ? { bfd: snap.bfd.map(bfdSessionView) } : {}),
    at: nowMs,
  };
}

function instanceView(i: InstanceSnapshot, group: string | undefined, scripts: ReadonlyMap<string, string>): InstanceView {
  const weights = new Map((i.trackScriptWeights ?? []).map((w) => [w.name, w.weight]));
  const tracked = [
    ...i.trackInterfaces.map((n) => `interface ${n}`),
    ...i.trackScripts.map((n) => `script ${n}${weights.has(n) ? ` weight ${weights.get(n)}` : ''}${scripts.has(n) ? ` ${scripts.get(n)}` : ''}`),
  ];
  return {
    name: i.name,
    state: stateText(i.state),
    stateValue: i.state,
    vrid: i.vrid,
    family: i.family,
    version: i.version,
    interface: i.ifname ?? '',
    basePriority: i.basePriority,
    effectivePriority: i.effectivePriority,
    priorityOffset: i.priorityOffset ?? 0,
    ...(i.masterAddress !== undefined ? { masterAddress: i.masterAddress } : {}),
    masterPriority: i.masterPriority,
    sinceMs: i.lastTransitionMs,
    ...(i.lastTransitionReason !== undefined ? { reason: i.lastTransitionReason } : {}),
    advertIntervalSec: i.advertIntervalSec,
    ...(group !== undefined ? { syncGroup: group } : {}),
    vips: i.vips.map((v) => v.split(' ')[0]!.split('/')[0]!),
    vipsDetail: i.vips,
    excludedVips: i.evips,
    tracked,
    advertsReceived: i.stats.advert_rcvd,
    advertsSent: i.stats.advert_sent,
    becomeMaster: i.stats.become_master,
    releaseMaster: i.stats.release_master,
    stats: i.stats,
    garpDelaySec: i.garpDelaySec,
  };
}

/* Tolerant reading of the checker runtime's snapshot ---------------------------------------------------------- */

type Loose = Record<string, unknown>;
const obj = (x: unknown): Loose | undefined => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Loose) : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const pick = (o: Loose, ...keys: string[]): unknown => {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
};

/** `ip:port` from separate fields, as gen2brain/keepalived_exporter labels them (no brackets, IPv6 too). */
function hostPort(addr: string | undefined, port: number | undefined): string | undefined {
  if (addr === undefined) return undefined;
  return port === undefined ? addr : `${addr}:${port}`;
}

function counters(x: unknown): LbCounters | undefined {
  const o = obj(x);
  if (!o) return undefined;
  const n = (...k: string[]) => num(pick(o, ...k)) ?? 0;
  return {
    inPackets: n('inPackets', 'inpkts'),
    outPackets: n('outPackets', 'outpkts'),
    inBytes: n('inBytes', 'inbytes'),
    outBytes: n('outBytes', 'outbytes'),
    conns: n('conns', 'connections'),
  };
}

/** Reads `virtualServers` from a snapshot whatever exact shape the checker runtime gives it (unknown → []). */
export function readVirtualServers(x: unknown): VirtualServerView[] {
  if (!Array.isArray(x)) return [];
  const out: VirtualServerView[] = [];
  for (const v of x) {
    const o = obj(v);
    if (!o) continue;
    const name0 = str(pick(o, 'name', 'id'));
    const fromName = name0 !== undefined ? /^\[(.+)\]:(tcp|udp|sctp):(\d+)$/i.exec(name0) : null; // keepalived's FMT_VS
    const address = hostPort(str(pick(o, 'address', 'ip', 'vip')), num(pick(o, 'port'))) ?? (fromName ? `${fromName[1]}:${fromName[3]}` : undefined);
    const name = name0 ?? address ?? '?';
    const rss = Array.isArray(pick(o, 'realServers', 'real_servers', 'rs')) ? (pick(o, 'realServers', 'real_servers', 'rs') as unknown[]) : [];
    const realServers: RealServerView[] = [];
    for (const r of rss) {
      const ro = obj(r);
      if (!ro) continue;
      const a = hostPort(str(pick(ro, 'address', 'ip')), num(pick(ro, 'port'))) ?? str(pick(ro, 'name')) ?? '?';
      const weight = num(pick(ro, 'weight', 'effectiveWeight')) ?? 0;
      const cw = num(pick(ro, 'configuredWeight', 'baseWeight'));
      const lr = str(pick(ro, 'lastCheck', 'lastResult', 'result'));
      const lat = num(pick(ro, 'lastCheckLatencyMs', 'latencyMs'));
      const c = counters(pick(ro, 'counters', 'stats'));
      realServers.push({
        address: a,
        up: pick(ro, 'up', 'alive', 'healthy') === true,
        weight,
        ...(cw !== undefined ? { configuredWeight: cw } : {}),
        drained: pick(ro, 'drained', 'draining') === true,
        ...(lr !== undefined ? { lastResult: lr } : {}),
        ...(lat !== undefined ? { latencyMs: lat } : {}),
        ...(c ? { counters: c } : {}),
      });
    }
    const c = counters(pick(o, 'counters', 'stats'));
    const q = pick(o, 'quorumUp', 'quorum', 'up');
    out.push({
      name,
      address: address ?? name,
      protocol: (str(pick(o, 'protocol', 'proto')) ?? fromName?.[2] ?? 'TCP').toUpperCase(),
      quorumUp: q === undefined ? true : q === true,
      realServers,
      ...(c ? { counters: c } : {}),
    });
  }
  return out;
}
