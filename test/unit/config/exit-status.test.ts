/**
 * `-t`'s exit status classes as keepalived 2.2.7 decides them: config_test_exit takes the highest report —
 * CONFIG_FATAL / CONFIG_BAD_IF alone give 4 (a static address whose default interface is missing, a missing
 * linkbeat interface), any other error 5, a security violation 6 — and an include that fails include_check stops it
 * after reading the files with KEEPALIVED_EXIT_NO_CONFIG (6). keepalived's own statuses for these cases:
 * differential.test.ts (`exit:` corpus entries).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { runConfigTest, type HostView } from '../../../src/config/config-test.js';

const host: HostView = { interfaceKind: (n) => (n === 'eth0' || n === 'lo' ? 'ok' : 'missing'), scriptFound: () => false };

/** -t on `text`: status and the printed lines (file name cut). */
async function configTest(text: string): Promise<{ status: number; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'kts-exit-'));
  try {
    const file = join(dir, 'k.conf');
    writeFileSync(file, text);
    let out = '';
    const status = await runConfigTest({
      file,
      configId: 'x',
      host,
      stderr: { write: (s: string) => (out += s) },
      load: (f, id) => loadConfig(f, { configId: id }),
    });
    return {
      status,
      lines: out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(`${file}:`, '').replace(dir, 'DIR')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const STATIC = 'global_defs {\n  default_interface nosuch0\n}\nstatic_ipaddress {\n  192.0.2.1/24\n}\n';

test('a static address whose default interface is missing: CONFIG_FATAL, exit 4; with another error 5', async () => {
  assert.deepEqual(await configTest(STATIC), {
    status: 4,
    lines: [
      '5:3: error: Static address 192.0.2.1/24 requires either an interface or default interface must exist',
      '5:3: error: Non-existent interface specified in configuration',
    ],
  });
  const both = await configTest(`${STATIC}static_ipaddress {\n  192.0.2.2/24 dev nosuch1\n}\n`);
  assert.equal(both.status, 5);
  assert.deepEqual(both.lines, [
    '5:3: error: Static address 192.0.2.1/24 requires either an interface or default interface must exist',
    "8:3: error: WARNING - interface nosuch1 for ip address 192.0.2.2 doesn't exist",
    '5:3: error: Non-existent interface specified in configuration',
  ]);
  assert.equal((await configTest(STATIC.replace('nosuch0', 'eth0'))).status, 0);
  assert.equal((await configTest('linkbeat_interfaces {\n  nosuch2\n}\n')).status, 4);
});

test('an include failing include_check: exit 6 (KEEPALIVED_EXIT_NO_CONFIG); unchecked or checked too late: 0', async () => {
  const r = await configTest('global_defs {\n  include_check\n}\ninclude none.conf\n');
  assert.equal(r.status, 6);
  assert.match(r.lines.join('\n'), /4:1: error: include 'none\.conf': no such file/);
  assert.equal((await configTest('global_defs {\n  include_check wildcard_match\n}\ninclude none-*.conf\n')).status, 6);
  assert.equal((await configTest('includem none.conf\n')).status, 6);
  assert.equal((await configTest('include none.conf\n')).status, 0);
  assert.equal((await configTest('include none.conf\nglobal_defs {\n  include_check\n}\n')).status, 0);
});
