/**
 * The load balancer through the daemon (root): `keepalived-ts -f keepalived.conf` in the director, its checker
 * child choosing nftables (this kernel has no IPVS), two real HTTP servers answering with their name, a client in
 * another subnet. One lab and one daemon for the whole file; the tests run in order and each leaves the lab as it
 * found it (both real servers up, the base configuration loaded).
 *
 * Checker timing of the main service: delay_loop 1, connect_timeout 1, retry 1, delay_before_retry 1, so a stopped
 * real server is out within delay_loop + connect_timeout + retry × delay_before_retry = 3 s, and not before one
 * retry interval (1 s) after its first failed check.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlRequest } from '../../../src/daemon/control.js';
import type { LvsReport } from '../../../src/lb/report.js';
import { pidIn, stop, waitFor } from '../harness/daemons.js';
import { startFileDaemon } from '../harness/file-daemon.js';
import { LbLab, RS, VIP4 } from './lb-topology.js';

const CLI = new URL('../../../src/cli/main.js', import.meta.url).pathname;
const lab = new LbLab();
const dir = mkdtempSync(join(tmpdir(), 'kts-lbd-'));
after(() => {
  lab.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** A server in a real server's namespace answering HTTP on `port` with `name`. */
function server(host: 'rs1' | 'rs2', name: string, port = 8080): ChildProcess {
  return lab.spawn(host, process.execPath, ['-e', `require('http').createServer((q,s)=>s.end(${JSON.stringify(name)})).listen(${port},'::')`]);
}
/** The lab's own server processes in a real server's namespace (started by LbLab, killed here by pid). */
function killServers(host: 'rs1' | 'rs2', port = 8080): void {
  for (const pid of execFileSync('ip', ['netns', 'pids', lab.ns[host]], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number)) {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmd.includes(`listen(${port}`)) process.kill(pid, 'SIGKILL');
  }
}
/** True when something accepts on the port in the namespace (a restarted server is listening). */
const listening = (host: 'rs1' | 'rs2', port = 8080) => lab.sh(lab.ns[host], `ss -Htln 'sport = :${port}'`).trim() !== '';

const conf = (w1: number, w2: number, extra = '') => `global_defs {
  router_id lbd
}
virtual_server ${VIP4} 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  sorry_server ${RS.rs2.v4} 8090
  real_server ${RS.rs1.v4} 8080 {
    weight ${w1}
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server ${RS.rs2.v4} 8080 {
    weight ${w2}
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
virtual_server ${VIP4} 81 {
  delay_loop 5
  lb_algo rr
  lb_kind NAT
  protocol TCP
  persistence_timeout 30
  real_server ${RS.rs1.v4} 8080 {
    TCP_CHECK {
    }
  }
  real_server ${RS.rs2.v4} 8080 {
    TCP_CHECK {
    }
  }
}
${extra}`;

const confFile = join(dir, 'keepalived.conf');
writeFileSync(confFile, conf(1, 2));
server('rs2', 'sorry', 8090);
const lbd = startFileDaemon((cmd, args) => lab.spawn('dir', cmd, args), dir, 'lbd', confFile);
const daemon = lbd.child;
const sock = lbd.controlSocket;
const chkPid = lbd.chkPidFile;

const nft = (args: string) => lab.sh(lab.ns.dir, `nft ${args}`);
/** The checker child's table over the control socket. */
async function lvs(cmd: 'lvs' | 'lvs-rate' = 'lvs'): Promise<LvsReport> {
  const r = await controlRequest(sock, cmd);
  if (!r.ok || !r.lvs) throw new Error(`lvs: ${JSON.stringify(r)}`);
  return r.lvs;
}
/** Real servers of the service on `port` as `address:port weight`. */
async function destsOf(port: number): Promise<string[]> {
  const s = (await lvs()).services.find((x) => x.key.kind === 'address' && x.key.port === port);
  return (s?.dests ?? []).map((d) => `${d.address}:${d.port} ${d.weight}`).sort();
}
/** Polls destsOf(port) every 50 ms until it equals `want`: ms taken, or -1. */
async function destsBecome(port: number, want: string[], ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (JSON.stringify(await destsOf(port)) === JSON.stringify(want)) return Date.now() - t0;
    await sleep(50);
  }
  return -1;
}
const BOTH = [`${RS.rs1.v4}:8080 1`, `${RS.rs2.v4}:8080 2`];
/**
 * The table's lines without counters and without the persistence map's dynamic entries, sorted (a rewrite may
 * order objects differently; a duplicate shows as an extra line). A restarted checker rewrites the table whole,
 * which drops those dynamic entries (a persistent client may be scheduled afresh; its open connections stay).
 */
const tableShape = () =>
  nft('list table inet keepalived_ts_lb')
    .replace(/packets \d+ bytes \d+/g, '')
    .split('\n')
    .filter((l) => !/ expires /.test(l))
    .sort()
    .join('\n');

test('start: the checker child chooses nftables, logs why, programs the table; wrr 1:2 is exactly 100:200 over 300 requests', async () => {
  assert.ok((await waitFor(() => lbd.log().includes('Startup complete'), 10_000)) >= 0, lbd.log());
  assert.match(lbd.log(), /Starting Healthcheck child process, pid=\d+/);
  assert.match(
    lbd.log(),
    /Load balancer: nftables \(tables inet keepalived_ts_lb and netdev keepalived_ts_dr\), chosen by lvs_backend auto because the kernel has no IPVS/,
  );
  assert.doesNotMatch(lbd.log(), /not supported yet/);
  assert.ok((await destsBecome(80, BOTH, 5000)) >= 0, JSON.stringify(await destsOf(80)));
  assert.deepEqual(await lab.requests(VIP4, 300), { failed: 0, rs1: 100, rs2: 200 });
});

test('status --lvs (+ --stats, --rate, --json) through the CLI: ipvsadm -Ln shape of the nftables table', async () => {
  const run = (...a: string[]) => execFileSync(process.execPath, [CLI, 'status', '--lvs', `--control-socket=${sock}`, ...a], { encoding: 'utf8' });
  assert.equal(
    run(),
    [
      'nftables load balancer (tables inet keepalived_ts_lb, netdev keepalived_ts_dr)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  203.0.113.10:80 wrr',
      '  -> 192.0.2.11:8080              Masq    1      0          0         ',
      '  -> 192.0.2.12:8080              Masq    2      0          0         ',
      'TCP  203.0.113.10:81 rr persistent 30',
      '  -> 192.0.2.11:8080              Masq    1      0          0         ',
      '  -> 192.0.2.12:8080              Masq    1      0          0         ',
      '',
    ].join('\n'),
  );
  const stats = run('--stats').split('\n');
  assert.match(stats[3]!, /^TCP  203\.0\.113\.10:80 +300 +\d+ +\d+ +\d+ +\d+$/, 'the 300 connections of the wrr test');
  assert.match(stats[4]!, /^ {2}-> 192\.0\.2\.11:8080 +100 /);
  assert.match(stats[5]!, /^ {2}-> 192\.0\.2\.12:8080 +200 /);
  // rates: batches of requests run until the CLI has returned, so they cover its whole 1 s sampling window
  // (a fixed count could finish before the CLI's node process has even started to sample)
  let sampling = true;
  let sent = 0;
  let failed = 0;
  const loop = (async () => {
    while (sampling) {
      const r = await lab.requests(VIP4, 10);
      sent += 10;
      failed += r['failed'] ?? 0;
    }
  })();
  await sleep(300);
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'status', '--lvs', '--rate', `--control-socket=${sock}`], {
    encoding: 'utf8',
  }).finally(() => (sampling = false));
  await loop;
  assert.equal(failed, 0);
  const rate = stdout.split('\n');
  assert.match(rate[0]!, /rates over 1 s$/);
  const cps = Number(rate[3]!.trim().split(/\s+/)[2]);
  // at least one connection per second went through; no more than were sent in the whole loop
  assert.ok(cps > 0 && cps <= sent, `${stdout} (${sent} requests sent)`);
  const json = JSON.parse(run('--json')) as LvsReport;
  assert.equal(json.backend, 'nftables');
  assert.equal(json.services.length, 2);
});

test('a stopped real server is out within the checker bound, the client sees no failure after, and it comes back', async () => {
  killServers('rs1');
  const gone = await destsBecome(80, [`${RS.rs2.v4}:8080 2`], 6000);
  // lower: one delay_before_retry after the first failed check (less a 100 ms poll/scheduling slack);
  // upper: delay_loop + connect_timeout + retry × delay_before_retry = 3 s, plus 700 ms for nft and the poll
  assert.ok(gone >= 900 && gone <= 3700, `removed after ${gone} ms`);
  assert.match(lbd.log(), /TCP_CHECK on service \[192\.0\.2\.11\]:tcp:8080 failed after 1 retries\./);
  assert.match(lbd.log(), /Removing service \[192\.0\.2\.11\]:tcp:8080 from VS \[203\.0\.113\.10\]:tcp:80/);
  console.log(`# real server removal: ${gone} ms after it stopped (bound 1000..3000 ms)`);
  assert.deepEqual(await lab.requests(VIP4, 60), { failed: 0, rs2: 60 });
  server('rs1', 'rs1');
  assert.ok((await waitFor(() => listening('rs1'), 3000)) >= 0);
  const back = await destsBecome(80, BOTH, 4000);
  assert.ok(back >= 0 && back <= 2500, `back after ${back} ms (within delay_loop + a check)`);
  assert.deepEqual(await lab.requests(VIP4, 30), { failed: 0, rs1: 10, rs2: 20 });
});

test('persistence_timeout holds a client on one server (rr would alternate)', async () => {
  const r = await lab.requests(VIP4, 20, 'http', 81);
  assert.equal(r['failed'], 0);
  assert.equal(Object.keys(r).filter((k) => k !== 'failed').length, 1, JSON.stringify(r));
});

test('a sorry_server answers when both real servers are down, and steps back when one returns', async () => {
  killServers('rs1');
  killServers('rs2');
  assert.ok((await destsBecome(80, [`${RS.rs2.v4}:8090 1`], 6000)) >= 0, JSON.stringify(await destsOf(80)));
  assert.deepEqual(await lab.requests(VIP4, 10), { failed: 0, sorry: 10 });
  server('rs1', 'rs1');
  server('rs2', 'rs2');
  assert.ok((await destsBecome(80, BOTH, 6000)) >= 0, JSON.stringify(await destsOf(80)));
  assert.deepEqual(await lab.requests(VIP4, 30), { failed: 0, rs1: 10, rs2: 20 });
});

test('reload (SIGHUP to the parent) reweights in place; the unchanged service keeps its rules and counters; a bad reload keeps the table', async () => {
  const vsChain = (port: number) => {
    const m = new RegExp(`${VIP4.replace(/\./g, '\\.')} \\. tcp \\. ${port} : goto (vs_\\d+)`).exec(nft('list map inet keepalived_ts_lb svc4'));
    assert.ok(m, `service ${port} in svc4`);
    return nft(`-a list chain inet keepalived_ts_lb ${m[1]}`);
  };
  assert.ok((await destsBecome(81, [`${RS.rs1.v4}:8080 1`, `${RS.rs2.v4}:8080 1`], 6000)) >= 0, 'port 81 settled (delay_loop 5)');
  const before81 = vsChain(81);
  const conns80 = (await lvs()).services.find((s) => s.key.kind === 'address' && s.key.port === 80)!.counters.connections;
  writeFileSync(confFile, conf(3, 2));
  const mark = lbd.log().length;
  process.kill(daemon.pid!, 'SIGHUP');
  assert.ok((await destsBecome(80, [`${RS.rs1.v4}:8080 3`, `${RS.rs2.v4}:8080 2`], 5000)) >= 0, JSON.stringify(await destsOf(80)));
  assert.equal(vsChain(81), before81, 'the unchanged service: same rules, same handles, same counters');
  const after80 = (await lvs()).services.find((s) => s.key.kind === 'address' && s.key.port === 80)!;
  assert.ok(after80.counters.connections >= conns80, `counters kept across the reload (${conns80} → ${after80.counters.connections})`);
  assert.deepEqual(await lab.requests(VIP4, 300), { failed: 0, rs1: 180, rs2: 120 });
  const shape = tableShape();
  writeFileSync(confFile, `${conf(5, 5)}virtual_server ${VIP4} 82 {\n  lb_algo rr\n`);
  process.kill(daemon.pid!, 'SIGHUP');
  assert.ok((await waitFor(() => lbd.log().slice(mark).includes('Reload failed'), 5000)) >= 0, lbd.log().slice(mark));
  assert.equal(tableShape(), shape, 'a bad reload leaves the running table');
  assert.deepEqual(await destsOf(80), [`${RS.rs1.v4}:8080 3`, `${RS.rs2.v4}:8080 2`]);
  writeFileSync(confFile, conf(1, 2));
  process.kill(daemon.pid!, 'SIGHUP');
  assert.ok((await destsBecome(80, BOTH, 5000)) >= 0);
});

test('SIGKILL of the checker child: the parent respawns it and the table is reconciled, not duplicated; SIGTERM removes it', async () => {
  const shape = tableShape();
  const total = (await lvs()).services.reduce((a, s) => a + s.counters.connections, 0);
  const pid = pidIn(chkPid)!;
  assert.ok(pid > 0);
  process.kill(pid, 'SIGKILL');
  assert.ok((await waitFor(() => (pidIn(chkPid) ?? pid) !== pid, 5000)) >= 0, 'a new checker child');
  assert.ok((await waitFor(() => (lbd.log().match(/Startup complete/g) ?? []).length >= 2, 8000)) >= 0, lbd.log());
  assert.match(lbd.log(), new RegExp(`Healthcheck child process\\(${pid}\\) died: Respawning`));
  await sleep(300);
  assert.equal(tableShape(), shape, 'the same services, real servers, rules and elements: nothing duplicated');
  const again = (await lvs()).services.reduce((a, s) => a + s.counters.connections, 0);
  assert.ok(again >= total, `counters read back (${total} → ${again})`);
  assert.deepEqual(await lab.requests(VIP4, 30), { failed: 0, rs1: 10, rs2: 20 });
  await stop(daemon);
  assert.equal(daemon.exitCode, 0);
  assert.doesNotMatch(nft('list tables'), /keepalived_ts/, 'SIGTERM removed the tables');
});
