/**
 * The HTTP endpoint's listen address (`--http=…`, `http_endpoint`): parsed without loading the server, which a
 * daemon imports only when an endpoint is configured (src/daemon/daemon.ts).
 */
/** Where the endpoint listens. */
export type ListenAddress =
  { readonly kind: 'tcp'; readonly host?: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** Parses `ADDRESS:PORT`, `[V6]:PORT`, `:PORT` or a UNIX socket path (starting with `/` or `./`). */
export function parseListen(text: string): ListenAddress | Error {
  const t = text.trim();
  if (t.startsWith('/') || t.startsWith('./')) return { kind: 'unix', path: t };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(t) ?? /^()()(\d{1,5})$/.exec(t);
  if (!m) return new Error(`invalid HTTP endpoint '${text}' (expected ADDRESS:PORT, [IPV6]:PORT, :PORT or a socket path)`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return new Error(`invalid HTTP endpoint '${text}': port out of range`);
  const host = m[1] ?? m[2];
  return host ? { kind: 'tcp', host, port } : { kind: 'tcp', port };
}

/** Formats a listen address for logs. */
export function listenText(a: ListenAddress): string {
  if (a.kind === 'unix') return a.path;
  if (!a.host) return `*:${a.port}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
