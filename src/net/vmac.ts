/**
 * VRRP virtual MAC interfaces (`use_vmac`): the RFC 5798 §7.3 virtual router MAC, keepalived's interface names,
 * the IPv6 link-local address keepalived gives the VMAC, and the sysctls keepalived sets around it
 * (keepalived 2.2.7 vrrp_vmac.c, vrrp_if_config.c, vrrp.c create_vmac_name).
 *
 * The sysctl helpers write /proc/sys files of the network namespace of the calling thread, synchronously, and
 * return problems as values: a VMAC that cannot get `arp_ignore` is still a working VMAC, so the caller logs and
 * goes on, as keepalived does.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { macBytes } from './arp.js';
import { ipv6Text } from './sockaddr.js';

/** RFC 5798 §7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6. */
export function vmacAddress(family: 4 | 6, vrid: number): string {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`VRID out of range: ${vrid}`);
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}

/** Linux IFNAMSIZ less the NUL. */
const IFNAME_MAX = 15;

/** Options for choosing a VMAC interface name. */
export interface VmacNameOptions {
  /** global_defs `vmac_prefix` (default "vrrp"). */
  readonly prefix?: string;
  /** The instance's family: IPv6 tries <prefix>6.<vrid> second. */
  readonly family?: 4 | 6;
  /** Whether a name is taken (by an existing interface or another instance's VMAC). */
  readonly inUse?: (name: string) => boolean;
}

/**
 * The VMAC interface name: the name given after `use_vmac`, else keepalived's create_vmac_name: `<prefix>.<vrid>`,
 * then `<prefix>1.<vrid>`, `<prefix>2.<vrid>`… (IPv6: `<prefix>6.<vrid>` first, then 1, 2, 3, 4, 5, 7…) until one is
 * free, the prefix shortened so that the name fits in 15 bytes.
 */
export function vmacName(vrid: number, configured?: string, opts: VmacNameOptions = {}): string {
  if (configured) return configured;
  const prefix = opts.prefix ?? 'vrrp';
  const inUse = opts.inUse ?? (() => false);
  const fit = (num: string) => {
    const tail = `${num}.${vrid}`;
    return `${prefix.slice(0, Math.max(0, IFNAME_MAX - tail.length))}${tail}`;
  };
  let name = fit('');
  for (let num = 0; inUse(name); name = fit(String(num))) {
    if (opts.family === 6) num = num === 0 ? 6 : num === 6 ? 1 : num + 1 === 6 ? 7 : num + 1;
    else num++;
    if (num > 0xffff) throw new RangeError(`no free VMAC name for VRID ${vrid}`);
  }
  return name;
}

/**
 * The IPv6 link-local address keepalived puts on an IPv6 VMAC when no source address is configured and the parent
 * has none (make_link_local_address): fe80::/64 with the modified EUI-64 of the *parent's* MAC, so that adverts
 * leave from a per-router address while the VMAC's own EUI-64 address (the same on every router) is never made.
 */
export function vmacLinkLocal(parentMac: string): string {
  const m = macBytes(parentMac);
  const b = Buffer.alloc(16);
  b[0] = 0xfe;
  b[1] = 0x80;
  b[8] = (m[0] as number) ^ 0x02;
  b[9] = m[1] as number;
  b[10] = m[2] as number;
  b[11] = 0xff;
  b[12] = 0xfe;
  b[13] = m[3] as number;
  b[14] = m[4] as number;
  b[15] = m[5] as number;
  return ipv6Text(b);
}

/* Sysctls ---------------------------------------------------------------------------------------------------- */

/** A sysctl that could not be read or written. */
export interface SysctlProblem {
  readonly path: string;
  /** errno name (ENOENT, EACCES…) or EINVAL for an unreadable value. */
  readonly code: string;
  readonly message: string;
}

/** Where /proc/sys is (tests point it at a scratch directory). */
export interface SysctlOptions {
  readonly procSys?: string;
}

/** vrrp_if_config.c vmac_sysctl: on an IPv4 VMAC (only one keepalived creates). */
export const VMAC_IPV4_SYSCTLS = {
  /** Do not answer ARP on the VMAC for addresses of the parent. */
  arp_ignore: 1,
  /** Hear another instance's adverts sent from a local address. */
  accept_local: 1,
  /** Receive on the VMAC while it has no address. */
  rp_filter: 0,
  /** Keep the other VIPs of a subnet when its primary is removed (set automatically for VMACs). */
  promote_secondaries: 1,
} as const;

/** vrrp_if_config.c parent_sysctl: on the parent of an IPv4 VMAC (saved first, restored with the last VMAC). */
export const PARENT_IPV4_SYSCTLS = { arp_ignore: 1, arp_filter: 1 } as const;

/** IN6_ADDR_GEN_MODE_NONE for net/ipv6/conf/<if>/addr_gen_mode. */
const ADDR_GEN_MODE_NONE = 1;

function writeSysctl(path: string, value: number, problems: SysctlProblem[]): void {
  try {
    writeFileSync(path, String(value));
  } catch (e) {
    problems.push(problemOf(path, e));
  }
}

function readSysctl(path: string, problems: SysctlProblem[]): number | undefined {
  try {
    const v = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    if (Number.isInteger(v)) return v;
    problems.push({ path, code: 'EINVAL', message: `${path}: not an integer` });
  } catch (e) {
    problems.push(problemOf(path, e));
  }
  return undefined;
}

function problemOf(path: string, e: unknown): SysctlProblem {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return { path, code, message: `${path}: ${(e as Error).message}` };
}

const conf = (o: SysctlOptions, fam: 'ipv4' | 'ipv6', ifname: string, key: string) => join(o.procSys ?? '/proc/sys', 'net', fam, 'conf', ifname, key);

/**
 * Sets the sysctls keepalived sets on a freshly created VMAC, before it is brought up:
 * IPv4 instances get VMAC_IPV4_SYSCTLS; every VMAC gets net/ipv6 addr_gen_mode = none (keepalived sends
 * IFLA_INET6_ADDR_GEN_MODE, same effect: no EUI-64 link-local from the shared virtual MAC); IPv6 is disabled on an
 * IPv4 VMAC unless the instance has IPv6 eVIPs (`otherFamilyVips`), as keepalived's link_set_ipv6.
 * Returns the failures (empty when all were written).
 */
export function configureVmacSysctls(
  ifname: string,
  family: 4 | 6,
  opts: SysctlOptions & { readonly otherFamilyVips?: boolean } = {},
): SysctlProblem[] {
  const problems: SysctlProblem[] = [];
  if (family === 4) {
    for (const [key, value] of Object.entries(VMAC_IPV4_SYSCTLS)) writeSysctl(conf(opts, 'ipv4', ifname, key), value, problems);
  }
  writeSysctl(conf(opts, 'ipv6', ifname, 'addr_gen_mode'), ADDR_GEN_MODE_NONE, problems);
  writeSysctl(conf(opts, 'ipv6', ifname, 'disable_ipv6'), family === 4 && !opts.otherFamilyVips ? 1 : 0, problems);
  return problems;
}

/** keepalived's link_set_ipv6 for an ipvlan: net/ipv6/conf/<if>/disable_ipv6 = !on. */
export function setIpv6(ifname: string, on: boolean, opts: SysctlOptions = {}): SysctlProblem[] {
  const problems: SysctlProblem[] = [];
  writeSysctl(conf(opts, 'ipv6', ifname, 'disable_ipv6'), on ? 0 : 1, problems);
  return problems;
}

/** Values of a parent's ARP sysctls before a VMAC changed them. */
export interface SavedParentSysctls {
  readonly arp_ignore?: number;
  readonly arp_filter?: number;
}

/**
 * Sets arp_ignore = 1 and arp_filter = 1 on the parent of an IPv4 VMAC, returning the old values for
 * restoreParentSysctls. keepalived does this once per parent (with the first VMAC on it) and restores with the
 * last VMAC removed: the reference count is the caller's.
 */
export function configureParentSysctls(parent: string, opts: SysctlOptions = {}): { saved: SavedParentSysctls; problems: SysctlProblem[] } {
  const problems: SysctlProblem[] = [];
  const saved: { -readonly [K in keyof SavedParentSysctls]: number } = {};
  for (const [key, value] of Object.entries(PARENT_IPV4_SYSCTLS) as [keyof SavedParentSysctls, number][]) {
    const path = conf(opts, 'ipv4', parent, key);
    const old = readSysctl(path, problems);
    if (old === undefined) continue;
    saved[key] = old;
    if (old !== value) writeSysctl(path, value, problems);
  }
  return { saved, problems };
}

/** Writes back what configureParentSysctls saved. */
export function restoreParentSysctls(parent: string, saved: SavedParentSysctls, opts: SysctlOptions = {}): SysctlProblem[] {
  const problems: SysctlProblem[] = [];
  for (const [key, value] of Object.entries(saved) as [keyof SavedParentSysctls, number][])
    writeSysctl(conf(opts, 'ipv4', parent, key), value, problems);
  return problems;
}

/** What clearAllRpFilter changed, for restoreAllRpFilter. */
export interface SavedRpFilter {
  /** net.ipv4.conf.all.rp_filter before it was set to 0. */
  readonly all: number;
  /** net.ipv4.conf.default.rp_filter, when it was raised to `all`. */
  readonly default?: number;
  /** Interfaces whose rp_filter was raised to `all`, with their old values. */
  readonly interfaces: ReadonlyMap<string, number>;
}

/**
 * keepalived's clear_rp_filter: a VMAC needs an effective rp_filter of 0, which is max(all, <if>). When
 * all.rp_filter is non-zero, raise default and every interface below it to its value (so nothing else changes
 * behaviour), then set all to 0. Returns undefined `saved` when all was already 0 (nothing to undo).
 */
export function clearAllRpFilter(opts: SysctlOptions = {}): { saved?: SavedRpFilter; problems: SysctlProblem[] } {
  const problems: SysctlProblem[] = [];
  const all = readSysctl(conf(opts, 'ipv4', 'all', 'rp_filter'), problems);
  if (!all) return { problems };
  const def = readSysctl(conf(opts, 'ipv4', 'default', 'rp_filter'), problems);
  if (def !== undefined && def < all) writeSysctl(conf(opts, 'ipv4', 'default', 'rp_filter'), all, problems);
  const interfaces = new Map<string, number>();
  for (const ifname of listConf(opts, problems)) {
    const path = conf(opts, 'ipv4', ifname, 'rp_filter');
    const v = readSysctl(path, problems);
    if (v === undefined || v >= all) continue;
    writeSysctl(path, all, problems);
    interfaces.set(ifname, v);
  }
  writeSysctl(conf(opts, 'ipv4', 'all', 'rp_filter'), 0, problems);
  return { saved: { all, ...(def !== undefined && def < all ? { default: def } : {}), interfaces }, problems };
}

/** keepalived's restore_rp_filter: puts back each value clearAllRpFilter changed, unless someone changed it since. */
export function restoreAllRpFilter(saved: SavedRpFilter, opts: SysctlOptions = {}): SysctlProblem[] {
  const problems: SysctlProblem[] = [];
  const restore = (ifname: string, expected: number, value: number) => {
    const path = conf(opts, 'ipv4', ifname, 'rp_filter');
    if (readSysctl(path, problems) === expected) writeSysctl(path, value, problems);
  };
  restore('all', 0, saved.all);
  if (saved.default !== undefined) restore('default', saved.all, saved.default);
  for (const [ifname, value] of saved.interfaces) restore(ifname, saved.all, value);
  return problems;
}

function listConf(opts: SysctlOptions, problems: SysctlProblem[]): string[] {
  const dir = join(opts.procSys ?? '/proc/sys', 'net', 'ipv4', 'conf');
  try {
    return readdirSync(dir).filter((n) => n !== 'all' && n !== 'default');
  } catch (e) {
    problems.push(problemOf(dir, e));
    return [];
  }
}
