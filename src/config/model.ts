/**
 * The typed, readonly configuration model (separate from runtime objects). Every node carries the position of the
 * keyword that declared it, so reload diffs and runtime warnings can cite the file.
 *
 * Blocks keepalived knows that are not modelled are kept as raw trees (`unparsed`) and reported as "not supported yet".
 */
import type { SourcePos } from './diagnostics.js';
import type { ConfNode } from './tree.js';
import type { SslConfig, VirtualServerConfig, VirtualServerGroupConfig } from './model-lvs.js';
import type { BgpAnnounceConfig, InstanceBgpAnnounce } from './model-bgp.js';

/** The writable form of a model type, for parsers that build it up field by field. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A command line for a script (notify, track script), as written and as keepalived splits it. */
export interface ScriptCommand {
  readonly command: string;
  readonly user?: string;
  readonly group?: string;
  readonly pos: SourcePos;
}

/** SO_RCVBUF (or, forced, SO_RCVBUFFORCE) for one netlink socket; size 0: keepalived's 64 KiB. */
export interface NetlinkRcvBuf {
  readonly size: number;
  readonly force: boolean;
}

/** `vrrp_netlink_cmd_rcv_bufs` and its kin: the command and monitor rtnetlink sockets of the VRRP and checker children. */
export interface NetlinkRcvBufs {
  readonly vrrpCmd?: NetlinkRcvBuf;
  readonly vrrpMonitor?: NetlinkRcvBuf;
  readonly lvsCmd?: NetlinkRcvBuf;
  readonly lvsMonitor?: NetlinkRcvBuf;
  /** `process_monitor_rcv_bufs(_force)`: the process events connector socket of vrrp_track_process (size 0: not set). */
  readonly processMonitor?: NetlinkRcvBuf;
}

/** SNMP settings of global_defs (keepalived's enable_snmp_*, enable_traps, snmp_socket). */
export interface SnmpConfig {
  /** The master agent's AgentX socket (`unix:/path`, `/path`, `tcp:host:port`, `udp:host:port`); default /var/agentx/master. */
  readonly socket?: string;
  /** enable_traps: send keepalived's and the RFCs' notifications. */
  readonly traps: boolean;
  /** enable_snmp_vrrp (enable_snmp_keepalived): KEEPALIVED-MIB's vrrp subtree. */
  readonly vrrp: boolean;
  /** enable_snmp_checker: KEEPALIVED-MIB's check subtree. */
  readonly checker: boolean;
  /** enable_snmp_rfcv2: VRRP-MIB (RFC 2787). */
  readonly rfcv2: boolean;
  /** enable_snmp_rfcv3: VRRPV3-MIB (RFC 6527). */
  readonly rfcv3: boolean;
}

/** `global_defs`. Times are in milliseconds. */
export interface GlobalDefs {
  readonly routerId?: string;
  /** SNMP (absent: every switch off). */
  readonly snmp?: SnmpConfig;
  /** keepalived-ts `http_endpoint ADDRESS:PORT|PATH`: the observability endpoint (src/observe); `--http` overrides it. */
  readonly httpEndpoint?: string;
  /**
   * keepalived-ts `vrrp_rx_timestamps [true|false]`: VRRP sockets ask for SO_TIMESTAMPNS and a BACKUP judges an
   * advert by when the kernel received it (RFC-exact Master_Down_Interval), not by when the event loop read it.
   * Unset: off (measured under load it added takeovers rather than removing them; README "No false failover").
   */
  readonly vrrpRxTimestamps?: boolean;
  /** `vrrp_down_timer_adverts` (1-100): the instances' default `down_timer_adverts` (keepalived's default 3). */
  readonly vrrpDownTimerAdverts?: number;
  /** `default_interface`: where a static_ipaddress without `dev` goes (keepalived's default eth0). */
  readonly defaultInterface?: string;
  /** `log_unknown_vrids`: log adverts for a VRID no instance on the socket has. */
  readonly logUnknownVrids?: boolean;
  /** `vmac_prefix`: VMAC names are PREFIX.VRID (default "vrrp"). */
  readonly vmacPrefix?: string;
  /** `vmac_addr_prefix`: address VMACs (use_vmac_addr, a VIP's use_vmac) are PREFIX.VRID (default: vmac_prefix). */
  readonly vmacAddrPrefix?: string;
  /** `vrrp_rx_bufs_policy`: how the VRRP receive sockets' SO_RCVBUF is sized (unset: the kernel's default). */
  readonly vrrpRxBufsPolicy?: { readonly mtu: boolean; readonly advert: boolean; readonly size?: number };
  /** `vrrp_rx_bufs_multiplier` (default 3): adverts or MTUs per instance under the MTU and ADVERT policies. */
  readonly vrrpRxBufsMultiplier?: number;
  /** The `*_netlink_*_rcv_bufs(_force)` keywords. */
  readonly netlinkRcvBufs?: NetlinkRcvBufs;
  /**
   * keepalived-ts `vrrp_advert_watchdog [true|false]`: a MASTER's adverts are also sent by native threads (one per
   * CPU) when the event loop is late by more than a quarter interval (src/runtime/vrrp/advert-watchdog.ts).
   * Unset: on; `false` turns it off.
   */
  readonly vrrpAdvertWatchdog?: boolean;
  /**
   * keepalived-ts `bfd_tx_watchdog [true|false]`: an Up BFD session's periodic packets are also sent by native
   * threads (one per CPU) when the event loop is late (src/runtime/bfd/tx-watchdog.ts). Unset: on; `false` turns it off.
   */
  readonly bfdTxWatchdog?: boolean;
  /**
   * keepalived-ts `vrrp_yield_advert [true|false]`: a MASTER that yields to a higher-priority advert first sends one
   * advert with its own priority, so the winner of a healed split brain re-announces its VIPs (README "Split brain
   * heals cleanly"). Unset: on; `false` steps down silently, as keepalived does without `higher_prio_send_advert`.
   */
  readonly vrrpYieldAdvert?: boolean;
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom?: string;
  readonly smtpServer?: { readonly host: string; readonly port: number };
  readonly smtpHeloName?: string;
  readonly smtpConnectTimeoutMs: number;
  readonly smtpAlert?: boolean;
  readonly vrrpMcastGroup4: string;
  readonly vrrpMcastGroup6: string;
  readonly vrrpStrict: boolean;
  readonly vrrpSkipCheckAdvAddr: boolean;
  readonly vrrpIptables?: readonly string[];
  /**
   * `nftables [NAME]` (default name "keepalived"; `vrrp_iptables` means the same in keepalived built without
   * iptables, as Debian's is): the table family `ip`/`ip6` keeps the VIP drop rules in (src/runtime/nft-vips.ts).
   */
  readonly nftables?: string;
  /** `nftables_priority` (int32, default -1): the priority of the base chains. */
  readonly nftablesPriority: number;
  /** `nftables_counters`: a counter on every rule. */
  readonly nftablesCounters: boolean;
  /** `nftables_ifindex`: link-local VIPs are always matched by interface index, never by name. */
  readonly nftablesIfindex: boolean;
  /** `enable_dbus`: the VRRP child serves keepalived's org.keepalived.Vrrp1 objects on the system bus (src/observe/dbus). */
  readonly enableDbus?: boolean;
  /** `dbus_service_name NAME`: the bus name it owns (default org.keepalived.Vrrp1). */
  readonly dbusServiceName?: string;
  /**
   * `nftables_ipvs [NAME]` with `nftables_ipvs_priority` and `nftables_ipvs_start_fwmark`: a virtual_server_group
   * of addresses (no fwmark entries) is one fwmark IPVS service per protocol, the marks set by nftables maps in
   * table NAME (default "keepalived_ipvs", family ip/ip6) — src/lb/nft-ipvs.ts.
   */
  readonly nftablesIpvs?: NftablesIpvsSettings;
  /**
   * `dynamic_interfaces [allow_if_changes]`: interfaces named in the configuration may not exist yet; an instance
   * whose interface is missing waits in FAULT and starts when it appears (keepalived's IF_CREATE_IF_DYNAMIC).
   */
  readonly dynamicInterfaces?: boolean;
  /** `dynamic_interfaces allow_if_changes`. */
  readonly allowIfChanges?: boolean;
  /** `linkbeat_use_polling` (global_defs or top level): every instance's interface is polled for carrier. */
  readonly linkbeatUsePolling?: boolean;
  /**
   * `lvs_backend ipvs|nftables|auto` (keepalived-ts extension; absent = auto): the load-balancer data plane. auto
   * takes IPVS when the kernel has it and nftables otherwise (src/lb/nft, tables `keepalived_ts_lb`/`_dr`).
   */
  readonly lvsBackend?: 'ipvs' | 'nftables' | 'auto';
  readonly vrrpGarpIntervalMs: number;
  readonly vrrpGnaIntervalMs: number;
  /** `vrrp_garp_extra_if N [all]` (or the deprecated `vrrp_vmac_garp_intvl`): the default of `garp_extra_if`. */
  readonly vrrpGarpExtraIf?: GarpExtraIf;
  readonly vrrpGarpMasterDelayMs: number;
  readonly vrrpGarpMasterRepeat: number;
  readonly vrrpGarpMasterRefreshMs: number;
  readonly vrrpGarpMasterRefreshRepeat: number;
  readonly vrrpGarpLowerPrioDelayMs?: number;
  readonly vrrpGarpLowerPrioRepeat?: number;
  readonly vrrpVersion: 2 | 3;
  readonly scriptUser?: { readonly user: string; readonly group?: string };
  readonly enableScriptSecurity: boolean;
  readonly notifyFifo?: string;
  readonly vrrpNotifyFifo?: string;
  readonly lvsNotifyFifo?: string;
  /** `notify_fifo_script` / `vrrp_notify_fifo_script` / `lvs_notify_fifo_script`: readers started with the FIFO path. */
  readonly notifyFifoScript?: ScriptCommand;
  readonly vrrpNotifyFifoScript?: ScriptCommand;
  readonly lvsNotifyFifoScript?: ScriptCommand;
  /** `vrrp_notify_priority_changes`: MASTER_PRIORITY / BACKUP_PRIORITY FIFO lines. */
  readonly vrrpNotifyPriorityChanges: boolean;
  /** Instance defaults: `vrrp_lower_prio_no_advert`, `vrrp_higher_prio_send_advert`, `vrrp_check_unicast_src`. */
  readonly vrrpLowerPrioNoAdvert?: boolean;
  readonly vrrpHigherPrioSendAdvert?: boolean;
  readonly vrrpCheckUnicastSrc: boolean;
  /** `smtp_alert_vrrp`: the VRRP side's smtp_alert default (before `smtp_alert`). */
  readonly smtpAlertVrrp?: boolean;
  /** `no_email_faults`: no mail for FAULT transitions. */
  readonly noEmailFaults: boolean;
  /** Checker side: `lvs_flush` (flush the IPVS table at start-up) and `lvs_flush_on_stop [VS]` (alias `lvs_flush_onstop`). */
  readonly lvsFlush?: boolean;
  readonly lvsFlushOnStop?: 'all' | 'vs';
  /** Checker side: `lvs_timeouts [tcp N] [tcpfin N] [udp N]` (seconds) — the IPVS connection timeouts set at start and reload. */
  readonly lvsTimeouts?: { readonly tcpSec?: number; readonly tcpFinSec?: number; readonly udpSec?: number };
  /**
   * `lvs_sync_daemon` (or an instance's deprecated `lvs_sync_daemon_interface`), resolved after parsing: the
   * syncId is set (the instance's VRID, or 0) and the instance exists.
   */
  readonly lvsSyncDaemon?: LvsSyncDaemonConfig;
  /** Checker side: `checker_log_all_failures`, `rs_init_notifies`, `no_checker_emails`. */
  readonly checkerLogAllFailures?: boolean;
  readonly rsInitNotifies?: boolean;
  readonly noCheckerEmails?: boolean;
  /** `startup_script` / `shutdown_script` with their timeouts (ms, default 10 s). */
  readonly startupScript?: ScriptCommand;
  readonly startupScriptTimeoutMs: number;
  readonly shutdownScript?: ScriptCommand;
  readonly shutdownScriptTimeoutMs: number;
  /** `fifo_write_vrrp_states_on_reload`: after a reload, every instance's and group's state goes to the FIFOs. */
  readonly fifoWriteVrrpStatesOnReload: boolean;
  /** `vrrp_startup_delay`: wait this long (ms) before starting the instances. */
  readonly vrrpStartupDelayMs: number;
  /**
   * `vrrp_rt_priority` (1-99): run the VRRP process SCHED_RR at this priority; 0 = normal scheduling, unset = our
   * default (src/daemon/priorities.ts).
   */
  readonly vrrpRtPriority?: number;
  /** `vrrp_rlimit_rttime` (µs, ≥ 2): CPU time allowed between blocking calls while real-time; unset = our default. */
  readonly vrrpRlimitRttimeUs?: number;
  /** `vrrp_priority` (-20..19): the VRRP process's nice value (ignored when real-time). */
  readonly vrrpProcessPriority?: number;
  /** `disable_local_igmp`: no IGMP reports for link-local groups while the VRRP process runs (src/runtime/vrrp/local-igmp.ts). */
  readonly disableLocalIgmp?: boolean;
  /** `vrrp_no_swap`: lock the process in memory — warned and not applied (V8 aborts on locked memory). */
  readonly vrrpNoSwap?: boolean;
  /** `max_auto_priority` (-1..99, bare = 99): raise to real-time when timers run late; 0 (default) or -1 = never. */
  readonly maxAutoPriority?: number;
  /** `min_auto_priority_delay` (µs, 1..10000000; keepalived's default 1000000): lateness that counts. */
  readonly minAutoPriorityDelayUs?: number;
  /** `bfd_rt_priority` (1-99): the BFD process's SCHED_RR priority; 0 = normal scheduling, unset = our default. */
  readonly bfdRtPriority?: number;
  /** `bfd_rlimit_rttime` (µs, ≥ 2): the BFD process's CPU time allowed between blocking calls while real-time. */
  readonly bfdRlimitRttimeUs?: number;
  /** `bfd_priority` (-20..19): the BFD process's nice value (ignored when real-time). */
  readonly bfdProcessPriority?: number;
  /** `bfd_no_swap`: warned and not applied, as `vrrp_no_swap`. */
  readonly bfdNoSwap?: boolean;
  /** `bfd_cpu_affinity`: the CPUs the BFD process may run on (empty or unset: any). */
  readonly bfdCpuAffinity?: readonly number[];
  /** `bfd_process_name`: the BFD process's name (prctl PR_SET_NAME; at most 15 characters). */
  readonly bfdProcessName?: string;
  /** `vrrp_cpu_affinity`: the CPUs the VRRP process may run on (empty or unset: any). */
  readonly vrrpCpuAffinity?: readonly number[];
  /** `checker_rt_priority` (1-99): the checker process's SCHED_RR priority; unset = normal scheduling. */
  readonly checkerRtPriority?: number;
  /** `checker_rlimit_rttime` (µs, ≥ 2): the checker process's CPU time allowed between blocking calls while real-time. */
  readonly checkerRlimitRttimeUs?: number;
  /** `checker_priority` (-20..19): the checker process's nice value (ignored when real-time). */
  readonly checkerProcessPriority?: number;
  /** `checker_no_swap`: warned and not applied, as `vrrp_no_swap`. */
  readonly checkerNoSwap?: boolean;
  /** `checker_cpu_affinity`: the CPUs the checker process may run on (empty or unset: any). */
  readonly checkerCpuAffinity?: readonly number[];
  /** `process_name` (`process_names`): the parent's name, and each child's unless it has its own (≤ 15 characters). */
  readonly processName?: string;
  /** `vrrp_process_name` (`process_names`: keepalived_vrrp): the VRRP process's name. */
  readonly vrrpProcessName?: string;
  /** `checker_process_name` / `lvs_process_name` (`process_names`: keepalived_lvs): the checker process's name. */
  readonly checkerProcessName?: string;
  /** `umask` (numeric or IRUSR|IWGRP… bits): the daemon's file creation mask, unless `-u/--umask` was given. */
  readonly umask?: number;
  /** `random_seed N`: checked; no effect, as in keepalived 2.2.7 (see parse-process.ts). */
  readonly randomSeed?: number;
  /** `smtp_alert_checker [BOOL]`: default `smtp_alert` of virtual and real servers (before `smtp_alert`). */
  readonly smtpAlertChecker?: boolean;
  /** `data_use_instance [BOOL]`: dump files named keepalived.NAMESPACE_INSTANCE.data etc. */
  readonly dataUseInstance?: boolean;
  /** `include_check [[+|-]read|match|wildcard_match|brace_match …]`: the include checks in force after it (bits). */
  readonly includeCheck?: number;
  /** `config_save_dir DIR`: each configuration the parent reads is copied to DIR/keepalived.conf.PID.N. */
  readonly configSaveDir?: string;
  /** `tmp_config_directory DIR`: where the configuration copy the children read is kept. */
  readonly tmpConfigDirectory?: string;
  /** `reload_check_config [LOGFILE]`: a reload is first validated by `-t` in a child (LOGFILE, default /dev/null). */
  readonly reloadCheckConfig?: string;
  /** `reload_time_file FILE`: FILE holds a time at which the daemon reloads itself. */
  readonly reloadTimeFile?: string;
  /** `reload_repeat`: a reload_time_file holding only a time of day is kept, so the reload repeats daily. */
  readonly reloadRepeat?: boolean;
  /** `reload_file [FILE]`: FILE exists while a reload reads its configuration (true: keepalived's default name). */
  readonly reloadFile?: string | true;
  readonly pos?: SourcePos;
}

/** One `virtual_ipaddress` line: `<ip>[/len] [brd X] [dev IF] [scope S] [label L] [peer P] [-nodad] …`. */
export interface VirtualAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly prefixLength: number;
  readonly broadcast?: string;
  readonly dev?: string;
  readonly scope?: string;
  readonly label?: string;
  readonly peer?: string;
  readonly noDad: boolean;
  /**
   * `use_vmac` after a VIP (keepalived 2.2.7): the address goes on a VMAC of its own on its interface (as
   * `use_vmac_addr` does for every VIP off the instance's interface or family). Cleared where keepalived clears it.
   */
  readonly useVmac?: boolean;
  /**
   * A static_ipaddress without `dev`: `dev` is global_defs' default_interface (eth0 when unset), and the address as
   * written, for keepalived's "Static address … requires either an interface or default interface must exist".
   */
  readonly defaultDev?: { readonly written: string };
  readonly pos: SourcePos;
}

/** A prefix (`from`/`to` of a rule, `from` of a route). */
export interface Prefix {
  readonly address: string;
  readonly prefixLength: number;
}

/**
 * Route metrics (RTA_METRICS), in the kernel's units, as keepalived sends them: `rtt` in 1/8 ms, `rttvar` in 1/4 ms,
 * `rtoMin` in ms; the others as written. `lock` is the RTAX_LOCK bitmask (bit n set: metric RTAX id n is locked).
 */
export interface RouteMetrics {
  readonly mtu?: number;
  readonly window?: number;
  readonly rtt?: number;
  readonly rttvar?: number;
  readonly ssthresh?: number;
  readonly cwnd?: number;
  readonly advmss?: number;
  readonly reordering?: number;
  readonly hoplimit?: number;
  readonly initcwnd?: number;
  /** RTAX_FEATURE_* bits (`features ecn` = 1). */
  readonly features?: number;
  readonly rtoMin?: number;
  readonly initrwnd?: number;
  readonly quickack?: number;
  /** Congestion control algorithm name (RTAX_CC_ALGO). */
  readonly congctl?: string;
  readonly fastopenNoCookie?: number;
  readonly lock?: number;
}

/** One `nexthop` of a multipath route. */
export interface NexthopConfig {
  readonly gateway?: string;
  readonly dev?: string;
  /** ip(8)'s weight, 1-256 (the kernel stores weight - 1). */
  readonly weight?: number;
  readonly onlink?: boolean;
  readonly realms?: number;
}

/** A route (`static_routes`, `virtual_routes`) in `ip route` syntax. */
export interface RouteConfig {
  readonly family: 4 | 6;
  readonly destination: string;
  readonly prefixLength: number;
  /** `blackhole`, `unreachable`, … when given before the destination. */
  readonly type?: string;
  readonly gateway?: string;
  readonly dev?: string;
  /** `src` (RTA_PREFSRC). */
  readonly source?: string;
  /** `from` (RTA_SRC, IPv6 only). */
  readonly from?: Prefix;
  /** Routing table id (main = 254, keepalived's default). */
  readonly table: number;
  readonly metric?: number;
  readonly scope?: number;
  readonly protocol?: number;
  /** `tos`/`dsfield` (rtm_tos). */
  readonly tos?: number;
  /** `realms` (RTA_FLOW): from-realm << 16 | to-realm. */
  readonly realms?: number;
  /** `expires` seconds (RTA_EXPIRES, IPv6). */
  readonly expires?: number;
  /** `pref` (RTA_PREF, IPv6 router preference: low 3, medium 0, high 1). */
  readonly pref?: number;
  /** `ttl-propagate enabled|disabled` (RTA_TTL_PROPAGATE). */
  readonly ttlPropagate?: boolean;
  readonly metrics?: RouteMetrics;
  /** `add` (NLM_F_EXCL), `append` (NLM_F_APPEND); default `prepend` (keepalived's traditional behaviour). */
  readonly mode?: 'add' | 'append';
  /** Multipath next hops (`nexthop via … dev … weight …`, or the deprecated `or`). */
  readonly nexthops?: readonly NexthopConfig[];
  readonly onlink?: boolean;
  readonly noTrack: boolean;
  readonly trackGroup?: string;
  /** Attributes parsed but not acted on (`encap`, warned). */
  readonly options: Readonly<Record<string, string>>;
  readonly pos: SourcePos;
}

/** A rule's action (fib_rule_hdr action): to a table, goto, nop, or a terminal one. */
export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/** A policy rule (`static_rules`, `virtual_rules`) in `ip rule` syntax. */
export interface RuleConfig {
  readonly family: 4 | 6;
  readonly invert: boolean;
  readonly from?: Prefix;
  readonly to?: Prefix;
  readonly action: RuleAction;
  readonly table?: number;
  /** `goto` target preference. */
  readonly gotoTarget?: number;
  /** `l3mdev` (table from the l3mdev of the device). */
  readonly l3mdev?: boolean;
  /** Preference; keepalived picks one (counting down from 32765) when none is given, and so do we. */
  readonly priority?: number;
  readonly fwmark?: number;
  readonly fwmask?: number;
  readonly tos?: number;
  readonly realms?: number;
  /** `suppress_prefixlength` / `sup_pl`. */
  readonly suppressPrefixLength?: number;
  /** `suppress_ifgroup` / `sup_group`. */
  readonly suppressIfgroup?: number;
  /** `iif` or its alias `dev`. */
  readonly iif?: string;
  readonly oif?: string;
  /** `tunnel-id`, a u64 in decimal (JSON has no 64-bit integers). */
  readonly tunnelId?: string;
  readonly uidRange?: { readonly start: number; readonly end: number };
  /** FRA_PROTOCOL (RTPROT_KEEPALIVED unless `no_track`). */
  readonly protocol?: number;
  readonly ipProto?: number;
  readonly sport?: { readonly start: number; readonly end: number };
  readonly dport?: { readonly start: number; readonly end: number };
  readonly noTrack: boolean;
  readonly trackGroup?: string;
  readonly pos: SourcePos;
}

/** `track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] }` (alias `vrrp_track_file`). */
export interface TrackFileConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly path: string;
  readonly weight: number;
  readonly reverse: boolean;
  readonly init?: { readonly value: number; readonly overwrite: boolean };
}

/** `vrrp_track_process NAME { … }`. Delays in ms. */
export interface TrackProcessConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly process: string;
  readonly params?: readonly string[];
  readonly paramMatch: 'none' | 'exact' | 'partial' | 'initial';
  readonly fullCommand: boolean;
  readonly weight: number;
  readonly reverse: boolean;
  readonly quorum: number;
  readonly quorumMax?: number;
  readonly forkDelayMs: number;
  readonly terminateDelayMs: number;
}

/** `bfd_instance NAME { … }`, run by the `bfd` child. Times in ms; `maxHops` -1 turns the TTL check off. */
export interface BfdInstanceConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly neighbor?: string;
  readonly source?: string;
  readonly minRxMs: number;
  readonly minTxMs: number;
  readonly idleTxMs: number;
  readonly multiplier: number;
  readonly passive: boolean;
  readonly ttl?: number;
  readonly maxHops?: number;
  readonly weight: number;
}

/** `track_group NAME { group { IF … } }`: interfaces a static address/route/rule follows. */
export interface TrackGroupConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly interfaces: readonly string[];
}

/** A `track_*` entry of an instance or sync group. */
export interface TrackRef {
  readonly name: string;
  readonly weight?: number;
  readonly reverse: boolean;
  readonly pos: SourcePos;
}

/** `vrrp_instance NAME { … }` after keepalived's post-parse fix-ups. */
export interface VrrpInstanceConfig {
  readonly name: string;
  readonly pos: SourcePos;
  /** The deprecated `lvs_sync_daemon_interface IF` (resolved into globalDefs.lvsSyncDaemon). */
  readonly lvsSyncDaemonInterface?: { readonly ifname: string; readonly pos: SourcePos };
  readonly state: 'MASTER' | 'BACKUP';
  readonly interface?: string;
  /** Where the interface name was written (for host checks). */
  readonly interfacePos?: SourcePos;
  readonly virtualRouterId: number;
  readonly priority: number;
  /** advert_int in ms, already rounded per version (v2 whole seconds, v3 10 ms). */
  readonly advertIntervalMs: number;
  readonly version: 2 | 3;
  readonly family: 4 | 6;
  readonly authentication?: { readonly type: 'PASS' | 'AH'; readonly password: string };
  readonly virtualIpaddress: readonly VirtualAddress[];
  readonly virtualIpaddressExcluded: readonly VirtualAddress[];
  readonly nopreempt: boolean;
  readonly preemptDelayMs: number;
  readonly unicastSrcIp?: string;
  readonly unicastPeers: readonly { readonly address: string; readonly minTtl?: number; readonly maxTtl?: number }[];
  readonly mcastSrcIp?: string;
  readonly trackInterface: readonly TrackRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
  readonly trackBfd: readonly TrackRef[];
  /** keepalived-ts `bgp_announce [master|quorum|master_quorum]` (+ `bgp_med`, `bgp_community`): the VIPs are announced by BGP. */
  readonly bgpAnnounce?: InstanceBgpAnnounce;
  readonly virtualRoutes: readonly RouteConfig[];
  readonly virtualRules: readonly RuleConfig[];
  readonly dontTrackPrimary: boolean;
  readonly strictMode: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly accept: boolean;
  /**
   * `use_vmac_addr`: VIPs on another interface than the instance's (`dev`), or of the other address family, get a
   * VMAC of their own on that interface (keepalived's per-address VMAC).
   */
  readonly useVmacAddr?: boolean;
  /**
   * `use_ipvlan [IFNAME] [ADDRESS[/PREFIX]] [bridge|private|vepa]`: an l2 ipvlan on the interface carries the
   * instance (socket, VIPs, GARPs); ADDRESS goes on it and is the adverts' source (required for IPv4).
   */
  readonly useIpvlan?: {
    readonly name?: string;
    readonly address?: { readonly address: string; readonly prefixLength: number; readonly family: 4 | 6 };
    readonly flags: 'bridge' | 'private' | 'vepa';
  };
  /** `vrf NAME`: a unicast instance without `interface` whose sockets are bound to this VRF device. */
  readonly vrf?: string;
  /** Where the `vrf` keyword was written (for host checks). */
  readonly vrfPos?: SourcePos;
  /** `linkbeat_use_polling` in the instance (deprecated in keepalived): the instance's interface is polled. */
  readonly linkbeatUsePolling?: boolean;
  /** use_vmac [NAME]; `xmitBase`: vmac_xmit_base (adverts sent and received on the parent interface, not the VMAC). */
  readonly useVmac?: { readonly name?: string; readonly xmitBase?: boolean };
  /**
   * `garp_extra_if N [all]` (or the deprecated `vmac_garp_intvl`), else global_defs' `vrrp_garp_extra_if`: while
   * MASTER, a gratuitous ARP/NA every N s on each extra VMAC interface (every extra interface with `all`).
   * Undefined when neither is set; an interval of 0 turns it off.
   */
  readonly garpExtraIf?: GarpExtraIf;
  readonly garpMasterDelayMs: number;
  readonly garpMasterRepeat: number;
  readonly garpMasterRefreshMs: number;
  readonly garpMasterRefreshRepeat: number;
  readonly garpLowerPrioDelayMs: number;
  readonly garpLowerPrioRepeat: number;
  readonly downTimerAdverts: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly notify: {
    readonly master?: ScriptCommand;
    readonly backup?: ScriptCommand;
    readonly fault?: ScriptCommand;
    readonly stop?: ScriptCommand;
    readonly deleted?: ScriptCommand;
    readonly generic?: ScriptCommand;
    readonly masterRxLowerPri?: ScriptCommand;
  };
  readonly smtpAlert?: boolean;
  /** `unicast_fault_no_peer`: without a unicast peer the instance stays in FAULT instead of using multicast. */
  readonly unicastFaultNoPeer: boolean;
  /** `track_src_ip`: FAULT while the configured unicast_src_ip/mcast_src_ip is missing from the interface. */
  readonly trackSrcIp: boolean;
  /** `mcast_dst_ip`: a multicast destination other than the global group. */
  readonly mcastDstIp?: string;
  /** `notify_priority_changes`; unset: the sync group's, else global_defs' (keepalived vrrp_complete_instance). */
  readonly notifyPriorityChanges?: boolean;
  /** `kernel_rx_buf_size`: this instance's share of its socket's SO_RCVBUF (0 / unset: vrrp_rx_bufs_policy's). */
  readonly kernelRxBufSize?: number;
  /** `debug` 1-4: shown in keepalived.data ("Debug level"); keepalived 2.2.7 does nothing else with it. */
  readonly debug?: number;
  /** `check_unicast_src`: drop unicast adverts whose source is not a configured peer. */
  readonly checkUnicastSrc: boolean;
  /** `unicast_ttl`: TTL of unicast adverts (default 255). */
  readonly unicastTtl?: number;
  /** `old_unicast_checksum`: VRRPv3 unicast checksum over the multicast group (keepalived < 1.3.6). */
  readonly oldUnicastChecksum: boolean;
  /** `promote_secondaries`: set the interface's promote_secondaries sysctl. */
  readonly promoteSecondaries: boolean;
}

/** `vrrp_sync_group NAME { group { … } … }`. */
export interface VrrpSyncGroupConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly group: readonly string[];
  readonly notify: VrrpInstanceConfig['notify'];
  readonly smtpAlert?: boolean;
  readonly trackInterface: readonly TrackRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
  /** `track_bfd`: BFD sessions (the BFD child's states). */
  readonly trackBfd: readonly TrackRef[];
  /** `global_tracking`: instances use the group's trackers, each with its own weights. */
  readonly globalTracking: boolean;
  /** `sync_group_tracking_weight`: the group's tracker weights apply to every member. */
  readonly trackingWeight: boolean;
  /** `notify_priority_changes`: the members' default (an instance's own setting wins). */
  readonly notifyPriorityChanges?: boolean;
}

/** `vrrp_script NAME { … }`. Times in ms. */
export interface VrrpScriptConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly script: ScriptCommand;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly weight: number;
  readonly reverse: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly initFail: boolean;
}

/** `garp_extra_if N [all]`: the refresh interval and whether interfaces that are not VMACs get it too. */
export interface GarpExtraIf {
  readonly intervalMs: number;
  readonly all: boolean;
}

/**
 * A `garp_group` block: its interfaces share one GARP pacing (garp_interval) and one NA pacing (gna_interval); an
 * absent interval means no pacing of that kind on them (the global vrrp_garp_interval does not apply there).
 */
export interface GarpGroupConfig {
  readonly garpIntervalMs?: number;
  readonly gnaIntervalMs?: number;
  readonly interfaces: readonly { readonly name: string; readonly pos: SourcePos }[];
  readonly pos: SourcePos;
}

/** One line of `linkbeat_interfaces`. */
export interface LinkbeatInterface {
  readonly name: string;
  /** The polling type asked for (keepalived: MII, ETHTOOL or IOCTL); keepalived-ts polls over rtnetlink whatever it is. */
  readonly type?: 'MII' | 'ETHTOOL' | 'IOCTL';
  readonly pos: SourcePos;
}

/** One line of `interface_up_down_delays`: delays in ms (keepalived: seconds with µs resolution, 0–255 s). */
export interface InterfaceDelay {
  readonly name: string;
  readonly downMs: number;
  /** 0 when not given (keepalived 2.2.7's parser; its manual says "same as the down delay"). */
  readonly upMs: number;
  readonly pos: SourcePos;
}

/**
 * The IPVS connection sync daemon (keepalived's lvs_syncd). With `instance`, the VRRP child runs it in that
 * instance's state (MASTER: a master daemon; otherwise a backup daemon); without, the checker runs both.
 */
export interface LvsSyncDaemonConfig {
  /** The interface the daemon sends and receives on (IPVS_DAEMON_ATTR_MCAST_IFN). */
  readonly ifname: string;
  /** The vrrp_instance whose state it follows. */
  readonly instance?: string;
  /** Sync id 0-255 (default: the instance's VRID, or 0). */
  readonly syncId?: number;
  /** `maxlen`, `port`, `ttl`, `group`: kernel defaults when absent. */
  readonly maxlen?: number;
  readonly port?: number;
  readonly ttl?: number;
  readonly group?: string;
  /** Where it was configured. */
  readonly pos: SourcePos;
}

/** The whole configuration. */
export interface KeepalivedConfig {
  readonly globalDefs: GlobalDefs;
  readonly vrrpInstances: readonly VrrpInstanceConfig[];
  readonly vrrpSyncGroups: readonly VrrpSyncGroupConfig[];
  readonly vrrpScripts: readonly VrrpScriptConfig[];
  readonly trackFiles: readonly TrackFileConfig[];
  readonly trackProcesses: readonly TrackProcessConfig[];
  readonly bfdInstances: readonly BfdInstanceConfig[];
  readonly trackGroups: readonly TrackGroupConfig[];
  readonly staticIpaddress: readonly VirtualAddress[];
  readonly staticRoutes: readonly RouteConfig[];
  readonly staticRules: readonly RuleConfig[];
  /** `virtual_server` blocks (load balancer), validated, with every default resolved. */
  readonly virtualServers: readonly VirtualServerConfig[];
  /** `virtual_server_group` blocks. */
  readonly virtualServerGroups: readonly VirtualServerGroupConfig[];
  /** The top-level `SSL` block (client certificate for SSL_GET), when given. */
  readonly ssl?: SslConfig;
  /**
   * keepalived-ts `bgp_announce { … }` (top level): the BGP announcement engine and route attributes
   * (src/config/model-bgp.ts); absent = defaults, used when an instance has `bgp_announce`.
   */
  readonly bgpAnnounce?: BgpAnnounceConfig;
  /** Top-level blocks the typed model does not cover yet, kept verbatim. */
  readonly unparsed: readonly ConfNode[];
  /** `linkbeat_interfaces { IFNAME [MII|ETHTOOL|IOCTL] … }`: interfaces whose carrier is polled, not taken from netlink. */
  readonly linkbeatInterfaces: readonly LinkbeatInterface[];
  /** `garp_group` blocks (keepalived's aggregation of GARP pacing over interfaces). */
  readonly garpGroups: readonly GarpGroupConfig[];
  /** `interface_up_down_delays { IFNAME DOWN [UP] … }`: how long a carrier change must last before instances see it. */
  readonly interfaceDelays: readonly InterfaceDelay[];
  /** `child_wait_time SECS` (top level): how long a stop waits for the children before SIGKILL (default 5). */
  readonly childWaitTimeSec?: number;
  /** `instance NAME`: names the pid files (keepalived_NAME.pid, vrrp_NAME.pid, … in /run/keepalived/). */
  readonly instanceName?: string;
  /**
   * `net_namespace NAME` (top level; `-s NAME` overrides it): the daemon runs in the network namespace
   * /run/netns/NAME, its pid files go in /run/keepalived/NAME/ and its syslog ident gains `_NAME`.
   */
  readonly netNamespace?: string;
  /** `use_pid_dir` (or `instance`, `net_namespace`): default pid files go in /run/keepalived/. */
  readonly usePidDir: boolean;
  /**
   * `net_namespace_ipvs [NAME]` (top level): the checker programs IPVS in /run/netns/NAME ('' without a name: the
   * default namespace, pid 1's) instead of its own namespace (keepalived: its IPVS sockets are opened there).
   */
  readonly netNamespaceIpvs?: string;
  /**
   * `namespace_with_ipsets`: keepalived's override to use ipsets in a namespace on Linux before 3.13. Accepted; no
   * effect (keepalived-ts keeps its address sets in nftables and needs a newer kernel anyway).
   */
  readonly namespaceWithIpsets: boolean;
}

/** global_defs `nftables_ipvs [NAME]`, `nftables_ipvs_priority N`, `nftables_ipvs_start_fwmark N` (keepalived 2.2.7). */
export interface NftablesIpvsSettings {
  /** The table name (family ip and ip6), default "keepalived_ipvs". */
  readonly table: string;
  /** The priority of chain `in` (hook input), default -1. */
  readonly priority: number;
  /** The first mark handed out, default 1000. */
  readonly startFwmark: number;
}
