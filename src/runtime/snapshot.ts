/**
 * The runtime snapshot: a plain, readonly picture of the running daemon that every dump renders from
 * (keepalived.data, keepalived.stats, keepalived.json, the control socket's status table).
 * Runtimes produce it (`Runtime.snapshot()`: the VRRP runtime fills `instances`, the checker runtime
 * `virtualServers`); the renderers never see runtime objects.
 */
import type { BfdSessionSnapshot } from '../bfd/session.js';
import type { VrrpStateValue } from '../vrrp/types.js';

/** A tracker's last result: `value` is a track_file's number or a tracked process's running count. */
export interface TrackerResultSnapshot {
  readonly kind: string;
  readonly name: string;
  readonly ok: boolean;
  readonly value?: number;
}

/** Per-instance counters, named exactly as keepalived's `vrrp_stats` (and its JSON). */
export interface InstanceStats {
  readonly advert_rcvd: number;
  readonly advert_sent: number;
  readonly become_master: number;
  readonly release_master: number;
  readonly packet_len_err: number;
  readonly advert_interval_err: number;
  readonly ip_ttl_err: number;
  readonly invalid_type_rcvd: number;
  readonly addr_list_err: number;
  readonly invalid_authtype: number;
  readonly authtype_mismatch: number;
  readonly auth_failure: number;
  readonly pri_zero_rcvd: number;
  readonly pri_zero_sent: number;
}

/** All-zero counters. */
export function zeroStats(): InstanceStats {
  return {
    advert_rcvd: 0,
    advert_sent: 0,
    become_master: 0,
    release_master: 0,
    packet_len_err: 0,
    advert_interval_err: 0,
    ip_ttl_err: 0,
    invalid_type_rcvd: 0,
    addr_list_err: 0,
    invalid_authtype: 0,
    authtype_mismatch: 0,
    auth_failure: 0,
    pri_zero_rcvd: 0,
    pri_zero_sent: 0,
  };
}

/** A BACKUP instance with keepalived's defaults (VRRPv2, IPv4, priority 100, 1 s), overridable: placeholders and tests. */
export function defaultInstanceSnapshot(over: Partial<InstanceSnapshot> & { name: string }): InstanceSnapshot {
  return {
    vrid: 1,
    version: 2,
    family: 4,
    state: 1,
    wantState: 1,
    vmacIfname: '',
    basePriority: 100,
    effectivePriority: 100,
    masterPriority: 0,
    lastTransitionMs: 0,
    advertIntervalSec: 1,
    masterAdvertIntervalSec: 1,
    garpDelaySec: 5,
    garpRefreshSec: 0,
    garpRep: 5,
    garpRefreshRep: 1,
    garpLowerPrioDelaySec: 5,
    garpLowerPrioRep: 5,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    dontTrackPrimary: false,
    skipCheckAdvAddr: false,
    strictMode: false,
    vipSet: false,
    promoteSecondaries: false,
    accept: true,
    nopreempt: false,
    preemptDelaySec: 0,
    smtpAlert: false,
    notifyDeleted: false,
    scripts: {},
    vips: [],
    evips: [],
    vroutes: [],
    vrules: [],
    trackInterfaces: [],
    trackScripts: [],
    authType: 0,
    stats: zeroStats(),
    ...over,
  };
}

/** Notify scripts of an instance, each as keepalived's `cmd_str` renders it: `'/path' 'arg' …`. */
export interface InstanceScripts {
  readonly backup?: string;
  readonly master?: string;
  readonly fault?: string;
  readonly stop?: string;
  readonly deleted?: string;
  /** The generic `notify` script. */
  readonly generic?: string;
  readonly masterRxLowerPri?: string;
}

/**
 * Timing integrity figures (keepalived-ts addition, issue 5): how late adverts went out and how late the
 * event loop ran, in milliseconds. Shown in keepalived.data, the JSON dump (as an extra `timing` key next to
 * `data` and `stats`) and the control socket; never in keepalived.stats (its format is fixed).
 */
export interface TimingStats {
  /** Advert send lateness vs schedule: last, max and mean (ms); absent when nothing was sent yet. */
  readonly advertJitterLastMs?: number;
  readonly advertJitterMaxMs?: number;
  readonly advertJitterMeanMs?: number;
  /** Event-loop lag: max over the daemon's life and the latest sample (ms). */
  readonly loopLagMaxMs: number;
  readonly loopLagLastMs: number;
  /** The supervised children (role and pid; pid 0 while one is being respawned). */
  readonly children?: readonly { readonly role: string; readonly pid: number }[];
}

/** One VRRP instance as the dumps see it. Times are wall-clock epoch ms; intervals are seconds (floats). */
export interface InstanceSnapshot {
  readonly name: string;
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly family: 4 | 6;
  readonly state: VrrpStateValue;
  readonly wantState: VrrpStateValue;
  /** Interface name (absent when the instance has none, e.g. unicast without interface). */
  readonly ifname?: string;
  /** `kernel_rx_buf_size`, when set. */
  readonly kernelRxBufSize?: number;
  /** `debug` level, when set (1-4). */
  readonly debug?: number;
  /** `vrf NAME`: the VRF device an instance without interface has its sockets bound to. */
  readonly vrf?: string;
  /** VMAC interface name, "" when none. */
  readonly vmacIfname: string;
  readonly basePriority: number;
  readonly effectivePriority: number;
  /** Priority of the last master seen (0 when none). */
  readonly masterPriority: number;
  /** Wall-clock time of the last transition, epoch ms (0 = never). */
  readonly lastTransitionMs: number;
  readonly advertIntervalSec: number;
  readonly masterAdvertIntervalSec: number;
  readonly garpDelaySec: number;
  readonly garpRefreshSec: number;
  readonly garpRep: number;
  readonly garpRefreshRep: number;
  readonly garpLowerPrioDelaySec: number;
  readonly garpLowerPrioRep: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly dontTrackPrimary: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly strictMode: boolean;
  readonly vipSet: boolean;
  readonly promoteSecondaries: boolean;
  readonly accept: boolean;
  readonly nopreempt: boolean;
  readonly preemptDelaySec: number;
  readonly smtpAlert: boolean;
  readonly notifyDeleted: boolean;
  readonly scripts: InstanceScripts;
  /** `uid:gid` the notify scripts run as (keepalived.data shows it), e.g. `0:0`. */
  readonly scriptUidGid?: string;
  /** VIPs formatted as keepalived's `format_ipaddress` (`192.0.2.100/24 dev eth0 scope global label eth0:1 set`). */
  readonly vips: readonly string[];
  readonly evips: readonly string[];
  readonly vroutes: readonly string[];
  readonly vrules: readonly string[];
  readonly trackInterfaces: readonly string[];
  /** Tracked scripts as command strings (`'/usr/bin/true'`), as keepalived's JSON. */
  readonly trackScripts: readonly string[];
  /** Tracked scripts by name with their weights (keepalived.data shows `chk_x weight -20`). */
  readonly trackScriptWeights?: readonly { readonly name: string; readonly weight: number }[];
  /** 0 none, 1 PASS, 2 AH. */
  readonly authType: 0 | 1 | 2;
  /** The plain PASS password (keepalived's JSON shows it). */
  readonly authData?: string;
  /** Source address in use, multicast group or unicast peers (for keepalived.data). */
  readonly srcIp?: string;
  readonly mcastAddress?: string;
  readonly unicastPeers?: readonly string[];
  readonly stats: InstanceStats;
  readonly timing?: TimingStats;
  /** Address of the current master (ours when MASTER, the last advert's source otherwise); absent when unknown. */
  readonly masterAddress?: string;
  /** Source of the last accepted advert from another router, whatever our state (keepalived's master_saddr). */
  readonly lastAdvertSource?: string;
  /** Why the last transition happened (`master down timer`, `preempted by 192.0.2.2 prio 150`, …). */
  readonly lastTransitionReason?: string;
  /** An operator's temporary priority offset (control socket `priority`), when set. */
  readonly priorityOffset?: number;
}

/** A sync group in the dumps. */
export interface SyncGroupSnapshot {
  readonly name: string;
  readonly state: VrrpStateValue;
  readonly members: readonly string[];
}

/** A real server of a virtual server, as the checker runtime sees it. */
export interface RealServerSnapshot {
  readonly address: string;
  readonly port: number;
  /** Current weight (misc_dynamic may change it). */
  readonly weight: number;
  /** In the pool (every checker up, or inhibited with weight 0 counts as down). */
  readonly up: boolean;
  /** The last check result in words (`TCP_CHECK success in 0.4 ms`), when checked yet. */
  readonly lastCheck?: string;
  /** FMT_RS: `[192.0.2.10]:tcp:80`. */
  readonly name?: string;
  /** The last probe's outcome, if any ran. */
  readonly lastResult?: 'success' | 'failure' | 'timeout' | 'skipped';
  /** Duration of the last probe (ms). */
  readonly lastCheckLatencyMs?: number;
  /** Held at weight 0 by an operator (`keepalived-ts ctl drain`). */
  readonly drained?: boolean;
  /** Checkers currently down (keepalived's num_failed_checkers). */
  readonly failedCheckers?: number;
}

/** One virtual server (address+port, fwmark or group), as the checker runtime sees it. */
export interface VirtualServerSnapshot {
  /** keepalived's VS name (`[192.0.2.100]:tcp:80`, `FWM 1`, `[group]:0`). */
  readonly name: string;
  /** Quorum reached (keepalived's `quorum_state_up`). */
  readonly quorumUp: boolean;
  readonly realServers: readonly RealServerSnapshot[];
  /** The configured quorum (sum of live weights needed). */
  readonly quorum?: number;
  /** The service is in the data plane (keepalived's `vs->alive`). */
  readonly alive?: boolean;
}

/** The whole daemon. */
export interface RuntimeSnapshot {
  readonly routerId?: string;
  readonly instances: readonly InstanceSnapshot[];
  readonly syncGroups: readonly SyncGroupSnapshot[];
  /** Load-balancer state (the checker runtime; absent from the VRRP runtime's snapshot). */
  readonly virtualServers?: readonly VirtualServerSnapshot[];
  readonly timing?: TimingStats;
  /** `vrrp_script` results so far (keepalived.data's "VRRP Script" status: GOOD when ok, BAD when not). */
  readonly scripts?: readonly { readonly name: string; readonly ok: boolean }[];
  /** The VRRP child's tracker results so far (files with their value, processes with their count, BFD up or not): SNMP's tables. */
  readonly trackers?: readonly TrackerResultSnapshot[];
  /** BGP announcement state (the `bgp` child). */
  readonly bgp?: BgpSnapshot;
  /** BFD sessions (the `bfd` child). */
  readonly bfd?: readonly BfdSessionStatus[];
}

/** One BFD session for `status` and the metrics: the session's view plus its addresses. */
export interface BfdSessionStatus extends BfdSessionSnapshot {
  readonly neighbor: string;
  readonly source?: string;
  /** The negotiated receive interval: max(our required_min_rx, the remote's desired_min_tx), µs. */
  readonly rxIntervalUs: number;
  /** Wall-clock ms the session entered its current state (`sinceMs` is the child's monotonic clock). */
  readonly sinceWallMs: number;
}

/** The `bgp` child's announcements and engine sessions. */
export interface BgpSnapshot {
  /** `gobgp` or `kernel`. */
  readonly engine: string;
  /** The engine answers (always true for the kernel table). */
  readonly connected: boolean;
  /** Routes held by the engine: `announced`, or `draining` (graceful shutdown, withdrawal pending). */
  readonly routes: readonly { readonly prefix: string; readonly state: 'announced' | 'draining' }[];
  /** Every planned route and its condition. */
  readonly planned: readonly { readonly prefix: string; readonly instance: string; readonly when: string }[];
  /** BGP sessions as the engine reported them last. */
  readonly sessions: readonly { readonly peer: string; readonly peerAs: number; readonly state: string; readonly advertised?: number }[];
}

/** Process facts the control socket adds to a snapshot. */
export interface ProcessInfo {
  readonly pid: number;
  readonly version: string;
  readonly configFile: string;
  /** Wall-clock start, epoch ms. */
  readonly startedMs: number;
  readonly reloads: number;
  /** Event-loop lag figures measured by the daemon (ms). */
  readonly loopLagMaxMs: number;
  readonly loopLagLastMs: number;
  /** The supervised children (role and pid; pid 0 while one is being respawned). */
  readonly children?: readonly { readonly role: string; readonly pid: number }[];
}
