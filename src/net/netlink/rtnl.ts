/**
 * An rtnetlink client (NETLINK_ROUTE): requests with acks, dumps, and an event stream.
 *
 * Two sockets, as the kernel's own notifications echo our port id and sequence number: a command socket
 * (requests matched to NLMSG_ERROR/DONE by sequence number; its port id is read back with getsockname because
 * only the first netlink socket of a process gets the pid) and an event socket subscribed to link and address
 * groups. When the event socket overflows (ENOBUFS) events were lost: the client emits `resync` so the owner
 * re-reads state with a dump.
 */
import { errnoName, Socket, type SocketProblem } from '../socket.js';
import { parseSockaddr, sockaddrNl } from '../sockaddr.js';
import { K, sysio } from '../sysio.js';
import { attr, decodeAttrs, decodeError, decodeMessages, encodeAttrs, encodeMessage, NLM_F, NLMSG, type AttrInput, type NlMessage } from './codec.js';
import {
  decodeLinkDetails,
  encodeGetLinkRequest,
  encodeLinkIndexRequest,
  encodeIpvlanRequest,
  encodeMacvlanRequest,
  type LinkDetails,
  type IpvlanSpec,
  type MacvlanSpec,
} from './link-messages.js';
import {
  decodeAddress,
  decodeLink,
  decodeRoute,
  encodeAddressRequest,
  encodeRouteRequest,
  encodeRuleRequest,
  RTM,
  type AddressSpec,
  type LinkInfo,
  type AddressInfo,
  type RouteInfo,
  type RouteSpec,
  type RuleSpec,
} from './route-messages.js';

/** A failed netlink request: errno name, errno, the kernel's extended-ack text when given. */
export class RtnlError extends Error {
  constructor(
    readonly code: string,
    readonly errno: number,
    readonly kernelMessage: string | undefined,
    readonly operation: string,
  ) {
    super(`${operation}: ${code}${kernelMessage ? `: ${kernelMessage}` : ''}`);
    this.name = 'RtnlError';
  }
}

/** Events from the kernel. */
export type RtnlEvent =
  | { readonly kind: 'link'; readonly link: LinkInfo; readonly deleted: boolean }
  | { readonly kind: 'address'; readonly address: AddressInfo; readonly deleted: boolean }
  /** Events were lost (ENOBUFS); re-read state with listLinks()/listAddresses(). */
  | { readonly kind: 'resync' };

interface Pending {
  readonly resolve: (msgs: NlMessage[]) => void;
  readonly reject: (e: RtnlError) => void;
  readonly operation: string;
  readonly msgs: NlMessage[];
  readonly dump: boolean;
}

/** RTNLGRP_* numbers for subscriptions. */
export const RTNLGRP = { LINK: 1, IPV4_IFADDR: 5, IPV6_IFADDR: 9, IPV4_ROUTE: 7, IPV6_ROUTE: 11 } as const;

/** A socket's receive buffer: SO_RCVBUF, or with `force` SO_RCVBUFFORCE (CAP_NET_ADMIN, past net.core.rmem_max). */
export interface ReceiveBuffer {
  readonly bytes: number;
  readonly force: boolean;
}

/** Sets a receive buffer on `fd` (a number: plain SO_RCVBUF). */
function setReceiveBuffer(fd: number, b: number | ReceiveBuffer): void {
  const { bytes, force } = typeof b === 'number' ? { bytes: b, force: false } : b;
  sysio.setsockopt(fd, K.SOL_SOCKET as number, (force ? K.SO_RCVBUFFORCE : K.SO_RCVBUF) as number, bytes);
}

/** The rtnetlink client. Create inside the namespace it should manage. */
export class Rtnl {
  private readonly cmd: Socket;
  private events: Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly portId: number;

  /**
   * @param onProblem socket-level problems (never thrown from watcher callbacks)
   * @param receiveBuffer for the command socket (vrrp_netlink_cmd_rcv_bufs); unset: the kernel's default
   */
  constructor(
    private readonly onProblem: (p: SocketProblem) => void = () => {},
    receiveBuffer?: ReceiveBuffer,
  ) {
    this.cmd = Socket.open(
      K.AF_NETLINK as number,
      K.SOCK_RAW as number,
      K.NETLINK_ROUTE as number,
      {
        maxLength: 1 << 18,
        controlLength: 0,
        onMessage: (m) => this.onCommandData(m.data),
        onError: onProblem,
      },
      (fd) => {
        sysio.setsockopt(fd, K.SOL_NETLINK as number, K.NETLINK_EXT_ACK as number, 1);
        sysio.setsockopt(fd, K.SOL_NETLINK as number, K.NETLINK_CAP_ACK as number, 1);
        if (receiveBuffer) setReceiveBuffer(fd, receiveBuffer);
        sysio.bind(fd, sockaddrNl(0, 0));
      },
    );
    const sa = parseSockaddr(sysio.getsockname(this.cmd.fd));
    this.portId = sa.family === 'netlink' ? sa.pid : 0;
    this.cmd.ref(false);
  }

  /**
   * Subscribes to link and address events (IPv4 and IPv6) on a separate socket.
   * @param receiveBuffer for the event socket: SO_RCVBUF bytes (default 1 MiB; small values make overflow likely), or
   *   bytes and whether to force them (vrrp_netlink_monitor_rcv_bufs and its _force)
   */
  subscribe(
    onEvent: (e: RtnlEvent) => void,
    groups: readonly number[] = [RTNLGRP.LINK, RTNLGRP.IPV4_IFADDR, RTNLGRP.IPV6_IFADDR],
    receiveBuffer: number | ReceiveBuffer = 1 << 20,
  ): void {
    if (this.events) throw new Error('already subscribed');
    this.events = Socket.open(
      K.AF_NETLINK as number,
      K.SOCK_RAW as number,
      K.NETLINK_ROUTE as number,
      {
        maxLength: 1 << 18,
        controlLength: 0,
        onMessage: (m) => {
          for (const msg of decodeMessages(m.data)) {
            const e = toEvent(msg);
            if (e) onEvent(e);
          }
        },
        onError: (p) => {
          if (p.code === 'ENOBUFS') onEvent({ kind: 'resync' });
          else this.onProblem(p);
        },
      },
      (fd) => {
        setReceiveBuffer(fd, receiveBuffer);
        sysio.bind(fd, sockaddrNl(0, 0));
        for (const g of groups) sysio.setsockopt(fd, K.SOL_NETLINK as number, K.NETLINK_ADD_MEMBERSHIP as number, g);
      },
    );
  }

  /** Sends one request and resolves with its replies (dump) or on its ack; rejects with RtnlError. */
  request(type: number, flags: number, payload: Uint8Array, operation: string): Promise<NlMessage[]> {
    const seq = (this.seq = (this.seq + 1) >>> 0);
    const dump = (flags & NLM_F.DUMP) === NLM_F.DUMP;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, operation, msgs: [], dump });
      if (this.pending.size === 1) this.cmd.ref(true); // an outstanding request keeps the process alive
      const problem = this.cmd.trySend(encodeMessage(type, flags | NLM_F.REQUEST | (dump ? 0 : NLM_F.ACK), seq, 0, payload), sockaddrNl(0, 0));
      if (problem) {
        this.pending.delete(seq);
        if (this.pending.size === 0) this.cmd.ref(false);
        reject(new RtnlError(problem.code, 0, problem.message, operation));
      }
    });
  }

  /** All links. */
  async listLinks(): Promise<LinkInfo[]> {
    const msgs = await this.request(RTM.GETLINK, NLM_F.DUMP, Buffer.alloc(16), 'list links');
    return msgs.filter((m) => m.type === RTM.NEWLINK).map((m) => decodeLink(m.payload));
  }

  /** All addresses (both families unless one is given). */
  async listAddresses(family?: 4 | 6): Promise<AddressInfo[]> {
    const req = Buffer.alloc(8);
    req.writeUInt8(family === 4 ? (K.AF_INET as number) : family === 6 ? (K.AF_INET6 as number) : 0, 0);
    const msgs = await this.request(RTM.GETADDR, NLM_F.DUMP, req, 'list addresses');
    return msgs.filter((m) => m.type === RTM.NEWADDR).map((m) => decodeAddress(m.payload));
  }

  /** All routes of a family, every table. */
  async listRoutes(family: 4 | 6): Promise<RouteInfo[]> {
    const req = Buffer.alloc(12);
    req.writeUInt8(family === 4 ? (K.AF_INET as number) : (K.AF_INET6 as number), 0);
    const msgs = await this.request(RTM.GETROUTE, NLM_F.DUMP, req, 'list routes');
    return msgs.filter((m) => m.type === RTM.NEWROUTE).map((m) => decodeRoute(m.payload));
  }

  /** Adds an address (fails with EEXIST if present). */
  async addAddress(spec: AddressSpec): Promise<void> {
    await this.request(RTM.NEWADDR, NLM_F.CREATE | NLM_F.EXCL, encodeAddressRequest(spec), `add address ${spec.address}/${spec.prefixLength}`);
  }

  /** Deletes an address (fails with EADDRNOTAVAIL if absent). */
  async deleteAddress(spec: AddressSpec): Promise<void> {
    await this.request(RTM.DELADDR, 0, encodeAddressRequest(spec), `delete address ${spec.address}/${spec.prefixLength}`);
  }

  /** Adds a route. */
  async addRoute(spec: RouteSpec): Promise<void> {
    const mode = spec.mode === 'add' ? NLM_F.EXCL : spec.mode === 'append' ? NLM_F.APPEND : 0; // keepalived's default: prepend
    await this.request(RTM.NEWROUTE, NLM_F.CREATE | mode, encodeRouteRequest(spec), `add route ${spec.destination}/${spec.prefixLength}`);
  }

  /** Deletes a route. */
  async deleteRoute(spec: RouteSpec): Promise<void> {
    await this.request(RTM.DELROUTE, 0, encodeRouteRequest(spec), `delete route ${spec.destination}/${spec.prefixLength}`);
  }

  /** Adds a policy routing rule. */
  async addRule(spec: RuleSpec): Promise<void> {
    await this.request(RTM.NEWRULE, NLM_F.CREATE | NLM_F.EXCL, encodeRuleRequest(spec), 'add rule');
  }

  /** Deletes a policy routing rule. */
  async deleteRule(spec: RuleSpec): Promise<void> {
    await this.request(RTM.DELRULE, 0, encodeRuleRequest(spec), 'delete rule');
  }

  /** Sets a link administratively up or down. */
  async setLinkUp(ifindex: number, up: boolean): Promise<void> {
    const m = Buffer.alloc(16);
    m.writeInt32LE(ifindex, 4);
    m.writeUInt32LE(up ? 1 : 0, 8); // ifi_flags IFF_UP
    m.writeUInt32LE(1, 12); // ifi_change: IFF_UP
    await this.request(RTM.NEWLINK, 0, m, `set link ${ifindex} ${up ? 'up' : 'down'}`);
  }

  /** Creates an ipvlan (mode l2, up) as keepalived's netlink_link_add_ipvlan does for `use_ipvlan`; read back by name. */
  async createIpvlan(spec: IpvlanSpec): Promise<LinkDetails> {
    await this.request(RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, encodeIpvlanRequest(spec), `create ipvlan ${spec.name}`);
    return this.getLink(spec.name);
  }

  /**
   * Creates a macvlan (RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL), as keepalived's netlink_link_add_vmac does for
   * `use_vmac`; it is created down. Rejects with EEXIST when the name is taken, ENODEV when the parent is missing.
   * Resolves with the new link, read back by name.
   */
  async createMacvlan(spec: MacvlanSpec): Promise<LinkDetails> {
    await this.request(RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, encodeMacvlanRequest(spec), `create macvlan ${spec.name}`);
    return this.getLink(spec.name);
  }

  /** One link by name or ifindex, with its kind and parent (rejects with ENODEV if there is none). */
  async getLink(ref: string | number): Promise<LinkDetails> {
    const msgs = await this.request(RTM.GETLINK, 0, encodeGetLinkRequest(ref), `get link ${ref}`);
    const m = msgs.find((x) => x.type === RTM.NEWLINK);
    if (!m) throw new RtnlError('ENODEV', 19, 'no link in the reply', `get link ${ref}`);
    return decodeLinkDetails(m.payload);
  }

  /** Deletes a link (RTM_DELLINK), e.g. a VMAC on exit. Rejects with ENODEV if it is gone. */
  async deleteLink(index: number): Promise<void> {
    await this.request(RTM.DELLINK, 0, encodeLinkIndexRequest(index), `delete link ${index}`);
  }

  /** Closes both sockets; pending requests are rejected. */
  close(): void {
    for (const [, p] of this.pending) p.reject(new RtnlError('ECANCELED', 125, 'client closed', p.operation));
    this.pending.clear();
    this.cmd.close();
    this.events?.close();
  }

  private onCommandData(data: Buffer): void {
    try {
      this.dispatch(data);
    } finally {
      if (this.pending.size === 0 && !this.cmd.isClosed) this.cmd.ref(false);
    }
  }

  private dispatch(data: Buffer): void {
    for (const msg of decodeMessages(data)) {
      if (msg.pid !== this.portId && msg.pid !== 0) continue;
      const p = this.pending.get(msg.seq);
      if (!p) continue;
      if (msg.type === NLMSG.ERROR) {
        const e = decodeError(msg.payload, msg.flags);
        this.pending.delete(msg.seq);
        if (e.error === 0) p.resolve(p.msgs);
        else p.reject(new RtnlError(errnoName(-e.error), -e.error, e.message, p.operation));
      } else if (msg.type === NLMSG.DONE) {
        this.pending.delete(msg.seq);
        p.resolve(p.msgs);
      } else {
        p.msgs.push(msg);
      }
    }
  }
}

/**
 * The event an RTM_NEW/DEL LINK/ADDR message describes; undefined for other types and for messages too short
 * for their header or of a family other than IPv4/IPv6 (exported for the fuzz target).
 */
export function toEvent(m: NlMessage): RtnlEvent | undefined {
  switch (m.type) {
    case RTM.NEWLINK:
    case RTM.DELLINK:
      if (m.payload.length < 16) return undefined;
      return { kind: 'link', link: decodeLink(m.payload), deleted: m.type === RTM.DELLINK };
    case RTM.NEWADDR:
    case RTM.DELADDR:
      if (m.payload.length < 8 || (m.payload[0] !== K.AF_INET && m.payload[0] !== K.AF_INET6)) return undefined;
      return { kind: 'address', address: decodeAddress(m.payload), deleted: m.type === RTM.DELADDR };
    default:
      return undefined;
  }
}

// re-exported for callers that build their own requests
export { attr, decodeAttrs, encodeAttrs, type AttrInput };
