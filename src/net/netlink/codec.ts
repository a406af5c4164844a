/**
 * Netlink message and attribute codec (host byte order, 4-byte alignment), RFC 3549 / linux/netlink.h.
 *
 *   struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }      16 bytes
 *   struct nlattr   { u16 len; u16 type; }                                    4 bytes + payload, padded to 4
 */

/** Standard message types. */
export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;
/** Request flags. */
export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  ACK_TLVS: 0x200,
  CAPPED: 0x100,
} as const;
/** Extended-ack attributes in NLMSG_ERROR messages. */
export const NLMSGERR_ATTR = { MSG: 1, OFFS: 2, COOKIE: 3 } as const;
/** Nested attribute flag bit in nla_type. */
export const NLA_F_NESTED = 0x8000;

/** Rounds up to the netlink alignment (4). */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** One decoded netlink message. */
export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** The payload after the 16-byte header. */
  readonly payload: Buffer;
}

/** Encodes one message with header. */
export function encodeMessage(type: number, flags: number, seq: number, pid: number, payload: Uint8Array): Buffer {
  const len = 16 + payload.length;
  const b = Buffer.alloc(align4(len));
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq >>> 0, 8);
  b.writeUInt32LE(pid >>> 0, 12);
  Buffer.from(payload).copy(b, 16);
  return b;
}

/** Splits a datagram into messages; stops (without throwing) at the first malformed length. */
export function decodeMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + 16, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** An attribute to encode: raw bytes, or nested attributes. */
export interface AttrInput {
  readonly type: number;
  readonly value: Uint8Array | readonly AttrInput[];
}

/** Encodes attributes (nested ones get NLA_F_NESTED). */
export function encodeAttrs(attrs: readonly AttrInput[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const nested = !(a.value instanceof Uint8Array);
    const payload = nested ? encodeAttrs(a.value as readonly AttrInput[]) : Buffer.from(a.value as Uint8Array);
    const len = 4 + payload.length;
    const b = Buffer.alloc(align4(len));
    b.writeUInt16LE(len, 0);
    b.writeUInt16LE(a.type | (nested ? NLA_F_NESTED : 0), 2);
    payload.copy(b, 4);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** Decodes attributes into a map by type (flag bits stripped; the last of a repeated type wins). */
export function decodeAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.set(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/**
 * Field readers for decoders: undefined when `b` is absent or too short for the field, so that a malformed
 * message (a truncated header, an attribute of the wrong size) never throws in a socket callback.
 */
export const field = {
  u8: (b: Buffer | undefined, off = 0): number | undefined => (b && b.length >= off + 1 ? b.readUInt8(off) : undefined),
  u16: (b: Buffer | undefined, off = 0): number | undefined => (b && b.length >= off + 2 ? b.readUInt16LE(off) : undefined),
  u16be: (b: Buffer | undefined, off = 0): number | undefined => (b && b.length >= off + 2 ? b.readUInt16BE(off) : undefined),
  u32: (b: Buffer | undefined, off = 0): number | undefined => (b && b.length >= off + 4 ? b.readUInt32LE(off) : undefined),
  i32: (b: Buffer | undefined, off = 0): number | undefined => (b && b.length >= off + 4 ? b.readInt32LE(off) : undefined),
};

/** `p`, zero-padded to `n` bytes when shorter (a decoder's fixed header of a truncated message reads as zeros). */
export function fixedHeader(p: Buffer, n: number): Buffer {
  return p.length >= n ? p : Buffer.concat([p, Buffer.alloc(n - p.length)]);
}

/** u8/u16/u32 attribute payloads (host order) and NUL-terminated strings. */
export const attr = {
  u8: (x: number) => Buffer.from([x & 0xff]),
  u16: (x: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(x);
    return b;
  },
  u32: (x: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(x >>> 0);
    return b;
  },
  str: (s: string) => Buffer.from(`${s}\0`),
};

/** The decoded body of an NLMSG_ERROR (error 0 = ack). */
export interface NlError {
  /** Negative errno, or 0 for an ack. */
  readonly error: number;
  /** The extended-ack text (NETLINK_EXT_ACK), when the kernel gave one. */
  readonly message?: string;
  /** seq of the request this answers (from the echoed header). */
  readonly seq: number;
}

/** Decodes an NLMSG_ERROR payload: int error, the (capped) original header, then ext-ack TLVs. */
export function decodeError(payload: Buffer, flags: number): NlError {
  const error = field.i32(payload) ?? -71; // a truncated error message reads as EPROTO
  const seq = payload.length >= 4 + 16 ? payload.readUInt32LE(4 + 8) : 0;
  let message: string | undefined;
  if (flags & NLM_F.ACK_TLVS) {
    const origLen = payload.length >= 20 ? payload.readUInt32LE(4) : 16;
    const tlvStart = 4 + (flags & NLM_F.CAPPED ? 16 : align4(origLen));
    const tlvs = decodeAttrs(payload.subarray(tlvStart));
    const m = tlvs.get(NLMSGERR_ATTR.MSG);
    if (m) message = m.toString('utf8').replace(/\0+$/, '');
  }
  return message === undefined ? { error, seq } : { error, seq, message };
}
