/**
 * The BFD Control packet (RFC 5880 section 4.1): 24 bytes without authentication, times in microseconds on the
 * wire. Encoding, decoding, and the reception checks of section 6.8.6 that need no session (version, length,
 * Detect Mult, Multipoint, My/Your Discriminator), plus two keepalived adds (Poll and Final both set, an unknown
 * Diagnostic). Pure: bytes in, values out.
 */

/** bfd.SessionState values as carried in the Sta field (RFC 5880 section 4.1). */
export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
/** One of the four session states. */
export type BfdState = (typeof BfdState)[keyof typeof BfdState];

/** State names as keepalived logs them (BFD_STATE_STR). */
export const STATE_NAMES: readonly string[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** Diagnostic codes (RFC 5880 section 4.1). */
export const BfdDiag = {
  None: 0,
  DetectExpired: 1,
  EchoFailed: 2,
  NeighborDown: 3,
  ForwardingReset: 4,
  PathDown: 5,
  ConcatPathDown: 6,
  AdminDown: 7,
  ReverseConcatPathDown: 8,
} as const;
/** One diagnostic code. */
export type BfdDiag = (typeof BfdDiag)[keyof typeof BfdDiag];

/** Diagnostic texts as keepalived logs them (BFD_DIAG_STR). */
export const DIAG_NAMES: readonly string[] = [
  'No Diagnostic',
  'Control Detection Time Expired',
  'Echo Function Failed',
  'Neighbor Signaled Session Down',
  'Forwarding Plane Reset',
  'Path Down',
  'Concatenated Path Down',
  'Administratively Down',
  'Reverse Concatenated Path Down',
];

/** Text of a diagnostic code, "Unknown" beyond the defined ones. */
export function diagName(d: number): string {
  return DIAG_NAMES[d] ?? 'Unknown';
}

/** Length of a Control packet without an authentication section. */
export const BFD_CONTROL_LENGTH = 24;
/** UDP destination port of single-hop BFD Control packets (RFC 5881 section 4). */
export const BFD_CONTROL_PORT = 3784;
/** Source port range for Control packets (RFC 5881 section 4). */
export const BFD_SOURCE_PORT_MIN = 49152;
/** Upper end of the source port range. */
export const BFD_SOURCE_PORT_MAX = 65535;

/** A decoded BFD Control packet. Intervals in microseconds, as on the wire. */
export interface BfdControl {
  readonly version: number;
  readonly diag: number;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  readonly controlPlaneIndependent: boolean;
  readonly authPresent: boolean;
  readonly demand: boolean;
  readonly multipoint: boolean;
  readonly detectMult: number;
  readonly length: number;
  readonly myDiscr: number;
  readonly yourDiscr: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
}

/** The fields a sender chooses; the rest default to a plain version-1 packet without authentication. */
export type BfdControlInit = Pick<BfdControl, 'diag' | 'state' | 'detectMult' | 'myDiscr' | 'yourDiscr' | 'desiredMinTxUs' | 'requiredMinRxUs'> &
  Partial<Omit<BfdControl, 'length'>>;

/** Encodes a Control packet (24 bytes; the A bit is written as given but no authentication section is appended). */
export function encodeControl(p: BfdControlInit): Uint8Array {
  const b = new Uint8Array(BFD_CONTROL_LENGTH);
  const v = new DataView(b.buffer);
  b[0] = (((p.version ?? 1) & 7) << 5) | (p.diag & 31);
  b[1] =
    ((p.state & 3) << 6) |
    (p.poll ? 0x20 : 0) |
    (p.final ? 0x10 : 0) |
    (p.controlPlaneIndependent ? 0x08 : 0) |
    (p.authPresent ? 0x04 : 0) |
    (p.demand ? 0x02 : 0) |
    (p.multipoint ? 0x01 : 0);
  b[2] = p.detectMult & 255;
  b[3] = BFD_CONTROL_LENGTH;
  v.setUint32(4, p.myDiscr >>> 0);
  v.setUint32(8, p.yourDiscr >>> 0);
  v.setUint32(12, p.desiredMinTxUs >>> 0);
  v.setUint32(16, p.requiredMinRxUs >>> 0);
  v.setUint32(20, (p.requiredMinEchoRxUs ?? 0) >>> 0);
  return b;
}

/** Why a received packet was discarded before any session saw it. */
export type BfdRejectReason =
  | 'too-short'
  | 'length-mismatch'
  | 'version'
  | 'detect-mult-zero'
  | 'multipoint'
  | 'my-discr-zero'
  | 'your-discr-zero'
  | 'poll-and-final'
  | 'bad-diag';

/** Result of decoding: a packet, or the reason it is discarded. */
export type BfdDecodeResult =
  { readonly ok: true; readonly packet: BfdControl } | { readonly ok: false; readonly reason: BfdRejectReason; readonly text: string };

/**
 * Decodes and checks a received datagram (RFC 5880 section 6.8.6, the checks before the session lookup). The
 * Length field may not exceed the datagram; with the A bit clear it must be at least 24, with it set at least 26.
 */
export function decodeControl(buf: Uint8Array): BfdDecodeResult {
  const bad = (reason: BfdRejectReason, text: string): BfdDecodeResult => ({ ok: false, reason, text });
  if (buf.length < BFD_CONTROL_LENGTH) return bad('too-short', `Packet is too small: ${buf.length} bytes`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  const version = b0 >> 5;
  if (version !== 1) return bad('version', `Packet is of unsupported version: ${version}`);
  const authPresent = (b1 & 0x04) !== 0;
  const length = buf[3]!;
  if (length < (authPresent ? 26 : BFD_CONTROL_LENGTH) || length > buf.length)
    return bad('length-mismatch', `Packet size mismatch: length field: ${length} bytes, buffer size: ${buf.length} bytes`);
  const packet: BfdControl = {
    version,
    diag: b0 & 31,
    state: (b1 >> 6) as BfdState,
    poll: (b1 & 0x20) !== 0,
    final: (b1 & 0x10) !== 0,
    controlPlaneIndependent: (b1 & 0x08) !== 0,
    authPresent,
    demand: (b1 & 0x02) !== 0,
    multipoint: (b1 & 0x01) !== 0,
    detectMult: buf[2]!,
    length,
    myDiscr: v.getUint32(4),
    yourDiscr: v.getUint32(8),
    desiredMinTxUs: v.getUint32(12),
    requiredMinRxUs: v.getUint32(16),
    requiredMinEchoRxUs: v.getUint32(20),
  };
  if (packet.detectMult === 0) return bad('detect-mult-zero', "Packet 'detection multiplier' field is zero");
  if (packet.multipoint) return bad('multipoint', "Packet has 'multipoint' flag");
  if (packet.myDiscr === 0) return bad('my-discr-zero', "Packet 'my discriminator' field is zero");
  if (packet.yourDiscr === 0 && packet.state !== BfdState.Down && packet.state !== BfdState.AdminDown)
    return bad('your-discr-zero', "Packet 'your discriminator' field is zero and 'state' field is not Down or AdminDown");
  if (packet.poll && packet.final) return bad('poll-and-final', 'Packet has both poll and final flags set');
  if (packet.diag > 8) return bad('bad-diag', `Packet has invalid 'diag' field: ${packet.diag}`);
  return { ok: true, packet };
}
