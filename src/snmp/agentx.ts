/**
 * AgentX (RFC 2741) PDUs: the encoding a subagent and its master agent (snmpd) exchange over a stream socket.
 * Pure: bytes in, typed PDUs out, and back. Only what a read-only subagent needs: Open, Close, Register,
 * AddAgentCaps, Notify, Ping and Response going out; Get, GetNext, GetBulk, the Set phases and Response coming in.
 */

/** RFC 2741 §6.1 h.type. */
export const PduType = {
  Open: 1,
  Close: 2,
  Register: 3,
  Unregister: 4,
  Get: 5,
  GetNext: 6,
  GetBulk: 7,
  TestSet: 8,
  CommitSet: 9,
  UndoSet: 10,
  CleanupSet: 11,
  Notify: 12,
  Ping: 13,
  AddAgentCaps: 16,
  RemoveAgentCaps: 17,
  Response: 18,
} as const;

/** RFC 2741 §5.4 varbind types (the SMI types and the three exceptions). */
export const VarType = {
  Integer: 2,
  OctetString: 4,
  Null: 5,
  ObjectIdentifier: 6,
  IpAddress: 64,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

/** RFC 2741 §6.2.16 res.error values used here. */
export const AgentxError = { noError: 0, genErr: 5, noAccess: 6, wrongType: 7, wrongLength: 8, wrongValue: 10, notWritable: 17 } as const;

/** h.flags bits. */
const FLAG_NON_DEFAULT_CONTEXT = 0x08;
const FLAG_NETWORK_BYTE_ORDER = 0x10;

/** An object identifier as its sub-identifiers. */
export type Oid = readonly number[];

/** A variable binding: a name, a type and a value fitting the type. */
export interface VarBind {
  readonly oid: Oid;
  readonly type: number;
  /** Integer/Counter32/Gauge32/TimeTicks: number; Counter64: bigint; OctetString/IpAddress: Buffer; OID: Oid. */
  readonly value?: number | bigint | Buffer | Oid;
}

/** A search range (RFC 2741 §5.2): start (inclusive when `include`) up to end (exclusive; empty = no bound). */
export interface SearchRange {
  readonly start: Oid;
  readonly include: boolean;
  readonly end: Oid;
}

/** A decoded PDU: the header and whatever the type carries. */
export interface Pdu {
  readonly type: number;
  readonly sessionId: number;
  readonly transactionId: number;
  readonly packetId: number;
  /** Get, GetNext, GetBulk. */
  readonly ranges?: readonly SearchRange[];
  /** GetBulk. */
  readonly nonRepeaters?: number;
  readonly maxRepetitions?: number;
  /** Response. */
  readonly error?: number;
  readonly index?: number;
  readonly varbinds?: readonly VarBind[];
}

/** The header's fixed fields for an outgoing PDU. */
export interface Header {
  readonly sessionId: number;
  readonly transactionId: number;
  readonly packetId: number;
}

const INTERNET = [1, 3, 6, 1];

/* Encoding (always network byte order) ---------------------------------------------------------------------- */

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** RFC 2741 §5.1: n_subid, prefix, include, reserved, then the sub-identifiers (1.3.6.1.x folded into prefix x). */
export function encodeOid(oid: Oid, include = false): Buffer {
  let subs = oid;
  let prefix = 0;
  if (oid.length > 4 && INTERNET.every((v, i) => oid[i] === v) && oid[4]! > 0 && oid[4]! < 256) {
    prefix = oid[4]!;
    subs = oid.slice(5);
  }
  const b = Buffer.alloc(4 + 4 * subs.length);
  b[0] = subs.length;
  b[1] = prefix;
  b[2] = include ? 1 : 0;
  subs.forEach((s, i) => b.writeUInt32BE(s >>> 0, 4 + 4 * i));
  return b;
}

/** RFC 2741 §5.3: a length, the bytes, padding to a multiple of four. */
export function encodeOctets(data: Buffer | string): Buffer {
  const d = typeof data === 'string' ? Buffer.from(data) : data;
  const pad = (4 - (d.length % 4)) % 4;
  return Buffer.concat([u32(d.length), d, Buffer.alloc(pad)]);
}

function encodeValue(v: VarBind): Buffer {
  switch (v.type) {
    case VarType.Integer:
    case VarType.Counter32:
    case VarType.Gauge32:
    case VarType.TimeTicks: {
      const b = Buffer.alloc(4);
      if (v.type === VarType.Integer) b.writeInt32BE(Number(v.value ?? 0) | 0);
      else b.writeUInt32BE(Number(v.value ?? 0) >>> 0);
      return b;
    }
    case VarType.Counter64: {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt.asUintN(64, BigInt((v.value as bigint | number | undefined) ?? 0)));
      return b;
    }
    case VarType.OctetString:
    case VarType.IpAddress:
      return encodeOctets((v.value as Buffer | undefined) ?? Buffer.alloc(0));
    case VarType.ObjectIdentifier:
      return encodeOid((v.value as Oid | undefined) ?? []);
    default:
      return Buffer.alloc(0);
  }
}

/** RFC 2741 §5.4: type, reserved, name, data. */
export function encodeVarBind(v: VarBind): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(v.type);
  return Buffer.concat([head, encodeOid(v.oid), encodeValue(v)]);
}

/** A whole PDU: the 20-byte header (network byte order flag set) and the payload. */
export function encodePdu(type: number, h: Header, payload: Buffer, flags = 0): Buffer {
  const head = Buffer.alloc(20);
  head[0] = 1;
  head[1] = type;
  head[2] = flags | FLAG_NETWORK_BYTE_ORDER;
  head.writeUInt32BE(h.sessionId >>> 0, 4);
  head.writeUInt32BE(h.transactionId >>> 0, 8);
  head.writeUInt32BE(h.packetId >>> 0, 12);
  head.writeUInt32BE(payload.length, 16);
  return Buffer.concat([head, payload]);
}

/** agentx-Open-PDU: timeout (s), an identifier and a description. */
export function openPdu(h: Header, timeoutSec: number, id: Oid, descr: string): Buffer {
  const t = Buffer.alloc(4);
  t[0] = timeoutSec;
  return encodePdu(PduType.Open, h, Buffer.concat([t, encodeOid(id), encodeOctets(descr)]));
}

/** agentx-Close-PDU with reason 5 (reasonShutdown). */
export function closePdu(h: Header): Buffer {
  return encodePdu(PduType.Close, h, Buffer.from([5, 0, 0, 0]));
}

/** agentx-Register-PDU for a whole subtree (priority 127 as net-snmp's default, no range). */
export function registerPdu(h: Header, subtree: Oid, priority = 127): Buffer {
  return encodePdu(PduType.Register, h, Buffer.concat([Buffer.from([0, priority, 0, 0]), encodeOid(subtree)]));
}

/** agentx-AddAgentCaps-PDU: an sysORTable entry (the MIB module's OID and its description). */
export function addAgentCapsPdu(h: Header, id: Oid, descr: string): Buffer {
  return encodePdu(PduType.AddAgentCaps, h, Buffer.concat([encodeOid(id), encodeOctets(descr)]));
}

/** agentx-Notify-PDU: sysUpTime.0 and snmpTrapOID.0 first (RFC 2741 §6.2.10), then the notification's objects. */
export function notifyPdu(h: Header, varbinds: readonly VarBind[]): Buffer {
  return encodePdu(PduType.Notify, h, Buffer.concat(varbinds.map(encodeVarBind)));
}

/** agentx-Ping-PDU. */
export function pingPdu(h: Header): Buffer {
  return encodePdu(PduType.Ping, h, Buffer.alloc(0));
}

/** agentx-Response-PDU: sysUpTime (centiseconds), error, index, varbinds. */
export function responsePdu(h: Header, upTime: number, error: number, index: number, varbinds: readonly VarBind[]): Buffer {
  const f = Buffer.alloc(8);
  f.writeUInt32BE(upTime >>> 0, 0);
  f.writeUInt16BE(error, 4);
  f.writeUInt16BE(index, 6);
  return encodePdu(PduType.Response, h, Buffer.concat([f, ...varbinds.map(encodeVarBind)]));
}

/* Decoding ------------------------------------------------------------------------------------------------- */

/** A reader over one PDU's payload in the byte order its header announced. */
class Reader {
  private at = 0;
  constructor(
    private readonly b: Buffer,
    private readonly be: boolean,
  ) {}
  get done(): boolean {
    return this.at >= this.b.length;
  }
  need(n: number): void {
    if (this.at + n > this.b.length) throw new Error('AgentX PDU truncated');
  }
  u8(): number {
    this.need(1);
    return this.b[this.at++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.be ? this.b.readUInt16BE(this.at) : this.b.readUInt16LE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.be ? this.b.readUInt32BE(this.at) : this.b.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.be ? this.b.readBigUInt64BE(this.at) : this.b.readBigUInt64LE(this.at);
    this.at += 8;
    return v;
  }
  oid(): { oid: Oid; include: boolean } {
    const n = this.u8();
    const prefix = this.u8();
    const include = this.u8() !== 0;
    this.u8();
    const subs: number[] = prefix ? [...INTERNET, prefix] : [];
    for (let i = 0; i < n; i++) subs.push(this.u32());
    return { oid: subs, include };
  }
  octets(): Buffer {
    const len = this.u32();
    this.need(len);
    const d = this.b.subarray(this.at, this.at + len);
    this.at += len + ((4 - (len % 4)) % 4);
    return Buffer.from(d);
  }
  varbind(): VarBind {
    const type = this.u16();
    this.u16();
    const { oid } = this.oid();
    switch (type) {
      case VarType.Integer:
        return { oid, type, value: this.u32() | 0 };
      case VarType.Counter32:
      case VarType.Gauge32:
      case VarType.TimeTicks:
        return { oid, type, value: this.u32() };
      case VarType.Counter64:
        return { oid, type, value: this.u64() };
      case VarType.OctetString:
      case VarType.IpAddress:
      case 68:
        return { oid, type, value: this.octets() };
      case VarType.ObjectIdentifier:
        return { oid, type, value: this.oid().oid };
      default:
        return { oid, type };
    }
  }
}

/** Length of the first complete PDU in `buf`, or 0 when more bytes are needed. */
export function framedLength(buf: Buffer): number {
  if (buf.length < 20) return 0;
  const be = (buf[2]! & FLAG_NETWORK_BYTE_ORDER) !== 0;
  const len = 20 + (be ? buf.readUInt32BE(16) : buf.readUInt32LE(16));
  return buf.length >= len ? len : 0;
}

/** Decodes one whole PDU (as framedLength measured it). Throws on malformed input. */
export function decodePdu(buf: Buffer): Pdu {
  if (buf.length < 20 || buf[0] !== 1) throw new Error('not an AgentX version 1 PDU');
  const type = buf[1]!;
  const flags = buf[2]!;
  const be = (flags & FLAG_NETWORK_BYTE_ORDER) !== 0;
  const h = new Reader(buf.subarray(4, 20), be);
  const sessionId = h.u32();
  const transactionId = h.u32();
  const packetId = h.u32();
  const r = new Reader(buf.subarray(20), be);
  const base = { type, sessionId, transactionId, packetId };
  if (type === PduType.Response) {
    r.u32();
    const error = r.u16();
    const index = r.u16();
    const varbinds: VarBind[] = [];
    while (!r.done) varbinds.push(r.varbind());
    return { ...base, error, index, varbinds };
  }
  if (type === PduType.Get || type === PduType.GetNext || type === PduType.GetBulk) {
    if (flags & FLAG_NON_DEFAULT_CONTEXT) r.octets();
    let nonRepeaters: number | undefined;
    let maxRepetitions: number | undefined;
    if (type === PduType.GetBulk) {
      nonRepeaters = r.u16();
      maxRepetitions = r.u16();
    }
    const ranges: SearchRange[] = [];
    while (!r.done) {
      const start = r.oid();
      const end = r.oid();
      ranges.push({ start: start.oid, include: start.include, end: end.oid });
    }
    return { ...base, ranges, ...(nonRepeaters !== undefined ? { nonRepeaters, maxRepetitions: maxRepetitions! } : {}) };
  }
  if (type === PduType.TestSet) {
    if (flags & FLAG_NON_DEFAULT_CONTEXT) r.octets();
    const varbinds: VarBind[] = [];
    while (!r.done) varbinds.push(r.varbind());
    return { ...base, varbinds };
  }
  return base;
}
