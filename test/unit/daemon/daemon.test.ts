import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/clock.js';
import { configPortFrom, type LoadedConfig } from '../../../src/daemon/config-port.js';
import { controlRequest } from '../../../src/daemon/control.js';
import { renderStatusTable } from '../../../src/daemon/status-table.js';
import { Daemon, commandLineLines, type DaemonSettings } from '../../../src/daemon/daemon.js';
import { MemorySender } from '../../../src/daemon/datagram.js';
import { LogHub, type LogSink } from '../../../src/daemon/logging.js';
import { NullRuntime, type RuntimeContext, type VrrpRuntime } from '../../../src/runtime/port.js';
import { SdNotifier } from '../../../src/daemon/sdnotify.js';
import { FakeSignals } from '../../../src/daemon/signals.js';
import type { RuntimeSnapshot } from '../../../src/runtime/snapshot.js';
import { captured } from './capture.js';
import { instances, model } from './model.js';

/** A runtime that serves the captured keepalived state and records calls. */
class CapturedRuntime extends NullRuntime implements VrrpRuntime {
  cleared = false;
  override snapshot(): RuntimeSnapshot {
    return this.cleared
      ? { ...captured, instances: captured.instances.map((i) => ({ ...i, stats: { ...i.stats, advert_sent: 0, become_master: 0 } })) }
      : captured;
  }
  override clearStats(): void {
    super.clearStats();
    this.cleared = true;
  }
}

interface Harness {
  dir: string;
  daemon: Daemon;
  signals: FakeSignals;
  lines: string[];
  notify: MemorySender;
  runtime: () => CapturedRuntime;
  configs: Map<string, LoadedConfig>;
  settings: DaemonSettings;
}

/** Daemons created by the running test, stopped whatever happens. */
const live: Daemon[] = [];

function harness(
  dir: string,
  name: string,
  over: Partial<DaemonSettings> = {},
  pid = 1000,
  factory?: (ctx: RuntimeContext) => CapturedRuntime,
): Harness {
  const configFile = join(dir, `${name}.conf`);
  writeFileSync(configFile, 'global_defs {}\n');
  const configs = new Map<string, LoadedConfig>([[configFile, { config: instances('VI_1'), errors: [], warnings: [] }]]);
  const lines: string[] = [];
  const sink: LogSink = {
    write: (r, ident) => {
      lines.push(`${ident}: ${r.text}`);
    },
  };
  const clock = new ManualClock(0, Date.UTC(2026, 10, 22, 8, 0, 0));
  const notify = new MemorySender();
  const signals = new FakeSignals();
  let rt: CapturedRuntime | undefined;
  const settings: DaemonSettings = {
    configFile,
    configId: 'node1',
    pidFiles: [join(dir, `${name}.pid`), join(dir, `${name}_vrrp.pid`)],
    tmpDir: dir,
    controlSocket: join(dir, `${name}.sock`),
    commandLine: ['keepalived-ts', '-n', '-f', configFile],
    version: 'Keepalived v2.2.7 (01/16,2022), keepalived-ts v0.0.0',
    platform: 'Linux test',
    logDetail: 0,
    releaseVips: false,
    dontReleaseVrrp: false,
    addressMonitoring: false,
    dumpConf: false,
    ...over,
  };
  const daemon = new Daemon({
    settings,
    clock,
    logs: new LogHub(clock, [sink], true),
    signals,
    config: configPortFrom((f) => configs.get(f) ?? { config: undefined, errors: [`${f}:1:1: error: unreadable`], warnings: [] }),
    runtimeFactory: (ctx) => (rt = factory ? factory(ctx) : new CapturedRuntime(ctx)),
    sdNotify: new SdNotifier(notify, '/run/notify.sock', pid),
    pid,
    lagSampleMs: 0,
  });
  live.push(daemon);
  return { dir, daemon, signals, lines, notify, runtime: () => rt!, configs, settings };
}

async function untilLogged(h: Harness, text: string): Promise<void> {
  for (let i = 0; i < 200 && !h.lines.some((l) => l.endsWith(text)); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(
    h.lines.some((l) => l.endsWith(text)),
    `never logged: ${text}\n${h.lines.join('\n')}`,
  );
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-daemon-'));
    try {
      await fn(dir);
    } finally {
      await Promise.all(live.splice(0).map((d) => d.stop()));
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('Command line is wrapped at 100 columns like keepalived', () => {
  const words = [
    'keepalived',
    '-P',
    '-n',
    '-l',
    '-D',
    '-f',
    '/tmp/kts-ref/vi.conf',
    '-p',
    '/tmp/kts-ref/k.pid',
    '-r',
    '/tmp/kts-ref/v.pid',
    '-c',
    '/tmp/kts-ref/c.pid',
  ];
  assert.deepEqual(commandLineLines(words), [
    "Command line: 'keepalived' '-P' '-n' '-l' '-D' '-f' '/tmp/kts-ref/vi.conf' '-p' '/tmp/kts-ref/k.pid'",
    "              '-r' '/tmp/kts-ref/v.pid' '-c' '/tmp/kts-ref/c.pid'",
  ]);
  assert.deepEqual(commandLineLines(['keepalived-ts']), ["Command line: 'keepalived-ts'"]);
});

test(
  'two daemons in one process: lifecycle, pid files, signals, dumps, sd_notify',
  withDir(async (dir) => {
    const a = harness(dir, 'a', {}, 1001);
    const b = harness(dir, 'b', {}, 1002);
    const runA = a.daemon.run();
    const runB = b.daemon.run();
    await untilLogged(a, 'Startup complete');
    await untilLogged(b, 'Startup complete');
    assert.equal(readFileSync(join(dir, 'a.pid'), 'utf8'), '1001\n');
    assert.equal(readFileSync(join(dir, 'b_vrrp.pid'), 'utf8'), '1002\n');
    assert.deepEqual(a.lines.slice(0, 7), [
      'Keepalived: Starting Keepalived v2.2.7 (01/16,2022), keepalived-ts v0.0.0',
      'Keepalived: Running on Linux test',
      `Keepalived: Command line: 'keepalived-ts' '-n' '-f' '${a.settings.configFile}'`,
      `Keepalived: Opening file '${a.settings.configFile}'.`,
      `Keepalived: Configuration file ${a.settings.configFile}`,
      'Keepalived: NOTICE: setting config option max_auto_priority should result in better keepalived performance',
      'Keepalived: Startup complete',
    ]);
    assert.deepEqual(a.notify.sent, [{ path: '/run/notify.sock', text: 'READY=1\nMAINPID=1001' }]);

    assert.equal(a.signals.raise('SIGUSR2'), 1);
    assert.equal(readFileSync(join(dir, 'keepalived.stats'), 'utf8').split('\n')[0], 'VRRP Instance: VI_1');
    assert.equal(statSync(join(dir, 'keepalived.stats')).mode & 0o777, 0o600);
    a.signals.raise('SIGUSR1');
    assert.match(readFileSync(join(dir, 'keepalived.data'), 'utf8'), /^------< Global definitions >------\n Router ID = ref1\n/);
    a.signals.raise('SIGURG');
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir, 'keepalived.json'), 'utf8')).map((x: { data: { iname: string } }) => x.data.iname),
      ['VI_1', 'VI_6'],
    );
    assert.ok(a.lines.includes('Keepalived_vrrp: Printing VRRP stats for process(1001) on signal'));
    assert.ok(a.lines.includes('Keepalived_vrrp: Printing VRRP as json for process(1001) on signal'));
    a.signals.raise('SIGSTATS_CLEAR');
    assert.match(readFileSync(join(dir, 'keepalived.stats'), 'utf8'), /^ {4}Sent: 2$/m, 'stats written before clearing');
    assert.deepEqual(a.runtime().calls.at(-1), 'clearStats');
    assert.ok(a.lines.includes('Keepalived_vrrp: Printing and clearing VRRP stats for process(1001) on signal'));
    a.signals.raise('SIGUSR2');
    assert.doesNotMatch(readFileSync(join(dir, 'keepalived.stats'), 'utf8'), /^ {4}Sent: 2$/m);
    a.signals.raise('SIGJSON');
    assert.equal(a.lines.filter((l) => l.includes('Printing VRRP as json')).length, 2);

    b.signals.raise('SIGTERM');
    assert.equal(await runB, 0);
    assert.equal(existsSync(join(dir, 'b.pid')), false);
    assert.equal(existsSync(join(dir, 'b_vrrp.pid')), false);
    assert.equal(existsSync(b.settings.controlSocket!), false);
    assert.deepEqual(b.lines.slice(-3), [
      'Keepalived: Stopping',
      'Keepalived_vrrp: VRRP runtime stopped',
      'Keepalived: Stopped Keepalived v2.2.7 (01/16,2022), keepalived-ts v0.0.0',
    ]);
    assert.deepEqual(b.runtime().calls, ['start', 'stop']);
    assert.ok(b.notify.sent.some((m) => m.text === 'STOPPING=1'));
    // a is untouched by b's stop
    assert.ok(existsSync(join(dir, 'a.pid')));
    assert.equal(b.signals.raise('SIGTERM'), 0, 'handlers removed after stop');

    a.signals.raise('SIGINT');
    assert.equal(await runA, 0);
    assert.equal(existsSync(join(dir, 'a.pid')), false);
  }),
);

test(
  'SIGHUP reloads; an invalid new configuration keeps the old one running',
  withDir(async (dir) => {
    const h = harness(dir, 'r');
    const run = h.daemon.run();
    await untilLogged(h, 'Startup complete');
    h.signals.raise('SIGHUP');
    await untilLogged(h, 'Reload complete');
    assert.deepEqual(h.runtime().calls, ['start', 'reload']);
    assert.deepEqual(
      h.notify.sent.map((m) => m.text.split('\n')[0]),
      ['READY=1', 'RELOADING=1', 'READY=1'],
    );

    h.configs.set(h.settings.configFile, {
      config: undefined,
      errors: [`${h.settings.configFile}:3:7: error: unknown keyword 'bogus'`],
      warnings: [],
    });
    assert.equal(await h.daemon.reload(), false);
    assert.ok(h.lines.includes(`Keepalived: ${h.settings.configFile}:3:7: error: unknown keyword 'bogus'`));
    assert.ok(h.lines.includes('Keepalived: Reload failed: configuration has errors - keeping the running configuration'));
    assert.deepEqual(h.runtime().calls, ['start', 'reload'], 'runtime not touched by a failed reload');

    h.configs.set(h.settings.configFile, { config: model(), errors: [], warnings: [] });
    const r1 = h.daemon.reload();
    const r2 = h.daemon.reload();
    assert.equal(await r1, true);
    assert.equal(await r2, true);
    assert.ok(h.lines.includes('Keepalived: Reload already in progress, request queued'));
    assert.deepEqual(h.runtime().calls, ['start', 'reload', 'reload', 'reload']);
    await h.daemon.stop();
    assert.equal(await run, 0);
  }),
);

test(
  'control socket: status, json, stats, stats-clear, reload, unknown',
  withDir(async (dir) => {
    const h = harness(dir, 'c');
    const run = h.daemon.run();
    await untilLogged(h, 'Startup complete');
    const sock = h.settings.controlSocket!;
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    const status = await controlRequest(sock, 'status');
    assert.ok(status.ok && status.status);
    assert.equal(status.status.process.pid, 1000);
    assert.deepEqual(
      status.status.snapshot.instances.map((i) => i.name),
      ['VI_1', 'VI_6'],
    );
    const table = renderStatusTable(status.status, Date.UTC(2026, 10, 22, 10, 40, 44));
    assert.match(table, /^INSTANCE\s+STATE\s+VRID\s+PRIO\s+IFACE\s+VIPS\s+SINCE\s+RX\s+TX$/m);
    assert.match(table, /^VI_1\s+MASTER\s+51\s+150\s+kd0\s+192\.0\.2\.100\/24,192\.0\.2\.101\s+10s\s+0\s+2$/m);
    const json = await controlRequest(sock, 'json');
    assert.ok(json.ok && json.text);
    assert.equal(JSON.parse(json.text).length, 2);
    const cleared = await controlRequest(sock, 'stats-clear');
    assert.ok(cleared.ok && cleared.text?.includes('    Sent: 2\n'));
    const after = await controlRequest(sock, 'stats');
    assert.ok(after.ok && !after.text?.includes('    Sent: 2\n') && after.text?.includes('    Sent: 0\n'));
    assert.deepEqual(await controlRequest(sock, 'reload'), { ok: true });
    const bad = await controlRequest(sock, 'frobnicate');
    assert.equal(bad.ok, false);
    h.signals.raise('SIGTERM');
    assert.equal(await run, 0);
    const gone = await controlRequest(sock, 'status', 1000);
    assert.equal(gone.ok, false);
  }),
);

test(
  'a live process owning the pid file: "daemon is already running", nothing touched',
  withDir(async (dir) => {
    const h = harness(dir, 'p');
    writeFileSync(join(dir, 'p.pid'), `${process.pid}\n`);
    assert.equal(await h.daemon.run(), 0);
    assert.ok(h.lines.includes('Keepalived: daemon is already running'));
    assert.equal(
      h.lines.some((l) => l.includes('Stopped Keepalived')),
      false,
      'no Stopped line, as keepalived',
    );
    assert.equal(readFileSync(join(dir, 'p.pid'), 'utf8'), `${process.pid}\n`);
    assert.equal(existsSync(join(dir, 'p_vrrp.pid')), false);
    assert.equal(h.runtime(), undefined, 'no runtime was started');
  }),
);

test(
  'missing configuration file exits 6; configuration errors exit 2 with file:line:col lines',
  withDir(async (dir) => {
    const m = harness(dir, 'm', { configFile: join(dir, 'nonexistent.conf') });
    assert.equal(await m.daemon.run(), 6);
    assert.ok(m.lines.some((l) => l.includes('nonexistent.conf')));
    const e = harness(dir, 'e');
    e.configs.set(e.settings.configFile, {
      config: undefined,
      errors: [`${e.settings.configFile}:2:3: error: bad`],
      warnings: [`${e.settings.configFile}:1:1: warning: w`],
    });
    assert.equal(await e.daemon.run(), 2);
    assert.ok(e.lines.includes(`Keepalived: ${e.settings.configFile}:2:3: error: bad`));
    assert.ok(e.lines.includes(`Keepalived: ${e.settings.configFile}:1:1: warning: w`));
    assert.equal(existsSync(join(dir, 'e.pid')), false);
    assert.deepEqual(e.notify.sent, [{ path: '/run/notify.sock', text: 'ERRNO=2' }]);
  }),
);

test(
  'start-up with configuration errors: runs with what was read (as keepalived) unless an instance interface is missing',
  withDir(async (dir) => {
    const ok = harness(dir, 'ok');
    ok.configs.set(ok.settings.configFile, {
      config: model(),
      errors: [`${ok.settings.configFile}:4:12: error: priority: 300 is out of range [1-255]`],
      warnings: [],
    });
    const run = ok.daemon.run();
    await untilLogged(ok, 'Startup complete');
    assert.ok(ok.lines.includes(`Keepalived: ${ok.settings.configFile}:4:12: error: priority: 300 is out of range [1-255]`));
    assert.ok(ok.lines.some((l) => l.includes('Configuration has errors - starting with the parts that could be read')));
    // the same errors on reload reject the new file
    assert.equal(await ok.daemon.reload(), false);
    await ok.daemon.stop();
    assert.equal(await run, 0);
    const bad = harness(dir, 'bad');
    bad.configs.set(bad.settings.configFile, {
      config: model(),
      errors: [`${bad.settings.configFile}:2:13: error: Non-existent interface specified in configuration`],
      warnings: [],
    });
    assert.equal(await bad.daemon.run(), 2);
    assert.equal(existsSync(join(dir, 'bad.pid')), false);
  }),
);

test(
  'TERM while the control socket is opening: the socket is closed again, exit 0',
  withDir(async (dir) => {
    const h = harness(dir, 'o');
    // deliver TERM at the first await after the handlers are installed: inside the control socket's opening
    const on = h.signals.on.bind(h.signals);
    h.signals.on = (sig, handler) => {
      on(sig, handler);
      if (sig === 'SIGTERM') queueMicrotask(() => h.signals.raise('SIGTERM'));
    };
    const run = h.daemon.run();
    assert.equal(await run, 0);
    assert.ok(h.lines.some((l) => l.endsWith('Stopping')));
    assert.equal(
      h.lines.some((l) => l.endsWith('Startup complete')),
      false,
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(existsSync(h.settings.controlSocket!), false);
    assert.equal((await controlRequest(h.settings.controlSocket!, 'ping', 500)).ok, false);
  }),
);

test(
  'control socket: stale socket file replaced, a live one refused, oversized lines cut off',
  withDir(async (dir) => {
    const { ControlServer } = await import('../../../src/daemon/control.js');
    const { connect } = await import('node:net');
    const path = join(dir, 'ctl.sock');
    writeFileSync(path, 'stale');
    const srv = new ControlServer(path, async (cmd) => ({ ok: true, text: `echo ${cmd}` }));
    assert.equal(await srv.listen(), undefined);
    assert.deepEqual(await controlRequest(path, 'hello'), { ok: true, text: 'echo hello' });
    const second = new ControlServer(path, async () => ({ ok: true }));
    const err = await second.listen();
    assert.match(String(err?.message), /in use by another process/);
    const long = await new Promise<string>((resolve) => {
      const s = connect(path, () => s.write('x'.repeat(10_000)));
      let buf = '';
      s.on('data', (c) => {
        buf += c.toString();
      });
      s.on('close', () => resolve(buf));
      s.on('error', () => resolve(buf));
    });
    assert.equal(JSON.parse(long).text, `echo ${'x'.repeat(256)}`);
    await srv.close();
    assert.equal(existsSync(path), false);
  }),
);

test(
  'TERM while the runtime is starting: stop wins, no "Startup complete", exit 0',
  withDir(async (dir) => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const h = harness(dir, 's', {}, 1000, (ctx) => {
      const rt = new CapturedRuntime(ctx);
      rt.start = async () => {
        rt.calls.push('start');
        await gate;
      };
      return rt;
    });
    const run = h.daemon.run();
    for (let i = 0; i < 400 && !h.runtime(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(h.runtime(), 'runtime created');
    assert.equal(h.signals.raise('SIGTERM'), 1);
    release();
    assert.equal(await run, 0);
    assert.equal(
      h.lines.some((l) => l.endsWith('Startup complete')),
      false,
    );
    assert.ok(h.lines.some((l) => l.endsWith('Stopping')));
    assert.equal(existsSync(join(dir, 's.pid')), false);
    assert.deepEqual(h.runtime().calls, ['start', 'stop']);
  }),
);
