/**
 * Prometheus metrics (prom-client, one Registry per server: two daemons in one test process do not share).
 *
 * Two sources. At each scrape, the status view (snapshot) gives the series the keepalived exporters publish, with
 * their names, types and labels (list: test/fixtures/exporters/exporter-metrics.json — mehdy/keepalived-exporter's
 * VRRP series, gen2brain/keepalived_exporter's `keepalived_lvs_*`), plus our priority, real-server and lag
 * gauges. Between scrapes, the observer channels feed counters and histograms that a snapshot cannot give:
 * transitions with their reason, failover duration, advert send jitter, checker latency, GARP/NA frames sent and
 * adverts heard from a peer while MASTER (`keepalived_ts_vrrp_dual_master`). The BGP series come from the `bgp`
 * child's events only (`keepalived-ts:bgp:state` is its whole picture; they reach this process through the
 * supervisor): route state per prefix, engine reachability, sessions, and route changes. The BFD series likewise
 * come from the `bfd` child's `keepalived-ts:bfd:sessions` picture: session up, detection time, negotiated
 * intervals and up/down transitions per `bfd_instance` and neighbor.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { subscribe, type BfdSessionsEvent, type BgpStateEvent } from '../core/events.js';
import type { StatusView } from './view.js';

/** Where the metrics read the current state. */
export type ViewSource = () => StatusView;

/** How long after a peer's advert heard while MASTER the dual-master gauge stays 1, in advert intervals. */
const DUAL_MASTER_INTERVALS = 3;

const VRRP_LABELS = ['iname', 'intf', 'vrid'] as const;

/** keepalived's counter field → mehdy/keepalived-exporter's metric name. */
const MEHDY_COUNTERS = [
  ['advert_rcvd', 'keepalived_advertisements_received_total', 'Advertisements received'],
  ['advert_sent', 'keepalived_advertisements_sent_total', 'Advertisements sent'],
  ['become_master', 'keepalived_become_master_total', 'Became master'],
  ['release_master', 'keepalived_release_master_total', 'Released master'],
  ['packet_len_err', 'keepalived_packet_length_errors_total', 'Packet length errors'],
  ['advert_interval_err', 'keepalived_advertisements_interval_errors_total', 'Advertisement interval errors'],
  ['ip_ttl_err', 'keepalived_ip_ttl_errors_total', 'TTL errors'],
  ['invalid_type_rcvd', 'keepalived_invalid_type_received_total', 'Invalid type errors'],
  ['addr_list_err', 'keepalived_address_list_errors_total', 'Address list errors'],
  ['invalid_authtype', 'keepalived_authentication_invalid_total', 'Authentication invalid'],
  ['authtype_mismatch', 'keepalived_authentication_mismatch_total', 'Authentication mismatch'],
  ['auth_failure', 'keepalived_authentication_failure_total', 'Authentication failure'],
  ['pri_zero_rcvd', 'keepalived_priority_zero_received_total', 'Priority zero received'],
  ['pri_zero_sent', 'keepalived_priority_zero_sent_total', 'Priority zero sent'],
] as const;

/** gen2brain/keepalived_exporter's LVS series: suffix → counter field. */
const LVS_SERIES = [
  ['in_packets', 'inPackets', 'in packets'],
  ['out_packets', 'outPackets', 'out packets'],
  ['in_bytes', 'inBytes', 'in bytes'],
  ['out_bytes', 'outBytes', 'out bytes'],
  ['conn', 'conns', 'connections'],
] as const;

/** IP protocol numbers (gen2brain labels `proto` with the number). */
const PROTO: Record<string, string> = { TCP: '6', UDP: '17', SCTP: '132' };

/** The `dev` of a VIP as the dumps format it, else the instance's interface. */
function vipIntf(detail: string, fallback: string): string {
  const m = / dev (\S+)/.exec(detail);
  return m ? m[1]! : fallback;
}

/** The metrics of one daemon. */
export class ObserveMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  private readonly unsubscribe: (() => void)[] = [];
  /** Wall ms of the last advert heard while MASTER, per instance. */
  private readonly peerWhileMaster = new Map<string, number>();
  /** Wall ms of the last advert heard per instance (the start of a failover, seen from the new master). */
  private readonly lastAdvert = new Map<string, number>();

  private readonly transitions: Counter;
  private readonly failover: Histogram;
  private readonly jitter: Histogram;
  private readonly garp: Counter;
  private readonly dualAdverts: Counter;
  private readonly priorityChanges: Counter;
  private readonly checkLatency: Histogram;
  private readonly checkResults: Counter;
  private readonly netlinkErrors: Counter;
  private readonly processEvents: Counter;
  private readonly bgpRouteChanges: Counter;
  /** The `bgp` child's last picture (undefined until it published one). */
  private bgp: BgpStateEvent | undefined;
  /** The `bfd` child's last picture (undefined until it published one). */
  private bfd: BfdSessionsEvent | undefined;

  /**
   * @param view the current status view (called once per scrape)
   * @param opts `defaultMetrics`: also Node's process metrics (prom-client's defaults); `now`: wall clock
   */
  constructor(
    private readonly view: ViewSource,
    opts: { defaultMetrics?: boolean; now?: () => number } = {},
  ) {
    const now = opts.now ?? Date.now;
    const reg = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.snapshotSeries(now);
    this.transitions = new Counter({
      name: 'keepalived_ts_vrrp_transitions_total',
      help: 'VRRP state transitions, with the reason',
      labelNames: ['iname', 'from', 'to', 'reason'],
      registers: reg,
    });
    this.failover = new Histogram({
      name: 'keepalived_ts_vrrp_failover_duration_seconds',
      help: 'Time from the last advert heard from the old master to becoming MASTER',
      labelNames: ['iname'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 10, 30],
      registers: reg,
    });
    this.jitter = new Histogram({
      name: 'keepalived_ts_vrrp_advert_send_jitter_seconds',
      help: 'How late adverts were sent after their deadline',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: reg,
    });
    this.garp = new Counter({
      name: 'keepalived_ts_vrrp_garp_sent_total',
      help: 'Gratuitous ARPs (kind=garp) and unsolicited NAs (kind=na) sent',
      labelNames: ['iname', 'kind'],
      registers: reg,
    });
    this.dualAdverts = new Counter({
      name: 'keepalived_ts_vrrp_dual_master_adverts_total',
      help: 'Adverts heard from a peer while this node was MASTER',
      labelNames: ['iname', 'source'],
      registers: reg,
    });
    this.priorityChanges = new Counter({
      name: 'keepalived_ts_vrrp_priority_changes_total',
      help: 'Effective priority changes',
      labelNames: ['iname'],
      registers: reg,
    });
    this.checkLatency = new Histogram({
      name: 'keepalived_ts_checker_latency_seconds',
      help: 'Health-check probe duration',
      labelNames: ['vs', 'rs', 'checker'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: reg,
    });
    this.checkResults = new Counter({
      name: 'keepalived_ts_checker_results_total',
      help: 'Health-check verdicts that changed a real server',
      labelNames: ['vs', 'rs', 'checker', 'result'],
      registers: reg,
    });
    this.netlinkErrors = new Counter({
      name: 'keepalived_ts_netlink_errors_total',
      help: 'Failed netlink requests',
      labelNames: ['code'],
      registers: reg,
    });
    this.processEvents = new Counter({
      name: 'keepalived_ts_child_events_total',
      help: 'Supervised child processes started, exited, restarted',
      labelNames: ['child', 'event'],
      registers: reg,
    });
    this.bgpRouteChanges = new Counter({
      name: 'keepalived_ts_bgp_route_changes_total',
      help: 'BGP route changes: announce, graceful_shutdown (re-announced with 65535:0), withdraw',
      labelNames: ['prefix', 'action'],
      registers: reg,
    });
    this.bgpSeries();
    this.bfdSeries();
  }

  /** The `bfd` child's last picture of its sessions, when one arrived (the HTTP `/status` adds it to the view). */
  get bfdSessions(): BfdSessionsEvent['sessions'] | undefined {
    return this.bfd?.sessions;
  }

  /** Series from the `bfd` child's last picture. */
  private bfdSeries(): void {
    const reg = [this.registry];
    const last = () => this.bfd?.sessions ?? [];
    const labelNames = ['instance', 'neighbor'] as const;
    const perSession = (name: string, help: string, value: (s: BfdSessionsEvent['sessions'][number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: reg,
        collect() {
          this.reset();
          for (const s of last()) this.set({ instance: s.name, neighbor: s.neighbor }, value(s));
        },
      });
    perSession('keepalived_ts_bfd_session_up', 'BFD session Up (1) or not (0)', (s) => (s.state === 'Up' ? 1 : 0));
    perSession(
      'keepalived_ts_bfd_detect_time_seconds',
      'BFD detection time in effect (0 before the neighbor was heard)',
      (s) => s.detectTimeUs / 1e6,
    );
    perSession('keepalived_ts_bfd_tx_interval_seconds', 'BFD negotiated transmit interval', (s) => s.txIntervalUs / 1e6);
    perSession('keepalived_ts_bfd_rx_interval_seconds', 'BFD negotiated receive interval', (s) => s.rxIntervalUs / 1e6);
    perSession(
      'keepalived_ts_bfd_state_since_seconds',
      'Wall-clock time the BFD session entered its state (unix seconds)',
      (s) => s.sinceWallMs / 1000,
    );
    new Counter({
      name: 'keepalived_ts_bfd_transitions_total',
      help: 'BFD session transitions to Up (direction=up) and from Up to down (direction=down), since the bfd child started',
      labelNames: [...labelNames, 'direction'],
      registers: reg,
      collect() {
        this.reset();
        for (const s of last()) {
          this.inc({ instance: s.name, neighbor: s.neighbor, direction: 'up' }, s.upTransitions);
          this.inc({ instance: s.name, neighbor: s.neighbor, direction: 'down' }, s.downTransitions);
        }
      },
    });
  }

  /** Gauges from the `bgp` child's last picture. */
  private bgpSeries(): void {
    const reg = [this.registry];
    const last = () => this.bgp;
    new Gauge({
      name: 'keepalived_ts_bgp_engine_up',
      help: 'The announcement engine answers (gobgpd over gRPC; always 1 for the kernel table; 0 while the bgp child is gone)',
      labelNames: ['engine'],
      registers: reg,
      collect() {
        this.reset();
        const b = last();
        if (b) this.set({ engine: b.engine }, b.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'keepalived_ts_bgp_route_announced',
      help: 'VIP route announced (1, also while draining) or withdrawn (0), per planned prefix',
      labelNames: ['prefix'],
      registers: reg,
      collect() {
        this.reset();
        for (const r of last()?.routes ?? []) this.set({ prefix: r.prefix }, r.state === 'withdrawn' ? 0 : 1);
      },
    });
    new Gauge({
      name: 'keepalived_ts_bgp_route_draining',
      help: 'VIP route announced with GRACEFUL_SHUTDOWN, withdrawal pending (1) or not (0)',
      labelNames: ['prefix'],
      registers: reg,
      collect() {
        this.reset();
        for (const r of last()?.routes ?? []) this.set({ prefix: r.prefix }, r.state === 'draining' ? 1 : 0);
      },
    });
    const perSession = (name: string, help: string, value: (s: BgpStateEvent['sessions'][number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['peer', 'peer_as'],
        registers: reg,
        collect() {
          this.reset();
          for (const s of last()?.sessions ?? []) this.set({ peer: s.peer, peer_as: String(s.peerAs) }, value(s));
        },
      });
    perSession('keepalived_ts_bgp_session_up', 'BGP session to the peer established (1) or not (0)', (s) => (s.state === 'established' ? 1 : 0));
    perSession('keepalived_ts_bgp_session_advertised_prefixes', 'Prefixes advertised to the peer', (s) => s.advertised ?? 0);
  }

  /** Subscribes to the observer channels; returns this. */
  attach(): this {
    if (this.unsubscribe.length) return this;
    const u = this.unsubscribe;
    u.push(
      subscribe('keepalived-ts:vrrp:transition', (e) => {
        this.transitions.inc({ iname: e.instance, from: e.from, to: e.to, reason: e.reason });
        const last = this.lastAdvert.get(e.instance);
        if (e.to === 'MASTER' && e.from === 'BACKUP' && last !== undefined && e.at >= last)
          this.failover.observe({ iname: e.instance }, (e.at - last) / 1000);
        if (e.to !== 'MASTER') this.peerWhileMaster.delete(e.instance);
      }),
    );
    u.push(
      subscribe('keepalived-ts:vrrp:advert', (e) => {
        this.lastAdvert.set(e.instance, e.at);
        if (e.localState === 'MASTER') {
          this.peerWhileMaster.set(e.instance, e.at);
          this.dualAdverts.inc({ iname: e.instance, source: e.source });
        }
      }),
    );
    u.push(subscribe('keepalived-ts:vrrp:priority', (e) => this.priorityChanges.inc({ iname: e.instance })));
    u.push(subscribe('keepalived-ts:vrrp:jitter', (e) => this.jitter.observe(Math.max(0, e.lateMs) / 1000)));
    u.push(
      subscribe('keepalived-ts:vrrp:garp', (e) => {
        for (const a of e.addresses) this.garp.inc({ iname: e.instance, kind: a.includes(':') ? 'na' : 'garp' }, e.count);
      }),
    );
    u.push(
      subscribe('keepalived-ts:check:verdict', (e) => {
        this.checkResults.inc({ vs: e.vs, rs: e.rs, checker: e.checker, result: e.up ? 'up' : 'down' });
        if (e.latencyMs !== undefined) this.checkLatency.observe({ vs: e.vs, rs: e.rs, checker: e.checker }, e.latencyMs / 1000);
      }),
    );
    u.push(subscribe('keepalived-ts:netlink:error', (e) => this.netlinkErrors.inc({ code: e.code })));
    u.push(subscribe('keepalived-ts:process', (e) => this.processEvents.inc({ child: e.child, event: e.event })));
    u.push(
      subscribe('keepalived-ts:bgp:state', (e) => {
        this.bgp = e;
      }),
    );
    u.push(
      subscribe('keepalived-ts:bfd:sessions', (e) => {
        this.bfd = e;
      }),
    );
    u.push(
      subscribe('keepalived-ts:bgp:route', (e) =>
        this.bgpRouteChanges.inc({ prefix: e.prefix, action: e.gracefulShutdown ? 'graceful_shutdown' : e.action }),
      ),
    );
    return this;
  }

  /** Unsubscribes from the channels. */
  detach(): void {
    for (const f of this.unsubscribe.splice(0)) f();
  }

  /** The exposition text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Prometheus' content type for `render()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Series computed from the status view at each scrape (one view per scrape, shared by all of them). */
  private snapshotSeries(now: () => number): void {
    const reg = [this.registry];
    let cached: { at: number; view: StatusView | undefined } | undefined;
    /** One view per scrape: every collect() of one scrape runs in the same tick. */
    const current = (): StatusView | undefined => {
      const t = now();
      if (!cached || cached.at !== t) {
        let v: StatusView | undefined;
        try {
          v = this.view();
        } catch {
          v = undefined;
        }
        cached = { at: t, view: v };
        queueMicrotask(() => {
          cached = undefined;
        });
      }
      return cached.view;
    };
    new Gauge({
      name: 'keepalived_up',
      help: 'Status',
      registers: reg,
      collect() {
        this.set(current() ? 1 : 0);
      },
    });
    const vrrpState = (name: string, help: string, excluded: boolean) =>
      new Gauge({
        name,
        help,
        labelNames: ['iname', 'intf', 'vrid', 'ip_address'],
        registers: reg,
        collect() {
          this.reset();
          for (const i of current()?.instances ?? []) {
            const list = excluded ? i.excludedVips : i.vipsDetail;
            if (!list.length && !excluded) this.set({ iname: i.name, intf: i.interface, vrid: String(i.vrid), ip_address: '' }, i.stateValue);
            for (const d of list) {
              this.set(
                { iname: i.name, intf: vipIntf(d, i.interface), vrid: String(i.vrid), ip_address: d.split(' ')[0]!.split('/')[0]! },
                i.stateValue,
              );
            }
          }
        },
      });
    vrrpState('keepalived_vrrp_state', 'State of vrrp', false);
    vrrpState('keepalived_vrrp_excluded_state', 'State of vrrp with excluded VIP', true);
    const perInstance = (name: string, help: string, value: (i: StatusView['instances'][number]) => number, type: 'counter' | 'gauge') => {
      const cfg = { name, help, labelNames: [...VRRP_LABELS], registers: reg };
      if (type === 'gauge') {
        return new Gauge({
          ...cfg,
          collect() {
            this.reset();
            for (const i of current()?.instances ?? []) this.set({ iname: i.name, intf: i.interface, vrid: String(i.vrid) }, value(i));
          },
        });
      }
      return new Counter({
        ...cfg,
        collect() {
          this.reset();
          for (const i of current()?.instances ?? []) this.inc({ iname: i.name, intf: i.interface, vrid: String(i.vrid) }, value(i));
        },
      });
    };
    for (const [field, name, help] of MEHDY_COUNTERS) perInstance(name, help, (i) => i.stats[field], 'counter');
    perInstance('keepalived_gratuitous_arp_delay_total', 'Gratuitous ARP delay', (i) => i.garpDelaySec, 'counter');
    // mehdy's script series (keepalived.data's "VRRP Script" section): status BAD=0 GOOD=1; the state (idle=0,
    // running=1, …) is not known to the snapshot, so keepalived_script_state has no samples (as with keepalived
    // versions the exporter finds without script state support)
    new Gauge({
      name: 'keepalived_script_status',
      help: 'Tracker Script Status',
      labelNames: ['name'],
      registers: reg,
      collect() {
        this.reset();
        for (const s of current()?.scripts ?? []) this.set({ name: s.name }, s.status === 'GOOD' ? 1 : 0);
      },
    });
    new Gauge({ name: 'keepalived_script_state', help: 'Tracker Script State', labelNames: ['name'], registers: reg });
    for (const [suffix, field, words] of LVS_SERIES) {
      new Counter({
        name: `keepalived_lvs_vip_${suffix}`,
        help: `VIP ${words}`,
        labelNames: ['addr', 'proto'],
        registers: reg,
        collect() {
          this.reset();
          for (const vs of current()?.virtualServers ?? []) {
            if (vs.counters) this.inc({ addr: vs.address, proto: PROTO[vs.protocol] ?? vs.protocol }, vs.counters[field]);
          }
        },
      });
      new Counter({
        name: `keepalived_lvs_rs_${suffix}`,
        help: `RS ${words}`,
        labelNames: ['vip', 'addr', 'proto'],
        registers: reg,
        collect() {
          this.reset();
          for (const vs of current()?.virtualServers ?? []) {
            for (const rs of vs.realServers) {
              if (rs.counters) this.inc({ vip: vs.address, addr: rs.address, proto: PROTO[vs.protocol] ?? vs.protocol }, rs.counters[field]);
            }
          }
        },
      });
    }
    // ours
    perInstance(
      'keepalived_ts_vrrp_effective_priority',
      'Effective priority (base + trackers + operator offset)',
      (i) => i.effectivePriority,
      'gauge',
    );
    perInstance('keepalived_ts_vrrp_base_priority', 'Configured priority', (i) => i.basePriority, 'gauge');
    perInstance('keepalived_ts_vrrp_master_priority', 'Priority of the current master (ours when MASTER)', (i) => i.masterPriority, 'gauge');
    perInstance('keepalived_ts_vrrp_state_since_seconds', 'Wall-clock time of the last transition (unix seconds)', (i) => i.sinceMs / 1000, 'gauge');
    const peers = this.peerWhileMaster;
    new Gauge({
      name: 'keepalived_ts_vrrp_dual_master',
      help: 'This node is MASTER and heard a peer advert within the last 3 advert intervals',
      labelNames: ['iname'],
      registers: reg,
      collect() {
        this.reset();
        const t = now();
        for (const i of current()?.instances ?? []) {
          const heard = peers.get(i.name);
          const on = i.state === 'MASTER' && heard !== undefined && t - heard <= DUAL_MASTER_INTERVALS * i.advertIntervalSec * 1000;
          this.set({ iname: i.name }, on ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'keepalived_ts_event_loop_lag_seconds',
      help: 'Event-loop lag measured by the daemon (stat=last|max)',
      labelNames: ['stat'],
      registers: reg,
      collect() {
        const p = current()?.process;
        if (!p) return;
        this.set({ stat: 'last' }, p.loopLagLastMs / 1000);
        this.set({ stat: 'max' }, p.loopLagMaxMs / 1000);
      },
    });
    new Gauge({
      name: 'keepalived_ts_real_server_up',
      help: 'Real server in its pool (1) or not (0)',
      labelNames: ['vs', 'rs'],
      registers: reg,
      collect() {
        this.reset();
        for (const vs of current()?.virtualServers ?? []) for (const rs of vs.realServers) this.set({ vs: vs.name, rs: rs.address }, rs.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'keepalived_ts_real_server_weight',
      help: 'Real server weight in effect',
      labelNames: ['vs', 'rs'],
      registers: reg,
      collect() {
        this.reset();
        for (const vs of current()?.virtualServers ?? []) for (const rs of vs.realServers) this.set({ vs: vs.name, rs: rs.address }, rs.weight);
      },
    });
    new Gauge({
      name: 'keepalived_ts_virtual_server_quorum_up',
      help: 'Virtual server has quorum',
      labelNames: ['vs'],
      registers: reg,
      collect() {
        this.reset();
        for (const vs of current()?.virtualServers ?? []) this.set({ vs: vs.name }, vs.quorumUp ? 1 : 0);
      },
    });
  }
}
