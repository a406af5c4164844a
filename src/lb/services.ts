/**
 * From the configuration model to the data-plane port: a `virtual_server` (with its `virtual_server_group`
 * expanded) becomes the LbService values keepalived 2.2.7 programs, and a real or sorry server the LbDest
 * (ipvswrapper.c `ipvs_set_srule`, `ipvs_set_drule`, `ipvs_group_cmd`, `ipvs_group_range_cmd`).
 *
 * keepalived's rules kept here:
 * - persistence: `timeout` = persistence_timeout (PERSISTENT follows it); the netmask is the granularity only
 *   for a plain service — a group member always gets the default (/32, /128), as `ipvs_group_range_cmd` resets it.
 * - a group range `a.b.c.d-N` is one service per address (IPv4: the whole address counts up; IPv6: only the last
 *   16 bits, as keepalived's `s6_addr16[7]`); a group `fwmark` entry is a fwmark service of the entry's family,
 *   else the virtual server's.
 * - a destination's port: the real server's for NAT; for DR/TUN the service's port (the group entry's), 0 for
 *   fwmark services.
 */
import type { LvsForwarding, RealServerConfig, SorryServerConfig, VirtualServerConfig, VirtualServerGroupConfig } from '../config/model-lvs.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../core/inet/address.js';
import type { LbDest, LbProtocol, LbService, LbServiceKey } from './backend.js';
import { autoFwmarkGroup, groupFamilies, type FwmarkAllocator } from './nft-ipvs.js';

/** IPVS' default persistence netmask bits per family (0xffffffff / 128). */
function defaultNetmaskBits(family: 4 | 6): number {
  return family === 6 ? 128 : 32;
}

/** A dotted IPv4 netmask as a prefix length (keepalived stores the mask; IPVS wants contiguous ones). */
export function netmaskBits(mask: string): number | undefined {
  const b = parseIpv4(mask);
  if (!b) return undefined;
  const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const bits = 32 - Math.log2((~v >>> 0) + 1);
  return Number.isInteger(bits) ? bits : undefined;
}

/** The persistence granularity of a plain (non-group) service, as prefix bits. */
function granularityBits(vs: VirtualServerConfig): number {
  const g = vs.persistenceGranularity;
  if (g === undefined || vs.persistenceTimeoutMs === 0) return defaultNetmaskBits(vs.family);
  if (typeof g === 'number') return g;
  return netmaskBits(g) ?? 32;
}

/** The service protocol keepalived uses (a service without one is UDP, check_data.c). */
function protocolOf(vs: VirtualServerConfig): LbProtocol {
  return vs.protocol ?? 'UDP';
}

/** Scheduling fields shared by every service of a virtual server. */
function serviceBase(vs: VirtualServerConfig, plain: boolean, family: 4 | 6): Omit<LbService, 'key'> {
  return {
    scheduler: vs.scheduler,
    flags: vs.flags,
    timeoutSec: Math.round(vs.persistenceTimeoutMs / 1000),
    netmaskBits: plain ? granularityBits(vs) : defaultNetmaskBits(family),
    ...(vs.persistenceEngine !== undefined && vs.persistenceTimeoutMs > 0 ? { persistenceEngine: vs.persistenceEngine } : {}),
  };
}

/** Every address of a group range, in keepalived's counting order. */
export function rangeAddresses(family: 4 | 6, start: string, end: string): string[] {
  if (family === 4) {
    const s = parseIpv4(start);
    const e = parseIpv4(end);
    if (!s || !e) return [];
    const from = ((s[0]! << 24) | (s[1]! << 16) | (s[2]! << 8) | s[3]!) >>> 0;
    const to = ((e[0]! << 24) | (e[1]! << 16) | (e[2]! << 8) | e[3]!) >>> 0;
    const out: string[] = [];
    for (let v = from; ; v = (v + 1) >>> 0) {
      out.push(formatIpv4(new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255])));
      if (v === to || out.length > 65536) break;
    }
    return out;
  }
  const s = parseIpv6(start);
  const e = parseIpv6(end);
  if (!s || !e) return [];
  const to = (e[14]! << 8) | e[15]!;
  const out: string[] = [];
  const cur = Uint8Array.from(s);
  for (let v = (s[14]! << 8) | s[15]!; ; v = (v + 1) & 0xffff) {
    cur[14] = v >> 8;
    cur[15] = v & 255;
    out.push(formatIpv6(cur));
    if (v === to || out.length > 65536) break;
  }
  return out;
}

/** One kernel service of a virtual server, with the port its DR/TUN destinations take. */
export interface ServiceTarget {
  readonly service: LbService;
  /** The destination port for non-NAT servers: the service port, 0 for fwmark. */
  readonly destPort: number;
}

/**
 * The kernel services a virtual server stands for (one, or one per group member address / fwmark). With `marks`
 * (nftables_ipvs), a group of addresses without fwmark entries is one fwmark service per family instead, its mark
 * from `marks` (nft-ipvs.ts); the IPv6 one of a mixed group has the default netmask, as ipvs_cmd sets it.
 */
export function servicesOf(vs: VirtualServerConfig, groups: readonly VirtualServerGroupConfig[], marks?: FwmarkAllocator): ServiceTarget[] {
  const s = vs.service;
  const auto = marks && autoFwmarkGroup(vs, groups);
  if (auto && marks) {
    const fwmark = marks.markFor(auto.name, protocolOf(vs));
    return groupFamilies(auto).map((family, i) => ({
      service: { key: { kind: 'fwmark', family, fwmark }, ...serviceBase(vs, i === 0, family) },
      destPort: 0,
    }));
  }
  if (s.kind === 'address') {
    const key: LbServiceKey = {
      kind: 'address',
      family: vs.family,
      protocol: protocolOf(vs),
      address: canonicalAddress(vs.family, s.address),
      port: s.port,
    };
    return [{ service: { key, ...serviceBase(vs, true, vs.family) }, destPort: s.port }];
  }
  if (s.kind === 'fwmark') {
    return [{ service: { key: { kind: 'fwmark', family: vs.family, fwmark: s.fwmark }, ...serviceBase(vs, true, vs.family) }, destPort: 0 }];
  }
  const group = groups.find((g) => g.name === s.group);
  if (!group) return [];
  const out: ServiceTarget[] = [];
  for (const e of group.entries) {
    if (e.kind !== 'range') continue;
    for (const address of rangeAddresses(e.family, e.start, e.end)) {
      const key: LbServiceKey = { kind: 'address', family: e.family, protocol: protocolOf(vs), address, port: e.port };
      out.push({ service: { key, ...serviceBase(vs, false, e.family) }, destPort: e.port });
    }
  }
  for (const e of group.entries) {
    if (e.kind !== 'fwmark') continue;
    const family = e.family ?? vs.family;
    out.push({ service: { key: { kind: 'fwmark', family, fwmark: e.fwmark }, ...serviceBase(vs, false, family) }, destPort: 0 });
  }
  return out;
}

/** The address as the kernel reports it back (IPv6 canonical), so keys compare equal with listings. */
export function canonicalAddress(family: 4 | 6, address: string): string {
  const b = family === 6 ? parseIpv6(address) : parseIpv4(address);
  if (!b) return address;
  return family === 6 ? formatIpv6(b) : formatIpv4(b);
}

/** Tunnel fields of a destination (TUN only). */
function tunnelFields(f: LvsForwarding): Partial<LbDest> {
  if (f.method !== 'TUN') return {};
  return {
    tunnelType: f.tunnelType ?? 'ipip',
    ...(f.tunnelPort !== undefined ? { tunnelPort: f.tunnelPort } : {}),
    tunnelChecksum: f.tunnelChecksum ?? 'nocsum',
  };
}

/** The destination for a real or sorry server of `target`, with the IPVS weight the core computed. */
export function destOf(server: RealServerConfig | SorryServerConfig, target: ServiceTarget, weight: number): LbDest {
  const f = server.forwarding;
  const rs = 'uthreshold' in server ? server : undefined;
  return {
    family: server.family,
    address: canonicalAddress(server.family, server.address),
    port: f.method === 'NAT' ? server.port : target.destPort,
    method: f.method,
    weight,
    uthreshold: rs?.uthreshold ?? 0,
    lthreshold: rs?.lthreshold ?? 0,
    ...tunnelFields(f),
  };
}

/** Equality of two services' scheduling settings (a reload edits a service whose settings changed). */
export function sameServiceSettings(a: LbService, b: LbService): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.flags === b.flags &&
    a.timeoutSec === b.timeoutSec &&
    a.netmaskBits === b.netmaskBits &&
    a.persistenceEngine === b.persistenceEngine
  );
}

/** Equality of two destinations' settings other than weight. */
export function sameDestSettings(a: LbDest, b: LbDest): boolean {
  return (
    a.family === b.family &&
    a.address === b.address &&
    a.port === b.port &&
    a.method === b.method &&
    a.uthreshold === b.uthreshold &&
    a.lthreshold === b.lthreshold &&
    a.tunnelType === b.tunnelType &&
    a.tunnelPort === b.tunnelPort &&
    a.tunnelChecksum === b.tunnelChecksum
  );
}
