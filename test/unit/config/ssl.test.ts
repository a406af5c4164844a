/**
 * The top-level `SSL` block (keepalived 2.2.7 check_parser.c ssl_handler/handle_ssl_file) and the TLS client
 * context built from it (src/probe/tls-context.ts, check_ssl.c build_ssl_ctx), with certificates made by openssl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';
import { buildSslContext } from '../../../src/probe/tls-context.js';

function model(text: string) {
  const fs = { readFile: (p: string) => (p === 'ssl.conf' ? text : undefined), listDir: () => [] };
  const r = loadConfig('ssl.conf', { fs, configId: 'x' });
  return { config: r.config, msgs: r.diagnostics.map(formatDiagnostic) };
}

test('SSL block: the four files into the model, no "not supported" warning', () => {
  const r = model('SSL {\n password pw\n ca /etc/ca.pem\n certificate /etc/c.pem\n key /etc/k.pem\n}\n');
  assert.deepEqual(r.msgs, []);
  assert.deepEqual(r.config.ssl, { password: 'pw', ca: '/etc/ca.pem', certificate: '/etc/c.pem', key: '/etc/k.pem' });
  assert.deepEqual(r.config.unparsed, []);
  assert.equal(model('global_defs {\n router_id x\n}\n').config.ssl, undefined);
});

test("SSL block: keepalived's texts for a missing value, a repeated file and a second block (they fail -t)", () => {
  const fs = { readFile: () => 'SSL {\n password\n}\n', listDir: () => [] };
  assert.ok(loadConfig('t.conf', { fs, configId: 'x' }).diagnostics.some((d) => d.failsTest));
  const r = model('SSL {\n password\n ca a.pem\n ca b.pem\n}\nSSL {\n key k.pem\n}\n');
  assert.deepEqual(r.msgs, [
    'ssl.conf:2:2: warning: SSL password missing',
    'ssl.conf:4:2: warning: SSL cafile already specified - replacing',
    'ssl.conf:6:1: warning: SSL context already specified - replacing',
  ]);
  // the second block replaces the first entirely (keepalived frees it)
  assert.deepEqual(r.config.ssl, { key: 'k.pem' });
  assert.deepEqual(model('SSL {\n ca a.pem\n ca b.pem\n}\n').config.ssl, { ca: 'b.pem' });
});

test('TLS context: built from a certificate chain, an encrypted key and a CA; each bad file gives keepalived’s lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-sslu-'));
  try {
    const p = (n: string) => join(dir, n);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    run(['req', '-x509', ...ec, '-passout', 'pass:pw', '-keyout', p('k.pem'), '-out', p('c.pem'), '-subj', '/CN=u', '-days', '1']);
    run(['req', '-x509', ...ec, '-noenc', '-keyout', p('other.key'), '-out', p('other.pem'), '-subj', '/CN=o', '-days', '1']);
    writeFileSync(p('junk.pem'), 'not a certificate\n');
    const good = { certificate: p('c.pem'), key: p('k.pem'), password: 'pw', ca: p('other.pem') };
    assert.equal(buildSslContext(good).ok, true);
    assert.equal(buildSslContext(undefined).ok, true);
    assert.equal(buildSslContext({}).ok, true);
    const lines = (ssl: Parameters<typeof buildSslContext>[0]) => {
      const r = buildSslContext(ssl);
      return r.ok ? [] : r.lines;
    };
    const tail = (key: string, pw: string, ca: string) => [
      'Error Initialize SSL, ctx Instance',
      `  SSL  keyfile:${key}`,
      `  SSL password:${pw}`,
      `  SSL   cafile:${ca}`,
      'Terminate...',
    ];
    assert.deepEqual(lines({ ...good, certificate: p('nope.pem') }), [
      'SSL error : Cant load certificate file...',
      ...tail(p('k.pem'), 'pw', p('other.pem')),
    ]);
    assert.deepEqual(lines({ ...good, certificate: p('junk.pem') }), [
      'SSL error : Cant load certificate file...',
      ...tail(p('k.pem'), 'pw', p('other.pem')),
    ]);
    assert.deepEqual(lines({ ...good, password: 'wrong' }), ['SSL error : Cant load key file...', ...tail(p('k.pem'), 'wrong', p('other.pem'))]);
    // a key that does not belong to the certificate
    assert.deepEqual(lines({ ...good, key: p('other.key') }), ['SSL error : Cant load key file...', ...tail(p('other.key'), 'pw', p('other.pem'))]);
    assert.deepEqual(lines({ ca: p('junk.pem') }), ['SSL error : Cant load CA file...', ...tail('(null)', '(null)', p('junk.pem'))]);
    assert.deepEqual(lines({ ca: p('nope.pem') }), ['SSL error : Cant load CA file...', ...tail('(null)', '(null)', p('nope.pem'))]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
