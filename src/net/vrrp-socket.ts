/**
 * Raw IP sockets for VRRP (IP protocol 112), set up as keepalived and RFC 5798 need them:
 * TTL / hop limit 255 on multicast sends, the group joined on the instance interface only, no multicast
 * loopback, ingress interface and TTL delivered as control messages. IPv4 receive includes the IP header;
 * IPv6 does not (the kernel computes and verifies the VRRPv3 checksum: IPV6_CHECKSUM offset 6).
 */
import type { Msg } from '@keepalived-ts/sysio';
import { decodeCmsgs } from './cmsg.js';
import { ipMreqn, ipv6Mreq, ipv4Text, ipv6Text, parseSockaddr, sockaddrIn, sockaddrIn6 } from './sockaddr.js';
import { Socket, toProblem, type RecvBatch, type SocketProblem } from './socket.js';
import { K, sysio } from './sysio.js';
import { IPPROTO_AH, IPPROTO_VRRP, type Family } from '../vrrp/types.js';

/** Sockaddrs kept per socket (the group and the unicast peers of its instances; past this the cache starts again). */
const MAX_DESTINATIONS = 1024;

/** Datagrams read per recvmmsg: a backup hears its masters' adverts in bursts when they share a timer tick. */
export const VRRP_RECV_BATCH = 16;
/** Largest datagram kept: a VRRPv3 IPv6 advert with 255 addresses is 4,088 bytes; longer ones fail the length check. */
const MAX_DATAGRAM = 8192;
/** Control bytes per datagram: IP_PKTINFO + IP_TTL, or IPV6_PKTINFO + IPV6_HOPLIMIT, with room to spare. */
const CONTROL_LENGTH = 256;

/** A received VRRP packet with what the kernel told about it. */
export interface VrrpDatagram {
  /**
   * IPv4: the whole IP packet (header first). IPv6: the VRRP message only. From a socket, a view of receive memory
   * that the next read reuses: valid during `onPacket` only (copy what must outlive it).
   */
  readonly data: Buffer;
  readonly source: string;
  readonly destination: string;
  /** IPv4 TTL (from the IP header) or IPv6 hop limit (from IPV6_HOPLIMIT). */
  readonly ttl: number;
  readonly ifindex: number;
  /**
   * How long before it was read the kernel received it (ms, from SO_TIMESTAMPNS against CLOCK_REALTIME at the
   * read; 0 when the clock stepped backwards), when the socket was opened with `timestamps`.
   */
  readonly ageMs?: number;
}

/** A received packet older than this (ms) has a timestamp from a clock that stepped: its age is not believed. */
const MAX_BELIEVED_AGE_MS = 60_000;

/** How to open a VRRP socket. */
export interface VrrpSocketOptions {
  readonly family: Family;
  /** The interface the instance runs on. */
  readonly ifname: string;
  /** Multicast group to join (224.0.0.18 / ff02::12 unless configured otherwise); omit for unicast-only. */
  readonly group?: string;
  /** Multicast TTL / hop limit for sends (255). */
  readonly ttl?: number;
  /** Local address to bind (unicast_src_ip): sends leave from it and only packets to it are received. */
  readonly bindAddress?: string;
  /**
   * IPv4 auth_type AH (keepalived's IPsec-AH adverts): the socket is for IP protocol 51 and sends whole IPv4
   * packets (IP_HDRINCL), since the AH ICV covers the IP header.
   */
  readonly ah?: boolean;
  /** Ask the kernel for each packet's receive time (SO_TIMESTAMPNS): datagrams then carry `ageMs`. */
  readonly timestamps?: boolean;
  readonly onPacket: (p: VrrpDatagram) => void;
  readonly onError?: (p: SocketProblem) => void;
}

/** An open VRRP socket bound to one interface. */
export class VrrpSocket {
  /** The interface index the socket is bound to. */
  readonly ifindex: number;
  private readonly destinations = new Map<string, Buffer>();

  private constructor(
    private readonly sock: Socket,
    readonly family: Family,
    ifindex: number,
  ) {
    this.ifindex = ifindex;
  }

  /** Opens and configures the socket (throws a SysError with errno name and call on failure). */
  static open(o: VrrpSocketOptions): VrrpSocket {
    const ifindex = sysio.ifNameToIndex(o.ifname);
    const family = o.family === 4 ? K.AF_INET : K.AF_INET6;
    const protocol = o.family === 4 && o.ah ? IPPROTO_AH : IPPROTO_VRRP;
    const setup = (fd: number) => {
      if (o.family === 4) setup4(fd, o, ifindex);
      else setup6(fd, o, ifindex);
      if (o.timestamps) sysio.setsockopt(fd, K.SOL_SOCKET as number, K.SO_TIMESTAMPNS as number, 1);
    };
    if (o.timestamps) {
      // receive timestamps (vrrp_rx_timestamps, off by default): one recvmsg per datagram, as a Msg
      const onMessage = (m: Msg) => {
        const d = datagramOf(o.family, m);
        if (d) o.onPacket(withAge(d, m));
      };
      return new VrrpSocket(
        Socket.open(family as number, K.SOCK_RAW as number, protocol, { onMessage, onError: o.onError, controlLength: 256 }, setup),
        o.family,
        ifindex,
      );
    }
    const reader = new DatagramReader(o.family);
    const onBatch = (b: RecvBatch, n: number) => {
      for (let i = 0; i < n; i++) {
        try {
          const d = reader.read(b, i);
          if (d) o.onPacket(d);
        } catch (e) {
          o.onError?.(toProblem(e, 'onMessage'));
        }
      }
    };
    const sock = Socket.open(
      family as number,
      K.SOCK_RAW as number,
      protocol,
      { onMessage: () => {}, batch: { size: VRRP_RECV_BATCH, onBatch }, onError: o.onError, maxLength: MAX_DATAGRAM, controlLength: CONTROL_LENGTH },
      setup,
    );
    return new VrrpSocket(sock, o.family, ifindex);
  }

  /** Sends a VRRP message (IPv4: without IP header, the kernel adds it; with `ah`: the whole IPv4 packet) to `destination`. */
  send(message: Uint8Array, destination: string): SocketProblem | undefined {
    return this.sock.trySend(message, this.sockaddrOf(destination));
  }

  /**
   * Sends `messages` (as send() does each, at most 1024) to `destination` in one sendmmsg(2): how many went out, in
   * order; 0 when the first one failed (the caller sends the rest one by one to learn why, as send() reports it).
   */
  sendMany(messages: readonly Uint8Array[], destination: string): number {
    try {
      return this.sock.sendMany(messages, this.sockaddrOf(destination));
    } catch {
      return 0;
    }
  }

  /** The socket's descriptor (the advert watchdog sends the same datagrams on a dup of it). */
  get fd(): number {
    return this.sock.fd;
  }

  /** The sockaddr of a destination, built once: an instance sends to the same group or peers every interval. */
  sockaddrOf(destination: string): Buffer {
    let sa = this.destinations.get(destination);
    if (sa === undefined) {
      sa = this.family === 4 ? sockaddrIn(destination) : sockaddrIn6(destination, 0, this.ifindex);
      if (this.destinations.size >= MAX_DESTINATIONS) this.destinations.clear();
      this.destinations.set(destination, sa);
    }
    return sa;
  }

  /** SO_RCVBUF (vrrp_rx_bufs_policy, kernel_rx_buf_size): the kernel doubles it and caps it at net.core.rmem_max. */
  setReceiveBuffer(bytes: number): void {
    sysio.setsockopt(this.sock.fd, K.SOL_SOCKET as number, K.SO_RCVBUF as number, bytes);
  }

  /** Handles every datagram already queued, now (see Socket.drain). */
  drain(): void {
    this.sock.drain();
  }

  /** Closes the socket. */
  close(): void {
    this.sock.close();
  }
}

function setup4(fd: number, o: VrrpSocketOptions, ifindex: number): void {
  const ttl = o.ttl ?? 255;
  sysio.setsockopt(fd, K.SOL_SOCKET as number, K.SO_BINDTODEVICE as number, Buffer.from(`${o.ifname}\0`));
  sysio.setsockopt(fd, K.SOL_IP as number, K.IP_TTL as number, ttl);
  sysio.setsockopt(fd, K.SOL_IP as number, K.IP_MULTICAST_TTL as number, ttl);
  sysio.setsockopt(fd, K.SOL_IP as number, K.IP_MULTICAST_LOOP as number, 0);
  sysio.setsockopt(fd, K.SOL_IP as number, K.IP_MULTICAST_ALL as number, 0);
  sysio.setsockopt(fd, K.SOL_IP as number, K.IP_PKTINFO as number, 1);
  sysio.setsockopt(fd, K.SOL_IP as number, K.IP_RECVTTL as number, 1);
  sysio.setsockopt(fd, K.SOL_IP as number, K.IP_MULTICAST_IF as number, ipMreqn('0.0.0.0', ifindex));
  if (o.ah) sysio.setsockopt(fd, K.SOL_IP as number, K.IP_HDRINCL as number, 1);
  if (o.group) sysio.setsockopt(fd, K.SOL_IP as number, K.IP_ADD_MEMBERSHIP as number, ipMreqn(o.group, ifindex));
  if (o.bindAddress) sysio.bind(fd, sockaddrIn(o.bindAddress));
}

function setup6(fd: number, o: VrrpSocketOptions, ifindex: number): void {
  const hops = o.ttl ?? 255;
  sysio.setsockopt(fd, K.SOL_SOCKET as number, K.SO_BINDTODEVICE as number, Buffer.from(`${o.ifname}\0`));
  sysio.setsockopt(fd, K.SOL_IPV6 as number, K.IPV6_CHECKSUM as number, 6);
  sysio.setsockopt(fd, K.SOL_IPV6 as number, K.IPV6_MULTICAST_HOPS as number, hops);
  sysio.setsockopt(fd, K.SOL_IPV6 as number, K.IPV6_UNICAST_HOPS as number, hops);
  sysio.setsockopt(fd, K.SOL_IPV6 as number, K.IPV6_MULTICAST_LOOP as number, 0);
  sysio.setsockopt(fd, K.SOL_IPV6 as number, K.IPV6_MULTICAST_IF as number, ifindex);
  sysio.setsockopt(fd, K.SOL_IPV6 as number, K.IPV6_RECVHOPLIMIT as number, 1);
  sysio.setsockopt(fd, K.SOL_IPV6 as number, K.IPV6_RECVPKTINFO as number, 1);
  if (o.group) sysio.setsockopt(fd, K.SOL_IPV6 as number, K.IPV6_ADD_MEMBERSHIP as number, ipv6Mreq(o.group, ifindex));
  if (o.bindAddress) sysio.bind(fd, sockaddrIn6(o.bindAddress, 0, o.bindAddress.startsWith('fe80:') ? ifindex : 0));
}

/**
 * The text of the last address seen, kept while its bytes repeat: a backup hears the same master, on the same group,
 * over and over, so the receive path formats an address only when it changes (issue 17).
 */
class AddressText {
  private readonly bytes = new Uint8Array(16);
  private text = '';

  constructor(private readonly length: 4 | 16) {}

  /** The text of the `length` bytes at `off` in `b`. */
  of(b: Uint8Array, off: number): string {
    const last = this.bytes;
    let same = this.text !== '';
    for (let i = 0; i < this.length && same; i++) same = last[i] === b[off + i];
    if (same) return this.text;
    for (let i = 0; i < this.length; i++) last[i] = b[off + i]!;
    this.text = this.length === 4 ? ipv4Text(b, off) : ipv6Text(b, off);
    return this.text;
  }
}

/** struct cmsghdr on 64-bit Linux: size_t cmsg_len, int cmsg_level, int cmsg_type, then the data, 8-byte aligned. */
const CMSG_HEADER = 16;

/**
 * Turns datagram i of a RecvBatch into a VrrpDatagram, reading the sockaddr and control messages in place (the
 * same facts as datagramOf from a Msg, without building the Msg).
 */
class DatagramReader {
  private readonly source: AddressText;
  private readonly destination: AddressText;

  constructor(private readonly family: Family) {
    this.source = new AddressText(family === 4 ? 4 : 16);
    this.destination = new AddressText(family === 4 ? 4 : 16);
  }

  /**
   * The last view made of each slot of the batch's memory: a master's adverts repeat their length, so the view of
   * the previous read is reused (it shows the new bytes; a view is valid during onPacket only) instead of a new
   * Buffer per datagram (issue 17).
   */
  private readonly views: (Buffer | undefined)[] = [];

  private view(b: RecvBatch, i: number): Buffer {
    const start = b.dataOffset(i);
    const length = Math.min(b.length(i), b.slotLength);
    const last = this.views[i];
    if (last !== undefined && last.length === length && last.buffer === b.data.buffer && last.byteOffset === b.data.byteOffset + start) return last;
    const v = b.data.subarray(start, start + length);
    this.views[i] = v;
    return v;
  }

  read(b: RecvBatch, i: number): VrrpDatagram | undefined {
    const data = this.view(b, i);
    const sa = b.addrOffset(i);
    const v4 = this.family === 4;
    const fromFamily = b.addrs.readUInt16LE(sa) === (v4 ? K.AF_INET : K.AF_INET6);
    if (v4 ? data.length < 20 : !fromFamily) return undefined;
    let ifindex = 0;
    let destination: string | undefined;
    let hopLimit = -1;
    const c = b.control;
    const end = b.controlOffset(i) + b.controlLength(i);
    for (let off = b.controlOffset(i); off + CMSG_HEADER <= end;) {
      const len = c.readUInt32LE(off); // the low half of a size_t; a control message is never 4 GB
      if (len < CMSG_HEADER || off + len > end) break;
      const level = c.readInt32LE(off + 8);
      const type = c.readInt32LE(off + 12);
      const at = off + CMSG_HEADER;
      if (v4 && level === K.SOL_IP && type === K.IP_PKTINFO && len >= CMSG_HEADER + 12) {
        // struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }
        ifindex = c.readInt32LE(at);
        destination = this.destination.of(c, at + 8);
      } else if (!v4 && level === K.SOL_IPV6 && type === K.IPV6_PKTINFO && len >= CMSG_HEADER + 20) {
        // struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; }
        destination = this.destination.of(c, at);
        ifindex = c.readUInt32LE(at + 16);
      } else if (!v4 && level === K.SOL_IPV6 && type === K.IPV6_HOPLIMIT && len >= CMSG_HEADER + 4) hopLimit = c.readInt32LE(at);
      off += (len + 7) & ~7;
    }
    if (v4) {
      return {
        data,
        source: fromFamily ? this.source.of(b.addrs, sa + 4) : this.source.of(data, 12), // sockaddr_in: family, port, address
        destination: destination ?? `${data[16]}.${data[17]}.${data[18]}.${data[19]}`,
        ttl: data[8] as number,
        ifindex,
      };
    }
    // sockaddr_in6: family, port, flowinfo, address
    return { data, source: this.source.of(b.addrs, sa + 8), destination: destination ?? '', ttl: hopLimit, ifindex };
  }
}

/** The datagram with its age from the kernel's receive timestamp (unchanged without a believable one). */
function withAge(d: VrrpDatagram, m: Msg): VrrpDatagram {
  const rx = decodeCmsgs(m.cmsgs).receivedRealtimeMs;
  if (rx === undefined) return d;
  const age = sysio.clockMs(K.CLOCK_REALTIME as number) - rx;
  return age < MAX_BELIEVED_AGE_MS ? { ...d, ageMs: Math.max(0, age) } : d;
}

/** A received message as a VrrpDatagram (undefined when it cannot be one: a short IPv4 packet, a non-IPv6 source). */
export function datagramOf(family: Family, m: Msg): VrrpDatagram | undefined {
  return family === 4 ? fromIpv4(m) : fromIpv6(m);
}

function fromIpv4(m: Msg): VrrpDatagram | undefined {
  const d = m.data;
  if (d.length < 20) return undefined;
  const info = decodeCmsgs(m.cmsgs);
  const src = parseSockaddr(m.addr);
  return {
    data: d,
    source: src.family === 'inet' ? src.address : `${d[12]}.${d[13]}.${d[14]}.${d[15]}`,
    destination: info.destination ?? `${d[16]}.${d[17]}.${d[18]}.${d[19]}`,
    ttl: d[8] as number,
    ifindex: info.ifindex ?? 0,
  };
}

function fromIpv6(m: Msg): VrrpDatagram | undefined {
  const info = decodeCmsgs(m.cmsgs);
  const src = parseSockaddr(m.addr);
  if (src.family !== 'inet6') return undefined;
  return { data: m.data, source: src.address, destination: info.destination ?? '', ttl: info.hopLimit ?? -1, ifindex: info.ifindex ?? 0 };
}
