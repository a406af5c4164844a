/**
 * HTTP_GET and SSL_GET (keepalived check_http.c, check_ssl.c): connect, (SSL_GET: TLS handshake in the shared
 * client context of the `SSL` block (tls-context.ts), with the virtual host as SNI when `enable_sni` is set; the
 * server's certificate is not verified, as keepalived never verifies it), send keepalived's GET for the url the core chose, read to EOF, then judge status code,
 * MD5 digest and regex (http-response.ts). connect_timeout bounds every step, as keepalived re-arms it for each.
 *
 * The request and response are handled on the raw stream rather than through node:http: keepalived sends an
 * HTTP/1.0 request (node:http only speaks 1.1, with its own headers), and its digest is over the bytes after the
 * header (what `genhash` prints), which node:http would have de-chunked; both decide what a server answers and
 * whether configured digests match.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { HttpCheck, HttpUrl } from '../config/model-lvs.js';
import { buildHttpRequest, httpFailure, parseHttpResponse } from './http-response.js';
import { ProbeRun } from './probe-run.js';
import { PROBE_OK, probeFailed, probeTimeout, type ProbeReport } from './report.js';
import { tcpConnect } from './tcp-connect.js';

/** Runs one HTTP_GET/SSL_GET probe of `url`; SSL_GET handshakes in `secureContext` (default: no client certificate). */
export async function runHttpProbe(check: HttpCheck, url: HttpUrl, signal?: AbortSignal, secureContext?: tls.SecureContext): Promise<ProbeReport> {
  const run = new ProbeRun(check.connection.connectTimeoutMs, signal);
  void tcpConnect(check.connection, run).then((c) => {
    if (run.done) return;
    if (!c.ok) {
      if (c.reason === 'timeout') run.finish(probeTimeout('Timeout connecting'));
      else if (c.reason === 'setup') run.finish({ kind: 'skipped', detail: 'WEB socket bind failed. Rescheduling' });
      else run.finish(probeFailed(c.reason === 'unreachable' ? 'HTTP_CHECK - network unreachable' : 'Connection failed'));
      return;
    }
    if (check.type === 'SSL_GET') handshake(check, url, c.socket, run, secureContext);
    else exchange(url, buildHttpRequest(check, url), c.socket, false, run);
  });
  return run.promise;
}

/** ssl_connect: the TLS handshake within connect_timeout. */
function handshake(check: HttpCheck, url: HttpUrl, socket: net.Socket, run: ProbeRun, secureContext: tls.SecureContext | undefined): void {
  const sni = check.enableSni ? (url.virtualhost ?? check.virtualhost) : undefined;
  run.step(probeTimeout('Timeout connecting'));
  const secure = tls.connect({
    socket,
    ...(secureContext ? { secureContext } : {}),
    rejectUnauthorized: false,
    ...(sni !== undefined && net.isIP(sni) === 0 ? { servername: sni } : {}),
  });
  run.onCleanup(() => secure.destroy());
  const onError = (): void => run.finish(probeFailed('SSL handshake/communication error connecting to'));
  secure.once('error', onError);
  secure.once('secureConnect', () => {
    secure.off('error', onError);
    exchange(url, buildHttpRequest(check, url), secure, true, run);
  });
}

/** http_request_thread + the read threads: send the GET, read to EOF, judge the response. */
function exchange(url: HttpUrl, request: string, stream: net.Socket, ssl: boolean, run: ProbeRun): void {
  const chunks: Buffer[] = [];
  const readTimeout = probeTimeout(ssl ? 'Timeout SSL read' : 'Timeout HTTP read');
  const judge = (): void => {
    const failure = httpFailure(url, parseHttpResponse(Buffer.concat(chunks)));
    run.finish(failure === undefined ? PROBE_OK : probeFailed(failure));
  };
  run.step(probeTimeout('Timeout WEB write'));
  stream.write(request, 'latin1', (err) => {
    if (err) run.finish(probeFailed('Cannot send get request to'));
    else run.step(readTimeout);
  });
  stream.on('data', (d: Buffer) => {
    chunks.push(d);
    run.step(readTimeout);
  });
  stream.once('end', judge);
  stream.once('error', () => {
    // keepalived: a plain read error fails the url; an SSL stream that breaks off is judged on what arrived
    if (!ssl) run.finish(probeFailed('Read error with'));
    else if (parseHttpResponse(Buffer.concat(chunks)).complete) judge();
    else run.finish(probeFailed('SSL read error from'));
  });
}
