import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/log.js';
import {
  checkScriptSecure,
  lookupGroup,
  lookupUser,
  pathComponents,
  ScriptUserResolver,
  securityViolationText,
  unsafeReason,
} from '../../../src/notify/security.js';
import { tempDir, writeScript } from '../../fixtures/notify/helpers.js';

const ROOT = { uid: 0, gid: 0 };
const isRoot = process.getuid?.() === 0;

test('path components are checked from / down to the file', () => {
  assert.deepEqual(pathComponents('/etc/keepalived/notify.sh'), ['/', '/etc', '/etc/keepalived', '/etc/keepalived/notify.sh']);
});

test('unsafeReason follows keepalived: owner, group write (non-root group), world write, sticky dirs exempt', () => {
  assert.equal(unsafeReason({ uid: 0, gid: 0, mode: 0o40755 }, 'dir'), undefined);
  assert.match(unsafeReason({ uid: 1000, gid: 0, mode: 0o40755 }, 'dir')!, /owned by uid 1000/);
  assert.equal(unsafeReason({ uid: 0, gid: 0, mode: 0o40775 }, 'dir'), undefined, 'root group may write');
  assert.match(unsafeReason({ uid: 0, gid: 50, mode: 0o40775 }, 'dir')!, /writable by group 50/);
  assert.match(unsafeReason({ uid: 0, gid: 0, mode: 0o40777 }, 'dir')!, /world-writable/);
  assert.equal(unsafeReason({ uid: 0, gid: 0, mode: 0o41777 }, 'dir'), undefined, '/tmp-like sticky dirs are fine');
  assert.match(unsafeReason({ uid: 0, gid: 0, mode: 0o100757 }, 'file')!, /world-writable/);
  assert.match(unsafeReason({ uid: 0, gid: 0, mode: 0o101757 }, 'file')!, /world-writable/, 'sticky does not exempt files');
  assert.equal(unsafeReason({ uid: 0, gid: 0, mode: 0o120777 }, 'link'), undefined, 'symlink modes are meaningless');
  assert.match(unsafeReason({ uid: 5, gid: 0, mode: 0o120777 }, 'link')!, /owned by uid 5/);
});

test('without root, our own temp files are owned by a non-root uid and therefore insecure', () => {
  const { dir, cleanup } = tempDir();
  try {
    chmodSync(dir, 0o755);
    const s = writeScript(dir, 'mine.sh', 'exit 0');
    const log = new MemoryLogger();
    const r = checkScriptSecure(s, ROOT, true, log);
    const uid = process.getuid?.() ?? 0;
    if (uid === 0) chownSync(s, 65534, 65534);
    const r2 = uid === 0 ? checkScriptSecure(s, ROOT, true, log) : r;
    assert.equal(r2.inhibit, true);
    assert.ok(
      log.texts().some((t) => t.endsWith(`is owned by uid ${uid === 0 ? 65534 : uid}`)),
      log.texts().join('\n'),
    );
  } finally {
    cleanup();
  }
});

// needs root to chown files to other users; CI runs as root, so it runs there
test('script security with temp dirs of various permissions (root: chown/chmod)', { skip: isRoot ? false : 'needs root (chown)' }, () => {
  const { dir, cleanup } = tempDir();
  try {
    chmodSync(dir, 0o755);
    const ok = writeScript(dir, 'ok.sh', 'exit 0');
    let log = new MemoryLogger();
    assert.deepEqual(checkScriptSecure(ok, ROOT, true, log), { path: ok, notFound: false, insecure: false, inhibit: false });
    assert.deepEqual(log.texts(), []);

    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const s1 = writeScript(open, 's.sh', 'exit 0');
    log = new MemoryLogger();
    const r1 = checkScriptSecure(s1, ROOT, true, log);
    assert.equal(r1.inhibit, true);
    assert.deepEqual(log.texts(), [
      `Unsafe permissions found for script '${s1}' - disabling.`,
      `Script '${s1}': path component '${open}' is world-writable`,
    ]);

    log = new MemoryLogger();
    const r1b = checkScriptSecure(s1, ROOT, false, log);
    assert.deepEqual([r1b.insecure, r1b.inhibit], [true, false], 'without enable_script_security it only warns');
    assert.equal(log.texts()[0], `Unsafe permissions found for script '${s1}'.`);

    const sticky = join(dir, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    assert.equal(checkScriptSecure(writeScript(sticky, 's.sh', 'exit 0'), ROOT, true, new MemoryLogger()).inhibit, false);

    const owned = writeScript(dir, 'owned.sh', 'exit 0');
    chownSync(owned, 65534, 65534);
    log = new MemoryLogger();
    assert.equal(checkScriptSecure(owned, ROOT, true, log).inhibit, true);
    assert.equal(log.texts()[1], `Script '${owned}': path component '${owned}' is owned by uid 65534`);

    const grp = join(dir, 'grp');
    mkdirSync(grp);
    chownSync(grp, 0, 65534);
    chmodSync(grp, 0o775);
    log = new MemoryLogger();
    assert.equal(checkScriptSecure(writeScript(grp, 's.sh', 'exit 0'), ROOT, true, log).inhibit, true);
    assert.match(log.texts()[1]!, /path component '.*\/grp' is writable by group 65534$/);

    // A symlink in a safe dir pointing into an unsafe dir: the real path is checked too.
    const link = join(dir, 'link.sh');
    symlinkSync(s1, link);
    log = new MemoryLogger();
    assert.equal(checkScriptSecure(link, ROOT, true, log).inhibit, true);
    assert.equal(log.texts()[1], `Script '${s1}': path component '${open}' is world-writable`);
    const goodLink = join(dir, 'good-link.sh');
    symlinkSync(ok, goodLink);
    log = new MemoryLogger();
    assert.equal(checkScriptSecure(goodLink, ROOT, true, log).inhibit, false, log.texts().join('\n'));

    // Scripts not run as root need no path protection.
    assert.equal(checkScriptSecure(s1, { uid: 65534, gid: 65534 }, true, new MemoryLogger()).inhibit, false);

    // Not executable -> disabled.
    const noexec = writeScript(dir, 'noexec.sh', 'exit 0', 0o644);
    log = new MemoryLogger();
    assert.equal(checkScriptSecure(noexec, ROOT, true, log).inhibit, true);
    assert.match(log.texts()[0]!, /^WARNING - script '.*noexec.sh' is not executable for uid:gid 0:0 - disabling\.$/);

    // Missing, and bare names resolved by PATH search.
    log = new MemoryLogger();
    assert.equal(checkScriptSecure(join(dir, 'nope'), ROOT, true, log).notFound, true);
    log = new MemoryLogger();
    const bare = checkScriptSecure('ok.sh', ROOT, true, log, `${join(dir, 'nothing')}:${dir}`);
    assert.equal(bare.path, ok);
    assert.match(log.texts()[0]!, /^WARNING - script `ok.sh` resolved by path search to `.*ok.sh`\. Please specify full path\.$/);
  } finally {
    cleanup();
  }
});

test('script users: lookups, default keepalived_script else own ids, messages', () => {
  const { dir, cleanup } = tempDir();
  try {
    const passwd = join(dir, 'passwd');
    const group = join(dir, 'group');
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
    writeFileSync(group, 'root:x:0:\nnogroup:x:65534:\nstaff:x:50:\n');
    assert.deepEqual(lookupUser('nobody', 'nobody:x:65534:65534::/:/bin/false'), { uid: 65534, gid: 65534 });
    assert.equal(lookupGroup('staff', 'staff:x:50:'), 50);
    let log = new MemoryLogger();
    let r = new ScriptUserResolver(log, { uid: 0, gid: 0 }, { passwd, group });
    assert.deepEqual(r.resolve('nobody', 'staff'), { uid: 65534, gid: 50 });
    assert.equal(r.resolve('ghost'), undefined);
    assert.equal(r.resolve('nobody', 'ghosts'), undefined);
    assert.deepEqual(log.texts(), ["Script user 'ghost' does not exist", "Script group 'ghosts' does not exist"]);
    log = new MemoryLogger();
    r = new ScriptUserResolver(log, { uid: 0, gid: 0 }, { passwd, group });
    assert.deepEqual(r.defaultUser(false), { uid: 0, gid: 0 });
    assert.deepEqual(log.texts(), ["Script user 'keepalived_script' does not exist"]);
    log = new MemoryLogger();
    r = new ScriptUserResolver(log, { uid: 0, gid: 0 }, { passwd, group });
    assert.equal(r.defaultUser(true), undefined);
    assert.ok(log.texts().includes('Unable to set default user keepalived_script for script'));
    writeFileSync(passwd, 'keepalived_script:x:990:990::/:/bin/false\n');
    r = new ScriptUserResolver(new MemoryLogger(), { uid: 0, gid: 0 }, { passwd, group });
    assert.deepEqual(r.defaultUser(true), { uid: 990, gid: 990 });
    r = new ScriptUserResolver(new MemoryLogger(), { uid: 0, gid: 0 }, { passwd, group });
    assert.equal(r.setDefault('keepalived_script', 'staff'), true);
    assert.deepEqual(r.defaultUser(true), { uid: 990, gid: 50 });
  } finally {
    cleanup();
  }
});

test('SECURITY VIOLATION text', () => {
  assert.equal(securityViolationText(false), 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.');
  assert.equal(
    securityViolationText(true),
    'SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.',
  );
});

test(
  'a script under a symlinked directory (/bin on a merged-/usr host) is checked and run by its resolved path',
  { skip: isRoot ? false : 'needs root (root-owned path)' },
  () => {
    const { dir, cleanup } = tempDir();
    try {
      chmodSync(dir, 0o755);
      mkdirSync(join(dir, 'usr'), { mode: 0o755 });
      mkdirSync(join(dir, 'usr', 'bin'), { mode: 0o755 });
      const real = writeScript(join(dir, 'usr', 'bin'), 't.sh', 'exit 0');
      symlinkSync('usr/bin', join(dir, 'bin'));
      const log = new MemoryLogger();
      // keepalived (lib/notify.c) replaces the command by realpath() before walking it: no "Wrong file type" for /bin
      assert.deepEqual(checkScriptSecure(join(dir, 'bin', 't.sh'), ROOT, true, log), {
        path: real,
        notFound: false,
        insecure: false,
        inhibit: false,
      });
      assert.deepEqual(log.texts(), []);
      // a link with another name keeps its name (a program may act by it) when that name resolves to the same file
      symlinkSync('t.sh', join(dir, 'usr', 'bin', 'alias.sh'));
      assert.equal(checkScriptSecure(join(dir, 'bin', 'alias.sh'), ROOT, true, new MemoryLogger()).path, join(dir, 'usr', 'bin', 'alias.sh'));
    } finally {
      cleanup();
    }
  },
);
