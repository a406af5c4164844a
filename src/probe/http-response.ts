/**
 * The pure part of HTTP_GET/SSL_GET: the request keepalived sends and its reading of the response
 * (check_http.c `http_request_thread`, `http_process_response`, `http_handle_response`; lib/html.c). keepalived
 * reads the raw stream to EOF and looks at it itself, and so does this: the status code as lib/html.c finds it
 * (three digits between the first space and a second one, so `HTTP/1.1 200\r\n` has no code), the body after the
 * first CRLFCRLF, cut at Content-Length when there is one — the bytes `genhash` hashes, so configured digests match.
 *
 * The failure texts are keepalived's `timeout_epilog()` texts; the core logs them as "<text> server <rs>.".
 */
import { createHash } from 'node:crypto';
import type { HttpCheck, HttpUrl } from '../config/model-lvs.js';

/** keepalived's request template (GET, User-Agent: KeepAliveClient, `Connection: close` for 1.0C and 1.1). */
export function buildHttpRequest(check: HttpCheck, url: HttpUrl): string {
  const co = check.connection;
  const v6 = co.connectIp.includes(':');
  const host = url.virtualhost ?? (v6 ? `[${co.connectIp}]:${co.connectPort}` : `${co.connectIp}:${co.connectPort}`);
  const minor = check.httpProtocol === '1.1' ? 1 : 0;
  const close = check.httpProtocol === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${url.path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

/** The offset just past the header's CRLFCRLF (lib/html.c `extract_html`), or -1. */
export function headerEnd(buf: Buffer): number {
  const i = buf.indexOf('\r\n\r\n', 0, 'latin1');
  return i < 0 ? -1 : i + 4;
}

/** lib/html.c `extract_status_code`: `<version> SP <3 digits> SP`, else 0. */
export function extractStatusCode(head: string): number {
  const sp = head.search(/[ \r]/);
  if (sp < 0 || head[sp] !== ' ') return 0;
  const code = head.slice(sp + 1, sp + 4);
  if (head.length <= sp + 4 || head[sp + 4] !== ' ' || !/^[0-9]{3}$/.test(code)) return 0;
  return Number(code);
}

/** lib/html.c `extract_content_length`: the number after the first `Content-Length:` (case as written), or undefined. */
export function extractContentLength(head: string): number | undefined {
  const i = head.indexOf('Content-Length:');
  if (i < 0) return undefined;
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]*)(.?)/.exec(head.slice(i + 15));
  if (!m || (m[2] !== '' && m[2] !== '\r' && m[2] !== '\n')) return undefined;
  return Number(m[1] || 0);
}

/** A response as read to EOF. */
export interface HttpResponse {
  /** The header was complete (keepalived's `req->extracted`). */
  readonly complete: boolean;
  readonly statusCode: number;
  /** The body, cut at Content-Length when that is given and shorter. */
  readonly body: Buffer;
}

/** Splits the raw bytes of a response. */
export function parseHttpResponse(raw: Buffer): HttpResponse {
  const end = headerEnd(raw);
  if (end < 0) return { complete: false, statusCode: 0, body: Buffer.alloc(0) };
  const head = raw.subarray(0, end).toString('latin1');
  const len = extractContentLength(head);
  const body = raw.subarray(end);
  return { complete: true, statusCode: extractStatusCode(head), body: len !== undefined && len < body.length ? body.subarray(0, len) : body };
}

/** The MD5 of a body as lower-case hex, as `genhash` prints it. */
export function bodyDigest(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

/** PCRE2 options with a JavaScript flag; the rest (extended, ungreedy, firstline, …) are not applied. */
const REGEX_FLAGS: Readonly<Record<string, string>> = { caseless: 'i', multiline: 'm', dotall: 's', utf: 'u' };

/**
 * Whether the url's regex matches the body with the match starting within regex_min_offset … regex_max_offset
 * (keepalived check_regex; the pattern is run by JavaScript's RegExp, not PCRE2).
 */
export function regexMatches(url: HttpUrl, body: Buffer): boolean {
  if (url.regex === undefined) return false;
  let flags = 'g';
  for (const o of url.regexOptions) flags += REGEX_FLAGS[o] ?? '';
  let re: RegExp;
  try {
    re = new RegExp(url.regex, [...new Set(flags)].join(''));
  } catch {
    return false;
  }
  re.lastIndex = url.regexMinOffset;
  const m = re.exec(body.toString(flags.includes('u') ? 'utf8' : 'latin1'));
  if (!m) return false;
  return url.regexMaxOffset === 0 || m.index <= url.regexMaxOffset - 1;
}

/** http_handle_response: undefined when the url is good, else keepalived's failure text. */
export function httpFailure(url: HttpUrl, r: HttpResponse): string | undefined {
  if (!r.complete) return 'Read, no data received from ';
  const inRange = url.statusCodes.some(([lo, hi]) => r.statusCode >= lo && r.statusCode <= hi);
  if (r.statusCode < 100 || r.statusCode > 599 || !inRange) return 'HTTP status code error to';
  if (url.digest !== undefined && bodyDigest(r.body) !== url.digest.toLowerCase()) return 'MD5 digest error to';
  if (url.regex !== undefined && regexMatches(url, r.body) === url.regexNoMatch) return 'Regex match failed';
  return undefined;
}
