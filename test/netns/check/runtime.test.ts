/**
 * The checker runtime against real servers in namespaces: host b runs the probe fixtures' servers (HTTP, HTTPS with
 * a certificate made here, SMTP, DNS, UDP echo; ICMP from the kernel), host a runs the runtime
 * (test/fixtures/check/run-runtime.ts) with one real server per checker type plus MISC_CHECK and FILE_CHECK driven
 * by files. The servers fail by blackhole (nft drop on b), then by stop (the server process killed), and come
 * back; the in-memory IPVS table must follow within keepalived's bounds, with keepalived's log texts.
 */
import { spawnRunner, type RunnerEvent } from '../../fixtures/check/runner-events.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { bodyDigest } from '../../../src/probe/http-response.js';
import { selfSignedCert, tempDir } from '../../fixtures/notify/helpers.js';
import { Topology } from '../harness/topology.js';

const SERVERS = fileURLToPath(new URL('../../fixtures/probe/servers.js', import.meta.url));
const root = process.getuid?.() === 0;
const B = '192.0.2.11';
const VS = '[192.0.2.100]:tcp:80';
/** delay_loop, connect_timeout, retry, delay_before_retry (s) of every checker; the slack for a loaded machine. */
const LOOP = 2,
  CT = 1,
  RETRY = 1,
  DBR = 1,
  SLACK = 0.75;

type Ev = RunnerEvent;

let topo: Topology;
let servers: ChildProcess | undefined;
let runner: ChildProcess;
let dir: string;
let cleanup: () => void;
let cert: string, key: string;
const events: Ev[] = [];

const timing = `connect_timeout ${CT}\n retry ${RETRY}\n delay_before_retry ${DBR}\n warmup 0`;
const rs = (port: number, checker: string): string => `real_server ${B} ${port} {\n ${checker}\n }`;

function config(): string {
  const digest = bodyDigest(Buffer.from('alive and well'));
  return `track_file f1 {\n file ${join(dir, 'f1')}\n weight 0\n}
virtual_server 192.0.2.100 80 {
 delay_loop ${LOOP}
 lb_algo rr
 lb_kind NAT
 protocol TCP
 ${rs(8080, `TCP_CHECK {\n ${timing}\n }`)}
 ${rs(8081, `HTTP_GET {\n url {\n path /ok\n digest ${digest}\n }\n connect_port 8080\n ${timing}\n }`)}
 ${rs(8443, `SSL_GET {\n url {\n path /sni\n }\n ${timing}\n }`)}
 ${rs(2525, `SMTP_CHECK {\n ${timing}\n }`)}
 ${rs(5353, `DNS_CHECK {\n type A\n name example.org\n ${timing}\n }`)}
 ${rs(7007, `UDP_CHECK {\n payload 6869\n require_reply 6869\n ${timing}\n }`)}
 ${rs(1, `PING_CHECK {\n ${timing}\n }`)}
 ${rs(2, `MISC_CHECK {\n misc_path "/usr/bin/test -e ${join(dir, 'misc-ok')}"\n misc_timeout 1\n retry ${RETRY}\n delay_before_retry ${DBR}\n warmup 0\n }`)}
 ${rs(3, 'FILE_CHECK {\n track_file f1\n }')}
}`;
}

async function startServers(): Promise<void> {
  servers = topo.spawn('b', process.execPath, [SERVERS, B, '2001:db8::b', cert, key], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(servers.stdout!, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'ready');
}

before(async () => {
  if (!root) return;
  ({ dir, cleanup } = tempDir('kts-checkrt-'));
  ({ cert, key } = selfSignedCert(dir));
  writeFileSync(join(dir, 'misc-ok'), '');
  writeFileSync(join(dir, 'f1'), '0\n');
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, config());
  topo = Topology.create({ hosts: ['a', 'b'] });
  await startServers();
  runner = spawnRunner(topo, 'a', conf, events);
});

after(() => {
  topo?.destroy();
  cleanup?.();
});

const NAMES = { tcp: 8080, http: 8081, ssl: 8443, smtp: 2525, dns: 5353, udp: 7007, ping: 1, misc: 2, file: 3 } as const;
const name = (port: number): string => `[${B}]:tcp:${port}`;
const logs = (): string[] => events.filter((e) => e.log !== undefined).map((e) => e.log!);
/** When `rs` last went up/down after `since` (epoch ms), or undefined. */
const change = (port: number, up: boolean, since: number): number | undefined =>
  events.find((e) => e.rs === name(port) && e.up === up && e.t >= since)?.t;

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; log:\n${logs().join('\n')}`);
    await sleep(50);
  }
}

test("every checker type follows blackhole and stop, the table within keepalived's bounds", { skip: !root && 'needs root' }, async () => {
  await waitFor('start', () => events.some((e) => e.started), 10_000);
  const start = events.find((e) => e.started)!;
  assert.equal(Object.keys(start.table![VS] ?? {}).length, 9, 'every server is in the table at start');
  // one full round of successes: the first checks run 1 s after start
  await waitFor(
    'first round',
    () => logs().includes(`TCP connection to ${name(8080)} success.`) && logs().includes(`Remote Web server ${name(8443)} succeed on service.`),
    8000,
  );
  await sleep(LOOP * 1000);
  assert.deepEqual(
    events.filter((e) => e.rs !== undefined && !e.up),
    [],
    'nothing went down while all were well',
  );

  // blackhole: every packet from a to b dropped; each network checker needs retry+1 timed-out attempts
  const t1 = Date.now();
  topo.exec('b', [
    'nft',
    'add table inet bh; add chain inet bh in { type filter hook input priority 0 ; } ; add rule inet bh in ip saddr 192.0.2.10 drop',
  ]);
  const net = [NAMES.tcp, NAMES.http, NAMES.ssl, NAMES.smtp, NAMES.dns, NAMES.udp, NAMES.ping];
  const lo = (RETRY + 1) * CT + RETRY * DBR - 0.25;
  const hi = LOOP + (RETRY + 1) * CT + RETRY * DBR + SLACK;
  await waitFor('blackhole removals', () => net.every((p) => change(p, false, t1) !== undefined), (hi + 2) * 1000);
  for (const p of net) {
    const dt = (change(p, false, t1)! - t1) / 1000;
    assert.ok(dt >= lo && dt <= hi, `${name(p)} removed ${dt.toFixed(2)} s after the blackhole (bounds ${lo}…${hi})`);
  }
  const l = logs();
  for (const line of [
    `TCP_CHECK on service ${name(8080)} failed after ${RETRY} retries.`,
    `HTTP_CHECK on service ${name(8081)} failed after ${RETRY} retries.`,
    `HTTP_CHECK on service ${name(8443)} failed after ${RETRY} retries.`,
    `SMTP_CHECK Connection timeout to server [${B}]:2525`,
    `DNS_CHECK (${name(5353)}) read timeout from socket after ${RETRY} retries`,
    `UDP_CHECK on service ${name(7007)} failed after ${RETRY} retries.`,
    `ICMP CHECK on service ${name(1)} of ${VS} failed after ${RETRY} retries.`,
    ...net.map((p) => `Removing service ${name(p)} from VS ${VS}`),
  ])
    assert.ok(l.includes(line), `missing log line: ${line}`);
  assert.equal(change(NAMES.misc, false, t1), undefined, 'MISC_CHECK is local and stays up');

  // the blackhole lifted: back within a delay_loop (+ one retry delay and a connect)
  const t2 = Date.now();
  topo.exec('b', ['nft', 'delete table inet bh']);
  const back = LOOP + DBR + CT + SLACK;
  await waitFor('re-adds', () => net.every((p) => change(p, true, t2) !== undefined), (back + 2) * 1000);
  for (const p of net) {
    const dt = (change(p, true, t2)! - t2) / 1000;
    assert.ok(dt >= 0 && dt <= back, `${name(p)} re-added ${dt.toFixed(2)} s after the blackhole went (bound ${back})`);
    assert.ok(logs().includes(`Adding service ${name(p)} to VS ${VS}`));
  }

  // stop: the servers die (refused / port unreachable at once), the MISC script fails, the track file faults
  await sleep(LOOP * 1000);
  const t3 = Date.now();
  servers!.kill('SIGKILL');
  await once(servers!, 'exit');
  rmSync(join(dir, 'misc-ok'));
  writeFileSync(join(dir, 'f1'), '1\n');
  const stopped = [NAMES.tcp, NAMES.http, NAMES.ssl, NAMES.smtp, NAMES.dns, NAMES.udp];
  const hiStop = LOOP + RETRY * DBR + SLACK;
  await waitFor('stop removals', () => [...stopped, NAMES.misc, NAMES.file].every((p) => change(p, false, t3) !== undefined), (hiStop + 3) * 1000);
  for (const p of stopped) {
    const dt = (change(p, false, t3)! - t3) / 1000;
    assert.ok(dt >= RETRY * DBR - 0.25 && dt <= hiStop, `${name(p)} removed ${dt.toFixed(2)} s after the stop (bounds ${RETRY * DBR}…${hiStop})`);
  }
  const fileDt = (change(NAMES.file, false, t3)! - t3) / 1000;
  assert.ok(fileDt >= 0 && fileDt <= 1, `FILE_CHECK followed the file in ${fileDt.toFixed(2)} s`);
  assert.equal(change(NAMES.ping, false, t3), undefined, 'the host still answers pings');
  const l3 = logs();
  assert.ok(l3.includes(`(${name(3)}): tracked file f1 now FAULT state`) || l3.some((x) => x.includes('tracked file f1 now FAULT state')));
  assert.ok(
    l3.some((x) => x.startsWith(`Misc check for [${name(2)} VS ${VS}] by [/usr/bin/test] failed after ${RETRY} retry (exited with status 1)`)),
    l3.filter((x) => x.startsWith('Misc')).join('\n'),
  );

  // everything back
  const t4 = Date.now();
  await startServers();
  writeFileSync(join(dir, 'misc-ok'), '');
  writeFileSync(join(dir, 'f1'), '0\n');
  await waitFor('all back', () => [...stopped, NAMES.misc, NAMES.file].every((p) => change(p, true, t4) !== undefined), (back + 3) * 1000);

  runner.kill('SIGTERM');
  await once(runner, 'exit');
  const end = events.find((e) => e.table && !e.started);
  assert.deepEqual(end?.table, {}, 'stop removes every destination and the service');
});

/** Runs `keepalived-ts genhash ARGS` inside host a. */
async function genhash(args: readonly string[]): Promise<{ out: string; err: string; code: number | null }> {
  const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
  const child = topo.spawn('a', process.execPath, [main, 'genhash', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { out, err, code };
}

test(
  "genhash prints the MD5 of the body HTTP_GET compares (HTTP and HTTPS), and keepalived's failure text",
  { skip: !root && 'needs root' },
  async () => {
    const want = bodyDigest(Buffer.from('alive and well'));
    assert.deepEqual(await genhash(['-s', B, '-p', '8080', '-u', '/ok']), { out: `${want}\n`, err: '', code: 0 });
    const sni = await genhash(['-S', '-I', '-V', 'www.example.org', '-s', B, '-p', '8443', '-u', '/sni']);
    assert.equal(sni.out, `${bodyDigest(Buffer.from('sni=www.example.org'))}\n`);
    const verbose = await genhash(['--verbose', '--server', B, '--port=8080', '--url', '/ok']);
    assert.match(verbose.out, /HTML hash final resulting/);
    assert.match(verbose.out, new RegExp(`\\n${want}\\n\\nGlobal response time for \\[/ok\\] = \\d+ usecs\\n$`));
    assert.deepEqual(await genhash(['-s', B, '-p', '9', '-u', '/ok']), { out: 'Connection failed\n', err: '', code: 0 });
    const t0 = Date.now();
    assert.deepEqual(await genhash(['-s', B, '-p', '8080', '-u', '/stall', '-t', '1']), { out: 'Timeout HTTP read\n', err: '', code: 0 });
    const dt = Date.now() - t0;
    assert.ok(dt >= 1000 && dt < 4000, `a 1 s read timeout took ${dt} ms`);
    const bad = await genhash(['-s', B, '-u', '/ok']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^Usage: .* genhash COMMAND \[OPTIONS\]/m);
  },
);
