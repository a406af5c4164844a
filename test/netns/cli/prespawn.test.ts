/**
 * The VRRP child started before the supervisor reads its configuration (issue 17, src/cli/spawn-child.ts), on the
 * real kernel, through the bundle:
 * - adopted: it is the one VRRP child, a child of the supervisor, started with the usual command line; the logs are
 *   in the usual order, and it takes on the configuration's syslog ident suffix (`instance`: its `-g` file name) and
 *   umask (the mode of that file) from the supervisor's `go`;
 * - not usable, killed unseen and replaced or not needed: the configuration names a network namespace (the child was
 *   started outside it: a new one is spawned inside, and the VIP lands there); the configuration runs no VRRP child
 *   (BFD only); another daemon already runs (the second supervisor exits at once). In each case no process started
 *   early is left, and the supervisor logged nothing about it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { BUNDLED_CLI, captureOutput, Daemons, pidIn, stop, waitFor } from '../harness/daemons.js';
import { processTree } from '../harness/wire.js';
import { PRESPAWN_ENV } from '../../../src/daemon/child-role.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-prespawn-', BUNDLED_CLI);
after(() => {
  topo.destroy();
  d.removeDir();
});

const conf = (vip: string, globals = '', top = '') =>
  `${top}global_defs {\n${globals}}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 61\n  priority 150\n` +
  `  advert_int 1\n  version 3\n  virtual_ipaddress {\n    ${vip}/24\n  }\n}\n`;

/** Pids of the processes started early for the daemon tagged `tag` (their start-up environment keeps both). */
function earlyChildren(tag: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const env = readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      if (env.includes(`KTS_TEST_TAG=${tag}`) && env.includes(`${PRESPAWN_ENV}=1`)) out.push(Number(p));
    } catch {
      /* gone, or a kernel thread */
    }
  }
  return out;
}

/** The node processes under the supervisor `pid` (itself excluded). */
function nodeChildren(pid: number): number[] {
  return processTree(pid)
    .slice(1)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'node';
      } catch {
        return false;
      }
    });
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

test('adopted: the early VRRP child is the VRRP child, with the ident suffix and umask the configuration gives', async () => {
  const tag = `adopt-${process.pid}`;
  const logBase = join(d.dir, 'pre-g.log');
  const o = d.ours('b', d.write('adopt.conf', conf('192.0.2.201', '  umask 0027\n', 'instance i7\n')), [`--log-file=${logBase}`], {
    env: { KTS_TEST_TAG: tag },
  });
  try {
    assert.ok((await waitFor(() => d.hasVip('b', '192.0.2.201'), 20_000)) >= 0, `ours holds the VIP\n${o.log()}`);
    const vrrp = pidIn(o.vrrpPidFile)!;
    assert.deepEqual(earlyChildren(tag), [vrrp], 'the VRRP child is the one started early');
    // o.child is `ip netns exec`, which exec'd node: the supervisor
    assert.deepEqual(nodeChildren(o.child.pid!), [vrrp], 'one child, the VRRP child');
    const argv = cmdline(vrrp);
    assert.equal(argv.at(-1), '--ts-child=vrrp', argv.join(' '));
    assert.ok(argv.includes(BUNDLED_CLI) && argv.includes(`--log-file=${logBase}`), argv.join(' '));
    const log = o.log();
    const started = log.indexOf(`Starting VRRP child process, pid=${vrrp}\n`);
    assert.ok(started > 0 && log.indexOf('Opening file') > started, log);
    assert.doesNotMatch(log, /died|Respawning|exited/);
    // `instance i7` reached the child through `go`: its -g file carries the suffix, created under umask 0027
    const file = join(d.dir, 'pre-g_vrrp_i7.log');
    assert.match(readFileSync(file, 'utf8'), /\(VI_1\) Entering MASTER STATE/);
    assert.equal(statSync(file).mode & 0o777, 0o640, 'created under the configuration umask');
    await stop(o.child);
    assert.equal(o.child.exitCode, 0, o.log());
  } finally {
    await stop(o.child);
  }
});

test('net_namespace in the configuration: the early child is killed and a VRRP child is spawned in the namespace', async () => {
  const tag = `netns-${process.pid}`;
  const vip = '192.0.2.202';
  const o = d.ours('a', d.write('ns.conf', conf(vip, '', `net_namespace ${topo.host('a').netns}\n`)), [], {
    fromHost: true,
    env: { KTS_TEST_TAG: tag },
  });
  try {
    assert.ok((await waitFor(() => d.hasVip('a', vip), 20_000)) >= 0, `the VIP is in the namespace\n${o.log()}`);
    const vrrp = pidIn(o.vrrpPidFile)!;
    assert.deepEqual(nodeChildren(o.child.pid!), [vrrp], 'one child, the VRRP child');
    assert.deepEqual(earlyChildren(tag), [], 'the child started early is gone; the VRRP child was spawned after');
    assert.match(o.log(), new RegExp(`Starting VRRP child process, pid=${vrrp}\n`));
    assert.doesNotMatch(o.log(), /died|Respawning|exited/);
    await stop(o.child);
    assert.equal(o.child.exitCode, 0, o.log());
  } finally {
    await stop(o.child);
  }
});

test('no VRRP child in the configuration (BFD only): the early child is killed, the BFD child runs alone', async () => {
  const tag = `bfd-${process.pid}`;
  const text = 'bfd_instance peer {\n  neighbor_ip 192.0.2.10\n  min_rx 100\n  min_tx 100\n  multiplier 3\n}\n';
  const o = d.ours('b', d.write('bfd.conf', text), [], { env: { KTS_TEST_TAG: tag } });
  try {
    assert.ok((await waitFor(() => /Starting BFD child process, pid=\d+/.test(o.log()), 20_000)) >= 0, o.log());
    const bfd = Number(/Starting BFD child process, pid=(\d+)/.exec(o.log())![1]);
    assert.ok((await waitFor(() => earlyChildren(tag).length === 0, 5000)) >= 0, 'the child started early is gone');
    assert.deepEqual(nodeChildren(o.child.pid!), [bfd], 'the BFD child alone');
    assert.doesNotMatch(o.log(), /VRRP child|died|Respawning|exited/);
    await stop(o.child);
    assert.equal(o.child.exitCode, 0, o.log());
  } finally {
    await stop(o.child);
  }
});

test('another daemon already runs: the second supervisor exits and leaves no early child behind', async () => {
  const tag = `second-${process.pid}`;
  const file = d.write('first.conf', conf('192.0.2.203'));
  const first = d.ours('b', file);
  try {
    assert.ok((await waitFor(() => d.hasVip('b', '192.0.2.203'), 20_000)) >= 0, first.log());
    // a second start of the same daemon: the same command line (pid files, control socket) in the same host
    const argv = cmdline(first.child.pid!);
    const child = topo.spawn('b', process.execPath, argv.slice(argv.indexOf(BUNDLED_CLI)), {
      env: { ...process.env, TMPDIR: d.dir, KTS_TEST_TAG: tag },
    });
    const second = { child, log: captureOutput(child) };
    let seen = false;
    const t0 = Date.now();
    while (second.child.exitCode === null && Date.now() - t0 < 20_000) {
      seen ||= earlyChildren(tag).length > 0;
      await sleep(10);
    }
    assert.equal(second.child.exitCode, 0, second.log());
    assert.match(second.log(), /daemon is already running/);
    assert.doesNotMatch(second.log(), /Starting VRRP child process/);
    assert.ok(seen, 'the second supervisor had started a child early');
    assert.ok((await waitFor(() => earlyChildren(tag).length === 0, 5000)) >= 0, 'and it is gone');
    assert.ok(d.hasVip('b', '192.0.2.203'), 'the first daemon runs on');
  } finally {
    await stop(first.child);
  }
});
