/**
 * The built CLI as a child process: --version, --help, --signum, bad flags, and the daemon's process
 * behaviour (pid files, signals to the child's PID only, dump files, control socket, daemonizing).
 * The configuration has no vrrp_instance, so nothing touches the network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A temp dir with a config without VRRP instances; pids to kill on the way out. */
function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'kts-cli-'));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, 'global_defs {\n  router_id kts_test\n}\n');
  const pids: number[] = [];
  const args = (name: string) => [
    '-f',
    conf,
    '-p',
    join(dir, `${name}.pid`),
    '-r',
    join(dir, `${name}_vrrp.pid`),
    `--control-socket=${join(dir, `${name}.sock`)}`,
  ];
  const cleanup = () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, conf, pids, args, cleanup, env: { TMPDIR: dir, NOTIFY_SOCKET: '' } };
}

/** The parent pid of a process (field 4 of /proc/PID/stat). */
function ppidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null) r(child.exitCode);
    else child.once('exit', (code) => r(code));
  });
}

test('--version prints the keepalived-compatible version string on stderr', () => {
  const r = cli(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stderr.split('\n')[0]!, /^Keepalived v2\.2\.7 \(01\/16,2022\), keepalived-ts v\d+\.\d+\.\d+$/);
  assert.equal(cli(['-v']).status, 0);
});

test('--help lists every keepalived option and exits 0', () => {
  const r = cli(['--help']);
  assert.equal(r.status, 0);
  for (const opt of [
    '--use-file',
    '--vrrp',
    '--check',
    '--no_bfd',
    '--all',
    '--log-console',
    '--log-detail',
    '--log-facility',
    '--log-file',
    '--flush-log-file',
    '--no-syslog',
    '--umask',
    '--release-vips',
    '--dont-release-vrrp',
    '--dont-release-ipvs',
    '--dont-respawn',
    '--dont-fork',
    '--dump-conf',
    '--pid',
    '--vrrp_pid',
    '--checkers_pid',
    '--address-monitoring',
    '--bfd_pid',
    '--snmp',
    '--snmp-agent-socket',
    '--namespace',
    '--core-dump',
    '--core-dump-pattern',
    '--all-config',
    '--config-id',
    '--signum',
    '--config-test',
    '--version',
    '--help',
    '--dump-config',
    '--control-socket',
    '--status',
  ]) {
    assert.ok(r.stderr.includes(opt), `help lacks ${opt}`);
  }
  assert.match(r.stderr, /^Usage: keepalived-ts \[OPTION\.\.\.\]/);
});

test("--signum prints keepalived's Linux numbers", () => {
  const want: Record<string, string> = { RELOAD: '1', STOP: '15', DATA: '10', STATS: '12', STATS_CLEAR: '63', JSON: '36' };
  for (const [name, num] of Object.entries(want)) {
    const r = cli([`--signum=${name}`]);
    assert.equal(r.status, 0, name);
    assert.equal(r.stdout, `${num}\n`, name);
  }
  const bad = cli(['--signum=TDUMP']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, 'Unknown sigfunc TDUMP\n');
});

test('unknown flags and missing parameters: message on stderr, exit 1', () => {
  const r = cli(['--bogus', '-n']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'Unknown option --bogus\n');
  const m = cli(['-f']);
  assert.equal(m.status, 1);
  assert.equal(m.stderr, 'Missing parameter for option -f\n');
});

test("-t on a missing file exits 4 (keepalived's config-test status)", () => {
  const r = cli(['-t', '-f', '/nonexistent/keepalived.conf']);
  assert.equal(r.status, 4);
});

test('-t=LOGFILE appends the diagnostics to LOGFILE instead of stderr', () => {
  const s = setup();
  try {
    const log = join(s.dir, 'ct.log');
    const r = cli([`--config-test=${log}`, '-f', join(s.dir, 'missing.conf')]);
    assert.equal(r.status, 4);
    assert.equal(r.stderr, '');
    assert.ok(readFileSync(log, 'utf8').length > 0);
    const bad = cli(['-t/nonexistent-dir/ct.log', '-f', s.conf]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^Unable to open config-test log file \/nonexistent-dir\/ct\.log \d+ - /);
  } finally {
    s.cleanup();
  }
});

test('--dump-config on a missing file fails with a message', () => {
  const r = cli(['--dump-config', '-f', '/nonexistent/keepalived.conf']);
  assert.notEqual(r.status, 0);
  assert.ok(r.stderr.length > 0);
  assert.equal(r.stdout, '');
});

test("--dump-config prints the model on a host without the configuration's interfaces", () => {
  const s = setup();
  try {
    const conf = join(s.dir, 'noif.conf');
    writeFileSync(conf, 'vrrp_instance VI_1 {\n  interface kats-noif0\n  virtual_router_id 9\n  virtual_ipaddress {\n    192.0.2.9/24\n  }\n}\n');
    const r = cli(['--dump-config', '-f', conf]);
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(r.stdout) as { vrrpInstances: { interface: string; virtualRouterId: number }[] };
    assert.deepEqual(
      m.vrrpInstances.map((i) => [i.interface, i.virtualRouterId]),
      [['kats-noif0', 9]],
    );
    // -t still checks the host
    assert.equal(cli(['-t', '-f', conf]).status, 5);
  } finally {
    s.cleanup();
  }
});

test('foreground daemon: pid files, USR1/USR2, HUP, control socket, TERM', async () => {
  const s = setup();
  try {
    const child = spawn(process.execPath, [CLI, '-n', '-l', ...s.args('a')], {
      env: { ...process.env, ...s.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    s.pids.push(child.pid!);
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    await until(() => err.includes('Startup complete'), 'Startup complete');
    assert.equal(readFileSync(join(s.dir, 'a.pid'), 'utf8'), `${child.pid}\n`);
    // the -r file names the VRRP child, a child of the parent whose pid is in -p
    const vrrpPid = Number(readFileSync(join(s.dir, 'a_vrrp.pid'), 'utf8'));
    assert.notEqual(vrrpPid, child.pid);
    assert.equal(ppidOf(vrrpPid), child.pid);
    assert.match(err, new RegExp(`: Starting VRRP child process, pid=${vrrpPid}\\n`));
    assert.match(err, /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: Starting Keepalived v2\.2\.7 \(01\/16,2022\), keepalived-ts v/m);
    assert.match(err, /: Command line: 'keepalived-ts' '-n' '-l' '-f'/);
    assert.match(err, new RegExp(`: Opening file '${s.conf}'\\.\\n`));

    process.kill(child.pid!, 'SIGUSR1');
    await until(() => existsSync(join(s.dir, 'keepalived.data')), 'keepalived.data');
    assert.equal(statSync(join(s.dir, 'keepalived.data')).mode & 0o777, 0o600);
    process.kill(child.pid!, 'SIGUSR2');
    await until(() => existsSync(join(s.dir, 'keepalived.stats')), 'keepalived.stats');
    assert.equal(statSync(join(s.dir, 'keepalived.stats')).mode & 0o777, 0o600);

    // keepalived's real-time signals: JSON (SIGRTMIN+2 = 36) and STATS_CLEAR (SIGRTMAX-1 = 63) must not kill us
    process.kill(child.pid!, 36);
    await until(() => err.includes(`Printing VRRP as json for process(${vrrpPid}) on signal`), 'JSON signal relayed to the VRRP child');
    rmSync(join(s.dir, 'keepalived.stats'));
    process.kill(child.pid!, 63);
    await until(() => existsSync(join(s.dir, 'keepalived.stats')), 'keepalived.stats after STATS_CLEAR');
    process.kill(child.pid!, 'SIGURG');
    await until(() => err.split('Printing VRRP as json').length === 3, 'SIGURG handled');
    assert.equal(child.exitCode, null, 'still running');

    process.kill(child.pid!, 'SIGHUP');
    await until(() => err.includes('Reload complete'), 'Reload complete');
    assert.match(err, /Reloading \.\.\.\n/);

    const st = cli(['--status', `--control-socket=${join(s.dir, 'a.sock')}`]);
    assert.equal(st.status, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`pid ${child.pid}, up \\d+s, config ${s.conf}, reloads 1`));
    assert.match(st.stdout, new RegExp(`^children: vrrp ${vrrpPid}$`, 'm'));

    // a second daemon with the same pid files refuses to start
    const second = cli(['-n', '-l', ...s.args('a')], s.env);
    assert.equal(second.status, 0);
    assert.match(second.stderr, /daemon is already running/);
    assert.equal(readFileSync(join(s.dir, 'a.pid'), 'utf8'), `${child.pid}\n`);

    process.kill(child.pid!, 'SIGTERM');
    assert.equal(await exited(child), 0);
    assert.match(err, /: Stopping\n/);
    assert.match(err, /: Stopped Keepalived v2\.2\.7/);
    assert.equal(existsSync(join(s.dir, 'a.pid')), false);
    assert.equal(existsSync(join(s.dir, 'a_vrrp.pid')), false);
    assert.equal(existsSync(join(s.dir, 'a.sock')), false);
    assert.equal(existsSync(`/proc/${vrrpPid}`), false, 'the VRRP child was stopped and reaped with its parent');
  } finally {
    s.cleanup();
  }
});

test('SIGINT stops gracefully too; a stale pid file is replaced; no control socket needed to stay up', async () => {
  const s = setup();
  try {
    writeFileSync(join(s.dir, 'b.pid'), '4194303\n');
    const child = spawn(process.execPath, [CLI, '-n', '-l', '-D', '-m', ...s.args('b'), '--control-socket=none'], {
      env: { ...process.env, ...s.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    s.pids.push(child.pid!);
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    await until(() => err.includes('Startup complete'), 'Startup complete');
    assert.match(err, /Remove a zombie pid file .*b\.pid/);
    const lines = err.split('\n');
    const cmd = lines.findIndex((l) => l.includes(': Command line: '));
    const notice = lines.findIndex((l) => l.endsWith(': keepalived-ts: option -m/--core-dump is not supported yet - ignored'));
    assert.ok(cmd >= 0 && notice > cmd, 'notice logged after the command line');
    assert.equal(readFileSync(join(s.dir, 'b.pid'), 'utf8'), `${child.pid}\n`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(child.exitCode, null, 'the daemon stays up with nothing but signal handlers');
    process.kill(child.pid!, 'SIGINT');
    assert.equal(await exited(child), 0);
    assert.match(err, /CPU usage \(self\/children\) user: \d+\.\d{6}\/0\.000000 system: /);
    assert.equal(existsSync(join(s.dir, 'b.pid')), false);
  } finally {
    s.cleanup();
  }
});

test('without -n the daemon detaches: the foreground exits 0 after readiness, the daemon keeps running', async () => {
  const s = setup();
  try {
    const r = cli(s.args('c'), s.env);
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(readFileSync(join(s.dir, 'c.pid'), 'utf8'));
    s.pids.push(pid);
    assert.ok(pid > 0);
    process.kill(pid, 0);
    const st = cli(['--status=ping', `--control-socket=${join(s.dir, 'c.sock')}`]);
    assert.equal(st.status, 0, st.stderr);
    process.kill(pid, 'SIGTERM');
    await until(() => !existsSync(join(s.dir, 'c.pid')), 'pid file removal');
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'daemon exit');
  } finally {
    s.cleanup();
  }
});

test("without -n, a startup failure is reported by the foreground process's exit status", () => {
  const s = setup();
  try {
    const r = cli(['-f', join(s.dir, 'missing.conf'), '-p', join(s.dir, 'd.pid'), '-r', join(s.dir, 'd_vrrp.pid'), '--control-socket=none'], s.env);
    assert.equal(r.status, 6);
    assert.equal(existsSync(join(s.dir, 'd.pid')), false);
  } finally {
    s.cleanup();
  }
});
