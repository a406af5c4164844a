/**
 * A generic netlink client (NETLINK_GENERIC, linux/genetlink.h): resolves a family by name through the controller
 * (CTRL_CMD_GETFAMILY → id, version, multicast groups), sends requests matched to their ack by sequence number,
 * collects dumps (NLM_F_DUMP), and reports every failure as a value: the errno name, the errno and the kernel's
 * extended-ack text.
 *
 *   struct genlmsghdr { u8 cmd; u8 version; u16 reserved; }   4 bytes after the nlmsghdr, then attributes
 */
import { errnoName, Socket, type SocketProblem } from '../socket.js';
import { parseSockaddr, sockaddrNl } from '../sockaddr.js';
import { K, sysio } from '../sysio.js';
import {
  decodeAttrs,
  decodeError,
  decodeMessages,
  encodeAttrs,
  encodeMessage,
  field,
  NLM_F,
  NLMSG,
  attr,
  type AttrInput,
  type NlMessage,
} from './codec.js';

/** The controller family (GENL_ID_CTRL) and its commands and attributes (linux/genetlink.h). */
export const GENL_ID_CTRL = 0x10;
/** Controller commands. */
export const CTRL_CMD = { NEWFAMILY: 1, DELFAMILY: 2, GETFAMILY: 3 } as const;
/** Controller attributes. */
export const CTRL_ATTR = { FAMILY_ID: 1, FAMILY_NAME: 2, VERSION: 3, HDRSIZE: 4, MAXATTR: 5, OPS: 6, MCAST_GROUPS: 7 } as const;
/** Attributes of one entry of CTRL_ATTR_MCAST_GROUPS. */
export const CTRL_ATTR_MCAST_GRP = { NAME: 1, ID: 2 } as const;

/** A resolved generic netlink family. */
export interface GenlFamily {
  readonly name: string;
  readonly id: number;
  readonly version: number;
  readonly hdrsize: number;
  readonly maxattr: number;
  /** Multicast group name → group id. */
  readonly groups: ReadonlyMap<string, number>;
}

/** A failed generic netlink request, as a value. */
export interface GenlError {
  /** errno name (`ENOENT`, `EEXIST`, …), or a socket-level code. */
  readonly code: string;
  /** Positive errno; 0 when the failure was not an errno from the kernel. */
  readonly errno: number;
  /** The kernel's extended-ack text, when it gave one. */
  readonly kernelMessage?: string;
  /** What was being done, e.g. `IPVS new service`. */
  readonly operation: string;
}

/** One generic netlink message as received: command, version and its top-level attributes. */
export interface GenlMessage {
  readonly cmd: number;
  readonly version: number;
  /** The raw attribute bytes after the genl header (decode with decodeAttrs). */
  readonly attrs: Buffer;
}

/** The outcome of a request: the reply messages, or an error value. */
export type GenlResult = { readonly ok: true; readonly messages: readonly GenlMessage[] } | { readonly ok: false; readonly error: GenlError };

/** Text of a GenlError: `operation: CODE: kernel text`. */
export function genlErrorText(e: GenlError): string {
  return `${e.operation}: ${e.code}${e.kernelMessage ? `: ${e.kernelMessage}` : ''}`;
}

/** Encodes the payload of a generic netlink message: the 4-byte genl header, then attributes. */
export function encodeGenlPayload(cmd: number, version: number, attrs: readonly AttrInput[]): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt8(cmd, 0);
  h.writeUInt8(version, 1);
  return Buffer.concat([h, encodeAttrs(attrs)]);
}

/** Decodes the payload of a generic netlink message (undefined when shorter than the header). */
export function decodeGenlPayload(payload: Buffer): GenlMessage | undefined {
  if (payload.length < 4) return undefined;
  return { cmd: payload.readUInt8(0), version: payload.readUInt8(1), attrs: payload.subarray(4) };
}

/** The CTRL_CMD_GETFAMILY request for a family name (as genl_ctrl_resolve sends it). */
export function encodeGetFamilyRequest(name: string): Buffer {
  return encodeGenlPayload(CTRL_CMD.GETFAMILY, 1, [{ type: CTRL_ATTR.FAMILY_NAME, value: attr.str(name) }]);
}

/** Decodes a CTRL_CMD_NEWFAMILY reply into a family (undefined when the id or name is missing). */
export function decodeFamily(m: GenlMessage): GenlFamily | undefined {
  const a = decodeAttrs(m.attrs);
  const id = field.u16(a.get(CTRL_ATTR.FAMILY_ID));
  const name = a.get(CTRL_ATTR.FAMILY_NAME);
  if (id === undefined || !name) return undefined;
  const groups = new Map<string, number>();
  const mg = a.get(CTRL_ATTR.MCAST_GROUPS);
  if (mg) {
    for (const entry of nestedList(mg)) {
      const g = decodeAttrs(entry);
      const gn = g.get(CTRL_ATTR_MCAST_GRP.NAME);
      const gi = g.get(CTRL_ATTR_MCAST_GRP.ID);
      const gid = field.u32(gi);
      if (gn && gid !== undefined) groups.set(cstr(gn), gid);
    }
  }
  return {
    name: cstr(name),
    id,
    version: field.u32(a.get(CTRL_ATTR.VERSION)) ?? 0,
    hdrsize: field.u32(a.get(CTRL_ATTR.HDRSIZE)) ?? 0,
    maxattr: field.u32(a.get(CTRL_ATTR.MAXATTR)) ?? 0,
    groups,
  };
}

/** The payloads of a nested array attribute (entries numbered 1..n), in order. */
export function nestedList(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.push(buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
}

interface Pending {
  readonly resolve: (r: GenlResult) => void;
  readonly operation: string;
  readonly messages: GenlMessage[];
  readonly timer: ReturnType<typeof setTimeout>;
}

/** How long a request may wait for its ack or NLMSG_DONE before it fails with ETIMEDOUT (a kernel always answers). */
export const GENL_REQUEST_TIMEOUT_MS = 30_000;

/** A generic netlink socket. Create inside the network namespace it should manage; close() when done. */
export class Genl {
  private readonly sock: Socket;
  private readonly pending = new Map<number, Pending>();
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly portId: number;

  private constructor(onProblem: (p: SocketProblem) => void) {
    this.sock = Socket.open(
      K.AF_NETLINK as number,
      K.SOCK_RAW as number,
      K.NETLINK_GENERIC as number,
      {
        maxLength: 1 << 18,
        controlLength: 0,
        onMessage: (m) => this.onData(m.data),
        // a receive error (ENOBUFS: replies were dropped) means pending requests may never see their ack or
        // NLMSG_DONE: fail them now rather than leave them waiting forever
        onError: (p) => {
          this.failPending(p);
          onProblem(p);
        },
      },
      (fd) => {
        sysio.setsockopt(fd, K.SOL_NETLINK as number, K.NETLINK_EXT_ACK as number, 1);
        sysio.setsockopt(fd, K.SOL_NETLINK as number, K.NETLINK_CAP_ACK as number, 1);
        sysio.bind(fd, sockaddrNl(0, 0));
      },
    );
    const sa = parseSockaddr(sysio.getsockname(this.sock.fd));
    this.portId = sa.family === 'netlink' ? sa.pid : 0;
    this.sock.ref(false);
  }

  /** Opens a socket; a failure (e.g. EPROTONOSUPPORT, EPERM) comes back as a value. */
  static open(onProblem: (p: SocketProblem) => void = () => {}): Genl | GenlError {
    try {
      return new Genl(onProblem);
    } catch (e) {
      const x = e as { code?: string; errno?: number; message?: string };
      return { code: x.code ?? 'EUNKNOWN', errno: typeof x.errno === 'number' ? Math.abs(x.errno) : 0, operation: 'open generic netlink socket' };
    }
  }

  /**
   * Resolves a family by name (CTRL_CMD_GETFAMILY). The kernel's controller loads the module that registers the
   * family when it can (`net-pf-16-proto-16-family-NAME`); ENOENT means the kernel has no such family.
   */
  async resolveFamily(name: string): Promise<GenlFamily | GenlError> {
    const r = await this.send(GENL_ID_CTRL, 0, encodeGetFamilyRequest(name), `resolve generic netlink family ${name}`);
    if (!r.ok) return r.error;
    const fam = r.messages.map(decodeFamily).find((f) => f?.name === name);
    return fam ?? { code: 'ENOENT', errno: 2, kernelMessage: 'no family in the reply', operation: `resolve generic netlink family ${name}` };
  }

  /**
   * Sends one command to a family and resolves with its replies. A dump (NLM_F_DUMP in `flags`) collects every
   * reply up to NLMSG_DONE; other requests carry NLM_F_ACK and resolve on the ack (with any replies before it).
   */
  request(
    family: number,
    cmd: number,
    version: number,
    attrs: readonly AttrInput[],
    operation: string,
    flags = 0,
    timeoutMs = GENL_REQUEST_TIMEOUT_MS,
  ): Promise<GenlResult> {
    return this.send(family, flags, encodeGenlPayload(cmd, version, attrs), operation, timeoutMs);
  }

  /** Closes the socket; pending requests resolve with ECANCELED. */
  close(): void {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: { code: 'ECANCELED', errno: 125, operation: p.operation } });
    }
    this.pending.clear();
    this.sock.close();
  }

  private send(type: number, flags: number, payload: Buffer, operation: string, timeoutMs = GENL_REQUEST_TIMEOUT_MS): Promise<GenlResult> {
    const seq = (this.seq = (this.seq + 1) >>> 0);
    const dump = (flags & NLM_F.DUMP) === NLM_F.DUMP;
    return new Promise((resolve) => {
      if (this.sock.isClosed) {
        resolve({ ok: false, error: { code: 'EBADF', errno: 9, operation } });
        return;
      }
      const timer = setTimeout(() => {
        if (!this.pending.has(seq)) return;
        this.finish(seq);
        resolve({ ok: false, error: { code: 'ETIMEDOUT', errno: 110, kernelMessage: `no answer within ${timeoutMs} ms`, operation } });
      }, timeoutMs);
      timer.unref();
      this.pending.set(seq, { resolve, operation, messages: [], timer });
      if (this.pending.size === 1) this.sock.ref(true); // an outstanding request keeps the process alive
      const problem = this.sock.trySend(encodeMessage(type, flags | NLM_F.REQUEST | (dump ? 0 : NLM_F.ACK), seq, 0, payload), sockaddrNl(0, 0));
      if (problem) {
        this.finish(seq);
        resolve({ ok: false, error: { code: problem.code, errno: 0, kernelMessage: problem.message, operation } });
      }
    });
  }

  private failPending(p: SocketProblem): void {
    for (const [seq, q] of [...this.pending]) {
      this.finish(seq);
      q.resolve({ ok: false, error: { code: p.code, errno: 0, kernelMessage: p.message, operation: q.operation } });
    }
  }

  private finish(seq: number): void {
    const p = this.pending.get(seq);
    if (p) clearTimeout(p.timer);
    this.pending.delete(seq);
    if (this.pending.size === 0 && !this.sock.isClosed) this.sock.ref(false);
  }

  private onData(data: Buffer): void {
    for (const msg of decodeMessages(data)) this.dispatch(msg);
  }

  private dispatch(msg: NlMessage): void {
    if (msg.pid !== this.portId && msg.pid !== 0) return;
    const p = this.pending.get(msg.seq);
    if (!p) return;
    if (msg.type === NLMSG.ERROR || (msg.type === NLMSG.DONE && msg.payload.length >= 4 && msg.payload.readInt32LE(0) < 0)) {
      const e = msg.type === NLMSG.ERROR ? decodeError(msg.payload, msg.flags) : decodeDoneError(msg);
      this.finish(msg.seq);
      if (e.error === 0) p.resolve({ ok: true, messages: p.messages });
      else {
        const errno = -e.error;
        const error: GenlError =
          e.message === undefined
            ? { code: errnoName(errno), errno, operation: p.operation }
            : { code: errnoName(errno), errno, kernelMessage: e.message, operation: p.operation };
        p.resolve({ ok: false, error });
      }
    } else if (msg.type === NLMSG.DONE) {
      this.finish(msg.seq);
      p.resolve({ ok: true, messages: p.messages });
    } else if (msg.type !== NLMSG.NOOP && msg.type !== NLMSG.OVERRUN) {
      const g = decodeGenlPayload(msg.payload);
      if (g) p.messages.push(g);
    }
  }
}

/** A dump that failed part-way ends with NLMSG_DONE carrying a negative errno (and ext-ack TLVs after it). */
function decodeDoneError(msg: NlMessage): { error: number; message?: string } {
  const error = field.i32(msg.payload) ?? -71;
  if (msg.flags & NLM_F.ACK_TLVS) {
    const m = decodeAttrs(msg.payload.subarray(4)).get(1);
    if (m) return { error, message: cstr(m) };
  }
  return { error };
}
