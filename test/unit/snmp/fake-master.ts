/**
 * A master agent for the AgentX subagent tests (RFC 2741), on a Unix socket in a temporary directory: it answers
 * every PDU but a Response with an empty Response (session 42), keeps everything the subagent sends (`seen`; its
 * Responses also by packet id in `replies`) and hands each PDU to `onPdu`, which may drive the subagent through the
 * connection it came on.
 */
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { decodePdu, encodePdu, framedLength, PduType, responsePdu, type Pdu } from '../../../src/snmp/agentx.js';

/** One subagent's connection, as `onPdu` sees it. */
export interface MasterConnection {
  readonly sock: Socket;
  /** Sends a PDU of `type` in network byte order (session 42; the transaction id defaults to the packet id). */
  send(type: number, packetId: number, payload?: Buffer, transactionId?: number): void;
}

/** A running fake master agent. */
export interface FakeMaster {
  /** Its socket's path (`unix:PATH` for snmp_socket). */
  readonly path: string;
  /** Every PDU received, in order, from every connection. */
  readonly seen: Pdu[];
  /** The subagent's Responses by packet id. */
  readonly replies: Map<number, Pdu>;
  /** Every connection accepted, in order. */
  readonly sockets: Socket[];
  /** Stops listening and removes the directory. */
  close(): void;
}

/** Starts a fake master agent in a new temporary directory named after `prefix`. */
export async function startFakeMaster(prefix: string, onPdu: (p: Pdu, conn: MasterConnection) => void = () => {}): Promise<FakeMaster> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'master');
  const seen: Pdu[] = [];
  const replies = new Map<number, Pdu>();
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    const conn: MasterConnection = {
      sock,
      send: (type, packetId, payload = Buffer.alloc(0), transactionId = packetId) =>
        void sock.write(encodePdu(type, { sessionId: 42, transactionId, packetId }, payload, 0x10)),
    };
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let n = framedLength(buf); n > 0; n = framedLength(buf)) {
        const p = decodePdu(buf.subarray(0, n));
        buf = buf.subarray(n);
        seen.push(p);
        if (p.type === PduType.Response) replies.set(p.packetId, p);
        else sock.write(responsePdu({ sessionId: 42, transactionId: p.transactionId, packetId: p.packetId }, 0, 0, 0, []));
        onPdu(p, conn);
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    path,
    seen,
    replies,
    sockets,
    close: () => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
