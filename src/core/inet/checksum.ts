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

/** Sum of the big-endian 16-bit words of `b[off..off+len)` (len even), unfolded. */
function wordSum(b: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = off; i < off + len; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  return sum;
}

/** Folds an unfolded one's-complement sum to 16 bits. */
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Partial sum of the IPv4 pseudo-header: source, destination, zero, protocol, upper-layer length (RFC 768). */
export function ipv4PseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return fold(wordSum(src, 0, 4) + wordSum(dst, 0, 4) + (protocol & 0xff) + (length & 0xffff));
}

/** Partial sum of the IPv6 pseudo-header: source, destination, 32-bit length, 3 zero bytes, next header (RFC 8200 8.1). */
export function ipv6PseudoHeaderSum(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  return fold(wordSum(src, 0, 16) + wordSum(dst, 0, 16) + (length >>> 16) + (length & 0xffff) + (nextHeader & 0xff));
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
