/**
 * The Internet checksum (RFC 1071) and the pseudo-headers VRRP needs:
 * IPv4 (RFC 768 layout: src, dst, 0, protocol, length) for VRRPv3/IPv4 (RFC 5798 5.2.8, RFC 9568 5.2.8)
 * and IPv6 (RFC 8200 8.1: src, dst, upper-layer length, 3 zero bytes, next header).
 * Pure functions over bytes; addresses are passed as 4- or 16-byte arrays.
 */

/**
 * One's-complement sum of `data` folded to 16 bits, added to `initial` (an unfolded or folded partial sum).
 * An odd trailing byte is padded with zero, as RFC 1071 says.
 */
export function onesComplementSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = data.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (even !== data.length) sum += data[even]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Internet checksum of `data` (with an optional partial sum already accumulated, e.g. a pseudo-header). */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  return ~onesComplementSum(data, initial) & 0xffff;
}

/** Partial sum of the IPv4 pseudo-header: source, destination, zero, protocol, upper-layer length (RFC 768). */
export function ipv4PseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  const ph = new Uint8Array(12);
  ph.set(src.subarray(0, 4), 0);
  ph.set(dst.subarray(0, 4), 4);
  ph[9] = protocol;
  ph[10] = (length >>> 8) & 0xff;
  ph[11] = length & 0xff;
  return onesComplementSum(ph);
}

/** Partial sum of the IPv6 pseudo-header: source, destination, 32-bit length, 3 zero bytes, next header (RFC 8200 8.1). */
export function ipv6PseudoHeaderSum(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  const ph = new Uint8Array(40);
  ph.set(src.subarray(0, 16), 0);
  ph.set(dst.subarray(0, 16), 16);
  ph[34] = (length >>> 8) & 0xff;
  ph[35] = length & 0xff;
  ph[39] = nextHeader;
  return onesComplementSum(ph);
}

/**
 * Incremental update of a checksum when one 16-bit word changes from `oldWord` to `newWord` (RFC 1624 eqn. 3),
 * e.g. the priority/count word of a prepared advert.
 */
export function checksumAdjust16(checksum: number, oldWord: number, newWord: number): number {
  let sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
