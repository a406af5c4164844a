import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadConfig } from '../../../src/config/index.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { LinuxVrrpRuntime } from '../../../src/runtime/vrrp/linux-runtime.js';

test('startup_script runs before start, shutdown_script after stop; a failing one is logged with its status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-life-'));
  try {
    const out = join(dir, 'out');
    const script = join(dir, 's.sh');
    writeFileSync(script, `#!/bin/sh\necho "$1" >> ${out}\n[ "$1" = up ] || exit 3\n`);
    chmodSync(script, 0o755);
    const conf = join(dir, 'k.conf');
    writeFileSync(conf, `global_defs {\n  startup_script "${script} up"\n  shutdown_script "${script} down"\n  shutdown_script_timeout 5\n}\n`);
    const { config, diagnostics } = loadConfig(conf);
    assert.deepEqual(
      diagnostics.filter((x) => x.severity === 'error'),
      [],
    );
    const log = new MemoryLogger();
    const rt = new LinuxVrrpRuntime({ log, logDetail: 1, releaseVips: false, dontReleaseVrrp: false, addressMonitoring: false });
    await rt.start(config);
    assert.equal(readFileSync(out, 'utf8'), 'up\n');
    await rt.stop();
    assert.equal(readFileSync(out, 'utf8'), 'up\ndown\n');
    const texts = log.records.map((r) => r.text);
    assert.ok(texts.includes(`Running startup script ${script}`), texts.join('\n'));
    assert.ok(texts.includes('startup script script succeeded'));
    assert.ok(texts.includes(`Running shutdown script ${script}`));
    assert.ok(texts.includes('shutdown script script failed, status 3'), texts.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
