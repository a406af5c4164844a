import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/log.js';
import { prepareScript, scriptContextFor, securityViolation } from '../../../src/notify/prepare.js';
import { runScript } from '../../../src/notify/script-runner.js';
import { ScriptUserResolver } from '../../../src/notify/security.js';
import { tempDir, writeScript } from '../../fixtures/notify/helpers.js';

test('prepareScript: split, user, PATH search, security; SECURITY VIOLATION summary', async () => {
  const { dir, cleanup } = tempDir();
  try {
    chmodSync(dir, 0o755);
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, 'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
    const logger = new MemoryLogger();
    const uid = process.getuid?.() ?? 0;
    const ctx = {
      resolver: new ScriptUserResolver(logger, { uid, gid: process.getgid?.() ?? 0 }, { passwd, group: passwd }),
      scriptSecurity: false,
      logger,
      pathEnv: dir,
    };
    const s = writeScript(dir, 'notify.sh', 'exit 0');
    const p = prepareScript(`"${s}" master 'a b'`, 'notify', ctx);
    assert.ok(p);
    assert.deepEqual(p.spec, { argv: [s, 'master', 'a b'], uid, gid: process.getgid?.() ?? 0 });
    assert.deepEqual(await runScript(p.spec), { kind: 'exited', status: 0 });
    const bare = prepareScript('notify.sh backup', 'notify', ctx);
    assert.deepEqual(bare?.spec.argv, [s, 'backup']);
    assert.equal(prepareScript(`${s} "oops`, 'notify', ctx), undefined);
    assert.equal(prepareScript(s, 'track', ctx, 'ghost'), undefined);
    assert.ok(logger.texts().includes(`Invalid user/group for track script ${s} - ignoring`));
    assert.ok(logger.texts().some((t) => t.startsWith('Unable to parse script')));
    assert.equal(securityViolation([p, bare], true), undefined);
    assert.equal(securityViolation([], false), undefined);
    assert.match(securityViolation([p], false)!, /^SECURITY VIOLATION - scripts are being executed but script_security not enabled\./);
  } finally {
    cleanup();
  }
});

test('scriptContextFor: script_user is the default user of every script of the configuration (VRRP and checker)', () => {
  const { dir, cleanup } = tempDir();
  try {
    chmodSync(dir, 0o755);
    const passwd = join(dir, 'passwd');
    const group = join(dir, 'group');
    writeFileSync(passwd, 'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
    writeFileSync(group, 'root:x:0:\nstaff:x:50:\n');
    const s = writeScript(dir, 'chk.sh', 'exit 0');
    const logger = new MemoryLogger();
    const withUser = scriptContextFor({ scriptUser: { user: 'nobody', group: 'staff' }, enableScriptSecurity: false }, logger, { passwd, group });
    assert.deepEqual(prepareScript(s, 'vrrp', withUser)?.spec, { argv: [s], uid: 65534, gid: 50 });
    // without script_user: keepalived_script, missing here, so our own ids (and keepalived's line)
    const without = scriptContextFor({ enableScriptSecurity: false }, logger, { passwd, group });
    assert.deepEqual(prepareScript(s, 'vrrp', without)?.spec, { argv: [s], uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    assert.deepEqual(logger.texts(), ["Script user 'keepalived_script' does not exist"]);
    assert.equal(scriptContextFor({ enableScriptSecurity: true }, logger, { passwd, group }).scriptSecurity, true);
  } finally {
    cleanup();
  }
});
