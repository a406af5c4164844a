/**
 * The control socket (keepalived-ts addition): operators see state without signals or temp files.
 *
 * A unix stream socket (default `/run/keepalived-ts.sock`, mode 0600). Protocol: the client sends one command
 * line; the server answers with one JSON line and closes. Commands:
 *   `status`       → `{"ok":true,"status":{process…,instances…}}`
 *   `json`         → `{"ok":true,"text":"<keepalived.json body>"}`  (also: `stats`, `data`)
 *   `stats-clear`  → the stats text, then counters zeroed (keepalived's STATS_CLEAR)
 *   `reload`       → `{"ok":true}` once the reload finished, or `{"ok":false,"error":…}`
 *   `ping`         → `{"ok":true}`
 *   `lvs`, `lvs-rate` → `{"ok":true,"lvs":{backend,services…}}`: the checker child's data plane (`status --lvs`)
 *   admin actions (root only, logged; src/observe/admin.ts): `priority INSTANCE OFFSET`, `garp [INSTANCE]`,
 *                  `drain VS RS`, `undrain VS RS` → `{"ok":true,"text":…}` or `{"ok":false,"error":…}`
 * Unknown commands get `{"ok":false,"error":"unknown command …"}`. Peers other than root (or the daemon's own user)
 * get `{"ok":false,"code":"KTS_PERMISSION_DENIED",…}` for every command (SO_PEERCRED, peerAllowed()).
 * Memory per connection is bounded: one line of at most MAX_LINE bytes is kept, at most MAX_CONTROL_CONNECTIONS at once.
 * The default path follows the pid file (controlSocketFor), so two daemons on one host do not collide.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { peerCredentials, type PeerCred } from '../observe/admin.js';
import { ErrorCodes, KtsError, type ErrorCode } from '../core/errors.js';
import type { LvsReport } from '../lb/report.js';
import type { ProcessInfo, RuntimeSnapshot } from '../runtime/snapshot.js';

/** Default control socket path. */
export const DEFAULT_CONTROL_SOCKET = '/run/keepalived-ts.sock';

/**
 * The control socket of the daemon whose main pid file is `pidFile`: next to it, named after it
 * (`/run/keepalived.pid` → `/run/keepalived-ts.sock`, the default; `/run/lab/a.pid` → `/run/lab/a-ts.sock`).
 */
export function controlSocketFor(pidFile: string | undefined): string {
  if (!pidFile) return DEFAULT_CONTROL_SOCKET;
  return join(dirname(pidFile), `${basename(pidFile).replace(/\.pid$/, '')}-ts.sock`);
}

/** One reply on the control socket. */
export type ControlReply =
  | { readonly ok: true; readonly text?: string; readonly status?: StatusReport; readonly lvs?: LvsReport }
  | { readonly ok: false; readonly error: string; readonly code?: ErrorCode };

/** The `status` command's answer. */
export interface StatusReport {
  readonly process: ProcessInfo;
  readonly snapshot: RuntimeSnapshot;
}

/**
 * Answers commands; implemented by the Daemon. `peer` is the caller's credentials (null when they cannot be read).
 */
export type ControlHandler = (command: string, peer: PeerCred | null) => Promise<ControlReply>;

/** Longest command line accepted (a longer one is cut there; the rest of the connection is never stored). */
export const MAX_LINE = 256;
/** Connections served at once; more are closed at accept (each one lives ≤ 5 s, holds ≤ one chunk). */
export const MAX_CONTROL_CONNECTIONS = 32;

/**
 * Whether a peer may use the control socket at all: root, or the daemon's own user when the daemon is not root
 * (that user could signal or ptrace it anyway). Unknown credentials are refused. The socket file is mode 0600 too;
 * this holds when the mode was widened or the socket handed over.
 */
export function peerAllowed(peer: PeerCred | null, selfUid: number): boolean {
  return peer !== null && (peer.uid === 0 || (selfUid !== 0 && peer.uid === selfUid));
}

/** Options of a ControlServer. */
export interface ControlServerOptions {
  /** Told of each refused peer (the daemon logs it). */
  readonly onRefused?: (peer: PeerCred | null) => void;
  /** The daemon's uid (default: this process's). */
  readonly selfUid?: number;
}

/** A listening control socket. */
export class ControlServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly handler: ControlHandler,
    private readonly opts: ControlServerOptions = {},
  ) {}

  /** Starts listening; replaces a stale socket file. Resolves to an Error (never rejects) on failure. */
  async listen(): Promise<Error | undefined> {
    if (await isLive(this.path)) return new KtsError(ErrorCodes.ALREADY_RUNNING, `control socket ${this.path} is in use by another process`);
    try {
      unlinkSync(this.path);
    } catch {
      /* none */
    }
    const server = createServer((s) => this.serve(s));
    server.maxConnections = MAX_CONTROL_CONNECTIONS;
    this.server = server;
    return new Promise((resolve) => {
      server.once('error', (e) => resolve(e));
      server.listen(this.path, () => {
        try {
          chmodSync(this.path, 0o600);
        } catch {
          /* best effort */
        }
        server.on('error', () => {});
        resolve(undefined);
      });
    });
  }

  /** Serves one connection: read a line, answer, close. */
  private serve(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.setTimeout(5000, () => sock.destroy());
    const peer = peerCredentials(sock);
    if (!peerAllowed(peer, this.opts.selfUid ?? process.getuid?.() ?? 0)) {
      this.opts.onRefused?.(peer);
      const reply: ControlReply = { ok: false, code: ErrorCodes.PERMISSION_DENIED, error: 'refused: the control socket is root only' };
      sock.end(`${JSON.stringify(reply)}\n`);
      sock.resume(); // whatever it sends is read and dropped until the close
      return;
    }
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0 && buf.length <= MAX_LINE) return;
      sock.off('data', onData);
      const cmd = (nl < 0 ? buf.slice(0, MAX_LINE) : buf.slice(0, nl)).trim();
      void this.handler(cmd, peer)
        .catch((e: unknown): ControlReply => ({
          ok: false,
          error: String((e as Error)?.message ?? e),
          code: e instanceof KtsError ? e.code : ErrorCodes.INTERNAL,
        }))
        .then((reply) => sock.end(`${JSON.stringify(reply)}\n`));
    };
    sock.on('data', onData);
  }

  /** Stops listening, drops connections and removes the socket file. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      /* gone */
    }
  }
}

/** True when something accepts connections on `path`. */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Sends one command to a daemon's control socket and returns its reply (errors as `{ok:false}`).
 * @param timeoutMs how long to wait for the answer (a reload can take a while)
 */
export function controlRequest(path: string, command: string, timeoutMs = 10_000): Promise<ControlReply> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const finish = (r: ControlReply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, code: ErrorCodes.CONTROL_TIMEOUT, error: `no answer from ${path} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    const s = connect(path, () => s.write(`${command}\n`));
    s.on('data', (c) => {
      buf += c.toString('utf8');
    });
    s.on('end', () => {
      try {
        finish(JSON.parse(buf) as ControlReply);
      } catch {
        finish({ ok: false, code: ErrorCodes.CONTROL_BAD_REPLY, error: `malformed answer from ${path}` });
      }
    });
    s.on('error', (e) => finish({ ok: false, code: ErrorCodes.CONTROL_UNREACHABLE, error: `cannot reach ${path}: ${e.message}` }));
  });
}

/** A refused peer for the log: `uid 65534 pid 1234`, or `an unknown peer` without credentials. */
export function refusedPeer(peer: PeerCred | null): string {
  return peer ? `uid ${peer.uid} pid ${peer.pid}` : 'an unknown peer (no SO_PEERCRED)';
}
