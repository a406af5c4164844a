/**
 * The top-level `SSL` block through the daemon (root): keepalived-ts in host a checks two HTTPS real servers in
 * host b with SSL_GET. Certificates are made here with Debian's openssl: a client CA, a client certificate it
 * signed (its key encrypted with the block's `password`), and a self-signed server certificate nobody trusts.
 * - `mtls` (8443) requires a client certificate signed by the client CA;
 * - `untrusted` (8444) asks for nothing and presents the self-signed certificate.
 * Without an `SSL` block the checker has no client certificate: `mtls` fails the handshake, `untrusted` passes
 * (keepalived 2.2.7 never verifies the server). After a reload that adds `SSL { certificate, key, password, ca }`
 * `mtls` passes too — and `untrusted` still passes although `ca` does not vouch for it. A certificate file that
 * cannot be read stops the daemon at start with keepalived's lines (its checker exits KEEPALIVED_EXIT_FATAL).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Daemons, stop, waitFor } from '../harness/daemons.js';
import { Topology } from '../harness/topology.js';

const root = process.getuid?.() === 0;
const B = '192.0.2.11';
const PASSWORD = 's3cret-pass';

let topo: Topology | undefined;
let d: Daemons | undefined;
after(() => {
  topo?.destroy();
  d?.removeDir();
});

/** Makes the certificates in `dir` with openssl; returns their paths. */
function makeCerts(dir: string): Record<'caCert' | 'clientCert' | 'clientKey' | 'serverCert' | 'serverKey', string> {
  const p = (n: string) => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(['req', '-x509', ...ec, '-noenc', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-subj', '/CN=kts client CA', '-days', '1']);
  run(['req', ...ec, '-passout', `pass:${PASSWORD}`, '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/CN=kts checker']);
  run(['x509', '-req', '-in', p('client.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-set_serial', '7', '-out', p('client.pem'), '-days', '1']);
  run(['req', '-x509', ...ec, '-noenc', '-keyout', p('server.key'), '-out', p('server.pem'), '-subj', '/CN=untrusted server', '-days', '1']);
  return { caCert: p('ca.pem'), clientCert: p('client.pem'), clientKey: p('client.key'), serverCert: p('server.pem'), serverKey: p('server.key') };
}

/** Two HTTPS servers in host b; each line on stdout names a request served and the client certificate's CN. */
const SERVERS = `
const tls = require('tls'), fs = require('fs');
const [cert, key, ca] = process.argv.slice(1).map((f) => fs.readFileSync(f));
const serve = (port, opts) => tls.createServer({ cert, key, ...opts }, (s) => {
  s.once('data', () => {
    const cn = s.getPeerCertificate()?.subject?.CN ?? '-';
    console.log(port + ' ' + cn);
    s.end('HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok');
  });
  s.on('error', () => {});
}).on('tlsClientError', () => {}).listen(port, '${B}');
serve(8443, { requestCert: true, rejectUnauthorized: true, ca });
serve(8444, {});
setTimeout(() => console.log('ready'), 50);
`;

const rs = (port: number) => `  real_server ${B} ${port} {
    SSL_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }`;
const conf = (ssl: string) => `global_defs {
  router_id sslc
  lvs_backend nftables
}
${ssl}
virtual_server 192.0.2.100 443 {
  delay_loop 1
  alpha
  lb_algo rr
  lb_kind NAT
  protocol TCP
${rs(8443)}
${rs(8444)}
}
`;

test(
  'SSL block: client certificate (encrypted key) for SSL_GET; the server certificate is not verified; reload; bad file is fatal',
  { skip: !root && 'needs root', timeout: 120_000 },
  async () => {
    topo = Topology.create({ hosts: ['a', 'b'] });
    d = Daemons.inTempDir(topo, 'kts-sslc-');
    const c = makeCerts(d.dir);
    const servers: ChildProcess = topo.spawn('b', process.execPath, ['-e', SERVERS, c.serverCert, c.serverKey, c.caCert], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let served = '';
    servers.stdout!.on('data', (b: Buffer) => (served += b.toString()));
    await waitFor(() => served.includes('ready'), 10_000);

    const file = d.write('ka.conf', conf(''));
    const o = d.ours('a', file);
    const added = (port: number) => o.log().includes(`Adding service [${B}]:tcp:${port} to VS [192.0.2.100]:tcp:443`);
    // no SSL block: the untrusted server is checked and added, the one wanting a client certificate is not
    await waitFor(() => added(8444), 15_000);
    await waitFor(() => o.log().includes(`SSL handshake/communication error connecting to server [${B}]:tcp:8443`), 10_000);
    assert.ok(!added(8443), o.log());
    assert.match(served, /^8444 -$/m);
    assert.doesNotMatch(served, /^8443 /m);

    // SSL block with the client certificate, its encrypted key, and a CA that does not vouch for either server
    d.write('ka.conf', conf(`SSL {\n  password ${PASSWORD}\n  ca ${c.caCert}\n  certificate ${c.clientCert}\n  key ${c.clientKey}\n}`));
    const untrustedBefore = served.split('\n').filter((l) => l.startsWith('8444 ')).length;
    o.child.kill('SIGHUP');
    const t0 = Date.now();
    await waitFor(() => added(8443), 15_000);
    const ms = Date.now() - t0;
    // one check: delay_loop 1 s after the reload at most, plus slack for a loaded machine; not instantaneous
    assert.ok(ms < 8_000, `added ${ms} ms after the reload`);
    assert.match(served, /^8443 kts checker$/m, 'the mtls server saw our client certificate');
    // the untrusted server, which asks for no certificate, is still checked and stays in the table
    await waitFor(() => served.split('\n').filter((l) => l.startsWith('8444 ')).length > untrustedBefore + 1, 10_000);
    assert.ok(!/Removing service \[192\.0\.2\.11\]:tcp:8444/.test(o.log()), o.log());
    await stop(o.child);

    // a certificate file that cannot be read: keepalived's lines, and the daemon does not run
    const bad = d.write('bad.conf', conf(`SSL {\n  certificate ${join(d.dir, 'missing.pem')}\n  key ${c.clientKey}\n}`));
    const b = d.ours('a', bad);
    const [code] = (await Promise.race([once(b.child, 'exit'), new Promise((r) => setTimeout(() => r(['timeout']), 20_000))])) as [unknown];
    assert.notEqual(code, 'timeout', b.log());
    assert.notEqual(code, 0, b.log());
    for (const line of [
      'SSL error : Cant load certificate file...',
      'Error Initialize SSL, ctx Instance',
      `  SSL  keyfile:${c.clientKey}`,
      '  SSL password:(null)',
      '  SSL   cafile:(null)',
      'Terminate...',
    ])
      assert.ok(b.log().includes(line), `missing "${line}" in:\n${b.log()}`);
    assert.ok(!b.log().includes('Adding service'), b.log());
    servers.kill('SIGKILL');
  },
);
