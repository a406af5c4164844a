/**
 * The top-level `SSL { password, ca, certificate, key }` block (keepalived 2.2.7 check_parser.c ssl_handler and
 * handle_ssl_file): the client side of every SSL_GET checker. A second block replaces the first; a file given twice
 * keeps the later one; a keyword without its value is reported and ignored — each with keepalived's text.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { SslConfig } from './model-lvs.js';
import type { ConfNode } from './tree.js';

/** The block's keywords, our model's field for each and keepalived's word for it in its messages. */
const FIELDS: Readonly<Record<string, readonly [keyof SslConfig, string]>> = {
  password: ['password', 'password'],
  ca: ['ca', 'cafile'],
  certificate: ['certificate', 'certfile'],
  key: ['key', 'keyfile'],
};

/** Reads one `SSL` block; `previous` is the block read before it, if any ("SSL context already specified - replacing"). */
export function parseSsl(n: ConfNode, previous: SslConfig | undefined, diags: DiagnosticSink): SslConfig {
  if (previous) diags.keptError(n.keyword.pos, 'SSL context already specified - replacing');
  const ssl: { -readonly [K in keyof SslConfig]: SslConfig[K] } = {};
  for (const c of n.children ?? []) {
    const f = FIELDS[c.keyword.text];
    if (!f) {
      diags.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
      continue;
    }
    const [field, word] = f;
    const value = c.args[0]?.text;
    if (value === undefined) {
      diags.keptError(c.keyword.pos, `SSL ${word} missing`);
      continue;
    }
    if (ssl[field] !== undefined) diags.keptError(c.keyword.pos, `SSL ${word} already specified - replacing`);
    ssl[field] = value;
  }
  return ssl;
}
