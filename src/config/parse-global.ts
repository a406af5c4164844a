/**
 * `global_defs` → GlobalDefs with keepalived 2.2.7's defaults (core/global_data.c) for the keys the VRRP side uses.
 * Keys keepalived knows but keepalived-ts does not act on yet are warned about, never dropped silently.
 */
import { isIP } from 'node:net';
import type { DiagnosticSink } from './diagnostics.js';
import type { GlobalDefs, Mutable } from './model.js';
import { readLvsSyncDaemon } from './parse-syncd.js';
import { splitRunTogether, type ConfNode } from './tree.js';
import { checkGlobalValue } from './global-checks.js';
import { readGarpExtraIf } from './parse-garp.js';
import { missingArgPos, readBool, readInt, readIp, readSeconds, valueLines, withWords } from './values.js';
import { readScript } from './script-command.js';
import { parseGlobalVrrpTuning } from './parse-global-vrrp.js';
import { parseProcessKeyword } from './parse-process.js';
import { parseSnmpKeyword } from './parse-snmp.js';

/** keepalived's global defaults. */
export function defaultGlobalDefs(): GlobalDefs {
  return {
    notificationEmail: [],
    smtpConnectTimeoutMs: 30_000,
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    vrrpStrict: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpGarpIntervalMs: 0,
    vrrpGnaIntervalMs: 0,
    vrrpGarpMasterDelayMs: 5000,
    vrrpGarpMasterRepeat: 5,
    vrrpGarpMasterRefreshMs: 0,
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpVersion: 2,
    enableScriptSecurity: false,
    vrrpNotifyPriorityChanges: false,
    vrrpCheckUnicastSrc: false,
    noEmailFaults: false,
    vrrpStartupDelayMs: 0,
    startupScriptTimeoutMs: 10_000,
    shutdownScriptTimeoutMs: 10_000,
    fifoWriteVrrpStatesOnReload: false,
    nftablesPriority: -1,
    nftablesCounters: false,
    nftablesIfindex: false,
  };
}

/** Argument counts of fixed-arity global_defs keywords (for blocks written on one line). */
const GLOBAL_ARITY = new Map<string, number>([
  ['router_id', 1],
  ['notification_email', 0],
  ['notification_email_from', 1],
  ['smtp_helo_name', 1],
  ['smtp_connect_timeout', 1],
  ['vrrp_mcast_group4', 1],
  ['vrrp_mcast_group6', 1],
  ['vrrp_strict', 0],
  ['vrrp_garp_interval', 1],
  ['vrrp_gna_interval', 1],
  ['vrrp_garp_master_delay', 1],
  ['vrrp_garp_master_repeat', 1],
  ['vrrp_garp_master_refresh', 1],
  ['vrrp_version', 1],
  ['enable_script_security', 0],
  ['notify_fifo', 1],
  ['vrrp_notify_fifo', 1],
  ['vrrp_rt_priority', 1],
  ['vrrp_rlimit_rttime', 1],
  ['vrrp_rlimit_rtime', 1],
  ['vrrp_priority', 1],
  ['vrrp_no_swap', 0],
  ['bfd_rt_priority', 1],
  ['bfd_rlimit_rttime', 1],
  ['bfd_rlimit_rtime', 1],
  ['bfd_priority', 1],
  ['bfd_no_swap', 0],
  ['bfd_process_name', 1],
  ['checker_rt_priority', 1],
  ['checker_rlimit_rttime', 1],
  ['checker_rlimit_rtime', 1],
  ['checker_priority', 1],
  ['checker_no_swap', 0],
  ['process_names', 0],
  ['process_name', 1],
  ['vrrp_process_name', 1],
  ['checker_process_name', 1],
  ['lvs_process_name', 1],
  ['random_seed', 1],
  ['reload_time_file', 1],
  ['reload_repeat', 0],
  ['config_save_dir', 1],
  ['tmp_config_directory', 1],
  ['disable_local_igmp', 0],
  ['min_auto_priority_delay', 1],
  ['nftables_priority', 1],
  ['nftables_counters', 0],
  ['nftables_ifindex', 0],
  ['enable_dbus', 0],
  ['dbus_service_name', 1],
  ['http_endpoint', 1],
  ['vrrp_rx_timestamps', 1],
  ['vrrp_advert_watchdog', 1],
  ['bfd_tx_watchdog', 1],
  ['vrrp_yield_advert', 1],
  ['lvs_backend', 1],
  ['snmp_socket', 1],
  ['enable_traps', 0],
  ['enable_snmp_vrrp', 0],
  ['enable_snmp_keepalived', 0],
  ['enable_snmp_checker', 0],
  ['enable_snmp_rfc', 0],
  ['enable_snmp_rfcv2', 0],
  ['enable_snmp_rfcv3', 0],
]);

/** global_defs keywords whose keepalived handler reads a first word unchecked (a bare one stops it: null_strvec). */
const GLOBAL_NEEDS_WORD: ReadonlySet<string> = new Set([
  'process_name',
  'vrrp_process_name',
  'checker_process_name',
  'lvs_process_name',
  'bfd_process_name',
  'smtp_server',
  'vrrp_down_timer_adverts',
  'nftables_ipvs_priority',
  'nftables_ipvs_start_fwmark',
  'vrrp_rlimit_rttime',
  'vrrp_rlimit_rtime',
  'checker_rlimit_rttime',
  'checker_rlimit_rtime',
  'bfd_rlimit_rttime',
  'bfd_rlimit_rtime',
  'vmac_prefix',
  'vmac_addr_prefix',
  'umask',
  'random_seed',
  'config_save_dir',
]);

/** Parses a global_defs block on top of `base` (global_defs may appear more than once). */
export function parseGlobalDefs(node: ConfNode, base: GlobalDefs, d: DiagnosticSink): GlobalDefs {
  const g: Mutable<GlobalDefs> = { ...base, pos: node.keyword.pos };
  for (const c of withWords(splitRunTogether(node.children ?? [], GLOBAL_ARITY), GLOBAL_NEEDS_WORD, d)) {
    const a0 = c.args[0];
    checkGlobalValue(c, d);
    switch (c.keyword.text) {
      case 'router_id':
        if (a0) g.routerId = a0.text;
        break;
      case 'notification_email':
        {
          const lines = valueLines(c, d);
          if (!lines.length) d.keptError(c.keyword.pos, 'Warning - empty notification_email block');
          g.notificationEmail = [...g.notificationEmail, ...lines.map((x) => x.keyword.text)];
        }
        break;
      case 'notification_email_from':
        if (a0) g.notificationEmailFrom = a0.text;
        break;
      case 'smtp_server':
        if (a0 && !isIP(a0.text) && !/^[\d.]+$/.test(a0.text)) d.keptError(a0.pos, `Invalid smtp server ${a0.text} ${c.args[1]?.text ?? '25'}`);
        else if (a0) g.smtpServer = { host: a0.text, port: c.args[1] ? (readInt(c, c.args[1], 1, 65535, d) ?? 25) : 25 };
        break;
      case 'smtp_helo_name':
        if (a0) g.smtpHeloName = a0.text;
        break;
      case 'smtp_connect_timeout':
        g.smtpConnectTimeoutMs = Math.max(1, readInt(c, a0, 0, 4294, d) ?? 30) * 1000;
        break;
      case 'smtp_alert': {
        const b = readBool(c, a0, d);
        if (b !== undefined) g.smtpAlert = b;
        break;
      }
      case 'vrrp_mcast_group4':
        g.vrrpMcastGroup4 = readIp(c, a0, d, 4) ?? g.vrrpMcastGroup4;
        break;
      case 'vrrp_mcast_group6':
        g.vrrpMcastGroup6 = readIp(c, a0, d, 6) ?? g.vrrpMcastGroup6;
        break;
      case 'vrrp_strict':
        g.vrrpStrict = true;
        break;
      case 'vrrp_skip_check_adv_addr':
        g.vrrpSkipCheckAdvAddr = true; // keepalived takes no value (it ignores one)
        break;
      case 'vrrp_iptables':
        g.vrrpIptables = c.args.map((t) => t.text);
        d.keptError(
          c.keyword.pos,
          "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option",
        );
        g.nftables = 'keepalived';
        g.nftablesPriority = -1;
        break;
      case 'nftables':
        // keepalived: NFT_TABLE_MAXNAMELEN is 256 with the NUL; naming the table resets the priority
        if (g.nftables !== undefined) d.warning(c.keyword.pos, 'nftables already specified - ignoring');
        else if (a0 && a0.text.length >= 256) d.warning(a0.pos, 'nftables table name too long - ignoring');
        else {
          g.nftables = a0?.text ?? 'keepalived';
          g.nftablesPriority = -1;
        }
        break;
      case 'nftables_priority':
        g.nftablesPriority = readInt(c, a0, -0x80000000, 0x7fffffff, d) ?? g.nftablesPriority;
        break;
      case 'nftables_counters':
        g.nftablesCounters = true;
        break;
      case 'nftables_ifindex':
        g.nftablesIfindex = true;
        break;
      case 'enable_dbus':
        g.enableDbus = true; // keepalived takes no value (it ignores one)
        break;
      case 'dbus_service_name':
        if (a0) g.dbusServiceName = a0.text; // missing: global-checks reports keepalived's "dbus_service_name missing - ignoring"
        break;
      case 'nftables_ipvs':
      case 'nftables_ipvs_priority':
      case 'nftables_ipvs_start_fwmark':
        readNftablesIpvs(c, g, d);
        break;
      // keepalived 1.x accepted 0 ("no delay"); 2.x reports it (and keeps its default, which is no delay): so do we
      case 'vrrp_garp_interval':
      case 'vrrp_gna_interval': {
        const ms = readSeconds(c, a0, 0, 1, d) ?? 0;
        if (ms === 0 && a0 && /^[\d.]+$/.test(a0.text)) d.keptError(a0.pos, `${c.keyword.text} '${a0.text}' is invalid`);
        if (c.keyword.text === 'vrrp_garp_interval') g.vrrpGarpIntervalMs = ms;
        else g.vrrpGnaIntervalMs = ms;
        break;
      }
      case 'vrrp_garp_extra_if':
      case 'vrrp_vmac_garp_intvl': {
        const x = readGarpExtraIf(c, undefined, d);
        if (x) g.vrrpGarpExtraIf = x;
        break;
      }
      case 'vrrp_garp_master_delay':
        g.vrrpGarpMasterDelayMs = (readInt(c, a0, 0, 86400, d) ?? 5) * 1000;
        break;
      case 'vrrp_garp_master_repeat':
        g.vrrpGarpMasterRepeat = readInt(c, a0, 0, 65535, d) ?? 5;
        break;
      case 'vrrp_garp_master_refresh':
        g.vrrpGarpMasterRefreshMs = (readInt(c, a0, 0, 86400, d) ?? 0) * 1000;
        break;
      case 'vrrp_garp_master_refresh_repeat':
        g.vrrpGarpMasterRefreshRepeat = readInt(c, a0, 0, 65535, d) ?? 1;
        break;
      case 'vrrp_version': {
        const v = readInt(c, a0, 2, 3, d);
        if (v) g.vrrpVersion = v as 2 | 3;
        break;
      }
      case 'script_user':
        if (a0) g.scriptUser = { user: a0.text, ...(c.args[1] ? { group: c.args[1].text } : {}) };
        break;
      case 'enable_script_security':
        g.enableScriptSecurity = true;
        break;
      case 'notify_fifo':
        if (a0) g.notifyFifo = a0.text;
        break;
      case 'vrrp_notify_fifo':
        if (a0) g.vrrpNotifyFifo = a0.text;
        break;
      case 'lvs_notify_fifo':
        if (a0) g.lvsNotifyFifo = a0.text;
        break;
      case 'notify_fifo_script':
        g.notifyFifoScript = readScript(c, d) ?? g.notifyFifoScript;
        break;
      case 'vrrp_notify_fifo_script':
        g.vrrpNotifyFifoScript = readScript(c, d) ?? g.vrrpNotifyFifoScript;
        break;
      case 'lvs_notify_fifo_script':
        g.lvsNotifyFifoScript = readScript(c, d) ?? g.lvsNotifyFifoScript;
        break;
      case 'vrrp_garp_lower_prio_delay':
        g.vrrpGarpLowerPrioDelayMs = (readInt(c, a0, 0, 86400, d) ?? 5) * 1000;
        break;
      case 'vrrp_garp_lower_prio_repeat':
        g.vrrpGarpLowerPrioRepeat = readInt(c, a0, 0, 65535, d) ?? 5;
        break;
      case 'vrrp_min_garp':
        if (readBool(c, a0, d) === true) {
          // keepalived: one GARP, no delayed burst, no refresh repeat — without overwriting values already set (refresh is off by default)
          if (g.vrrpGarpMasterRepeat === 5) g.vrrpGarpMasterRepeat = 1;
          if (g.vrrpGarpMasterRefreshRepeat === 1) g.vrrpGarpMasterRefreshRepeat = 0;
          if (g.vrrpGarpMasterDelayMs === 5000) g.vrrpGarpMasterDelayMs = 0;
        }
        break;
      case 'vrrp_lower_prio_no_advert':
        g.vrrpLowerPrioNoAdvert = readBool(c, a0, d) ?? true;
        break;
      case 'vrrp_higher_prio_send_advert':
        g.vrrpHigherPrioSendAdvert = readBool(c, a0, d) ?? true;
        break;
      case 'vrrp_check_unicast_src':
        g.vrrpCheckUnicastSrc = true;
        break;
      case 'smtp_alert_vrrp': {
        const b = readBool(c, a0, d);
        if (b !== undefined) g.smtpAlertVrrp = b;
        break;
      }
      case 'no_email_faults':
        g.noEmailFaults = true;
        break;
      case 'lvs_flush':
        g.lvsFlush = true;
        break;
      case 'lvs_flush_on_stop':
      case 'lvs_flush_onstop':
        if (a0 && a0.text !== 'VS') d.error(a0.pos, `Unknown lvs_flush_on_stop type ${a0.text}`);
        else g.lvsFlushOnStop = a0 ? 'vs' : 'all';
        break;
      case 'lvs_timeouts':
        readLvsTimeouts(c, d, g);
        break;
      case 'lvs_sync_daemon': {
        const s = readLvsSyncDaemon(c, g.lvsSyncDaemon, d);
        if (s) g.lvsSyncDaemon = s;
        break;
      }
      case 'checker_log_all_failures':
        g.checkerLogAllFailures = readBool(c, a0, d) ?? g.checkerLogAllFailures;
        break;
      case 'rs_init_notifies':
        g.rsInitNotifies = true;
        break;
      case 'no_checker_emails':
        g.noCheckerEmails = true;
        break;
      case 'startup_script':
        g.startupScript = readScript(c, d) ?? g.startupScript;
        break;
      case 'shutdown_script':
        g.shutdownScript = readScript(c, d) ?? g.shutdownScript;
        break;
      case 'startup_script_timeout':
        if (!a0) d.keptError(c.keyword.pos, 'startup_script_timeout requires value');
        else g.startupScriptTimeoutMs = (readInt(c, a0, 1, 1000, d) ?? 10) * 1000;
        break;
      case 'shutdown_script_timeout':
        if (!a0) d.keptError(c.keyword.pos, 'shutdown_script_timeout requires value');
        else g.shutdownScriptTimeoutMs = (readInt(c, a0, 1, 1000, d) ?? 10) * 1000;
        break;
      case 'fifo_write_vrrp_states_on_reload':
        g.fifoWriteVrrpStatesOnReload = true;
        break;
      case 'vrrp_startup_delay':
        g.vrrpStartupDelayMs = readSeconds(c, a0, 0, 3600, d) ?? 0;
        break;
      case 'lvs_backend': // keepalived-ts extension: which load-balancer data plane (auto: IPVS when the kernel has it)
        if (a0 && ['ipvs', 'nftables', 'auto'].includes(a0.text)) g.lvsBackend = a0.text as GlobalDefs['lvsBackend'];
        else d.error(a0?.pos ?? missingArgPos(c), `lvs_backend '${a0?.text ?? ''}' is not ipvs, nftables or auto`);
        break;
      case 'dynamic_interfaces': // keepalived global_parser.c dynamic_interfaces_handler
        g.dynamicInterfaces = true;
        if (a0?.text === 'allow_if_changes') g.allowIfChanges = true;
        else if (a0) d.keptError(a0.pos, `Unknown dynamic_interfaces option '${a0.text}'`);
        break;
      case 'linkbeat_use_polling':
        g.linkbeatUsePolling = true;
        break;
      case 'vrrp_notify_priority_changes':
        g.vrrpNotifyPriorityChanges = readBool(c, a0, d) ?? true;
        break;
      case 'vrrp_rx_timestamps': // keepalived-ts: judge adverts by the kernel's receive time (default off)
        g.vrrpRxTimestamps = readBool(c, a0, d) ?? true;
        break;
      case 'vrrp_advert_watchdog': // keepalived-ts: a MASTER's adverts also from native threads when the event loop is late (default on)
        g.vrrpAdvertWatchdog = readBool(c, a0, d) ?? true;
        break;
      case 'bfd_tx_watchdog': // keepalived-ts: an Up BFD session's packets also from native threads when the event loop is late (default on)
        g.bfdTxWatchdog = readBool(c, a0, d) ?? true;
        break;
      case 'vrrp_yield_advert': // keepalived-ts: a MASTER yielding to a higher priority first sends one advert (default on)
        g.vrrpYieldAdvert = readBool(c, a0, d) ?? true;
        break;
      case 'http_endpoint': // keepalived-ts: the observability endpoint (src/observe), ADDRESS:PORT or a socket path
        if (!a0) d.error(missingArgPos(c), 'http_endpoint needs ADDRESS:PORT or a socket path');
        else if (!/^(\/|\.\/)/.test(a0.text) && !/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/.test(a0.text))
          d.error(a0.pos, `http_endpoint '${a0.text}' invalid (ADDRESS:PORT, [IPV6]:PORT, :PORT or a socket path)`);
        else g.httpEndpoint = a0.text;
        break;
      default:
        if (parseProcessKeyword(c, g, d)) break;
        if (parseSnmpKeyword(c, g, d)) break;
        if (parseGlobalVrrpTuning(c, g, d)) break;
        d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
    }
  }
  return g;
}

/** keepalived's LVS_MAX_TIMEOUT: 31 days in seconds. */
const LVS_MAX_TIMEOUT = 86400 * 31;
const LVS_TIMEOUT_KEYS = { tcp: 'tcpSec', tcpfin: 'tcpFinSec', udp: 'udpSec' } as const;

/** `lvs_timeouts [tcp N] [tcpfin N] [udp N]` with keepalived's messages (global_parser.c lvs_timeouts). */
function readLvsTimeouts(c: ConfNode, d: DiagnosticSink, g: Mutable<GlobalDefs>): void {
  if (c.args.length < 2) {
    d.error(c.keyword.pos, 'lvs_timeouts requires at least one option');
    return;
  }
  const t: { tcpSec?: number; tcpFinSec?: number; udpSec?: number } = { ...g.lvsTimeouts };
  for (let i = 0; i < c.args.length; i++) {
    const k = c.args[i]!;
    const field = (LVS_TIMEOUT_KEYS as Record<string, 'tcpSec' | 'tcpFinSec' | 'udpSec'>)[k.text];
    if (!field) {
      d.error(k.pos, `Unknown option ${k.text} specified for lvs_timeouts`);
      continue;
    }
    const v = c.args[i + 1];
    if (!v) {
      d.error(k.pos, `No value specified for lvs_timout ${k.text} - ignoring`);
      continue;
    }
    i++;
    const n = /^\d+$/.test(v.text) ? Number(v.text) : NaN;
    if (!(n <= LVS_MAX_TIMEOUT)) d.error(v.pos, `Invalid lvs_timeout ${k.text} (${v.text}) - ignoring`);
    else t[field] = n;
  }
  g.lvsTimeouts = t;
}

/**
 * global_parser.c ipvs_nftables_handler and friends: naming the table (default keepalived_ipvs) resets the
 * priority to -1 and the start mark to 1000, so a value given before `nftables_ipvs` is lost, and one given without
 * it does nothing. Bad numbers are reported by global-checks.ts with keepalived's texts; the value is then kept.
 */
function readNftablesIpvs(c: ConfNode, g: Mutable<GlobalDefs>, d: DiagnosticSink): void {
  const a0 = c.args[0];
  if (c.keyword.text === 'nftables_ipvs') {
    if (g.nftablesIpvs !== undefined) d.warning(c.keyword.pos, 'ipvs nftables already specified - ignoring');
    else if (a0 && a0.text.length >= 256) d.warning(a0.pos, 'ipvs nftables table name too long - ignoring');
    else g.nftablesIpvs = { table: a0?.text ?? 'keepalived_ipvs', priority: -1, startFwmark: 1000 };
    return;
  }
  if (!a0 || !/^[-+]?\d+$/.test(a0.text) || !g.nftablesIpvs) return;
  const n = Number(a0.text);
  if (c.keyword.text === 'nftables_ipvs_priority' && n >= -0x80000000 && n <= 0x7fffffff) g.nftablesIpvs = { ...g.nftablesIpvs, priority: n };
  if (c.keyword.text === 'nftables_ipvs_start_fwmark' && n >= 1 && n <= 0xffffffff) g.nftablesIpvs = { ...g.nftablesIpvs, startFwmark: n };
}
