import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/log.js';
import { inspectPidfile, pidfileOwnedByLiveProcess, pidFilesFor, probeProcess, removeOwnPidfile, writePidfile } from '../../../src/daemon/pidfile.js';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';

/** The model of `text` and its diagnostics. */
function loadConfigText(text: string, file: string) {
  const d = new DiagnosticSink();
  const config = buildModel(parseConfigTree(text, file).tree, d);
  return { config, diagnostics: d.items };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kts-pid-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('writePidfile writes "<pid>\\n" with mode 0644', () =>
  withDir((dir) => {
    const p = join(dir, 'k.pid');
    const log = new MemoryLogger();
    assert.equal(writePidfile(p, 1234, log), true);
    assert.equal(readFileSync(p, 'utf8'), '1234\n');
    assert.equal(statSync(p).mode & 0o777, 0o644 & ~process.umask());
  }));

test("writePidfile refuses to follow a symlink and logs keepalived's message", () =>
  withDir((dir) => {
    const target = join(dir, 'target');
    writeFileSync(target, 'precious');
    const link = join(dir, 'k.pid');
    symlinkSync(target, link);
    const log = new MemoryLogger();
    assert.equal(writePidfile(link, 1, log), false);
    assert.equal(readFileSync(target, 'utf8'), 'precious');
    assert.deepEqual(log.texts(), [`pidfile_write : Cannot open ${link} pidfile`]);
  }));

test('a live process owning the pid file blocks; our own pid and dead pids do not', () =>
  withDir((dir) => {
    const p = join(dir, 'k.pid');
    const log = new MemoryLogger();
    assert.equal(pidfileOwnedByLiveProcess(p, 10, log), false);
    writeFileSync(p, '4321\n');
    assert.equal(
      pidfileOwnedByLiveProcess(p, 10, log, () => true),
      true,
    );
    assert.ok(existsSync(p));
    assert.equal(
      pidfileOwnedByLiveProcess(p, 4321, log, () => true),
      false,
    );
    assert.equal(existsSync(p), false);
    writeFileSync(p, '4321\n');
    assert.equal(
      pidfileOwnedByLiveProcess(p, 10, log, () => false),
      false,
    );
    assert.equal(existsSync(p), false);
    assert.deepEqual(log.texts(), [`Remove a zombie pid file ${p}`, `Remove a zombie pid file ${p}`]);
  }));

test('garbage in the pid file is logged, removed and not treated as running', () =>
  withDir((dir) => {
    const p = join(dir, 'k.pid');
    writeFileSync(p, 'hello\n');
    const log = new MemoryLogger();
    assert.deepEqual(inspectPidfile(p, 1), { kind: 'garbage' });
    assert.equal(pidfileOwnedByLiveProcess(p, 1, log), false);
    assert.deepEqual(log.texts(), [`Error reading pid file ${p}`]);
    assert.equal(existsSync(p), false);
  }));

test('the real probe sees this process alive and a reaped pid dead', () => {
  assert.equal(probeProcess(process.pid), true);
  assert.equal(probeProcess(2 ** 22 + 17), false);
});

test('removeOwnPidfile only removes a file that still holds our pid', () =>
  withDir((dir) => {
    const p = join(dir, 'k.pid');
    writeFileSync(p, '99\n');
    removeOwnPidfile(p, 98);
    assert.ok(existsSync(p));
    removeOwnPidfile(p, 99);
    assert.equal(existsSync(p), false);
    assert.doesNotThrow(() => removeOwnPidfile(p, 99));
  }));

test('pid file names as keepalived 2.2.7 picks them: command line, else `instance NAME`, else `use_pid_dir`, else /run', () => {
  const cfg = (text: string) => loadConfigText(text, 'k.conf').config;
  const inst = cfg('instance blue\nglobal_defs {\n}\n');
  assert.equal(inst.instanceName, 'blue');
  assert.deepEqual(pidFilesFor({}, inst), {
    main: '/run/keepalived/keepalived_blue.pid',
    vrrp: '/run/keepalived/vrrp_blue.pid',
    checkers: '/run/keepalived/checkers_blue.pid',
    bfd: '/run/keepalived/bfd_blue.pid',
  });
  assert.deepEqual(pidFilesFor({ vrrp: '/tmp/v.pid' }, inst), {
    main: '/run/keepalived/keepalived_blue.pid',
    vrrp: '/tmp/v.pid',
    checkers: '/run/keepalived/checkers_blue.pid',
    bfd: '/run/keepalived/bfd_blue.pid',
  });
  assert.deepEqual(pidFilesFor({}, cfg('use_pid_dir\n')), {
    main: '/run/keepalived/keepalived.pid',
    vrrp: '/run/keepalived/vrrp.pid',
    checkers: '/run/keepalived/checkers.pid',
    bfd: '/run/keepalived/bfd.pid',
  });
  assert.deepEqual(pidFilesFor({}, cfg('global_defs {\n}\n')), {
    main: '/run/keepalived.pid',
    vrrp: '/run/keepalived_vrrp.pid',
    checkers: '/run/keepalived_checkers.pid',
    bfd: '/run/keepalived_bfd.pid',
  });
  const dup = loadConfigText('instance blue\ninstance red\ninstance\n', 'k.conf');
  assert.equal(dup.config.instanceName, 'blue');
  assert.deepEqual(
    dup.diagnostics.map((x) => x.message),
    ['Duplicate instance definition red - ignoring', 'instance name missing - ignoring'],
  );
});

test('net_namespace: pid files in /run/keepalived/NAMESPACE (what keepalived bind-mounts on /run/keepalived), with the instance name', () => {
  const cfg = (text: string) => loadConfigText(text, 'k.conf').config;
  const ns = cfg('net_namespace red\n');
  assert.equal(ns.netNamespace, 'red');
  assert.equal(ns.usePidDir, true);
  assert.deepEqual(pidFilesFor({}, ns), {
    main: '/run/keepalived/red/keepalived.pid',
    vrrp: '/run/keepalived/red/vrrp.pid',
    checkers: '/run/keepalived/red/checkers.pid',
    bfd: '/run/keepalived/red/bfd.pid',
  });
  // -s with no net_namespace in the file: the supervisor passes the namespace; `instance` names the files
  assert.deepEqual(pidFilesFor({ main: '/tmp/k.pid' }, { ...cfg('instance blue\n'), netNamespace: 'green' }), {
    main: '/tmp/k.pid',
    vrrp: '/run/keepalived/green/vrrp_blue.pid',
    checkers: '/run/keepalived/green/checkers_blue.pid',
    bfd: '/run/keepalived/green/bfd_blue.pid',
  });
  const dup = loadConfigText('net_namespace red\nnet_namespace blue\nnet_namespace\n', 'k.conf');
  assert.equal(dup.config.netNamespace, 'red');
  assert.deepEqual(
    dup.diagnostics.map((x) => `${x.severity}: ${x.message}`),
    ['error: Duplicate net_namespace definition blue - ignoring', 'error: net_namespace name missing - ignoring'],
  );
});

test('net_namespace_ipvs [NAME] and namespace_with_ipsets: the model, keepalived duplicate message', () => {
  const named = loadConfigText('net_namespace_ipvs blue\nnet_namespace_ipvs red\nnamespace_with_ipsets\n', 'k.conf');
  assert.equal(named.config.netNamespaceIpvs, 'blue');
  assert.equal(named.config.namespaceWithIpsets, true);
  assert.deepEqual(
    named.diagnostics.map((x) => `${x.severity}: ${x.message}`),
    ['error: Duplicate net_namespace_ipvs definition red - ignoring'],
  );
  // no name: the default namespace (keepalived stores "")
  const bare = loadConfigText('net_namespace_ipvs\n', 'k.conf');
  assert.equal(bare.config.netNamespaceIpvs, '');
  assert.equal(bare.config.namespaceWithIpsets, false);
  assert.deepEqual(bare.diagnostics, []);
});
