/**
 * An AgentX subagent session (RFC 2741) over the master agent's socket: opens a session, registers subtrees and
 * their sysORTable entries, answers Get/GetNext/GetBulk from a view built on demand, sends notifications, and
 * reconnects (every 15 s, as net-snmp's subagents do) when the master agent is absent or goes away.
 * Socket names as keepalived's snmp_socket and net-snmp's agentXSocket: `unix:/path` or `/path`, `tcp:host:port`,
 * `udp:host:port` (one PDU per datagram); default unix:/var/agentx/master.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, type Socket } from 'node:net';
import type { Logger } from '../../core/log.js';
import {
  addAgentCapsPdu,
  AgentxError,
  closePdu,
  decodePdu,
  framedLength,
  notifyPdu,
  openPdu,
  PduType,
  registerPdu,
  responsePdu,
  type Header,
  type Oid,
  type Pdu,
  type VarBind,
} from '../../snmp/agentx.js';
import { answer } from '../../snmp/mib.js';

/** net-snmp's default AgentX socket. */
export const DEFAULT_AGENTX_SOCKET = '/var/agentx/master';
/** How long to wait before trying the master agent again. */
const RETRY_MS = 15_000;

/** Where the master agent listens. */
export type AgentxAddress =
  { readonly kind: 'unix'; readonly path: string } | { readonly kind: 'tcp' | 'udp'; readonly host: string; readonly port: number };

/** Parses a socket name; an Error names what is wrong. */
export function parseAgentxAddress(text: string | undefined): AgentxAddress | Error {
  const t = text ?? DEFAULT_AGENTX_SOCKET;
  if (t.startsWith('/')) return { kind: 'unix', path: t };
  const m = /^(unix|tcp|udp):(.*)$/i.exec(t);
  const kind = (m?.[1]?.toLowerCase() ?? 'tcp') as 'unix' | 'tcp' | 'udp';
  const rest = m ? m[2]! : t;
  if (kind === 'unix') return rest ? { kind, path: rest } : new Error(`SNMP socket '${t}' has no path`);
  const hp = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(rest) ?? /^()([^:]*)$/.exec(rest);
  const host = (hp?.[1] || hp?.[2]) ?? '';
  const port = hp?.[3] ? Number(hp[3]) : 705;
  if (!hp || port < 1 || port > 65535) return new Error(`SNMP socket '${t}' is not ${kind}:HOST:PORT`);
  return { kind, host: host || 'localhost', port };
}

/** A subtree the subagent serves, with its sysORTable description. */
export interface Subtree {
  readonly oid: Oid;
  readonly descr: string;
}

/** What the subagent needs. */
export interface SubagentOptions {
  readonly address: AgentxAddress;
  readonly subtrees: readonly Subtree[];
  /** The objects served, built afresh for each request. */
  readonly view: () => readonly VarBind[];
  readonly log: Logger;
  /** The Open-PDU's description (keepalived: `Keepalived`). */
  readonly description: string;
  /** Centiseconds since the subagent started (sysUpTime in notifications). */
  readonly upTime: () => number;
  /** SNMP SET: checks a TestSet's varbinds, then applies them on CommitSet; absent, every SET is notWritable. */
  readonly set?: SetHandler;
  /** Reconnect delay (tests). */
  readonly retryMs?: number;
}

/** The subagent's side of a SET transaction (RFC 2741 §7.2.4): test, then commit, or clean up. */
export interface SetHandler {
  /** TestSet: an error (0: none) and the 1-based index of the varbind it is about. */
  test(varbinds: readonly VarBind[]): { readonly error: number; readonly index: number };
  /** CommitSet: applies what the test accepted; an error when it could not. */
  commit(): number;
  /** UndoSet or CleanupSet: forgets the transaction. */
  cleanup(): void;
}

/** A byte pipe to the master agent. */
interface Pipe {
  write(b: Buffer): void;
  close(): void;
}

/** The AgentX session; `start()` connects, `notify()` sends when connected, `close()` ends it. */
export class AgentxSubagent {
  private pipe: Pipe | undefined;
  private sessionId = 0;
  private packetId = 1;
  private open = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private warned = false;
  private readonly pending = new Map<number, (p: Pdu) => void>();
  private buf: Buffer = Buffer.alloc(0);
  /** Notifications raised before the first connection attempt settled (keepalived's connects synchronously). */
  private early: VarBind[][] | undefined = [];

  constructor(private readonly o: SubagentOptions) {}

  /** True once the session is open and the subtrees are registered. */
  get connected(): boolean {
    return this.open;
  }

  /** Connects (and keeps reconnecting until closed). */
  start(): void {
    if (this.closed || this.pipe) return;
    this.pipe = this.connect();
  }

  /**
   * Sends a notification (sysUpTime.0 and snmpTrapOID.0 are added). Before the first connection attempt settles it
   * is held and sent once registered; later, when not connected, it is dropped, as net-snmp does.
   */
  notify(trapOid: Oid, varbinds: readonly VarBind[]): boolean {
    if (!this.open && !this.early) return false;
    const all: VarBind[] = [
      { oid: [1, 3, 6, 1, 2, 1, 1, 3, 0], type: 67, value: this.o.upTime() },
      { oid: [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0], type: 6, value: trapOid },
      ...varbinds,
    ];
    if (this.early && !this.open) {
      if (this.early.length < 256) this.early.push(all);
    } else this.send((h) => notifyPdu(h, all));
    return true;
  }

  /** Closes the session (Close-PDU when open) and stops reconnecting. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    if (this.open) this.send((h) => closePdu(h));
    this.open = false;
    const pipe = this.pipe;
    this.pipe = undefined;
    pipe?.close();
  }

  private header(): Header {
    return { sessionId: this.sessionId, transactionId: 0, packetId: this.packetId++ };
  }

  private send(make: (h: Header) => Buffer, onReply?: (p: Pdu) => void): void {
    const h = this.header();
    if (onReply) this.pending.set(h.packetId, onReply);
    this.pipe?.write(make(h));
  }

  private connect(): Pipe {
    const a = this.o.address;
    // events of a socket already given up (a late `close` after an `error`) must not touch its successor
    let me: Pipe | undefined;
    const live = (): boolean => me !== undefined && this.pipe === me;
    const onData = (d: Buffer): void => void (live() && this.received(d));
    const onUp = (): void => void (live() && this.handshake());
    const onDown = (err?: Error): void => void (live() && this.lost(err));
    if (a.kind === 'udp') {
      const s: UdpSocket = createSocket(a.host.includes(':') ? 'udp6' : 'udp4');
      s.on('message', onData);
      s.on('error', onDown);
      s.connect(a.port, a.host, onUp);
      me = { write: (b) => s.send(b), close: () => s.close() };
      return me;
    }
    const s: Socket = a.kind === 'unix' ? createConnection(a.path) : createConnection(a.port, a.host);
    s.on('connect', onUp);
    s.on('data', onData);
    s.on('error', (e) => onDown(e));
    s.on('close', () => onDown());
    me = {
      write: (b) => void s.write(b),
      // flush what was written (a Close-PDU), then make sure the socket goes
      close: () => {
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      },
    };
    return me;
  }

  private handshake(): void {
    this.buf = Buffer.alloc(0);
    this.sessionId = 0;
    this.send(
      (h) => openPdu(h, 0, [], this.o.description),
      (r) => {
        if (r.error) return this.lost(new Error(`Open refused (error ${r.error})`));
        this.sessionId = r.sessionId;
        for (const t of this.o.subtrees) {
          this.send(
            (h) => registerPdu(h, t.oid),
            (rr) => {
              if (rr.error) this.o.log.log({ level: 'warning', text: `Unable to register ${t.descr} MIB` });
            },
          );
          this.send((h) => addAgentCapsPdu(h, t.oid, `The MIB module for ${t.descr}`));
        }
        this.open = true;
        this.warned = false;
        this.o.log.log({ level: 'info', text: 'AgentX subagent connected' });
        for (const all of this.early ?? []) this.send((h) => notifyPdu(h, all));
        this.early = undefined;
      },
    );
  }

  private lost(err?: Error): void {
    const was = this.open;
    this.early = undefined;
    this.open = false;
    this.pending.clear();
    const pipe = this.pipe;
    this.pipe = undefined;
    pipe?.close();
    if (this.closed) return;
    if (was) this.o.log.log({ level: 'warning', text: 'AgentX master agent failed to respond to ping.  Attempting to re-register.' });
    else if (!this.warned) {
      this.warned = true;
      this.o.log.log({
        level: 'warning',
        text: `Warning: Failed to connect to the agentx master agent (${describe(this.o.address)})${err ? `: ${err.message}` : ''}`,
      });
    }
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.start(), this.o.retryMs ?? RETRY_MS);
    this.retry.unref();
  }

  private received(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (let n = framedLength(this.buf); n > 0; n = framedLength(this.buf)) {
      const one = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      let pdu: Pdu;
      try {
        pdu = decodePdu(one);
      } catch (e) {
        this.o.log.log({ level: 'warning', text: `AgentX: ${(e as Error).message}` });
        continue;
      }
      this.handle(pdu);
    }
  }

  private handle(p: Pdu): void {
    const reply = (error: number, vbs: readonly VarBind[], index = 0): void =>
      this.pipe?.write(
        responsePdu({ sessionId: p.sessionId, transactionId: p.transactionId, packetId: p.packetId }, this.o.upTime(), error, index, vbs),
      );
    if (p.type === PduType.Response) {
      const cb = this.pending.get(p.packetId);
      this.pending.delete(p.packetId);
      cb?.(p);
      return;
    }
    const set = this.o.set;
    if (p.type === PduType.TestSet) {
      if (!set) return reply(AgentxError.notWritable, [], 1);
      const t = set.test(p.varbinds ?? []);
      return reply(t.error, [], t.index);
    }
    if (p.type === PduType.CommitSet) return reply(set ? set.commit() : AgentxError.noError, []);
    if (p.type === PduType.UndoSet || p.type === PduType.CleanupSet) {
      set?.cleanup();
      // RFC 2741 §7.2.4.4: a CleanupSet gets no response
      return p.type === PduType.UndoSet ? reply(AgentxError.noError, []) : undefined;
    }
    if (p.type === PduType.Close) return this.lost();
    let vbs: VarBind[] | undefined;
    try {
      vbs = answer(this.o.view(), p);
    } catch (e) {
      this.o.log.log({ level: 'err', text: `SNMP: building the MIB view failed: ${(e as Error).message}` });
      return reply(AgentxError.genErr, []);
    }
    if (vbs) reply(AgentxError.noError, vbs);
  }
}

function describe(a: AgentxAddress): string {
  return a.kind === 'unix' ? a.path : `${a.kind}:${a.host}:${a.port}`;
}
