/**
 * A cursor over a fuzzer's input bytes: small choices are taken from the front, the rest is the payload.
 * Reading past the end yields zeros, so every input is usable and the mapping from bytes to a case is total.
 */
export class FuzzInput {
  private off = 0;
  constructor(readonly data: Uint8Array) {}

  /** One byte (0 past the end). */
  byte(): number {
    return this.off < this.data.length ? (this.data[this.off++] as number) : (this.off++, 0);
  }

  /** A number in 0..n-1. */
  pick(n: number): number {
    return this.byte() % n;
  }

  /** One of `xs`. */
  choose<T>(xs: readonly T[]): T {
    return xs[this.pick(xs.length)] as T;
  }

  /** A flag. */
  bool(): boolean {
    return (this.byte() & 1) === 1;
  }

  /** Everything not read yet. */
  rest(): Buffer {
    return Buffer.from(this.data.subarray(Math.min(this.off, this.data.length)));
  }
}

/** A finding: an input broke one of the target's properties (thrown so that the fuzzer records the input). */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
}

/** Throws a PropertyViolation unless `ok`. */
export function ensure(ok: boolean, what: string): asserts ok {
  if (!ok) throw new PropertyViolation(what);
}
