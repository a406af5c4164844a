/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) in plain TypeScript, for the sans-IO VRRP core: keepalived's IPsec-AH
 * authentication (auth_type AH) carries HMAC-MD5-96 (RFC 2403), and the core may not import node:crypto.
 * Adverts are a few dozen bytes once a second, so speed does not matter; tested against node:crypto.
 */

/** Per-round shift amounts (RFC 1321 3.4). */
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/** T[i] = floor(2^32 × |sin(i + 1)|) (RFC 1321 3.4). */
const T = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

/** MD5 block size in bytes (also HMAC's B). */
export const MD5_BLOCK_LENGTH = 64;
/** MD5 digest length in bytes. */
export const MD5_DIGEST_LENGTH = 16;

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

function compress(state: Uint32Array, block: DataView, at: number): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let i = 0; i < 64; i++) {
    const round = i >> 4;
    let f: number;
    let g: number;
    if (round === 0) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (round === 1) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (round === 2) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const tmp = d;
    d = c;
    c = b;
    b = (b + rotl((a + f + T[i]! + block.getUint32(at + g * 4, true)) | 0, SHIFTS[(round << 2) | (i & 3)]!)) | 0;
    a = tmp;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

/** The MD5 digest of the concatenation of `parts`. */
export function md5(...parts: readonly Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const padded = new Uint8Array((((length + 8) >> 6) + 1) << 6);
  let off = 0;
  for (const p of parts) {
    padded.set(p, off);
    off += p.length;
  }
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, (length * 8) >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(length / 0x20000000), true);
  const state = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  for (let at = 0; at < padded.length; at += MD5_BLOCK_LENGTH) compress(state, view, at);
  const out = new Uint8Array(MD5_DIGEST_LENGTH);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) ov.setUint32(i * 4, state[i]!, true);
  return out;
}

/** HMAC-MD5 (RFC 2104) of the concatenation of `parts` under `key`. */
export function hmacMd5(key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  const k = new Uint8Array(MD5_BLOCK_LENGTH);
  k.set(key.length > MD5_BLOCK_LENGTH ? md5(key) : key);
  const inner = k.map((x) => x ^ 0x36);
  const outer = k.map((x) => x ^ 0x5c);
  return md5(outer, md5(inner, ...parts));
}
