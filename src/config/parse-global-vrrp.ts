/**
 * global_defs keywords that tune the VRRP child (keepalived 2.2.7 core/global_parser.c): the default number of
 * adverts before a backup takes over, the default interface of static addresses, unknown-VRID logging, VMAC name
 * prefixes, the VRRP sockets' receive buffers and the netlink sockets' receive buffers. Their values are checked
 * (with keepalived's texts) by global-checks.ts; here a valid value is taken, an invalid one leaves the default.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { GlobalDefs, Mutable, NetlinkRcvBufs } from './model.js';
import type { ConfNode } from './tree.js';
import { BOOL_WORDS } from './parse-checkers.js';

const UINT = /^\d+$/;

/** The `*_netlink_*_rcv_bufs(_force)` keywords: which socket of which child each sets. */
const NETLINK_BUFS: Readonly<Record<string, keyof NetlinkRcvBufs>> = {
  vrrp_netlink_cmd_rcv_bufs: 'vrrpCmd',
  vrrp_netlink_monitor_rcv_bufs: 'vrrpMonitor',
  lvs_netlink_cmd_rcv_bufs: 'lvsCmd',
  lvs_netlink_monitor_rcv_bufs: 'lvsMonitor',
  process_monitor_rcv_bufs: 'processMonitor',
};

/** A `<BOOL>`-or-nothing flag as keepalived's get_value_bool reads it (undefined: invalid, reported elsewhere). */
function flagValue(c: ConfNode): boolean | undefined {
  const v = c.args[0]?.text;
  return v === undefined ? true : BOOL_WORDS.get(v.toLowerCase());
}

/** Handles one VRRP-tuning global_defs keyword; false when `c` is not one of them. */
export function parseGlobalVrrpTuning(c: ConfNode, g: Mutable<GlobalDefs>, d: DiagnosticSink): boolean {
  const k = c.keyword.text;
  const a0 = c.args[0];
  const uint = a0 !== undefined && UINT.test(a0.text) ? Number(a0.text) : undefined;
  if (k.endsWith('_rcv_bufs') || k.endsWith('_rcv_bufs_force')) {
    const which = NETLINK_BUFS[k.replace(/_force$/, '')];
    if (!which) return false;
    const cur = g.netlinkRcvBufs?.[which] ?? { size: 0, force: false };
    const next = k.endsWith('_force')
      ? { ...cur, force: flagValue(c) ?? cur.force }
      : { ...cur, size: uint !== undefined && uint <= 0xffffffff ? uint : 0 };
    g.netlinkRcvBufs = { ...g.netlinkRcvBufs, [which]: next };
    return true;
  }
  switch (k) {
    case 'vrrp_down_timer_adverts':
      if (uint !== undefined && uint >= 1 && uint <= 100) g.vrrpDownTimerAdverts = uint;
      return true;
    case 'default_interface':
      if (a0) g.defaultInterface = a0.text;
      return true;
    case 'log_unknown_vrids':
      g.logUnknownVrids = true;
      return true;
    case 'vmac_prefix':
    case 'vmac_addr_prefix': {
      const key = k === 'vmac_prefix' ? 'vmacPrefix' : 'vmacAddrPrefix';
      if (!a0) return true;
      if (g[key] !== undefined)
        d.keptError(a0.pos, `${k === 'vmac_prefix' ? 'vmac' : 'vmac_addr'} prefix has already been specified - ignoring ${a0.text}`);
      else g[key] = a0.text;
      return true;
    }
    case 'vrrp_rx_bufs_policy':
      readRxBufsPolicy(c, g, d);
      return true;
    case 'vrrp_rx_bufs_multiplier':
      if (c.args.length === 1 && uint !== undefined && uint >= 1 && uint <= 0xffffffff) g.vrrpRxBufsMultiplier = uint;
      return true;
    default:
      return false;
  }
}

/**
 * keepalived's vrrp_rx_bufs_policy_handler: MTU, ADVERT (either case) or a size, accumulated over lines; a size
 * beside a policy drops the policy, MTU beside ADVERT drops ADVERT. keepalived reads a size from the first word
 * whichever word it is looking at; so do we. The first word's problems are reported by global-checks.ts.
 */
function readRxBufsPolicy(c: ConfNode, g: Mutable<GlobalDefs>, d: DiagnosticSink): void {
  let { mtu, advert, size } = g.vrrpRxBufsPolicy ?? { mtu: false, advert: false };
  c.args.forEach((t, i) => {
    const w = t.text.toUpperCase();
    if (w === 'MTU') mtu = true;
    else if (w === 'ADVERT') advert = true;
    else if (UINT.test(c.args[0]!.text) && Number(c.args[0]!.text) <= 0xffffffff) size = Number(c.args[0]!.text);
    else if (i > 0) d.keptError(t.pos, `Invalid vrrp_rx_bufs_policy ${t.text}`);
  });
  if (size !== undefined && (mtu || advert)) {
    d.keptError(c.keyword.pos, 'Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy');
    mtu = advert = false;
  } else if (mtu && advert) {
    d.keptError(c.keyword.pos, 'Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT');
    advert = false;
  }
  g.vrrpRxBufsPolicy = { mtu, advert, ...(size !== undefined ? { size } : {}) };
}
