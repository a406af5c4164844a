/**
 * Shared VRRP value types: the contract between the codec (packet.ts), the receive
 * validation (validate.ts), the pure state machine (fsm.ts) and the daemon's drivers.
 * Pure data, no I/O. RFC 3768 (VRRPv2) and RFC 5798 (VRRPv3) names are used where they exist.
 */

/** VRRP protocol version: 2 (RFC 3768) or 3 (RFC 5798). */
export type VrrpVersion = 2 | 3;

/** IP address family of an instance or packet. */
export type Family = 4 | 6;

/** VRRPv2 authentication types (RFC 2338 5.3.6; keepalived's auth_type). */
export const AuthType = { NONE: 0, PASS: 1, AH: 2 } as const;
/** One of the AuthType values. */
export type AuthTypeValue = (typeof AuthType)[keyof typeof AuthType];

/** The only VRRP packet type: ADVERTISEMENT (RFC 5798 5.2.2). */
export const VRRP_TYPE_ADVERTISEMENT = 1;

/** IP protocol number of VRRP (RFC 5798 5.1.1.4). */
export const IPPROTO_VRRP = 112;

/** IP protocol number of the IPsec Authentication Header (RFC 4302); keepalived's auth_type AH sends adverts in it. */
export const IPPROTO_AH = 51;

/** A decoded VRRP advertisement: the codec's output, the state machine's input. No Buffers, no byte order. */
export interface VrrpAdvert {
  readonly version: VrrpVersion;
  /** Packet type; 1 = ADVERTISEMENT. Anything else is counted as invalid_type_rcvd. */
  readonly type: number;
  /** Virtual Router Identifier, 1..255. */
  readonly vrid: number;
  /** Sender's priority, 0..255 (0 = master is leaving; 255 = address owner). */
  readonly priority: number;
  readonly family: Family;
  /** The IPvX addresses carried in the advert, in textual form, in packet order. */
  readonly addresses: readonly string[];
  /**
   * Advertisement interval in centiseconds. v2 carries whole seconds on the wire (stored here ×100);
   * v3 carries Max Adver Int in centiseconds (12 bits).
   */
  readonly advertIntervalCs: number;
  /** v2 Auth Type (0 none, 1 PASS, 2 AH). Always 0 for v3. */
  readonly authType: number;
  /** v2/IPv4 authentication data: 8 bytes (PASS password, NUL padded). Absent for v3 and v2/IPv6. */
  readonly authData?: Uint8Array;
  /** Checksum as found on the wire (decode) or computed (encode). */
  readonly checksum: number;
}

/** What the socket layer knows about a received packet, besides its VRRP payload. */
export interface RxMeta {
  /** IP source address (textual; IPv6 link-local without zone). */
  readonly source: string;
  /** IP destination address (multicast group or our unicast address). */
  readonly destination: string;
  /** IPv4 TTL or IPv6 hop limit as received. */
  readonly ttl: number;
  /** Ingress interface index. */
  readonly ifindex: number;
  /**
   * When the kernel received the packet (monotonic ms, the clock of `now`; from SO_TIMESTAMPNS), if known. An advert
   * is judged by it: one that arrived before the Master_Down_Timer expired keeps the instance BACKUP even when the
   * event loop reads it late; one that arrived after lets the expired timer act first.
   */
  readonly arrivedAt?: number;
}

/** VRRP instance states, numbered as keepalived's (and its JSON dump). */
export const VrrpState = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, DELETED: 97, STOP: 98 } as const;
/** One of the VrrpState values. */
export type VrrpStateValue = (typeof VrrpState)[keyof typeof VrrpState];

/** keepalived's state names (`vrrp_data.c`), as dumps, logs and the status table print them. */
export function stateName(state: VrrpStateValue): string {
  switch (state) {
    case VrrpState.INIT:
      return 'INIT';
    case VrrpState.BACKUP:
      return 'BACKUP';
    case VrrpState.MASTER:
      return 'MASTER';
    case VrrpState.FAULT:
      return 'FAULT';
    case VrrpState.DELETED:
      return 'DELETED';
    case VrrpState.STOP:
      return 'STOP';
  }
}

/** Kinds of trackers an instance can follow (keepalived track_interface/script/file/process/bfd, track_src_ip). */
/** `address` is `track_src_ip`: the configured source address is on the instance's interface (its name is the address). */
export type TrackerKind = 'interface' | 'script' | 'file' | 'process' | 'bfd' | 'address';

/**
 * A tracker's current result, as the trackers (src/track) report it to the state machine.
 * `ok` is the pass/fail view (interfaces up, script succeeded rise times, process quorum met);
 * `value` is the integer a track_file holds (its contribution is value × weight).
 */
export interface TrackerResult {
  readonly kind: TrackerKind;
  readonly name: string;
  readonly ok: boolean;
  readonly value?: number;
}
