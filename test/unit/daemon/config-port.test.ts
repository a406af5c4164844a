import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPort } from '../../../src/daemon/config-port.js';
import { NullRuntime } from '../../../src/runtime/port.js';
import { MemorySender, unavailableSender } from '../../../src/daemon/datagram.js';
import { SdNotifier } from '../../../src/daemon/sdnotify.js';
import { instances, model } from './model.js';

test('the config port reads src/config: errors and warnings split by severity, dump as JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-port-'));
  try {
    const good = join(dir, 'good.conf');
    writeFileSync(good, 'vrrp_instance VI_9 {\n  interface eth0\n  virtual_router_id 9\n  priority 100\n  bogus_keyword 1\n}\n');
    const port = configPort();
    const ok = await port.load(good, { configId: 'n1' });
    assert.deepEqual(ok.errors, []);
    assert.deepEqual(ok.warnings, [`${good}:5:3: warning: Unknown keyword 'bogus_keyword'`]);
    assert.deepEqual(
      ok.config?.vrrpInstances.map((i) => i.name),
      ['VI_9'],
    );
    assert.deepEqual(
      JSON.parse(port.dump(ok.config!)).vrrpInstances.map((i: { name: string }) => i.name),
      ['VI_9'],
    );
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 300\n}\n');
    const r = await port.load(bad, { configId: 'n1' });
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!, new RegExp(`^${bad}:4:\\d+: error: `));
    const missing = await port.load(join(dir, 'none.conf'), { configId: 'n1' });
    assert.deepEqual(missing.errors, [`${join(dir, 'none.conf')}:0:0: error: Configuration file '${join(dir, 'none.conf')}' could not be read`]);
    const out: string[] = [];
    assert.equal(await port.configTest(join(dir, 'none.conf'), { configId: 'x' }, { write: (s: string) => out.push(s) }), 4, 'missing file');
    assert.match(out[0]!, /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NullRuntime reports instance names from a model, in BACKUP, and records calls', async () => {
  const rt = new NullRuntime();
  await rt.start(instances('VI_9', 'VI_10'));
  assert.deepEqual(
    rt.snapshot().instances.map((i) => [i.name, i.state]),
    [
      ['VI_9', 1],
      ['VI_10', 1],
    ],
  );
  await rt.reload(model());
  assert.deepEqual(rt.snapshot().instances, []);
  rt.clearStats();
  await rt.stop();
  assert.deepEqual(rt.calls, ['start', 'reload', 'clearStats', 'stop']);
});

test('sd_notify messages as keepalived sends them; silent without NOTIFY_SOCKET or a sender', () => {
  const s = new MemorySender();
  const n = new SdNotifier(s, '@/org/freedesktop/systemd1/notify', 321);
  assert.equal(n.enabled, true);
  n.ready();
  n.reloading();
  n.stopping();
  n.error(2);
  assert.deepEqual(
    s.sent.map((m) => m.text),
    ['READY=1\nMAINPID=321', 'RELOADING=1', 'STOPPING=1', 'ERRNO=2'],
  );
  assert.equal(s.sent[0]!.path, '@/org/freedesktop/systemd1/notify');
  const quiet = new MemorySender();
  new SdNotifier(quiet, undefined, 1).ready();
  assert.deepEqual(quiet.sent, []);
  const off = new SdNotifier(unavailableSender(), '/run/x', 1);
  assert.equal(off.enabled, false);
  assert.doesNotThrow(() => off.ready());
});

test('an include that matches no file: -t passes as keepalived 2.2.7 does, but the daemon takes it as an error (a reload keeps the running configuration)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-port-'));
  try {
    const f = join(dir, 'k.conf');
    writeFileSync(
      f,
      `include ${dir}/missing.conf\nglobal_defs {\n  dynamic_interfaces\n}\nvrrp_instance VI_9 {\n  interface kts-absent0\n  virtual_router_id 9\n  priority 100\n}\n`,
    );
    const port = configPort();
    const r = await port.load(f, { configId: 'n1' });
    assert.deepEqual(r.errors, [`${f}:1:1: warning: include '${dir}/missing.conf': no such file`]);
    assert.deepEqual(
      r.config?.vrrpInstances.map((i) => i.name),
      ['VI_9'],
    );
    const out: string[] = [];
    assert.equal(await port.configTest(f, { configId: 'n1' }, { write: (s: string) => out.push(s) }), 0, out.join(''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
