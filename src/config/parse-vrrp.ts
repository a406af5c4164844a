/**
 * `vrrp_instance`, `vrrp_sync_group` and `vrrp_script` blocks → typed model, with keepalived 2.2.7's defaults,
 * ranges and post-parse fix-ups (vrrp_parser.c, vrrp.c vrrp_complete_instance) and its message texts.
 */
import { isIP } from 'node:net';
import type { DiagnosticSink, SourcePos } from './diagnostics.js';
import type {
  GlobalDefs,
  Mutable,
  ScriptCommand,
  TrackRef,
  VirtualAddress,
  VrrpInstanceConfig,
  VrrpScriptConfig,
  VrrpSyncGroupConfig,
} from './model.js';
import { splitRunTogether, type ConfNode } from './tree.js';
import { valueLines, withWords, missingArgPos, missingParameter, readBool, readInt, readIp, readSeconds } from './values.js';
import { readNum } from './parse-checkers.js';
import { readRoutes, readRules } from './parse-static.js';
import { DEFAULT_IPROUTE_NAMES, type IpRouteNames } from './iproute-names.js';
import { readScript } from './script-command.js';
import { parseInstanceBgp } from './parse-bgp.js';
import { readGarpExtraIf } from './parse-garp.js';

/** Argument counts of fixed-arity vrrp_instance keywords (for blocks written on one line). */
const INSTANCE_ARITY = new Map<string, number>([
  ['state', 1],
  ['interface', 1],
  ['virtual_router_id', 1],
  ['priority', 1],
  ['advert_int', 1],
  ['version', 1],
  ['authentication', 0],
  ['virtual_ipaddress', 0],
  ['virtual_ipaddress_excluded', 0],
  ['nopreempt', 0],
  ['preempt', 0],
  ['preempt_delay', 1],
  ['unicast_src_ip', 1],
  ['mcast_src_ip', 1],
  ['unicast_peer', 0],
  ['track_interface', 0],
  ['track_script', 0],
  ['track_file', 0],
  ['track_process', 0],
  ['dont_track_primary', 0],
  ['accept', 0],
  ['no_accept', 0],
  ['garp_master_delay', 1],
  ['garp_master_repeat', 1],
  ['garp_master_refresh', 1],
  ['garp_master_refresh_repeat', 1],
  ['garp_lower_prio_delay', 1],
  ['garp_lower_prio_repeat', 1],
  ['down_timer_adverts', 1],
]);
const AUTH_ARITY = new Map<string, number>([
  ['auth_type', 1],
  ['auth_pass', 1],
]);

/** virtual_ipaddress options that take a value. */
const VALUE_OPTIONS = new Set(['brd', 'broadcast', 'dev', 'scope', 'label', 'peer', 'preferred_lft']);

/** One `virtual_ipaddress` line. */
export function readVirtualAddress(node: ConfNode, d: DiagnosticSink): VirtualAddress | undefined {
  const [addr, prefix] = node.keyword.text.split('/');
  const family = isIP(addr ?? '');
  if (family === 0) {
    // keepalived parse_ipaddress: reported (-t fails), the address skipped, the rest of the configuration runs
    d.keptError(node.keyword.pos, `VRRP parsed invalid IP ${node.keyword.text}. skipping IP...`);
    return undefined;
  }
  const max = family === 4 ? 32 : 128;
  let prefixLength = max;
  // keepalived parse_ipaddress: a bad prefix length is reported and the full length used (the address stays)
  if (prefix !== undefined) {
    if (!/^\d+$/.test(prefix) || Number(prefix) > max)
      d.keptError(node.keyword.pos, `Invalid address prefix len ${prefix} for address ${node.keyword.text} - using ${max}`);
    else prefixLength = Number(prefix);
  }
  const out: Mutable<VirtualAddress> = { address: addr as string, family: family as 4 | 6, prefixLength, noDad: false, pos: node.keyword.pos };
  const a = node.args;
  for (let i = 0; i < a.length; i++) {
    const w = a[i]?.text;
    const next = a[i + 1];
    // keepalived alloc_ipaddress: an option that takes a value but is the last word drops the address
    if (!next && w !== undefined && VALUE_OPTIONS.has(w)) {
      d.keptError(a[i]!.pos, `No ${w} parameter specified for ${node.keyword.text}`);
      return undefined;
    }
    switch (w) {
      case 'brd':
      case 'broadcast':
        if (next) {
          out.broadcast = next.text;
          i++;
        }
        break;
      case 'dev':
        if (next) {
          out.dev = next.text;
          i++;
        }
        break;
      case 'scope':
        if (next) {
          out.scope = next.text;
          i++;
        }
        break;
      case 'label':
        if (next) {
          // keepalived: a label must fit IFNAMSIZ - 1 characters, or the address is dropped
          if (next.text.length > 15) {
            d.keptError(next.pos, `Address label ${next.text} is longer than maximum length 15 - removing address`);
            return undefined;
          }
          out.label = next.text;
          i++;
        }
        break;
      case 'peer':
        if (next) {
          out.peer = next.text;
          i++;
        }
        break;
      case '-nodad':
        out.noDad = true;
        break;
      case 'preferred_lft':
        i++;
        break;
      case 'home':
      case 'mngtmpaddr':
      case 'noprefixroute':
      case 'autojoin':
      case 'no_track':
        break;
      case 'use_vmac':
        out.useVmac = true;
        break;
      default:
        d.warning(a[i]!.pos, `Unknown virtual_ipaddress option '${w}' - ignored`);
    }
  }
  if (out.family === 6 && out.label !== undefined) {
    d.keptError(node.keyword.pos, `Cannot specify label for IPv6 addresses (${node.keyword.text}) - ignoring label`);
    delete out.label;
  }
  return out;
}

function readTracks(node: ConfNode, d: DiagnosticSink, range: number): TrackRef[] {
  const out: TrackRef[] = [];
  for (const c of valueLines(node, d)) {
    let weight: number | undefined;
    let reverse = false;
    for (let i = 0; i < c.args.length; i++) {
      const w = c.args[i]?.text;
      if (w === 'weight') {
        weight = readInt(c, c.args[i + 1], -range, range, d);
        i++;
      } else if (w === 'reverse') reverse = true;
      else if (w === 'noreverse' || w === 'no_reverse') reverse = false;
      else d.warning(c.args[i]!.pos, `${node.keyword.text}: unknown option '${w}'`);
    }
    out.push({ name: c.keyword.text, reverse, pos: c.keyword.pos, ...(weight !== undefined ? { weight } : {}) });
  }
  return out;
}

/** vrrp_instance keywords whose keepalived handler reads a first word unchecked (null_strvec). */
const INSTANCE_NEEDS_WORD: ReadonlySet<string> = new Set(['state', 'interface', 'debug', 'lvs_sync_daemon_interface']);

/** authentication keywords whose keepalived handler reads a first word unchecked (null_strvec). */
const AUTH_NEEDS_WORD: ReadonlySet<string> = new Set(['auth_type', 'auth_pass']);

/** Keywords that make keepalived take an instance as unicast (VRRP_FLAG_UNICAST_CONFIGURED). */
const UNICAST_KEYWORDS: ReadonlySet<string> = new Set([
  'unicast_peer',
  'unicast_fault_no_peer',
  'check_unicast_src',
  'old_unicast_checksum',
  'unicast_src_ip',
]);

/** Parses one vrrp_instance block and applies keepalived's fix-ups. */
export function parseInstance(
  node: ConfNode,
  g: GlobalDefs,
  d: DiagnosticSink,
  routeNames: IpRouteNames = DEFAULT_IPROUTE_NAMES,
): VrrpInstanceConfig | undefined {
  const name = node.args[0]?.text;
  if (!name) {
    d.error(missingArgPos(node), 'vrrp_instance without a name');
    return undefined;
  }
  let state: 'MASTER' | 'BACKUP' | undefined;
  let priority: number | undefined;
  let vrid: number | undefined;
  let advertMs = 1000;
  let version: 2 | 3 | undefined;
  let auth: { type: 'PASS' | 'AH'; password: string } | undefined;
  let xmitBase: SourcePos | undefined;
  const notify: Mutable<VrrpInstanceConfig['notify']> = {};
  const r: Partial<Mutable<VrrpInstanceConfig>> = {
    virtualIpaddress: [],
    virtualIpaddressExcluded: [],
    unicastPeers: [],
    trackInterface: [],
    trackScript: [],
    trackFile: [],
    trackProcess: [],
    trackBfd: [],
    virtualRoutes: [],
    virtualRules: [],
  };
  let bgpDeclared = false;
  let nativeIpv6 = false;
  let unicastConfigured = false;
  for (const c of withWords(splitRunTogether(node.children ?? [], INSTANCE_ARITY), INSTANCE_NEEDS_WORD, d)) {
    const k = c.keyword.text;
    const a0 = c.args[0];
    if (UNICAST_KEYWORDS.has(k)) unicastConfigured = true;
    switch (k) {
      case 'state':
        if (a0?.text === 'MASTER' || a0?.text === 'BACKUP') state = a0.text;
        else {
          d.error(a0?.pos ?? missingArgPos(c), `(${name}) unknown state '${a0?.text ?? ''}', defaulting to BACKUP`);
          state = 'BACKUP';
        }
        break;
      case 'interface':
        if (a0) {
          r.interface = a0.text;
          r.interfacePos = a0.pos;
        } else d.error(missingArgPos(c), 'interface: missing name');
        break;
      case 'virtual_router_id':
        vrid = readInt(c, a0, 1, 255, d) ?? vrid;
        break;
      case 'priority':
        priority = readInt(c, a0, 1, 255, d) ?? priority;
        break;
      case 'advert_int':
        advertMs = readSeconds(c, a0, 0.01, 255, d) ?? advertMs;
        break;
      case 'native_ipv6': // keepalived vrrp_parser.c: forces IPv6 and VRRPv3, unless IPv4 addresses came first
        if (r.virtualIpaddress?.[0]?.family === 4 || [r.unicastSrcIp, r.mcastSrcIp].some((x) => x !== undefined && isIP(x) === 4))
          d.error(c.keyword.pos, `(${name}) Cannot specify native_ipv6 with IPv4 addresses`);
        else nativeIpv6 = true;
        break;
      case 'version': {
        const v = readInt(c, a0, 2, 3, d);
        if (v) version = v as 2 | 3;
        break;
      }
      case 'authentication': {
        if (!c.children) d.keptError(c.keyword.pos, "Missing '{' at beginning of configuration block");
        let type: 'PASS' | 'AH' | undefined;
        let password = '';
        for (const x of withWords(splitRunTogether(c.children ?? [], AUTH_ARITY), AUTH_NEEDS_WORD, d)) {
          if (x.keyword.text === 'auth_type') {
            if (x.args[0]?.text === 'PASS' || x.args[0]?.text === 'AH') type = x.args[0].text;
            else d.error(x.args[0]?.pos ?? missingArgPos(x), `(${name}) unknown authentication type '${x.args[0]?.text ?? ''}'`);
          } else if (x.keyword.text === 'auth_pass') {
            password = x.args[0]?.text ?? '';
            if (password.length > 8) {
              d.keptError(x.args[0]!.pos, 'Truncating auth_pass to 8 characters');
              password = password.slice(0, 8);
            }
          } else d.keptError(x.keyword.pos, `Unknown keyword '${x.keyword.text}'`);
        }
        if (type) auth = { type, password };
        break;
      }
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded': {
        let familySoFar = nativeIpv6 ? 6 : r.virtualIpaddress?.[0]?.family;
        const list = valueLines(c, d)
          .map((x) => {
            const v = readVirtualAddress(x, d);
            if (!v || k !== 'virtual_ipaddress') return v;
            // keepalived vrrp_data.c alloc_vrrp_vip: the first VIP sets the instance's family (unless native_ipv6
            // did); a VIP of the other family is reported (-t fails) and dropped, and the instance runs without it
            familySoFar ??= v.family;
            if (v.family === familySoFar) return v;
            d.keptError(x.keyword.pos, `(${name}): address family must match VRRP instance [${x.keyword.text}] - ignoring`);
            return undefined;
          })
          .filter((v): v is VirtualAddress => !!v);
        if (k === 'virtual_ipaddress') r.virtualIpaddress = [...(r.virtualIpaddress ?? []), ...list];
        else r.virtualIpaddressExcluded = [...(r.virtualIpaddressExcluded ?? []), ...list];
        break;
      }
      case 'nopreempt':
        r.nopreempt = true;
        break;
      case 'preempt':
        r.nopreempt = false;
        break;
      case 'preempt_delay':
        r.preemptDelayMs = readSeconds(c, a0, 0, 1000, d) ?? 0;
        break;
      case 'unicast_src_ip':
        r.unicastSrcIp = readIp(c, a0, d);
        break;
      case 'mcast_src_ip':
        r.mcastSrcIp = readIp(c, a0, d);
        break;
      case 'unicast_peer':
        r.unicastPeers = valueLines(c, d).flatMap((x) => {
          const ip = isIP(x.keyword.text) ? x.keyword.text : undefined;
          if (!ip) {
            d.error(x.keyword.pos, `unicast_peer: invalid address '${x.keyword.text}'`);
            return [];
          }
          const p: { address: string; minTtl?: number; maxTtl?: number } = { address: ip };
          for (let i = 0; i < x.args.length; i += 2) {
            const v = readInt(x, x.args[i + 1], 0, 255, d);
            if (x.args[i]?.text === 'min_ttl' && v !== undefined) p.minTtl = v;
            else if (x.args[i]?.text === 'max_ttl' && v !== undefined) p.maxTtl = v;
          }
          return [p];
        });
        break;
      case 'track_interface':
        r.trackInterface = readTracks(c, d, 253);
        break;
      case 'track_script':
        r.trackScript = readTracks(c, d, 253);
        break;
      case 'track_file':
        r.trackFile = readTracks(c, d, 254);
        break;
      case 'track_process':
        r.trackProcess = readTracks(c, d, 254);
        break;
      case 'track_bfd':
        r.trackBfd = readTracks(c, d, 254);
        break;
      case 'virtual_routes':
        r.virtualRoutes = [...(r.virtualRoutes ?? []), ...readRoutes(c, d, false, routeNames)];
        break;
      case 'virtual_rules':
        r.virtualRules = [...(r.virtualRules ?? []), ...readRules(c, d, false, routeNames)];
        break;
      case 'unicast_fault_no_peer':
        r.unicastFaultNoPeer = true;
        break;
      case 'track_src_ip':
        r.trackSrcIp = true;
        break;
      case 'check_unicast_src':
        r.checkUnicastSrc = true;
        break;
      case 'unicast_ttl': {
        const t = readInt(c, a0, 0, 255, d);
        if (t !== undefined) r.unicastTtl = t;
        break;
      }
      case 'old_unicast_checksum':
        r.oldUnicastChecksum = true;
        break;
      case 'promote_secondaries':
        r.promoteSecondaries = true;
        break;
      case 'use_vmac':
        if (a0 && a0.text.length > 15) d.error(a0.pos, `VMAC interface name '${a0.text}' too long - ignoring`);
        r.useVmac = { ...r.useVmac, ...(a0 && a0.text.length <= 15 ? { name: a0.text } : {}) };
        break;
      case 'vmac_xmit_base':
        xmitBase = c.keyword.pos;
        break;
      case 'use_ipvlan': // keepalived vrrp_parser.c vrrp_ipvlan_handler
        if (r.useIpvlan) {
          d.keptError(c.keyword.pos, `(${name}) use_ipvlan already specified`);
          break;
        }
        r.useIpvlan = readIpvlan(c, name, d);
        break;
      case 'vrf': // keepalived vrrp_vrf_handler (the VRF device itself is a host check)
        if (!a0) d.missingWord(missingArgPos(c), 'vrf: missing value');
        else if (a0.text.length >= 16) d.keptError(a0.pos, `(${name}) VRF interface name '${a0.text}' too long - ignoring`);
        else if (r.interface !== undefined) d.keptError(c.keyword.pos, `(${name}) Cannot specify VRF interface and interface - ignoring`);
        else if (r.vrf !== undefined) d.keptError(c.keyword.pos, `(${name}) VRF interface already specified as '${r.vrf}' - ignoring`);
        else {
          r.vrf = a0.text;
          r.vrfPos = c.keyword.pos;
        }
        break;
      case 'use_vmac_addr':
        r.useVmacAddr = true;
        break;
      case 'debug': // keepalived 2.2.7 keeps it for keepalived.data's "Debug level" and nothing else
        if (a0 && !(/^\d+$/.test(a0.text) && Number(a0.text) <= 4))
          d.keptError(a0.pos, `(${name}) Debug value '${a0.text}' not valid; must be between 0-4`);
        else if (a0) r.debug = Number(a0.text);
        break;
      case 'kernel_rx_buf_size': // keepalived kernel_rx_buf_size_handler: exactly one unsigned word, 0 allowed
        if (c.args.length !== 1 || !/^\d+$/.test(a0!.text) || Number(a0!.text) > 0xffffffff)
          d.keptError(a0?.pos ?? c.keyword.pos, `(${name}) invalid kernel_rx_buf_size specified`);
        else r.kernelRxBufSize = Number(a0!.text);
        break;
      case 'linkbeat_use_polling':
        r.linkbeatUsePolling = true;
        d.keptError(c.keyword.pos, `(${name}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block`);
        break;
      case 'mcast_dst_ip':
        r.mcastDstIp = readIp(c, a0, d);
        break;
      case 'notify_priority_changes':
        r.notifyPriorityChanges = readBool(c, a0, d) ?? true;
        break;
      case 'dont_track_primary':
        r.dontTrackPrimary = true;
        break;
      case 'strict_mode':
        r.strictMode = readBool(c, a0, d) ?? true;
        break;
      case 'skip_check_adv_addr':
        r.skipCheckAdvAddr = readBool(c, a0, d) ?? true;
        break;
      case 'accept':
        r.accept = true;
        break;
      case 'no_accept':
        r.accept = false;
        break;
      case 'garp_master_delay':
        r.garpMasterDelayMs = (readInt(c, a0, 0, 86400, d) ?? 5) * 1000;
        break;
      case 'garp_master_repeat':
        r.garpMasterRepeat = readInt(c, a0, 0, 65535, d) ?? 5;
        break;
      case 'garp_extra_if':
      case 'vmac_garp_intvl': {
        const x = readGarpExtraIf(c, name, d);
        if (x) r.garpExtraIf = x;
        break;
      }
      case 'garp_master_refresh':
        r.garpMasterRefreshMs = (readInt(c, a0, 0, 86400, d) ?? 0) * 1000;
        break;
      case 'garp_master_refresh_repeat':
        r.garpMasterRefreshRepeat = readInt(c, a0, 0, 65535, d) ?? 1;
        break;
      case 'garp_lower_prio_delay':
        r.garpLowerPrioDelayMs = (readInt(c, a0, 0, 86400, d) ?? 5) * 1000;
        break;
      case 'garp_lower_prio_repeat':
        r.garpLowerPrioRepeat = readInt(c, a0, 0, 65535, d) ?? 5;
        break;
      case 'down_timer_adverts':
        r.downTimerAdverts = readInt(c, a0, 1, 100, d) ?? 3;
        break;
      case 'lower_prio_no_advert':
        r.lowerPrioNoAdvert = readBool(c, a0, d) ?? true;
        break;
      case 'higher_prio_send_advert':
        r.higherPrioSendAdvert = readBool(c, a0, d) ?? true;
        break;
      case 'smtp_alert':
        r.smtpAlert = readBool(c, a0, d) ?? true;
        break;
      case 'lvs_sync_daemon_interface': // vrrp_parser.c vrrp_lvs_syncd_handler (resolved with lvs_sync_daemon: parse-syncd.ts)
        d.keptError(c.keyword.pos, `(${name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.`);
        d.keptError(c.keyword.pos, `      ${' '.repeat(Math.abs(name.length - 2))}Please use global lvs_sync_daemon`);
        if (a0) r.lvsSyncDaemonInterface = { ifname: a0.text, pos: c.keyword.pos };
        break;
      case 'notify_master':
      case 'notify_backup':
      case 'notify_fault':
      case 'notify_stop':
      case 'notify_deleted':
      case 'notify_master_rx_lower_pri':
      case 'notify': {
        const key = (
          {
            notify_master: 'master',
            notify_backup: 'backup',
            notify_fault: 'fault',
            notify_stop: 'stop',
            notify_deleted: 'deleted',
            notify_master_rx_lower_pri: 'masterRxLowerPri',
            notify: 'generic',
          } as const
        )[k];
        if (notify[key]) {
          d.keptError(c.keyword.pos, `${k} script already specified - ignoring`);
          break;
        }
        if (!c.args[0]) {
          // keepalived reads the script word unchecked, except for notify_deleted (alone: "report deleted, not fault")
          if (k === 'notify_deleted') d.warning(c.keyword.pos, `(${name}) notify_deleted without a script is not supported yet - ignored`);
          else missingParameter(c, d);
          break;
        }
        const s = readScript(c, d);
        if (s) notify[key] = s;
        break;
      }
      default: {
        const bgp = parseInstanceBgp(c, r.bgpAnnounce, d);
        if (bgp !== false) {
          if (bgp) r.bgpAnnounce = bgp;
          bgpDeclared ||= k === 'bgp_announce';
          break;
        }
        d.keptError(c.keyword.pos, `Unknown keyword '${k}'`);
      }
    }
  }
  if (r.bgpAnnounce && !bgpDeclared) {
    d.warning(r.bgpAnnounce.pos, `(${name}) bgp_med/bgp_community without bgp_announce - ignored`);
    delete r.bgpAnnounce;
  }
  if (vrid === undefined) {
    d.error(node.keyword.pos, `(${name}) the virtual router id must be set`);
    return undefined;
  }
  if (!r.unicastPeers?.length) {
    if (r.unicastTtl !== undefined) d.keptError(node.keyword.pos, `(${name}): Cannot use unicast_ttl without unicast peers - resetting`);
    if (unicastConfigured && !r.unicastFaultNoPeer)
      d.keptError(
        node.keyword.pos,
        `(${name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.`,
      );
  }
  const family: 4 | 6 = nativeIpv6 ? 6 : (r.virtualIpaddress?.[0]?.family ?? 4);
  const ver: 2 | 3 = family === 6 ? 3 : (version ?? g.vrrpVersion);
  if (priority === undefined) priority = state === 'MASTER' ? 255 : 100;
  if (state === undefined) state = priority === 255 ? 'MASTER' : 'BACKUP';
  advertMs =
    ver === 2
      ? Math.min(255_000, Math.max(1000, Math.round(advertMs / 1000) * 1000))
      : Math.min(40_950, Math.max(10, Math.round(advertMs / 10) * 10));
  const strict = r.strictMode ?? g.vrrpStrict;
  if (auth && (ver === 3 || family === 6)) {
    d.keptError(node.keyword.pos, `(${name}) VRRP version 3 does not support authentication. Ignoring.`);
    auth = undefined;
  }
  if (auth && strict) {
    d.keptError(node.keyword.pos, `(${name}) Strict mode does not support authentication. Ignoring.`);
    auth = undefined;
  }
  if (auth && !auth.password) {
    d.keptError(node.keyword.pos, `(${name}) Authentication specified but no password given. Ignoring`);
    auth = undefined;
  }
  if (auth?.type === 'AH' && state === 'MASTER' && priority !== 255) {
    // keepalived: a backup must hear an advert (and its AH sequence number) before taking over
    d.keptError(node.keyword.pos, `(${name}) Initial state master is incompatible with AH authentication - clearing`);
    state = 'BACKUP';
  }
  if (xmitBase && !r.useVmac) d.keptError(xmitBase, `(${name}) vmac_xmit_base is only valid with a vmac`);
  else if (xmitBase && strict) d.keptError(xmitBase, `(${name}) xmit_base is incompatible with strict mode - resetting`);
  else if (xmitBase && r.useVmac) r.useVmac = { ...r.useVmac, xmitBase: true };
  if (strict && (state === 'MASTER') !== (priority === 255)) {
    d.keptError(node.keyword.pos, `(${name}) State MASTER must match being address owner`);
    state = priority === 255 ? 'MASTER' : 'BACKUP';
  }
  const vipVmac = (v: VirtualAddress): VirtualAddress => {
    // keepalived vrrp_complete_instance: use_vmac on a VIP applies off the instance's VMAC, and not with use_vmac_addr
    if (!v.useVmac) return v;
    const { useVmac: _, ...plain } = v;
    if ((v.dev === undefined || v.dev === r.interface) && r.useVmac && v.family === family)
      d.keptError(v.pos, `(${name}) use_vmac specified for VIP/eVIP ${v.address} and vrrp instance`);
    else if (((v.dev !== undefined && v.dev !== r.interface) || v.family !== family) && r.useVmacAddr)
      d.keptError(v.pos, `(${name}) use_vmac_addr specified and use_vmac specified for VIP/eVIP ${v.address}`);
    else return v;
    return plain;
  };
  if (r.useIpvlan?.address && r.useIpvlan.address.family !== family) {
    d.keptError(node.keyword.pos, `(${name}) IPv4 ipvlan address family does not match instance. setting instance to fault state`);
    r.useIpvlan = { ...r.useIpvlan, address: undefined };
  } else if (r.useIpvlan && family === 4 && !r.useIpvlan.address)
    d.keptError(node.keyword.pos, `(${name}) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state`);
  if (r.vrf !== undefined && (r.interface !== undefined || !(r.unicastPeers ?? []).length)) {
    d.keptError(node.keyword.pos, `(${name}) vrf can only be specified with${r.interface !== undefined ? 'out interface' : ' unicast'} - clearing`);
    r.vrf = undefined;
  }
  r.virtualIpaddress = r.virtualIpaddress?.map(vipVmac);
  r.virtualIpaddressExcluded = r.virtualIpaddressExcluded?.map(vipVmac);
  if (r.interface === undefined && (r.unicastPeers ?? []).length) {
    // keepalived vrrp_complete_instance: a unicast instance without interface (e.g. `vrf`) has no home for a VIP without `dev`
    const homed = (vips: readonly VirtualAddress[] | undefined, e: string) =>
      vips?.filter((v) => {
        if (v.dev === undefined) d.keptError(v.pos, `(${name}): no interface for ${e}vip ${v.address} - removing`);
        return v.dev !== undefined;
      });
    r.virtualIpaddress = homed(r.virtualIpaddress, '');
    r.virtualIpaddressExcluded = homed(r.virtualIpaddressExcluded, 'e');
  }
  // keepalived vrrp_complete_instance, in its order: nopreempt vs the address owner, then vs state MASTER, then
  // preempt_delay vs state MASTER, strict mode and nopreempt (each a config error: -t fails)
  let nopreempt = r.nopreempt ?? false;
  let preemptDelayMs = r.preemptDelayMs ?? 0;
  const pos = node.keyword.pos;
  if (nopreempt && priority === 255) {
    d.keptError(pos, `(${name}) nopreempt is incompatible with priority 255. resetting nopreempt`);
    nopreempt = false;
  }
  if (state === 'MASTER' && nopreempt) {
    d.keptError(pos, `(${name}) Warning - nopreempt will not work with initial state MASTER - clearing`);
    nopreempt = false;
  }
  if (state === 'MASTER' && preemptDelayMs > 0) {
    d.keptError(pos, `(${name}) Warning - preempt delay will not work with initial state MASTER - clearing`);
    preemptDelayMs = 0;
  }
  if (preemptDelayMs > 0 && strict) {
    d.keptError(pos, `(${name}) preempt_delay is incompatible with strict mode - resetting`);
    preemptDelayMs = 0;
  }
  if (preemptDelayMs > 0 && nopreempt) {
    d.keptError(pos, `(${name}) preempt_delay is incompatible with nopreempt mode - resetting`);
    preemptDelayMs = 0;
  }
  return {
    name,
    pos: node.keyword.pos,
    state,
    priority,
    virtualRouterId: vrid,
    advertIntervalMs: advertMs,
    version: ver,
    family,
    ...(r.interface !== undefined ? { interface: r.interface, ...(r.interfacePos ? { interfacePos: r.interfacePos } : {}) } : {}),
    ...(auth ? { authentication: auth } : {}),
    virtualIpaddress: r.virtualIpaddress ?? [],
    virtualIpaddressExcluded: r.virtualIpaddressExcluded ?? [],
    nopreempt,
    preemptDelayMs,
    ...(r.unicastSrcIp ? { unicastSrcIp: r.unicastSrcIp } : {}),
    ...(r.mcastSrcIp ? { mcastSrcIp: r.mcastSrcIp } : {}),
    unicastPeers: r.unicastPeers ?? [],
    trackInterface: r.trackInterface ?? [],
    trackScript: r.trackScript ?? [],
    trackFile: r.trackFile ?? [],
    trackProcess: r.trackProcess ?? [],
    trackBfd: r.trackBfd ?? [],
    virtualRoutes: r.virtualRoutes ?? [],
    virtualRules: r.virtualRules ?? [],
    ...(r.bgpAnnounce ? { bgpAnnounce: r.bgpAnnounce } : {}),
    ...(r.lvsSyncDaemonInterface ? { lvsSyncDaemonInterface: r.lvsSyncDaemonInterface } : {}),
    dontTrackPrimary: r.dontTrackPrimary ?? false,
    strictMode: strict,
    skipCheckAdvAddr: r.skipCheckAdvAddr ?? g.vrrpSkipCheckAdvAddr,
    accept: r.accept ?? !(strict && priority < 255),
    ...((r.garpExtraIf ?? g.vrrpGarpExtraIf) ? { garpExtraIf: r.garpExtraIf ?? g.vrrpGarpExtraIf } : {}),
    garpMasterDelayMs: r.garpMasterDelayMs ?? g.vrrpGarpMasterDelayMs,
    garpMasterRepeat: r.garpMasterRepeat ?? g.vrrpGarpMasterRepeat,
    garpMasterRefreshMs: r.garpMasterRefreshMs ?? g.vrrpGarpMasterRefreshMs,
    garpMasterRefreshRepeat: r.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat,
    garpLowerPrioDelayMs: strict ? 0 : (r.garpLowerPrioDelayMs ?? g.vrrpGarpLowerPrioDelayMs ?? g.vrrpGarpMasterDelayMs),
    garpLowerPrioRepeat: strict ? 0 : (r.garpLowerPrioRepeat ?? g.vrrpGarpLowerPrioRepeat ?? g.vrrpGarpMasterRepeat),
    downTimerAdverts: strict ? 3 : (r.downTimerAdverts ?? g.vrrpDownTimerAdverts ?? 3),
    lowerPrioNoAdvert: strict ? true : (r.lowerPrioNoAdvert ?? g.vrrpLowerPrioNoAdvert ?? false),
    higherPrioSendAdvert: strict ? false : (r.higherPrioSendAdvert ?? g.vrrpHigherPrioSendAdvert ?? false),
    notify,
    ...(r.smtpAlert !== undefined ? { smtpAlert: r.smtpAlert } : {}),
    checkUnicastSrc: r.checkUnicastSrc ?? g.vrrpCheckUnicastSrc,
    oldUnicastChecksum: r.oldUnicastChecksum ?? false,
    promoteSecondaries: r.promoteSecondaries ?? false,
    ...(r.unicastTtl !== undefined && (r.unicastPeers ?? []).length ? { unicastTtl: r.unicastTtl } : {}),
    unicastFaultNoPeer: r.unicastFaultNoPeer ?? false,
    trackSrcIp: r.trackSrcIp ?? false,
    ...(r.mcastDstIp ? { mcastDstIp: r.mcastDstIp } : {}),
    ...(r.notifyPriorityChanges !== undefined ? { notifyPriorityChanges: r.notifyPriorityChanges } : {}),
    ...(r.kernelRxBufSize ? { kernelRxBufSize: r.kernelRxBufSize } : {}),
    ...(r.debug ? { debug: r.debug } : {}),
    ...(r.useVmac ? { useVmac: r.useVmac } : {}),
    ...(r.useVmacAddr ? { useVmacAddr: true } : {}),
    ...(r.useIpvlan ? { useIpvlan: r.useIpvlan } : {}),
    ...(r.vrf !== undefined ? { vrf: r.vrf, ...(r.vrfPos ? { vrfPos: r.vrfPos } : {}) } : {}),
    ...(r.linkbeatUsePolling ? { linkbeatUsePolling: true } : {}),
  };
}

/** `use_ipvlan [IFNAME] [ADDRESS[/PREFIX]] [bridge|private|vepa]` with keepalived's messages. */
function readIpvlan(c: ConfNode, name: string, d: DiagnosticSink): NonNullable<VrrpInstanceConfig['useIpvlan']> {
  let flags: 'bridge' | 'private' | 'vepa' | undefined;
  let address: { address: string; prefixLength: number; family: 4 | 6 } | undefined;
  let ifname: string | undefined;
  for (const t of c.args) {
    if (t.text === 'bridge' || t.text === 'private' || t.text === 'vepa') {
      if (flags) d.keptError(t.pos, `(${name}) ipvlan type already specified - ignoring '${t.text}'`);
      else flags = t.text;
      continue;
    }
    const [addr, prefix] = t.text.split('/');
    const fam = isIP(addr ?? '');
    if (fam) {
      const max = fam === 4 ? 32 : 128;
      const len = prefix === undefined ? max : /^\d+$/.test(prefix) ? Number(prefix) : NaN;
      if (address) d.keptError(t.pos, `(${name}) ipvlan address already specified - ignoring '${t.text}'`);
      else if (!(len >= 0 && len <= max)) d.error(t.pos, `(${name}) invalid ipvlan address '${t.text}'`);
      else address = { address: addr as string, prefixLength: len, family: fam as 4 | 6 };
      continue;
    }
    if (ifname !== undefined) d.keptError(t.pos, `(${name}) IPVLAN interface already specified - ignoring '${t.text}'`);
    else if (t.text.length >= 16) d.keptError(t.pos, `(${name}) IPVLAN interface name '${t.text}' too long - ignoring`);
    else ifname = t.text;
  }
  return { ...(ifname !== undefined ? { name: ifname } : {}), ...(address ? { address } : {}), flags: flags ?? 'bridge' };
}

/** Parses a vrrp_sync_group block. */
export function parseSyncGroup(node: ConfNode, d: DiagnosticSink): VrrpSyncGroupConfig | undefined {
  const name = node.args[0]?.text;
  if (!name) {
    d.error(missingArgPos(node), 'vrrp_sync_group without a name');
    return undefined;
  }
  let group: string[] = [];
  const notify: Mutable<VrrpInstanceConfig['notify']> = {};
  const tracks = {
    trackInterface: [] as TrackRef[],
    trackScript: [] as TrackRef[],
    trackFile: [] as TrackRef[],
    trackProcess: [] as TrackRef[],
    trackBfd: [] as TrackRef[],
  };
  let smtpAlert: boolean | undefined;
  let globalTracking = false,
    trackingWeight = false;
  let notifyPriorityChanges: boolean | undefined;
  for (const c of node.children ?? []) {
    const k = c.keyword.text;
    switch (k) {
      case 'group':
        if (group.length) {
          d.keptError(c.keyword.pos, `Group list already specified for sync group ${name}`);
          break;
        }
        group = valueLines(c, d).flatMap((x) => [x.keyword.text, ...x.args.map((t) => t.text)]);
        break;
      case 'notify_master':
      case 'notify_backup':
      case 'notify_fault':
      case 'notify_stop':
      case 'notify': {
        const key = ({ notify_master: 'master', notify_backup: 'backup', notify_fault: 'fault', notify_stop: 'stop', notify: 'generic' } as const)[k];
        if (!c.args[0]) {
          missingParameter(c, d);
          break;
        }
        const s = readScript(c, d);
        if (s) notify[key] = s;
        break;
      }
      case 'smtp_alert':
        smtpAlert = readBool(c, c.args[0], d);
        break;
      case 'track_interface':
        tracks.trackInterface = readTracks(c, d, 253);
        break;
      case 'track_script':
        tracks.trackScript = readTracks(c, d, 253);
        break;
      case 'track_file':
        tracks.trackFile = readTracks(c, d, 254);
        break;
      case 'track_process':
        tracks.trackProcess = readTracks(c, d, 254);
        break;
      case 'global_tracking':
        d.warning(c.keyword.pos, `(${name}) global_tracking is deprecated. Use track_interface/script/file on the sync group`);
        globalTracking = true;
        break;
      case 'sync_group_tracking_weight':
        trackingWeight = true;
        break;
      case 'track_bfd':
        tracks.trackBfd = readTracks(c, d, 254);
        break;
      case 'notify_priority_changes': {
        // keepalived vrrp_sg_notify_priority_changes_handler: check_true_false on the first word, if any
        const v = c.args[0]?.text.toLowerCase();
        const res = v === undefined ? true : ['true', 'on', 'yes'].includes(v) ? true : ['false', 'off', 'no'].includes(v) ? false : undefined;
        if (res === undefined)
          d.keptError(c.args[0]!.pos, `(${name}) Invalid value '${c.args[0]!.text}' for sync group notify_priority_changes specified`);
        else notifyPriorityChanges = res;
        break;
      }
      default:
        d.keptError(c.keyword.pos, `Unknown keyword '${k}'`);
    }
  }
  if (group.length === 0) {
    d.keptError(node.keyword.pos, `Sync group ${name} has no virtual router(s). removing`);
    return undefined;
  }
  if (group.length === 1) d.keptError(node.keyword.pos, `Sync group ${name} has only 1 virtual router(s) - this probably isn't what you want`);
  return {
    name,
    pos: node.keyword.pos,
    group,
    notify,
    ...(smtpAlert !== undefined ? { smtpAlert } : {}),
    ...tracks,
    globalTracking,
    trackingWeight,
    ...(notifyPriorityChanges !== undefined ? { notifyPriorityChanges } : {}),
  };
}

/** interval/timeout of a vrrp_script: whole seconds in [0, 4294] (0 is taken as 1, as keepalived does), in ms. */
function readScriptTimer(c: ConfNode, name: string, what: 'interval' | 'timeout', d: DiagnosticSink): number | undefined {
  if (!c.args[0]) {
    missingParameter(c, d);
    return undefined;
  }
  const bad =
    what === 'interval'
      ? (x: string) => `(${name}): vrrp script interval '${x}' must be between 1 and 4294 - ignoring`
      : (x: string) => `(${name}): vrrp script timeout '${x}' invalid - ignoring`;
  const v = readNum(c, d, 0, 4294, bad);
  if (v !== 0) return v === undefined ? undefined : v * 1000;
  d.error(c.args[0].pos, `(${name}): vrrp script ${what} must be greater than 0, setting to 1`);
  return 1000;
}

/** Parses a vrrp_script block. */
export function parseScript(node: ConfNode, d: DiagnosticSink): VrrpScriptConfig | undefined {
  const name = node.args[0]?.text;
  if (!name) {
    d.error(missingArgPos(node), 'vrrp_script without a name');
    return undefined;
  }
  let script: ScriptCommand | undefined;
  let intervalMs = 1000,
    timeoutMs = 0,
    weight = 0,
    rise = 1,
    fall = 1,
    reverse = false,
    initFail = false;
  let runAs: { user: string; group?: string } | undefined;
  for (const c of node.children ?? []) {
    switch (c.keyword.text) {
      case 'script':
        // keepalived ignores a bare `script` (the script set before stays)
        if (c.args.length) script = readScript(c, d) ?? script;
        break;
      case 'interval':
        intervalMs = readScriptTimer(c, name, 'interval', d) ?? intervalMs;
        break;
      case 'timeout':
        timeoutMs = readScriptTimer(c, name, 'timeout', d) ?? timeoutMs;
        break;
      case 'weight': {
        const t = c.args[0];
        const w = t && /^[-+]?\d+$/.test(t.text) ? Number(t.text) : NaN;
        if (!(w >= -253 && w <= 253)) {
          if (!t) missingParameter(c, d);
          else d.error(t.pos, `vrrp_script ${name} weight ${t.text} must be in [-253, 253]`);
          weight = 0;
        } else weight = w;
        const o = c.args[1];
        if (o && o.text !== 'reverse') d.error(o.pos, `vrrp_script ${name} unknown weight option ${o.text}`);
        reverse = o?.text === 'reverse';
        break;
      }
      case 'rise':
      case 'fall': {
        const what = c.keyword.text;
        const v = c.args[0] ? readNum(c, d, 1, 2147483647, (x) => `(${name}): vrrp script ${what} value '${x}' invalid, defaulting to 1`) : undefined;
        if (!c.args[0]) missingParameter(c, d);
        if (what === 'rise') rise = v ?? 1;
        else fall = v ?? 1;
        break;
      }
      case 'init_fail':
        initFail = true;
        break;
      case 'user':
        if (c.args[0]) runAs = { user: c.args[0].text, ...(c.args[1] ? { group: c.args[1].text } : {}) };
        else missingParameter(c, d);
        break;
      default:
        d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
    }
  }
  if (!script) {
    d.error(node.keyword.pos, `No script set for vrrp_script ${name} - removing`);
    return undefined;
  }
  if (runAs) script = { ...script, ...runAs };
  return { name, pos: node.keyword.pos, script, intervalMs, timeoutMs: timeoutMs || intervalMs, weight, reverse, rise, fall, initFail };
}
