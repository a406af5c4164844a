/**
 * HTTP helpers for the observe netns tests: GET and server-sent events over a UNIX socket (the test process
 * reaches a daemon's endpoint in a namespace through the file system), and GET over TCP from inside a host
 * (a Node child in the namespace: no traffic outside it).
 */
import { request, type IncomingMessage } from 'node:http';
import type { Topology } from '../harness/topology.js';

/** GET `path` on the endpoint listening at the UNIX socket `socketPath`. */
export function getUnix(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.end();
  });
}

/** GET `url` from inside `host` (a Node child there); returns the body, throws on a non-2xx status. */
export function getInside(topo: Topology, host: string, url: string): string {
  const script = `fetch(process.argv[1]).then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); }, (e) => { console.error(String(e)); process.exit(2); })`;
  return topo.exec(host, [process.execPath, '-e', script, url]);
}

/** One server-sent event. */
export interface Sse {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/** A live `/events` stream. */
export interface SseStream {
  readonly events: Sse[];
  readonly res: IncomingMessage;
  close(): void;
}

/** Opens `/events` on a UNIX-socket endpoint, optionally resuming after `lastEventId`. */
export function openEvents(socketPath: string, lastEventId?: string): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/events', headers: lastEventId ? { 'last-event-id': lastEventId } : {} }, (res) => {
      const events: Sse[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let k;
        while ((k = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, k);
          buf = buf.slice(k + 2);
          let id: string | undefined;
          let event: string | undefined;
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (event) events.push({ ...(id !== undefined ? { id } : {}), event, data });
        }
      });
      resolve({ events, res, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of the first sample of `name` whose labels include `labels` (undefined when none). */
export function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metrics.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have[l[1]!] = l[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}
