import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigPort } from '../../../src/daemon/config-port.js';
import { NullRuntime } from '../../../src/runtime/port.js';
import { MemorySender, unavailableSender } from '../../../src/daemon/datagram.js';
import { SdNotifier } from '../../../src/daemon/sdnotify.js';

const FAKE = new URL('./fake-config.js', import.meta.url).href;

test('the config port adapts src/config\'s expected API: errors and warnings split, dump as JSON', async () => {
  const port = await loadConfigPort(FAKE);
  assert.ok(!(port instanceof Error));
  const ok = await port.load('/etc/good.conf', { configId: 'n1' });
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.warnings, ['/etc/good.conf:1:2: warning: config id n1']);
  assert.deepEqual(JSON.parse(port.dump(ok.config)), { dumped: { vrrpInstances: [{ name: 'VI_9' }] } });
  const bad = await port.load('/etc/bad.conf', { configId: 'n1' });
  assert.deepEqual(bad.errors, ['/etc/bad.conf:3:4: error: unknown keyword']);
  const out: string[] = [];
  assert.equal(await port.configTest('/etc/bad.conf', { configId: 'x' }, { write: (s: string) => out.push(s) }), 4, 'missing file');
  assert.match(out[0]!, /does not exist/);
});

test('a missing or incomplete src/config is an Error value, not an exception', async () => {
  const missing = await loadConfigPort(new URL('./no-such-module.js', import.meta.url).href);
  assert.ok(missing instanceof Error);
  const incomplete = await loadConfigPort('node:os');
  assert.ok(incomplete instanceof Error);
  assert.match(incomplete.message, /loadConfig/);
});

test('NullRuntime reports instance names from a model, in BACKUP, and records calls', async () => {
  const rt = new NullRuntime();
  await rt.start({ vrrpInstances: [{ name: 'VI_9' }, { name: 'VI_10' }] });
  assert.deepEqual(rt.snapshot().instances.map((i) => [i.name, i.state]), [['VI_9', 1], ['VI_10', 1]]);
  await rt.reload({});
  assert.deepEqual(rt.snapshot().instances, []);
  rt.clearStats();
  await rt.stop();
  assert.deepEqual(rt.calls, ['start', 'reload', 'clearStats', 'stop']);
});

test('sd_notify messages as keepalived sends them; silent without NOTIFY_SOCKET or a sender', () => {
  const s = new MemorySender();
  const n = new SdNotifier(s, '@/org/freedesktop/systemd1/notify', 321);
  assert.equal(n.enabled, true);
  n.ready(); n.reloading(); n.stopping(); n.error(2);
  assert.deepEqual(s.sent.map((m) => m.text), ['READY=1\nMAINPID=321', 'RELOADING=1', 'STOPPING=1', 'ERRNO=2']);
  assert.equal(s.sent[0]!.path, '@/org/freedesktop/systemd1/notify');
  const quiet = new MemorySender();
  new SdNotifier(quiet, undefined, 1).ready();
  assert.deepEqual(quiet.sent, []);
  const off = new SdNotifier(unavailableSender(), '/run/x', 1);
  assert.equal(off.enabled, false);
  assert.doesNotThrow(() => off.ready());
});
