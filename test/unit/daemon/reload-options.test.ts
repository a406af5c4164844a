/**
 * global_defs file and reload keywords (issue 15): parsing with keepalived 2.2.7's texts, `reload_time_file`'s time
 * formats (core/reload_monitor.c) and its monitor on real files, `reload_file`'s default names, `config_save_dir`
 * copies, `data_use_instance` dump names, `include_check` bits, `random_seed`, `smtp_alert_checker`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';
import { includeCheckBits, INCLUDE_CHECK_ALL } from '../../../src/config/parse-process.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { ConfigSaver, createReloadFile } from '../../../src/daemon/config-files.js';
import { dataDumpName } from '../../../src/daemon/dumpfile.js';
import { reloadFileFor } from '../../../src/daemon/pidfile.js';
import { ReloadMonitor } from '../../../src/daemon/reload-monitor.js';
import { formatLocalTime, parseReloadTime, type Calendar } from '../../../src/daemon/reload-time.js';

function load(body: string, top = '') {
  const text = `global_defs {\n${body}}\n${top}`;
  return loadConfig('p.conf', { fs: { readFile: (f: string) => (f === 'p.conf' ? text : undefined), listDir: () => [] } });
}
const diags = (body: string, top = '') => load(body, top).diagnostics.map(formatDiagnostic);

/** A calendar in UTC whatever TZ says, so that the tests do not depend on the host's zone. */
const UTC: Calendar = {
  toMs: (y, mon, d, h, mi, s) => Date.UTC(y, mon, d, h, mi, s),
  fields: (ms) => {
    const t = new Date(ms);
    return [t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()];
  },
};
const NOW = Date.UTC(2026, 11, 6, 14, 0, 0);

test("reload_time_file times: keepalived's three formats, Z for UTC, tomorrow for a past time of day, its texts", () => {
  assert.deepEqual(parseReloadTime('14:00:05', NOW, UTC), { ok: true, atMs: NOW + 5000, dateSpecified: false });
  assert.deepEqual(parseReloadTime('13:59:59', NOW, UTC), { ok: true, atMs: NOW - 1000 + 86_400_000, dateSpecified: false }, 'tomorrow');
  assert.deepEqual(parseReloadTime('2026-12-07 01:02:03', NOW, UTC), { ok: true, atMs: Date.UTC(2026, 11, 7, 1, 2, 3), dateSpecified: true });
  assert.deepEqual(parseReloadTime('27-01-01 00:00:00', NOW, UTC), { ok: true, atMs: Date.UTC(2027, 0, 1), dateSpecified: true });
  assert.deepEqual(parseReloadTime('2026-12-06 14:00:10Z', NOW, UTC), { ok: true, atMs: NOW + 10_000, dateSpecified: true });
  assert.deepEqual(parseReloadTime('2026-12-06 13:00:00', NOW, UTC), {
    ok: false,
    past: true,
    log: ['Reload time 2026-12-06 13:00:00 is in the past - ignoring', 'Reload date/time is in the past - ignoring'],
  });
  assert.deepEqual(parseReloadTime('14:00', NOW, UTC), {
    ok: false,
    past: false,
    log: ['Reload time 14:00 format is incorrect - ignoring', "Invalid reload time '14:00' specified - ignoring"],
  });
  assert.deepEqual(parseReloadTime('2026-02-30 10:00:00', NOW, UTC), {
    ok: false,
    past: false,
    log: ['Reload time 2026-02-30 10:00:00 is not valid - ignoring', "Invalid reload time '2026-02-30 10:00:00' specified - ignoring"],
  });
  assert.equal(parseReloadTime('2026-12-06 25:00:00', NOW, UTC).ok, false);
  assert.equal(parseReloadTime('ab:cd:ef', NOW, UTC).ok, false);
  assert.equal(formatLocalTime(NOW, UTC), '2026-12-06 14:00:00');
});

/** Timers that record what is armed and fire on demand. */
function fakeTimers() {
  const armed = new Map<number, { fn: () => void; ms: number }>();
  let id = 0;
  return {
    armed,
    setTimeout: (fn: () => void, ms: number) => {
      armed.set(++id, { fn, ms });
      return id;
    },
    clearTimeout: (h: unknown) => void armed.delete(h as number),
    fire() {
      const [k, v] = [...armed][0]!;
      armed.delete(k);
      v.fn();
    },
  };
}

const until = async (pred: () => boolean, ms = 3000): Promise<void> => {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('reload_time_file monitor: reads the file at start, follows changes and deletion, reloads at the time and deletes the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-rtf-'));
  const file = join(dir, 'reload.time');
  const log = new MemoryLogger();
  const timers = fakeTimers();
  let reloads = 0;
  const mk = (repeat: boolean) => new ReloadMonitor({ file, repeat, log, timers, now: () => NOW, calendar: UTC, onReload: () => void reloads++ });
  const texts = () => log.records.map((r) => r.text);
  try {
    writeFileSync(file, '14:00:30\n');
    const m = mk(false);
    m.start();
    assert.deepEqual(texts(), ['Scheduling reload for 2026-12-06 14:00:30']);
    assert.deepEqual(
      [...timers.armed.values()].map((t) => t.ms),
      [30_000],
    );
    writeFileSync(file, '2026-12-06 14:01:00\n');
    await until(() => texts().length === 2);
    assert.equal(texts()[1], 'Reload time updated from 2026-12-06 14:00:30 to 2026-12-06 14:01:00');
    assert.deepEqual(
      [...timers.armed.values()].map((t) => t.ms),
      [60_000],
    );
    unlinkSync(file);
    await until(() => texts().length === 3);
    assert.equal(texts()[2], 'Cancelling reload scheduled for 2026-12-06 14:01:00');
    assert.equal(timers.armed.size, 0);
    writeFileSync(file, '14:00:10');
    await until(() => timers.armed.size === 1);
    timers.fire();
    assert.equal(reloads, 1);
    assert.equal(existsSync(file), false, 'deleted when the reload is due');
    m.stop();

    // reload_repeat with a time of day: the file stays (the reload repeats the next day); with a date it goes
    writeFileSync(file, '14:00:10');
    const r = mk(true);
    r.start();
    timers.fire();
    assert.equal(reloads, 2);
    assert.equal(existsSync(file), true, 'reload_repeat keeps a time-of-day file');
    r.stop();
    writeFileSync(file, '2026-12-06 14:00:10');
    const r2 = mk(true);
    r2.start();
    timers.fire();
    assert.equal(existsSync(file), false, 'a date is not repeated');
    r2.stop();
    writeFileSync(file, 'bad');
    const b = mk(false);
    b.start();
    assert.deepEqual(texts().slice(-2), ['Reload time bad format is incorrect - ignoring', "Invalid reload time 'bad' specified - ignoring"]);
    assert.equal(timers.armed.size, 0);
    b.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("reload keywords, config_save_dir, tmp_config_directory, child_wait_time: parsed with keepalived's texts", () => {
  const g = load(
    ' reload_check_config /tmp/c.log\n reload_time_file /tmp/t\n reload_repeat\n reload_file\n config_save_dir /tmp/save/\n' +
      ' tmp_config_directory /var/tmp\n',
    'child_wait_time 7\n',
  );
  assert.deepEqual(g.diagnostics.map(formatDiagnostic), []);
  const c = g.config;
  assert.equal(c.globalDefs.reloadCheckConfig, '/tmp/c.log');
  assert.equal(c.globalDefs.reloadTimeFile, '/tmp/t');
  assert.equal(c.globalDefs.reloadRepeat, true);
  assert.equal(c.globalDefs.reloadFile, true);
  assert.equal(c.globalDefs.configSaveDir, '/tmp/save', 'a trailing / removed, as set_dir');
  assert.equal(c.globalDefs.tmpConfigDirectory, '/var/tmp');
  assert.equal(c.childWaitTimeSec, 7);
  assert.equal(load(' reload_check_config\n').config.globalDefs.reloadCheckConfig, '/dev/null');
  assert.deepEqual(diags(' reload_time_file /a /b\n'), ['p.conf:2:2: warning: reload_time_file invalid']);
  assert.deepEqual(diags(' tmp_config_directory /a\n tmp_config_directory /b\n'), [
    'p.conf:3:2: warning: tmp_config_directory already specified - ignoring',
  ]);
  assert.deepEqual(diags('', 'child_wait_time x\n'), ['p.conf:3:17: warning: Invalid child_wait_time x']);
  assert.equal(load('', 'child_wait_time x\n').diagnostics[0]!.failsTest, true);
});

test('reload_file names: given, or keepalived.reload beside the main pid file', () => {
  const f = (reloadFile: string | true | undefined, instanceName?: string, usePidDir = false, ns?: string) =>
    reloadFileFor({ globalDefs: reloadFile === undefined ? {} : { reloadFile }, usePidDir, ...(instanceName ? { instanceName } : {}) }, ns);
  assert.equal(f(undefined), undefined);
  assert.equal(f('/x/y'), '/x/y');
  assert.equal(f(true), '/run/keepalived.reload');
  assert.equal(f(true, undefined, true), '/run/keepalived/keepalived.reload');
  assert.equal(f(true, 'a', true), '/run/keepalived/keepalived_a.reload');
  assert.equal(f(true, 'a', true, 'ns1'), '/run/keepalived/ns1/keepalived_a.reload');
});

test('config_save_dir: DIR created 0700, copies numbered keepalived.conf.PID.N; reload_file created 0644', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-save-'));
  try {
    const log = new MemoryLogger();
    const s = new ConfigSaver(4242, log);
    const save = join(dir, 'saved');
    const a = s.save(save, [
      { path: '/etc/k.conf', text: 'global_defs {\n}\ninclude x.conf\n' },
      { path: '/etc/x.conf', text: 'vrrp_instance V {}' },
    ]);
    assert.equal(a, join(save, 'keepalived.conf.4242.0'));
    assert.equal(statSync(save).mode & 0o777, 0o700);
    assert.equal(readFileSync(a!, 'utf8'), '# /etc/k.conf\nglobal_defs {\n}\ninclude x.conf\n# /etc/x.conf\nvrrp_instance V {}\n');
    assert.equal(s.save(save, []), join(save, 'keepalived.conf.4242.1'));
    writeFileSync(join(dir, 'file'), '');
    assert.equal(s.save(join(dir, 'file'), []), undefined);
    assert.deepEqual(
      log.records.map((r) => r.text),
      [`config_save_dir ${join(dir, 'file')} exists and is not a directory`],
    );
    const rf = join(dir, 'r.reload');
    writeFileSync(rf, 'old');
    createReloadFile(rf, log);
    assert.equal(readFileSync(rf, 'utf8'), '', 'truncated');
    assert.equal(statSync(rf).mode & 0o777, 0o644);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('data_use_instance: keepalived.NAMESPACE_INSTANCE.data only when set and named', () => {
  assert.equal(dataDumpName('keepalived.data', true, 'ns1', 'a'), 'keepalived.ns1_a.data');
  assert.equal(dataDumpName('keepalived.data', true, undefined, 'a'), 'keepalived.a.data');
  assert.equal(dataDumpName('keepalived.data', true, 'ns1'), 'keepalived.ns1.data');
  assert.equal(dataDumpName('keepalived.data', true), 'keepalived.data');
  assert.equal(dataDumpName('keepalived.data', false, 'ns1', 'a'), 'keepalived.data');
  assert.equal(load(' data_use_instance\n').config.globalDefs.dataUseInstance, true);
  assert.equal(load(' data_use_instance off\n').config.globalDefs.dataUseInstance, false);
  assert.deepEqual(diags(' data_use_instance maybe\n'), ["p.conf:2:20: warning: Invalid value 'maybe' for global date_use_instance specified"]);
});

test('smtp_alert_checker: the default smtp_alert of virtual and real servers, before smtp_alert', () => {
  const vs = 'virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.2 80 {\n    TCP_CHECK {\n    }\n  }\n}\n';
  const at = (body: string) => {
    const v = load(body, vs).config.virtualServers[0]!;
    return [v.smtpAlert, v.realServers[0]!.smtpAlert];
  };
  assert.deepEqual(at(''), [false, true], "keepalived's defaults");
  assert.deepEqual(at(' smtp_alert_checker off\n smtp_alert on\n'), [false, false]);
  assert.deepEqual(at(' smtp_alert_checker\n smtp_alert off\n'), [true, true]);
  assert.deepEqual(at(' smtp_alert off\n'), [false, false]);
  assert.deepEqual(diags(' smtp_alert_checker x\n'), ["p.conf:2:21: warning: Invalid value 'x' for global smtp_alert_checker specified"]);
});

test("include_check and random_seed: keepalived's words and texts", () => {
  const R = 1;
  const M = 2;
  const W = 4;
  const B = 8;
  const report: string[] = [];
  const bits = (words: string[], cur = 0) => includeCheckBits(words, cur, (_w, t) => report.push(t));
  assert.equal(bits([]), INCLUDE_CHECK_ALL);
  assert.equal(bits(['match']), R | M);
  assert.equal(bits(['+wildcard_match'], R | M), R | M | W);
  assert.equal(bits(['-read'], R | M), M);
  assert.equal(bits(['brace_match', '+match']), R | B | M);
  assert.equal(bits(['read', 'match']), R);
  assert.equal(bits(['+bogus']), 0);
  assert.deepEqual(report, ["Duplicate include_check 'match' specified - ignoring", "Unknown include_check type 'bogus' - ignoring"]);
  assert.equal(load(' include_check\n').config.globalDefs.includeCheck, INCLUDE_CHECK_ALL);
  assert.deepEqual(diags(' include_check glob\n'), ["p.conf:2:16: warning: Unknown include_check type 'glob' - ignoring"]);
  assert.equal(load(' random_seed 42\n').config.globalDefs.randomSeed, 42);
  assert.deepEqual(diags(' random_seed -1\n'), ['p.conf:2:14: warning: random_seed -1 invalid']);
});

test('include_check decides whether a missing include is an error, from where it is read; an included file cannot change it for its includer', () => {
  const files: Record<string, string> = {
    '/k/main.conf': 'include_check match\ninclude /k/none.conf\ninclude /k/*.none\ninclude /k/sub.conf\ninclude /k/none2.conf\nincludew /k/*.none\n',
    '/k/sub.conf': 'include_check -match\ninclude /k/none3.conf\n',
  };
  const r = loadConfig('/k/main.conf', { fs: { readFile: (f) => files[f], listDir: () => ['main.conf', 'sub.conf'] } });
  const inc = r.diagnostics.map(formatDiagnostic).filter((l) => l.includes('no such file'));
  assert.deepEqual(inc, [
    "/k/main.conf:2:1: error: include '/k/none.conf': no such file",
    "/k/main.conf:3:1: warning: include '/k/*.none': no such file",
    "/k/sub.conf:2:1: warning: include '/k/none3.conf': no such file",
    "/k/main.conf:5:1: error: include '/k/none2.conf': no such file",
    "/k/main.conf:6:1: error: include '/k/*.none': no such file",
  ]);
});
