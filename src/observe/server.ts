/**
 * ObserveServer: the HTTP endpoint (keepalived-ts addition, off until configured by `--http=ADDRESS:PORT|PATH`
 * or global_defs `http_endpoint`). Self-contained: it takes a function that returns the status view (and one for
 * keepalived's JSON document) and subscribes to the observer channels itself, so it can be mounted in whichever
 * process publishes the events (the VRRP child under the supervisor). Paths:
 *   GET /metrics  Prometheus exposition (metrics.ts)
 *   GET /status   `{"view": <status --json data>, "keepalived": <keepalived.json document or null>}`
 *   GET /events   server-sent events (event-log.ts): `id`, `event: transition|priority|garp|check|realserver|quorum|process`,
 *                 `data: <JSON>`; resumes after `Last-Event-ID` (header, or `?lastEventId=`); `event: reset` when
 *                 events were lost in between
 *   GET /         the dashboard (dashboard.ts)
 * Memory is bounded: headers size/count and time limits, a cap on connections and event-stream clients, and a
 * stream client whose unsent backlog passes a limit is disconnected (it resumes from the ring on reconnect).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import type { Logger } from '../core/log.js';
import { DASHBOARD_HTML } from './dashboard.js';
import { EventLog, type LoggedEvent } from './event-log.js';
import { ObserveMetrics } from './metrics.js';
import { bfdSessionView, type StatusView } from './view.js';

import { listenText, type ListenAddress } from './listen.js';

export { listenText, parseListen, type ListenAddress } from './listen.js';

/** What the endpoint serves from. */
export interface ObserveSources {
  /** The status view (`status --json`). */
  view(): StatusView;
  /** keepalived's JSON document (the keepalived.json text), when there is one. */
  keepalivedJson?(): string | undefined;
}

/** Options of an ObserveServer. */
export interface ObserveServerOptions {
  readonly listen: ListenAddress;
  readonly sources: ObserveSources;
  readonly log?: Logger;
  /** Events kept for resuming (default 2048). */
  readonly ringSize?: number;
  /** Node's process metrics too (default true). */
  readonly defaultMetrics?: boolean;
  /** Max concurrent connections (default 64) and event-stream clients (default 32). */
  readonly maxConnections?: number;
  readonly maxStreamClients?: number;
  /** Unsent bytes after which a stream client is dropped (default 1 MiB). */
  readonly maxBacklogBytes?: number;
  /** Keep-alive comment period on streams in ms (default 15000). */
  readonly heartbeatMs?: number;
}

/** The endpoint. */
export class ObserveServer {
  /** The ordered events (also usable without HTTP). */
  readonly events: EventLog;
  readonly metrics: ObserveMetrics;
  private server: Server | undefined;
  private readonly streams = new Set<ServerResponse>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly opts: ObserveServerOptions) {
    this.events = new EventLog(opts.ringSize ?? 2048);
    this.metrics = new ObserveMetrics(() => opts.sources.view(), { defaultMetrics: opts.defaultMetrics ?? true });
  }

  /** Where it listens, for logs. */
  get where(): string {
    return listenText(this.opts.listen);
  }

  /**
   * Subscribes and listens. Resolves to an Error with a clear text (never rejects) when the address cannot be used;
   * the caller logs it and carries on without the endpoint.
   */
  async start(): Promise<Error | undefined> {
    const l = this.opts.listen;
    if (l.kind === 'unix' && existsSync(l.path)) {
      if (await unixLive(l.path)) return new Error(`HTTP endpoint ${l.path}: address already in use (another process is listening there)`);
      try {
        unlinkSync(l.path);
      } catch {
        /* gone */
      }
    }
    const server = createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 10_000, keepAliveTimeout: 5000 }, (req, res) =>
      this.handle(req, res),
    );
    server.maxConnections = this.opts.maxConnections ?? 64;
    server.maxHeadersCount = 64;
    server.on('clientError', (_e, sock) => sock.destroy());
    const err = await new Promise<Error | undefined>((resolve) => {
      server.once('error', (e: NodeJS.ErrnoException) => resolve(new Error(`HTTP endpoint ${this.where}: ${describe(e)}`)));
      if (l.kind === 'unix') server.listen(l.path, () => resolve(undefined));
      else server.listen({ port: l.port, ...(l.host ? { host: l.host } : {}), exclusive: true }, () => resolve(undefined));
    });
    if (err) {
      server.close();
      return err;
    }
    if (l.kind === 'unix') {
      try {
        chmodSync(l.path, 0o660);
      } catch {
        /* best effort */
      }
    }
    server.on('error', (e) => this.opts.log?.log({ level: 'err', text: `HTTP endpoint ${this.where}: ${e.message}` }));
    this.server = server;
    this.events.attach();
    this.metrics.attach();
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) s.write(': keep-alive\n\n');
    }, this.opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    this.opts.log?.log({ level: 'info', text: `HTTP endpoint listening on ${this.where} (/, /metrics, /status, /events)` });
    return undefined;
  }

  /** The TCP port actually bound (for `:0` in tests). */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  /** Stops listening, ends streams, unsubscribes. */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.events.detach();
    this.metrics.detach();
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
    if (this.opts.listen.kind === 'unix') {
      try {
        unlinkSync(this.opts.listen.path);
      } catch {
        /* gone */
      }
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.on('data', () => {}); // GET bodies are read and dropped, never stored
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.plain(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    const url = requestUrl(req.url);
    if (!url) return this.plain(res, 400, 'bad request target\n');
    switch (url.pathname) {
      case '/':
        return this.send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, req.method === 'HEAD');
      case '/metrics':
        return void this.serveMetrics(res, req.method === 'HEAD');
      case '/status':
        return this.serveStatus(res, req.method === 'HEAD');
      case '/events':
        return this.serveEvents(req, res, url);
      default:
        return this.plain(res, 404, 'not found (try /, /metrics, /status, /events)\n');
    }
  }

  private send(res: ServerResponse, code: number, type: string, body: string, head = false, extra: Record<string, string> = {}): void {
    res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
    res.end(head ? undefined : body);
  }

  private plain(res: ServerResponse, code: number, text: string, extra: Record<string, string> = {}): void {
    this.send(res, code, 'text/plain; charset=utf-8', text, false, extra);
  }

  private async serveMetrics(res: ServerResponse, head: boolean): Promise<void> {
    try {
      this.send(res, 200, this.metrics.contentType, await this.metrics.render(), head);
    } catch (e) {
      this.plain(res, 500, `metrics failed: ${(e as Error).message}\n`);
    }
  }

  /** The status view, with the `bfd` child's sessions (relayed events) when the view has none of its own. */
  private view(): StatusView {
    const v = this.opts.sources.view();
    const bfd = this.metrics.bfdSessions;
    return v.bfd === undefined && bfd ? { ...v, bfd: bfd.map(bfdSessionView) } : v;
  }

  private serveStatus(res: ServerResponse, head: boolean): void {
    let body: string;
    try {
      const text = this.opts.sources.keepalivedJson?.();
      let keepalived: unknown = null;
      if (text) {
        try {
          keepalived = JSON.parse(text);
        } catch {
          keepalived = null;
        }
      }
      body = `${JSON.stringify({ view: this.view(), keepalived })}\n`;
    } catch (e) {
      return this.plain(res, 500, `status failed: ${(e as Error).message}\n`);
    }
    this.send(res, 200, 'application/json', body, head);
  }

  private serveEvents(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (this.streams.size >= (this.opts.maxStreamClients ?? 32))
      return this.plain(res, 503, 'too many event-stream clients\n', { 'retry-after': '5' });
    const lastId = (req.headers['last-event-id'] as string | undefined) ?? url.searchParams.get('lastEventId') ?? undefined;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.socket?.setNoDelay(true);
    res.socket?.setTimeout(0);
    this.streams.add(res);
    const maxBacklog = this.opts.maxBacklogBytes ?? 1 << 20;
    const write = (e: LoggedEvent) => {
      if (res.writableLength > maxBacklog) {
        res.destroy();
        return;
      } // a slow reader resumes from the ring
      res.write(`id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(e.data)}\n\n`);
    };
    res.write('retry: 1000\n\n');
    // replay and go live in one synchronous step: nothing can be published in between
    const replay = this.events.since(lastId || undefined);
    if (lastId && !replay.complete)
      res.write(`event: reset\ndata: ${JSON.stringify({ lastEventId: lastId, reason: 'events were lost or the daemon restarted' })}\n\n`);
    for (const e of replay.events) write(e);
    const stop = this.events.listen(write);
    const done = () => {
      stop();
      this.streams.delete(res);
    };
    res.on('close', done); // (not req's 'close': it fires once the request body is read)
  }
}

/** A clear text for a listen error. */
function describe(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EADDRINUSE':
      return 'address already in use (EADDRINUSE)';
    case 'EADDRNOTAVAIL':
      return 'address not available on this host (EADDRNOTAVAIL)';
    case 'EACCES':
      return 'permission denied (EACCES)';
    default:
      return e.code ? `${e.message}` : String(e.message ?? e);
  }
}

/** True when something accepts connections on the UNIX socket `path`. */
function unixLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The request target as a URL; undefined for a target `new URL` refuses (e.g. `//[`, found by fuzzing: it threw). */
function requestUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://x');
  } catch {
    return undefined;
  }
}
