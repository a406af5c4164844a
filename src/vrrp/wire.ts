/**
 * A bounds-checked cursor reader for the VRRP codec and the IPv4 header builder (pg-protocol's BufferReader,
 * but returning `undefined` instead of throwing). Address text <-> bytes lives in src/core/inet.
 */

/** A forward-only reader over a byte array; every read past the end returns undefined and leaves the cursor. */
export class ByteReader {
  /** Current read offset into `data`. */
  offset: number;

  /** Reads `data` from `offset` (default 0). */
  constructor(
    readonly data: Uint8Array,
    offset = 0,
  ) {
    this.offset = offset;
  }

  /** Bytes left after the cursor. */
  get remaining(): number {
    return this.data.length - this.offset;
  }

  /** One unsigned byte. */
  u8(): number | undefined {
    if (this.remaining < 1) return undefined;
    return this.data[this.offset++];
  }

  /** One unsigned big-endian 16-bit word. */
  u16(): number | undefined {
    if (this.remaining < 2) return undefined;
    const v = (this.data[this.offset]! << 8) | this.data[this.offset + 1]!;
    this.offset += 2;
    return v;
  }

  /** Advances over the next `n` bytes and returns their start offset, or undefined when fewer remain. */
  skip(n: number): number | undefined {
    if (n < 0 || this.remaining < n) return undefined;
    const at = this.offset;
    this.offset += n;
    return at;
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number): Uint8Array | undefined {
    if (n < 0 || this.remaining < n) return undefined;
    const v = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
}
