/**
 * sockaddr codecs (Linux, little-endian hosts): family in host order; ports, addresses and sll_protocol in
 * network order. Sizes: sockaddr_in 16, sockaddr_in6 28, sockaddr_ll 20, sockaddr_nl 12.
 */
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../core/inet/address.js';
import { K } from './sysio.js';

/** IPv4 text → 4 bytes. Throws on bad input. */
export function ipv4Bytes(ip: string): Buffer {
  const b = parseIpv4(ip);
  if (!b) throw new TypeError(`not an IPv4 address: ${ip}`);
  return Buffer.from(b);
}

/** IPv6 text (optionally with %zone, ignored here) → 16 bytes. Throws on bad input. */
export function ipv6Bytes(ip: string): Buffer {
  const b = parseIpv6(ip.split('%')[0] ?? '');
  if (!b) throw new TypeError(`not an IPv6 address: ${ip}`);
  return Buffer.from(b);
}

/** 4 bytes → dotted IPv4 text. */
export const ipv4Text = formatIpv4;
/** 16 bytes → canonical IPv6 text. */
export const ipv6Text = formatIpv6;

/** struct sockaddr_in for `ip`:`port`. */
export function sockaddrIn(ip: string, port = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(K.AF_INET as number, 0);
  b.writeUInt16BE(port, 2);
  ipv4Bytes(ip).copy(b, 4);
  return b;
}

/** struct sockaddr_in6 for `ip`:`port` with a scope id (the interface index for link-local addresses). */
export function sockaddrIn6(ip: string, port = 0, scopeId = 0): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(K.AF_INET6 as number, 0);
  b.writeUInt16BE(port, 2);
  ipv6Bytes(ip).copy(b, 8);
  b.writeUInt32LE(scopeId, 24);
  return b;
}

/** struct sockaddr_ll: where an AF_PACKET frame goes (or which frames a packet socket binds to). */
export function sockaddrLl(opts: { ifindex: number; protocol: number; mac?: Uint8Array }): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16LE(K.AF_PACKET as number, 0);
  b.writeUInt16BE(opts.protocol, 2);
  b.writeInt32LE(opts.ifindex, 4);
  if (opts.mac) {
    b.writeUInt8(opts.mac.length, 11);
    Buffer.from(opts.mac).copy(b, 12, 0, Math.min(8, opts.mac.length));
  }
  return b;
}

/** struct sockaddr_nl. */
export function sockaddrNl(pid = 0, groups = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(K.AF_NETLINK as number, 0);
  b.writeUInt32LE(pid >>> 0, 4);
  b.writeUInt32LE(groups >>> 0, 8);
  return b;
}

/** A decoded sockaddr. */
export type SockAddr =
  | { readonly family: 'inet'; readonly address: string; readonly port: number }
  | { readonly family: 'inet6'; readonly address: string; readonly port: number; readonly scopeId: number }
  | { readonly family: 'packet'; readonly protocol: number; readonly ifindex: number; readonly mac: Buffer }
  | { readonly family: 'netlink'; readonly pid: number; readonly groups: number }
  | { readonly family: 'other'; readonly raw: Buffer };

/** Decodes a raw sockaddr as returned by recvmsg/getsockname. */
export function parseSockaddr(b: Buffer): SockAddr {
  if (b.length < 2) return { family: 'other', raw: b };
  const fam = b.readUInt16LE(0);
  if (fam === K.AF_INET && b.length >= 8) return { family: 'inet', address: ipv4Text(b, 4), port: b.readUInt16BE(2) };
  if (fam === K.AF_INET6 && b.length >= 28) {
    return { family: 'inet6', address: ipv6Text(b, 8), port: b.readUInt16BE(2), scopeId: b.readUInt32LE(24) };
  }
  if (fam === K.AF_PACKET && b.length >= 12) {
    const halen = Math.min(8, b.readUInt8(11));
    return { family: 'packet', protocol: b.readUInt16BE(2), ifindex: b.readInt32LE(4), mac: Buffer.from(b.subarray(12, 12 + halen)) };
  }
  if (fam === K.AF_NETLINK && b.length >= 12) return { family: 'netlink', pid: b.readUInt32LE(4), groups: b.readUInt32LE(8) };
  return { family: 'other', raw: b };
}

/** struct ip_mreqn (12 bytes): join `group` on interface `ifindex`. */
export function ipMreqn(group: string, ifindex: number, local = '0.0.0.0'): Buffer {
  const b = Buffer.alloc(12);
  ipv4Bytes(group).copy(b, 0);
  ipv4Bytes(local).copy(b, 4);
  b.writeInt32LE(ifindex, 8);
  return b;
}

/** struct ipv6_mreq (20 bytes). */
export function ipv6Mreq(group: string, ifindex: number): Buffer {
  const b = Buffer.alloc(20);
  ipv6Bytes(group).copy(b, 0);
  b.writeUInt32LE(ifindex, 16);
  return b;
}
