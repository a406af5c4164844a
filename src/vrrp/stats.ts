/**
 * Per-instance VRRP statistics, named exactly as keepalived's `vrrp_stats` fields (and its JSON dump's
 * "stats" object), and the `keepalived.stats` text block keepalived writes on SIGUSR2 (vrrp_print.c).
 * OpenBSD carpstats in spirit: every receive drop has a counter, or is explicitly uncounted as in keepalived.
 */

/** keepalived's per-instance counter names (vrrp_json.c field names, in that order). */
export const STAT_NAMES = [
  'advert_rcvd',
  'advert_sent',
  'become_master',
  'release_master',
  'packet_len_err',
  'advert_interval_err',
  'ip_ttl_err',
  'invalid_type_rcvd',
  'addr_list_err',
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'pri_zero_rcvd',
  'pri_zero_sent',
] as const;

/** One of keepalived's counter names. */
export type StatName = (typeof STAT_NAMES)[number];

/** A plain, mutable counters object for one instance (owned by that instance; no sharing). */
export type VrrpStats = Record<StatName, number>;

/** A fresh counters object, all zero. */
export function createStats(): VrrpStats {
  const s = {} as VrrpStats;
  for (const n of STAT_NAMES) s[n] = 0;
  return s;
}

/** Adds one to `name` unless it is null (a drop keepalived does not count). */
export function bump(stats: VrrpStats, name: StatName | null): void {
  if (name !== null) stats[name] += 1;
}

/** Zeroes every counter (keepalived's STATS_CLEAR signal, after writing the file). */
export function clearStats(stats: VrrpStats): void {
  for (const n of STAT_NAMES) stats[n] = 0;
}

/**
 * The `keepalived.stats` block for one instance, as keepalived 2.2.7 prints it (vrrp_print.c), ending in a newline.
 * The file is the concatenation of these blocks, one per instance in configuration order.
 */
export function renderStatsBlock(instanceName: string, s: Readonly<VrrpStats>): string {
  return [
    `VRRP Instance: ${instanceName}`,
    '  Advertisements:',
    `    Received: ${s.advert_rcvd}`,
    `    Sent: ${s.advert_sent}`,
    `  Became master: ${s.become_master}`,
    `  Released master: ${s.release_master}`,
    '  Packet Errors:',
    `    Length: ${s.packet_len_err}`,
    `    TTL: ${s.ip_ttl_err}`,
    `    Invalid Type: ${s.invalid_type_rcvd}`,
    `    Advertisement Interval: ${s.advert_interval_err}`,
    `    Address List: ${s.addr_list_err}`,
    '  Authentication Errors:',
    `    Invalid Type: ${s.invalid_authtype}`,
    `    Type Mismatch: ${s.authtype_mismatch}`,
    `    Failure: ${s.auth_failure}`,
    '  Priority Zero:',
    `    Received: ${s.pri_zero_rcvd}`,
    `    Sent: ${s.pri_zero_sent}`,
    '',
  ].join('\n');
}
