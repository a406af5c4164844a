/**
 * A MIB view: the objects a subagent serves at one moment, as a sorted list of varbinds, and the answers to
 * Get, GetNext and GetBulk over it (RFC 2741 §7.2.3). Pure; the rows are built fresh from a snapshot per request.
 */
import { PduType, VarType, type Oid, type Pdu, type SearchRange, type VarBind } from './agentx.js';

/** Lexicographic OID order (RFC 2578's). */
export function compareOid(a: Oid, b: Oid): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}

/** True when `oid` lies in the subtree rooted at `root`. */
export function inSubtree(oid: Oid, root: Oid): boolean {
  return oid.length >= root.length && root.every((v, i) => oid[i] === v);
}

/** Builds varbinds under a base OID; cells whose value is undefined are left out (keepalived returns no object). */
export class MibBuilder {
  private readonly out: VarBind[] = [];
  /** An INTEGER (also TruthValue, enumerations). */
  int(oid: Oid, v: number | undefined): void {
    if (v !== undefined) this.out.push({ oid, type: VarType.Integer, value: v });
  }
  /** An Unsigned32/Gauge32. */
  gauge(oid: Oid, v: number | undefined): void {
    if (v !== undefined) this.out.push({ oid, type: VarType.Gauge32, value: v });
  }
  /** A Counter32. */
  counter(oid: Oid, v: number | undefined): void {
    if (v !== undefined) this.out.push({ oid, type: VarType.Counter32, value: v });
  }
  /** A Counter64. */
  counter64(oid: Oid, v: number | bigint | undefined): void {
    if (v !== undefined) this.out.push({ oid, type: VarType.Counter64, value: BigInt(v) });
  }
  /** TimeTicks (centiseconds). */
  ticks(oid: Oid, v: number | undefined): void {
    if (v !== undefined) this.out.push({ oid, type: VarType.TimeTicks, value: v });
  }
  /** An OCTET STRING from text or bytes. */
  str(oid: Oid, v: string | Buffer | undefined): void {
    if (v !== undefined) this.out.push({ oid, type: VarType.OctetString, value: typeof v === 'string' ? Buffer.from(v) : v });
  }
  /** An IpAddress (4 bytes). */
  ip(oid: Oid, v: Buffer | undefined): void {
    if (v !== undefined) this.out.push({ oid, type: VarType.IpAddress, value: v });
  }
  /** The varbinds so far, sorted. */
  done(): VarBind[] {
    return this.out.sort((a, b) => compareOid(a.oid, b.oid));
  }
}

/** The first object after (or at, when `include`) `start` and before `end` (if non-empty). */
function next(view: readonly VarBind[], r: SearchRange): VarBind {
  for (const v of view) {
    const c = compareOid(v.oid, r.start);
    if (c < 0 || (c === 0 && !r.include)) continue;
    if (r.end.length && compareOid(v.oid, r.end) >= 0) break;
    return v;
  }
  return { oid: r.start, type: VarType.EndOfMibView };
}

function exact(view: readonly VarBind[], oid: Oid): VarBind {
  return view.find((v) => compareOid(v.oid, oid) === 0) ?? { oid, type: VarType.NoSuchObject };
}

/** The varbinds answering a Get, GetNext or GetBulk over `view`; undefined for other PDU types. */
export function answer(view: readonly VarBind[], pdu: Pdu): VarBind[] | undefined {
  const ranges = pdu.ranges ?? [];
  if (pdu.type === PduType.Get) return ranges.map((r) => exact(view, r.start));
  if (pdu.type === PduType.GetNext) return ranges.map((r) => next(view, r));
  if (pdu.type !== PduType.GetBulk) return undefined;
  const n = Math.min(pdu.nonRepeaters ?? 0, ranges.length);
  const out = ranges.slice(0, n).map((r) => next(view, r));
  let reps = ranges.slice(n);
  for (let i = 0; i < (pdu.maxRepetitions ?? 0) && reps.length; i++) {
    const row = reps.map((r) => next(view, r));
    out.push(...row);
    if (row.every((v) => v.type === VarType.EndOfMibView)) break;
    reps = row.map((v, j) => (v.type === VarType.EndOfMibView ? reps[j]! : { start: v.oid, include: false, end: reps[j]!.end }));
  }
  return out;
}
