import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const read = (f: string) => readFileSync(new URL(`../../../../packaging/${f}`, import.meta.url), 'utf8');

/** `[Section] Key=Value` pairs of a unit file (comments dropped). */
function unit(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    assert.ok(kv, `malformed line: ${line}`);
    const k = `${section}.${kv[1]}`;
    out.set(k, [...(out.get(k) ?? []), kv[2]!]);
  }
  return out;
}

test('systemd unit: Type=notify, the environment file, foreground, reload by HUP; no build-tree paths', () => {
  const text = read('keepalived-ts.service');
  const u = unit(text);
  assert.deepEqual(u.get('Service.Type'), ['notify']);
  assert.deepEqual(u.get('Service.EnvironmentFile'), ['-/etc/default/keepalived-ts']);
  assert.deepEqual(u.get('Service.ExecStart'), ['keepalived-ts --dont-fork $DAEMON_ARGS']);
  assert.deepEqual(u.get('Service.ExecReload'), ['/bin/kill -HUP $MAINPID']);
  assert.deepEqual(u.get('Install.WantedBy'), ['multi-user.target']);
  assert.doesNotMatch(text, /dist\/|node_modules|\/work\//);
  assert.match(read('keepalived-ts.default'), /^DAEMON_ARGS=""$/m);
});
