/**
 * What keepalived 2.2.7 reports for global_defs values (core/global_parser.c), for keywords whose value we do not
 * read ourselves (not supported yet, or taken as a flag): the same texts, as reports that fail `-t` while the
 * configuration is kept, so that `-t` agrees with keepalived's on what it accepts.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { ConfNode } from './tree.js';

const BOOL_WORDS = new Set(['true', 'on', 'yes', 'false', 'off', 'no']);
const UINT = /^\d+$/;
const INT = /^[-+]?\d+$/;

/** A check: the problem text for the keyword's first word (undefined: none given), or undefined when it is fine. */
type Check = (v: string | undefined, k: string) => string | undefined;

const missing =
  (text: string): Check =>
  (v) =>
    v === undefined ? text : undefined;
/** `<BOOL>` flags read with keepalived's get_value_bool ("Invalid value 'x' for global K specified"). */
const flag =
  (name?: string): Check =>
  (v, k) =>
    v !== undefined && !BOOL_WORDS.has(v.toLowerCase()) ? `Invalid value '${v}' for global ${name ?? k} specified` : undefined;
const bufs: Check = (v, k) => (v === undefined ? `${k} size missing` : !UINT.test(v) ? `${k} size (${v}) invalid` : undefined);
const int =
  (text: (v: string) => string, re = INT): Check =>
  (v) =>
    v !== undefined && !re.test(v) ? text(v) : undefined;

const CHECKS: Readonly<Record<string, Check>> = {
  router_id: missing('routerid name missing - ignoring'),
  notification_email_from: missing('emailfrom missing - ignoring'),
  default_interface: missing('default_interface requires interface name'),
  lvs_sync_daemon: missing('lvs_sync_daemon requires interface'),
  notify_fifo: missing('No notify_fifo name specified'),
  vrrp_notify_fifo: missing('No vrrp_notify_fifo name specified'),
  lvs_notify_fifo: missing('No lvs_notify_fifo name specified'),
  snmp_socket: missing('SNMP error : snmp socket name missing'),
  dbus_service_name: missing('dbus_service_name missing - ignoring'),
  script_user: missing('No script username specified'),
  rs_init_notifies: flag(),
  no_checker_emails: flag(),
  vrrp_netlink_cmd_rcv_bufs_force: flag(),
  vrrp_netlink_monitor_rcv_bufs_force: flag(),
  process_monitor_rcv_bufs_force: flag(),
  lvs_netlink_cmd_rcv_bufs_force: flag(),
  lvs_netlink_monitor_rcv_bufs_force: flag(),
  vrrp_netlink_cmd_rcv_bufs: bufs,
  vrrp_netlink_monitor_rcv_bufs: bufs,
  process_monitor_rcv_bufs: bufs,
  lvs_netlink_cmd_rcv_bufs: bufs,
  lvs_netlink_monitor_rcv_bufs: bufs,
  vrrp_rx_bufs_policy: (v) =>
    v === undefined
      ? 'vrrp_rx_bufs_policy missing'
      : !UINT.test(v) && !['mtu', 'advert'].includes(v.toLowerCase())
        ? `Invalid vrrp_rx_bufs_policy ${v}`
        : undefined,
  vrrp_rx_bufs_multiplier: (v) =>
    v === undefined ? 'Invalid vrrp_rx_bufs_multiplier' : !UINT.test(v) ? `Invalid vrrp_rx_bufs_multiplier ${v}` : undefined,
  vrrp_down_timer_adverts: (v) =>
    v !== undefined && !(UINT.test(v) && +v >= 1 && +v <= 100) ? `Invalid vrrp_down_timer_adverts [1:100] '${v}'` : undefined,
  nftables_ipvs_priority: int((v) => `invalid ipvs nftables chain priority '${v}'`),
  nftables_ipvs_start_fwmark: int((v) => `invalid ipvs nftables start_fwmark priority '${v}'`, UINT),
};

/** Keywords keepalived reports as deprecated whatever their value. */
const DEPRECATED: Readonly<Record<string, string>> = {};

/** Reports keepalived's value problems for a global_defs keyword `c` (nothing for keywords it has no check for). */
export function checkGlobalValue(c: ConfNode, d: DiagnosticSink): void {
  const k = c.keyword.text;
  const dep = DEPRECATED[k];
  if (dep) d.keptError(c.keyword.pos, dep);
  const t = c.args[0];
  const problem = CHECKS[k]?.(t?.text, k);
  if (problem) d.keptError(t?.pos ?? c.keyword.pos, problem);
}
