/**
 * A raw IPv4 sender with IP_HDRINCL on one interface: the caller writes the whole IP header (source, TTL …),
 * the kernel fills the total length, the ID and the header checksum. Used by the rogue advertiser, which must be
 * able to send adverts from any source and with any TTL, as an intruder on the link can.
 */
import { sockaddrIn, ipMreqn } from './sockaddr.js';
import { Socket, type SocketProblem } from './socket.js';
import { K, sysio } from './sysio.js';
import { IPPROTO_VRRP } from '../vrrp/types.js';

/** A raw IPv4 socket bound to one interface, sending packets that carry their own IP header. */
export class RawIpv4Sender {
  private constructor(private readonly sock: Socket) {}

  /** Opens it on `ifname` (root or CAP_NET_RAW). Throws a SysError on failure. */
  static open(ifname: string): RawIpv4Sender {
    const ifindex = sysio.ifNameToIndex(ifname);
    const sock = Socket.open(K.AF_INET as number, K.SOCK_RAW as number, IPPROTO_VRRP, { onMessage: () => {} }, (fd) => {
      sysio.setsockopt(fd, K.SOL_SOCKET as number, K.SO_BINDTODEVICE as number, Buffer.from(`${ifname}\0`));
      sysio.setsockopt(fd, K.SOL_IP as number, K.IP_HDRINCL as number, 1);
      sysio.setsockopt(fd, K.SOL_IP as number, K.IP_MULTICAST_IF as number, ipMreqn('0.0.0.0', ifindex));
      sysio.setsockopt(fd, K.SOL_IP as number, K.IP_MULTICAST_LOOP as number, 0);
    });
    sock.ref(false);
    return new RawIpv4Sender(sock);
  }

  /** Sends one packet (IPv4 header included) to `destination`; a problem (EAGAIN when the queue is full) comes back as a value. */
  send(packet: Uint8Array, destination: string): SocketProblem | undefined {
    return this.sock.trySend(packet, sockaddrIn(destination));
  }

  /**
   * Sends `packets` (at most 1024, IPv4 headers included) to `destination` in one sendmmsg(2) call; returns how many
   * the kernel took (the rest found the send queue full). Throws a SysError on any other failure.
   */
  sendBatch(packets: readonly Uint8Array[], destination: string): number {
    return sysio.sendmmsg(this.sock.fd, packets, sockaddrIn(destination));
  }

  /** Closes the socket. */
  close(): void {
    this.sock.close();
  }
}
