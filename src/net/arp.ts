/**
 * Gratuitous ARP (RFC 5227 style announcement, as keepalived sends it) and IPv6 unsolicited neighbour
 * advertisements (RFC 4861 7.2.6), built as whole Ethernet frames and sent over one AF_PACKET socket.
 *
 * keepalived's GARP is an ARP *request* (op 1) to ff:ff:ff:ff:ff:ff with sender = target = the VIP and target
 * MAC ff:ff:ff:ff:ff:ff (vrrp_arp.c). Its NA goes to ff02::1 (33:33:00:00:00:01) from the VIP, hop limit 255,
 * Override flag set (Router flag when the interface forwards), with a Target Link-Layer Address option.
 */
import { internetChecksum, ipv6PseudoHeaderSum } from '../core/inet/checksum.js';
import { ipv4Bytes, ipv6Bytes, sockaddrLl } from './sockaddr.js';
import { Socket, type SocketProblem } from './socket.js';
import { K } from './sysio.js';

const ETH_BROADCAST = Buffer.from('ffffffffffff', 'hex');
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const ALL_NODES_MAC = Buffer.from('333300000001', 'hex');
const ALL_NODES = ipv6Bytes('ff02::1');
const ICMPV6_NEIGHBOR_ADVERT = 136;

/** Parses `aa:bb:cc:dd:ee:ff` into 6 bytes. */
export function macBytes(mac: string): Buffer {
  const b = Buffer.from(mac.split(/[:-]/).join(''), 'hex');
  if (b.length !== 6) throw new TypeError(`not a MAC address: ${mac}`);
  return b;
}

/** Formats 6 bytes as `aa:bb:cc:dd:ee:ff`. */
export function macText(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** A gratuitous ARP frame (42 bytes) announcing `ip` at `mac`. */
export function buildGratuitousArp(mac: Uint8Array, ip: string): Buffer {
  const f = Buffer.alloc(42);
  ETH_BROADCAST.copy(f, 0);
  Buffer.from(mac).copy(f, 6, 0, 6);
  f.writeUInt16BE(ETHERTYPE_ARP, 12);
  f.writeUInt16BE(1, 14); // htype Ethernet
  f.writeUInt16BE(0x0800, 16); // ptype IPv4
  f.writeUInt8(6, 18);
  f.writeUInt8(4, 19);
  f.writeUInt16BE(1, 20); // op: request
  Buffer.from(mac).copy(f, 22, 0, 6);
  ipv4Bytes(ip).copy(f, 28);
  ETH_BROADCAST.copy(f, 32);
  ipv4Bytes(ip).copy(f, 38);
  return f;
}

/** An unsolicited neighbour advertisement frame (86 bytes) for `ip` at `mac`. */
export function buildUnsolicitedNa(mac: Uint8Array, ip: string, router = false): Buffer {
  const f = Buffer.alloc(86);
  ALL_NODES_MAC.copy(f, 0);
  Buffer.from(mac).copy(f, 6, 0, 6);
  f.writeUInt16BE(ETHERTYPE_IPV6, 12);
  const src = ipv6Bytes(ip);
  // IPv6 header
  f.writeUInt32BE(0x60000000, 14);
  f.writeUInt16BE(32, 18); // payload length: NA (24) + TLLA option (8)
  f.writeUInt8(58, 20); // next header ICMPv6
  f.writeUInt8(255, 21); // hop limit (RFC 4861 requires 255)
  src.copy(f, 22);
  ALL_NODES.copy(f, 38);
  // ICMPv6 neighbour advertisement
  const icmp = 54;
  f.writeUInt8(ICMPV6_NEIGHBOR_ADVERT, icmp);
  f.writeUInt8((router ? 0x80 : 0) | 0x20, icmp + 4); // R and O flags (S clear: unsolicited)
  src.copy(f, icmp + 8);
  f.writeUInt8(2, icmp + 24); // option: Target Link-Layer Address
  f.writeUInt8(1, icmp + 25); // length in units of 8 bytes
  Buffer.from(mac).copy(f, icmp + 26, 0, 6);
  const sum = internetChecksum(f.subarray(icmp), ipv6PseudoHeaderSum(src, ALL_NODES, 58, 32));
  f.writeUInt16BE(sum, icmp + 2);
  return f;
}

/** One AF_PACKET socket that sends whole Ethernet frames on any interface (keepalived's shared GARP channel). */
export class FrameSender {
  private constructor(private readonly sock: Socket) {}

  /** Opens the socket (needs CAP_NET_RAW). It receives nothing: protocol 0 binds to no traffic. */
  static open(onError?: (p: SocketProblem) => void): FrameSender {
    const sock = Socket.open(K.AF_PACKET as number, K.SOCK_RAW as number, 0, { onMessage: () => {}, onError });
    sock.ref(false);
    return new FrameSender(sock);
  }

  /** Sends a gratuitous ARP for `ip` on interface `ifindex` from `mac`. */
  sendGratuitousArp(ifindex: number, mac: Uint8Array, ip: string): SocketProblem | undefined {
    return this.sock.trySend(buildGratuitousArp(mac, ip), sockaddrLl({ ifindex, protocol: ETHERTYPE_ARP, mac: ETH_BROADCAST }));
  }

  /** Sends an unsolicited NA for `ip` on interface `ifindex` from `mac`. */
  sendUnsolicitedNa(ifindex: number, mac: Uint8Array, ip: string, router = false): SocketProblem | undefined {
    return this.sock.trySend(buildUnsolicitedNa(mac, ip, router), sockaddrLl({ ifindex, protocol: ETHERTYPE_IPV6, mac: ALL_NODES_MAC }));
  }

  /** Closes the socket. */
  close(): void {
    this.sock.close();
  }
}
