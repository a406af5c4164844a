/**
 * The probe drivers against real servers: host b runs the servers of test/fixtures/probe/servers.ts (plus nft
 * rules that drop or reject some traffic), host a runs the probes (test/fixtures/probe/run-probes.ts). Every
 * checker type is checked for success and for each way keepalived tells failures apart.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { LaunchedCheck } from '../../../src/check/actions.js';
import type { HttpUrl } from '../../../src/config/model-lvs.js';
import { bodyDigest } from '../../../src/probe/http-response.js';
import type { ProbeReport } from '../../../src/probe/report.js';
import { selfSignedCert, tempDir } from '../../fixtures/notify/helpers.js';
import { conn, dnsCheck, httpCheck, miscCheck, pingCheck, smtpCheck, tcpCheck, udpCheck, url } from '../../fixtures/probe/checks.js';
import { Topology } from '../harness/topology.js';

const SERVERS = fileURLToPath(new URL('../../fixtures/probe/servers.js', import.meta.url));
const RUNNER = fileURLToPath(new URL('../../fixtures/probe/run-probes.js', import.meta.url));
const root = process.getuid?.() === 0;

let topo: Topology;
let servers: ChildProcess;
let cleanup: () => void;
const B = '192.0.2.11';
const B6 = '2001:db8::b';
const REJECTED = '192.0.2.21';

before(async () => {
  if (!root) return;
  const tmp = tempDir('kts-probe-');
  cleanup = tmp.cleanup;
  const { cert, key } = selfSignedCert(tmp.dir);
  topo = Topology.create({ hosts: ['a', 'b'] });
  topo.exec('b', ['ip', 'addr', 'add', `${REJECTED}/24`, 'dev', 'eth0']);
  topo.exec('b', [
    'nft',
    'add table inet probe; add chain inet probe in { type filter hook input priority 0 ; } ; ' +
      'add rule inet probe in tcp dport 8099 drop ; add rule inet probe in udp dport 7008 drop ; ' +
      `add rule inet probe in ip daddr ${REJECTED} icmp type echo-request reject with icmp type admin-prohibited`,
  ]);
  servers = topo.spawn('b', process.execPath, [SERVERS, B, B6, cert, key], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(servers.stdout!, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'ready');
});

after(() => {
  topo?.destroy();
  cleanup?.();
});

/** Runs the probes inside host a and returns their reports in order. */
async function probe(specs: { check: LaunchedCheck; url?: HttpUrl }[]): Promise<ProbeReport[]> {
  const child = topo.spawn('a', process.execPath, [RUNNER, JSON.stringify(specs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await once(child, 'exit');
  return JSON.parse(out) as ProbeReport[];
}

const OK: ProbeReport = { kind: 'result', outcome: { ok: true } };
const failed = (detail?: string, extra = {}): ProbeReport => ({ kind: 'result', outcome: { ok: false, ...(detail ? { detail } : {}), ...extra } });
const timeout = (detail?: string): ProbeReport => (detail ? { kind: 'timeout', detail } : { kind: 'timeout' });

test('TCP_CHECK: connect, refused, timeout; bindto/bind_port, bind_if and fwmark', { skip: !root && 'needs root' }, async () => {
  const peer = url('/peer', { regex: 'peer=192\\.0\\.2\\.10:40123$' });
  assert.deepEqual(
    await probe([
      { check: tcpCheck(conn(B, 8080)) },
      { check: tcpCheck(conn(B, 9)) },
      { check: tcpCheck(conn(B, 8099)) },
      { check: tcpCheck(conn(B, 8080, { bindIf: 'eth0', fwmark: 7 })) },
      { check: tcpCheck(conn(B, 8080, { bindto: '192.0.2.99' })) },
      { check: httpCheck(conn(B, 8080, { bindto: '192.0.2.10', bindPort: 40123 }), peer), url: peer },
      { check: httpCheck(conn(B, 8080, { bindto: '192.0.2.10', bindPort: 40124, fwmark: 7 }), peer), url: url('/ok') },
    ]),
    [OK, failed(), timeout(), OK, { kind: 'skipped', detail: 'TCP socket bind failed. Rescheduling.' }, OK, OK],
  );
});

test('HTTP_GET: status, digest, regex, read timeout, refused, IPv6', { skip: !root && 'needs root' }, async () => {
  const digest = bodyDigest(Buffer.from('alive and well'));
  const cases: [HttpUrl, ProbeReport, string?][] = [
    [url('/ok'), OK],
    [url('/missing'), failed('HTTP status code error to')],
    [url('/missing', { statusCodes: [[404, 404]] }), OK],
    [url('/ok', { digest }), OK],
    [url('/ok', { digest: '0123456789abcdef0123456789abcdef' }), failed('MD5 digest error to')],
    [url('/ok', { regex: 'and w' }), OK],
    [url('/ok', { regex: 'dead' }), failed('Regex match failed')],
    [url('/stall'), timeout('Timeout HTTP read')],
    [url('/ok'), OK, B6],
  ];
  const reports = await probe([
    ...cases.map(([u, , ip]) => ({ check: httpCheck(conn(ip ?? B, 8080), u), url: u })),
    { check: httpCheck(conn(B, 9), url('/ok')) },
    { check: httpCheck(conn(B, 8099), url('/ok')) },
  ]);
  assert.deepEqual(reports, [...cases.map(([, r]) => r), failed('Connection failed'), timeout('Timeout connecting')]);
});

test('SSL_GET: TLS with and without SNI, handshake failure', { skip: !root && 'needs root' }, async () => {
  const sni = url('/sni', { virtualhost: 'www.example.org', regex: '^sni=www\\.example\\.org$' });
  const none = url('/sni', { virtualhost: 'www.example.org', regex: '^sni=none$' });
  const ssl = { type: 'SSL_GET' as const };
  assert.deepEqual(
    await probe([
      { check: httpCheck(conn(B, 8443), sni, { ...ssl, enableSni: true }), url: sni },
      { check: httpCheck(conn(B, 8443), none, ssl), url: none },
      { check: httpCheck(conn(B, 8443), url('/missing'), ssl) },
      { check: httpCheck(conn(B, 8080), url('/ok'), ssl) },
    ]),
    [OK, OK, failed('HTTP status code error to'), failed('SSL handshake/communication error connecting to')],
  );
});

test('SMTP_CHECK: HELO dialogue, bad banner, no banner, refused', { skip: !root && 'needs root' }, async () => {
  assert.deepEqual(
    await probe([
      { check: smtpCheck(conn(B, 2525)) },
      { check: smtpCheck(conn(B, 2526)) },
      { check: smtpCheck(conn(B, 2527)) },
      { check: smtpCheck(conn(B, 9)) },
      { check: smtpCheck(conn(B, 8099)) },
    ]),
    [
      OK,
      failed(`Bad greeting banner from server [${B}]:2526`),
      timeout(`Read timeout from server [${B}]:2527`),
      failed(`Could not connect to server [${B}]:9`),
      timeout(`Connection timeout to server [${B}]:8099`),
    ],
  );
});

test('PING_CHECK: echo reply (IPv4, IPv6), ICMP unreachable, no answer', { skip: !root && 'needs root' }, async () => {
  assert.deepEqual(
    await probe([
      { check: pingCheck(conn(B, 0)) },
      { check: pingCheck(conn(B6, 0)) },
      { check: pingCheck(conn(REJECTED, 0)) },
      { check: pingCheck(conn('192.0.2.99', 0)) },
    ]),
    [OK, OK, failed(), timeout()],
  );
});

test('MISC_CHECK: exit status, signal, misc_timeout', { skip: !root && 'needs root' }, async () => {
  const reports = await probe([
    { check: miscCheck('/bin/true', 1000) },
    { check: miscCheck('/bin/sh -c "exit 3"', 1000) },
    { check: miscCheck('/bin/sh -c "kill -9 $$"', 1000) },
    { check: miscCheck('/bin/sleep 5', 300) },
  ]);
  assert.deepEqual(reports, [
    { kind: 'result', outcome: { ok: true, exitStatus: 0 } },
    failed(undefined, { exitStatus: 3 }),
    failed(undefined, { signal: 9 }),
    timeout(),
  ]);
});

test('DNS_CHECK: NOERROR, RCODE, no reply, port unreachable', { skip: !root && 'needs root' }, async () => {
  assert.deepEqual(
    await probe([
      { check: dnsCheck(conn(B, 5353), { queryType: 'A', name: 'example.org' }) },
      { check: dnsCheck(conn(B, 5353), { name: 'nowhere.example' }) },
      { check: dnsCheck(conn(B, 5353), { name: 'silent.example' }) },
      { check: dnsCheck(conn(B, 5354)) },
    ]),
    [
      OK,
      failed('read error occurred. (rcode = 3)'),
      timeout('read timeout from socket'),
      failed('failed to read socket; errno 111 (Connection refused)'),
    ],
  );
});

test('UDP_CHECK: echo, reply mismatch, port unreachable, silence with and without require_reply', { skip: !root && 'needs root' }, async () => {
  const reply = { data: [0x68, 0x69], mask: [0, 0] };
  assert.deepEqual(
    await probe([
      { check: udpCheck(conn(B, 7007), { payload: [0x68, 0x69], requireReply: true, reply }) },
      { check: udpCheck(conn(B, 7007), { payload: [0x68, 0x6a], requireReply: true, reply }) },
      { check: udpCheck(conn(B, 7009)) },
      { check: udpCheck(conn(B, 7008)) },
      { check: udpCheck(conn(B, 7008), { requireReply: true }) },
    ]),
    [OK, failed(undefined, { mismatch: true }), failed(), OK, failed()],
  );
});
