/** Address text → network-order bytes for the MIBs' InetAddress and IpAddress objects. */
import { parseIpv4, parseIpv6 } from '../core/inet/address.js';

/** The 4 or 16 bytes of an IPv4/IPv6 address; undefined for anything else. */
export function addressBytes(text: string): Buffer | undefined {
  const b = parseIpv4(text) ?? parseIpv6(text.split('%')[0]!);
  return b ? Buffer.from(b) : undefined;
}
