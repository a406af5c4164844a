/**
 * The TLS client context SSL_GET checkers share (keepalived 2.2.7 check_ssl.c build_ssl_ctx/init_ssl_ctx), built
 * once when the checker starts (and again at each reload) from the top-level `SSL` block:
 * - `certificate`: a PEM chain presented when a server asks for a client certificate (SSL_CTX_use_certificate_chain_file);
 * - `password`: the passphrase of an encrypted `key`; `key`: the private key, which must match the certificate;
 * - `ca`: loaded as keepalived loads it (it must hold certificates), and otherwise unused: keepalived never sets
 *   SSL_VERIFY_PEER, so a server's certificate is not verified, trusted or not, with or without `ca`.
 * Without an `SSL` block the context is keepalived's "autogen" one: no client certificate.
 * A file that cannot be loaded gives keepalived's log lines; keepalived's checker then exits (KEEPALIVED_EXIT_FATAL).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { SslConfig } from '../config/model-lvs.js';

/** The context, or keepalived's log lines saying why it could not be built. */
export type SslContextResult = { readonly ok: true; readonly context: tls.SecureContext } | { readonly ok: false; readonly lines: readonly string[] };

/** Reads a file (injectable for tests). */
export type ReadFile = (path: string) => Buffer;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** True when `pem` holds at least one certificate and every certificate in it parses. */
function holdsCertificates(pem: Buffer): boolean {
  const blocks = pem.toString('latin1').match(PEM_CERT) ?? [];
  if (!blocks.length) return false;
  try {
    for (const b of blocks) new X509Certificate(b);
    return true;
  } catch {
    return false;
  }
}

/** Runs `step`; false when it throws (a missing file, bad PEM, a wrong passphrase, a key that does not match). */
function loads(step: () => unknown): boolean {
  try {
    step();
    return true;
  } catch {
    return false;
  }
}

/** Puts the file at `path` in `opts[field]` and builds a context with it; false when either step fails. */
function adds(opts: tls.SecureContextOptions, field: 'cert' | 'key', path: string, readFile: ReadFile): boolean {
  return loads(() => {
    opts[field] = readFile(path);
    tls.createSecureContext(opts);
  });
}

/** init_ssl_ctx: the context for `ssl` (undefined: no `SSL` block). */
export function buildSslContext(ssl: SslConfig | undefined, readFile: ReadFile = readFileSync): SslContextResult {
  if (!ssl) return { ok: true, context: tls.createSecureContext({}) };
  const opts: tls.SecureContextOptions = {};
  const fail = (what: string): SslContextResult => ({
    ok: false,
    lines: [
      `SSL error : Cant load ${what} file...`,
      'Error Initialize SSL, ctx Instance',
      `  SSL  keyfile:${ssl.key ?? '(null)'}`,
      `  SSL password:${ssl.password ?? '(null)'}`,
      `  SSL   cafile:${ssl.ca ?? '(null)'}`,
      'Terminate...',
    ],
  });
  // keepalived's order: certificate, key (with the password callback), then the CA file
  if (ssl.certificate !== undefined && !adds(opts, 'cert', ssl.certificate, readFile)) return fail('certificate');
  if (ssl.password !== undefined) opts.passphrase = ssl.password;
  if (ssl.key !== undefined && !adds(opts, 'key', ssl.key, readFile)) return fail('key');
  if (ssl.ca !== undefined) {
    const path = ssl.ca;
    let ca: Buffer | undefined;
    if (!loads(() => (ca = readFile(path))) || !ca || !holdsCertificates(ca)) return fail('CA');
    opts.ca = ca;
  }
  return { ok: true, context: tls.createSecureContext(opts) };
}
