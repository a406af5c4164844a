/**
 * Hardened edges of one running daemon (root, network namespace):
 * - the control socket refuses a non-root peer (uid 65534 through setpriv) for every command, by SO_PEERCRED, even
 *   with the socket file opened to everyone, and logs who it refused; root is served;
 * - a 64 MiB line without a newline, many connections at once, oversized HTTP headers, large request bodies and
 *   many idle HTTP connections leave the daemon running, answering afterwards, with RSS bounded (far below what
 *   storing the input would take);
 * - scripts — notify_master, a vrrp_script, a MISC_CHECK — run SCHED_OTHER priority 0 although the VRRP child is
 *   SCHED_RR, and a program a script executes holds descriptors 0, 1 and 2 and nothing else, while the daemon holds
 *   sockets; every descriptor above 2 of the supervisor, the VRRP child and the checker child is close-on-exec;
 * - a configuration file (an include) in a world-writable directory is reported with that path component named.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';

const topo = Topology.create({ hosts: ['a'] });
const d = Daemons.inTempDir(topo, 'kts-harden-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const PROBE = join(d.dir, 'probe.sh');
const HTTP = join(d.dir, 'http.sock');

/** VmRSS of a process in KiB. */
const rssKiB = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

function config(): string {
  // the probe records its own descriptors and scheduling, then exits 0 (a healthy script)
  writeFileSync(
    PROBE,
    `#!/bin/sh\n(exec ls -l /proc/self/fd) > ${d.dir}/fd-$1.tmp\nchrt -p $$ > ${d.dir}/sched-$1.tmp\n` +
      `mv ${d.dir}/fd-$1.tmp ${d.dir}/fd-$1\nmv ${d.dir}/sched-$1.tmp ${d.dir}/sched-$1\nexit 0\n`,
    { mode: 0o755 },
  );
  const inc = join(d.dir, 'inc');
  mkdirSync(inc, { recursive: true });
  chmodSync(inc, 0o777); // anyone may replace what is in here
  writeFileSync(join(inc, 'extra.conf'), '! nothing but a comment\n', { mode: 0o644 });
  return d.write(
    'harden.conf',
    `global_defs {\n  router_id harden\n  script_user root\n  lvs_backend nftables\n}\n` +
      `vrrp_script chk {\n  script "${PROBE} track"\n  interval 1\n}\n` +
      `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 71\n  priority 150\n  advert_int 1\n  version 3\n` +
      `  virtual_ipaddress {\n    192.0.2.171/32\n  }\n  track_script {\n    chk\n  }\n  notify_master "${PROBE} notify"\n}\n` +
      `virtual_server 192.0.2.172 80 {\n  delay_loop 1\n  lb_kind NAT\n  protocol TCP\n  real_server 192.0.2.11 80 {\n` +
      `    MISC_CHECK {\n      misc_path "${PROBE} misc"\n      misc_timeout 2\n    }\n  }\n}\ninclude ${inc}/extra.conf\n`,
  );
}

/** Runs `node -e code` as uid/gid 65534 (setpriv); returns its stdout. */
function asNobody(code: string): string {
  return execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', code], {
    encoding: 'utf8',
    timeout: 10_000,
  });
}

/** One raw exchange on a UNIX socket: writes `chunks` (then ends), resolves to what came back until the close. */
function exchange(path: string, chunks: () => Iterable<Buffer | string>, end = true, hold?: Socket[]): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = connect(path, () => {
      for (const c of chunks()) if (!s.write(c)) break;
      if (end) s.end();
    });
    hold?.push(s);
    s.on('data', (b: Buffer) => {
      out += b.toString();
    });
    s.on('error', () => resolve(out));
    s.on('close', () => resolve(out));
  });
}

test('control socket, HTTP endpoint, scripts and configuration files are hardened', { timeout: 120_000 }, async (t) => {
  const o = d.ours('a', config(), [`--http=${HTTP}`]);
  try {
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.171') && existsSync(HTTP), 20_000)) >= 0, o.log());
    const parent = o.child.pid!;
    const vrrp = pidIn(o.vrrpPidFile)!;

    // -- configuration files: the include in a world-writable directory is named
    assert.match(o.log(), new RegExp(`Unsafe permissions found for configuration file '${d.dir}/inc/extra\\.conf'`));
    assert.match(o.log(), new RegExp(`path component '${d.dir}/inc' is world-writable`));
    assert.doesNotMatch(o.log(), /Unsafe permissions found for configuration file '[^']*harden\.conf'/, 'the main file is safe');

    // -- the control socket: root is served; uid 65534 is refused for every command although it can connect
    assert.equal((await controlRequest(o.controlSocket, 'status')).ok, true);
    chmodSync(d.dir, 0o755);
    chmodSync(o.controlSocket, 0o666);
    const ask = (cmd: string) =>
      asNobody(
        `const s=require('net').connect(${JSON.stringify(o.controlSocket)},()=>s.write(${JSON.stringify(`${cmd}\n`)}));let b='';` +
          `s.on('data',d=>b+=d);s.on('close',()=>process.stdout.write(b));s.on('error',e=>process.stdout.write('ERR '+e.code))`,
      );
    for (const cmd of ['status', 'stats-clear', 'reload', 'priority VI_1 -100']) {
      const reply = JSON.parse(ask(cmd)) as { ok: boolean; code?: string };
      assert.deepEqual([reply.ok, reply.code], [false, 'KTS_PERMISSION_DENIED'], `${cmd}: ${JSON.stringify(reply)}`);
    }
    const refusedLine = /Control: refused a connection from uid 65534 pid \d+ - the control socket is root only/;
    assert.ok((await waitFor(() => refusedLine.test(o.log()), 3000)) >= 0, o.log());
    assert.doesNotMatch(o.log(), /Reloading/, 'the refused reload did not happen');
    chmodSync(o.controlSocket, 0o600);
    chmodSync(d.dir, 0o700);

    // -- bounded memory: measure, abuse, measure
    await new Promise((r) => setTimeout(r, 1000));
    const rss0 = { parent: rssKiB(parent), vrrp: rssKiB(vrrp) };
    const MiB = Buffer.alloc(1 << 20, 0x41);
    // one 64 MiB line without a newline: cut at 256 bytes and answered, the rest never kept
    const long = await exchange(o.controlSocket, function* () {
      for (let i = 0; i < 64; i++) yield MiB;
    });
    // (the answer may be lost to our own EPIPE while we still write after the server's close)
    assert.ok(long === '' || /unknown command 'A{10}/.test(long), long.slice(0, 200));
    // 300 connections at once that send nothing: served up to the cap, the rest closed; none lasts beyond 5 s
    const idle = await Promise.all(Array.from({ length: 300 }, () => exchange(o.controlSocket, () => [], false)));
    assert.equal(idle.length, 300);
    // HTTP: 64 KiB headers (refused), 8 MiB bodies (405, read and dropped), 200 idle connections
    const big = await exchange(HTTP, () => [`GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(64 << 10)}\r\n\r\n`]);
    assert.ok(big === '' || /^HTTP\/1\.1 431/.test(big), big.slice(0, 100));
    const posts = await Promise.all(
      Array.from({ length: 8 }, () =>
        exchange(HTTP, function* () {
          yield `POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: ${8 << 20}\r\nConnection: close\r\n\r\n`;
          for (let i = 0; i < 8; i++) yield MiB;
        }),
      ),
    );
    for (const p of posts) assert.ok(p === '' || /^HTTP\/1\.1 405/.test(p), p.slice(0, 100));
    const held: Socket[] = [];
    const httpIdle = Array.from({ length: 200 }, () => exchange(HTTP, () => [], false, held));
    await new Promise((r) => setTimeout(r, 500));
    const rss1 = { parent: rssKiB(parent), vrrp: rssKiB(vrrp) };
    t.diagnostic(
      `RSS before/after (KiB): parent ${rss0.parent} → ${rss1.parent}, VRRP child ${rss0.vrrp} → ${rss1.vrrp}; sent 64 MiB + 64 MiB + 300 + 200 connections`,
    );
    // storing the 64 MiB line alone would add ≥ 64 MiB (a JS string of it: 128 MiB); the bound is a quarter of that
    assert.ok(rss1.parent - rss0.parent < 16 << 10, `parent grew ${rss1.parent - rss0.parent} KiB`);
    assert.ok(rss1.vrrp - rss0.vrrp < 16 << 10, `VRRP child grew ${rss1.vrrp - rss0.vrrp} KiB`);
    // the connection cap holds: with the idle clients connected a new request is turned away (not queued in memory)
    const turnedAway = await exchange(HTTP, () => ['GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    assert.equal(turnedAway, '', 'over maxConnections: closed at accept');
    for (const h of held) h.destroy();
    await Promise.all(httpIdle);
    // still running and answering
    assert.equal(o.child.exitCode, null);
    assert.equal(pidIn(o.vrrpPidFile), vrrp, 'VRRP child not respawned');
    assert.equal((await controlRequest(o.controlSocket, 'status')).ok, true);
    const status = await exchange(HTTP, () => ['GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    assert.match(status, /^HTTP\/1\.1 200 /, status.slice(0, 100));

    // -- scripts: no real-time policy, no descriptor of the daemon
    const vrrpSched = execFileSync('chrt', ['-p', String(vrrp)], { encoding: 'utf8' });
    assert.match(vrrpSched, /policy: SCHED_RR/, 'the VRRP child is real-time (so the scripts could inherit it)');
    const daemonFds = readdirSync(`/proc/${vrrp}/fd`).map((f) => readlinkSync(`/proc/${vrrp}/fd/${f}`));
    assert.ok(daemonFds.filter((l) => l.startsWith('socket:')).length >= 3, `the daemon holds sockets: ${daemonFds.join(' ')}`);
    // whatever any daemon process runs (scripts, nft, its children) gets only the stdio it is spawned with
    const check = pidIn(o.vrrpPidFile.replace(/-vrrp\.pid$/, '-chk.pid'))!;
    for (const [who, pid] of [
      ['supervisor', parent],
      ['VRRP child', vrrp],
      ['checker child', check],
    ] as const) {
      const inheritable = readdirSync(`/proc/${pid}/fd`)
        .filter((f) => Number(f) > 2)
        .filter((f) => {
          const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${f}`, 'utf8'))?.[1];
          return flags === undefined || (parseInt(flags, 8) & 0o2000000) === 0; // O_CLOEXEC
        })
        .map((f) => `${f} -> ${readlinkSync(`/proc/${pid}/fd/${f}`)}`);
      assert.deepEqual(inheritable, [], `${who} (pid ${pid}): descriptors without close-on-exec`);
    }
    for (const tag of ['notify', 'track', 'misc']) {
      assert.ok((await waitFor(() => existsSync(join(d.dir, `sched-${tag}`)), 10_000)) >= 0, `${tag} script ran\n${o.log().slice(-1500)}`);
      const sched = readFileSync(join(d.dir, `sched-${tag}`), 'utf8');
      assert.match(sched, /current scheduling policy: SCHED_OTHER\n/, `${tag}: ${sched}`);
      assert.match(sched, /current scheduling priority: 0\n/, `${tag}: ${sched}`);
      const fds = readFileSync(join(d.dir, `fd-${tag}`), 'utf8')
        .split('\n')
        .map((l) => /\s(\d+) -> (.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [Number(m[1]), m[2]!] as const);
      // stdio is /dev/null (fd 1 may be the listing's own output file, as the shell redirects it)
      const stdio = fds.filter(([n]) => n <= 2).map(([n, target]) => [n, target.replace(`${d.dir}/fd-${tag}.tmp`, '/dev/null')]);
      assert.deepEqual(stdio, [
        [0, '/dev/null'],
        [1, '/dev/null'],
        [2, '/dev/null'],
      ]);
      // beyond stdio only ls's own handle on the directory it lists: no socket (raw VRRP, netlink, control, HTTP),
      // no pipe (the IPC channel to the supervisor) nor anything else of the daemon reaches a program a script runs
      const others = fds.filter(([n, target]) => n > 2 && !/^\/proc\/\d+\/fd$/.test(target));
      assert.deepEqual(others, [], `${tag}: descriptors inherited from the daemon`);
      assert.equal(fds.length, 4, `${tag}: 0, 1, 2 and the listing's own: ${JSON.stringify(fds)}`);
    }
  } finally {
    await stop(o.child, 'SIGKILL');
  }
});
