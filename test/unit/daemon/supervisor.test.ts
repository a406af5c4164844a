import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/clock.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import type { ChildRole } from '../../../src/daemon/child-role.js';
import { configPortFrom } from '../../../src/daemon/config-port.js';
import { controlRequest, type ControlReply } from '../../../src/daemon/control.js';
import { MemorySender } from '../../../src/daemon/datagram.js';
import { LogHub, type LogSink } from '../../../src/daemon/logging.js';
import { SdNotifier } from '../../../src/daemon/sdnotify.js';
import { FakeSignals } from '../../../src/daemon/signals.js';
import {
  restartDelay,
  Supervisor,
  wantedRoles,
  type ChildEvents,
  type ChildHandle,
  type CommandMessage,
  type EventMessage,
  type FactsMessage,
  type ParentMessage,
  type SupervisorDeps,
  type SupervisorSettings,
  type Timers,
} from '../../../src/daemon/supervisor.js';
import { instances, model } from './model.js';
import type { BfdSessionsEvent, BgpStateEvent } from '../../../src/core/events.js';
import type { BfdSessionStatus } from '../../../src/runtime/snapshot.js';

/** Timers driven by a ManualClock. */
class FakeTimers implements Timers {
  private readonly due: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.due.push({ at: this.clock.now() + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    const i = this.due.findIndex((d) => d.id === h);
    if (i >= 0) this.due.splice(i, 1);
  }
  /** Moves the clock forward, running what falls due. */
  advance(ms: number): void {
    const end = this.clock.now() + ms;
    for (;;) {
      this.due.sort((a, b) => a.at - b.at);
      const next = this.due[0];
      if (!next || next.at > end) break;
      this.due.shift();
      this.clock.set(next.at);
      next.fn();
    }
    this.clock.set(end);
  }
}

/** A child process stand-in: records signals and messages; answers commands; exits on TERM unless told not to. */
class FakeChild implements ChildHandle {
  readonly signals: (string | number)[] = [];
  readonly sent: CommandMessage[] = [];
  /** Facts relayed to this child (the bgp child). */
  readonly facts: FactsMessage[] = [];
  /** Observer events passed on to this child (the VRRP child). */
  readonly relayed: EventMessage[] = [];
  alive = true;
  exitOnTerm = true;
  answer: (command: string) => ControlReply = (c) => ({ ok: true, text: `${this.role}:${c}` });
  constructor(
    readonly role: ChildRole,
    readonly pid: number,
    readonly events: ChildEvents,
  ) {}
  kill(sig: NodeJS.Signals | number): boolean {
    if (!this.alive) return false;
    this.signals.push(sig);
    if (sig === 'SIGTERM' && this.exitOnTerm) queueMicrotask(() => this.die(0, null));
    if (sig === 'SIGKILL') queueMicrotask(() => this.die(null, 'SIGKILL'));
    return true;
  }
  send(m: ParentMessage): boolean {
    if (!this.alive) return false;
    if (m.kind === 'facts') {
      this.facts.push(m);
      return true;
    }
    if (m.kind === 'event') {
      this.relayed.push(m);
      return true;
    }
    this.sent.push(m);
    queueMicrotask(() => this.events.message({ kind: 'reply', id: m.id, reply: this.answer(m.command) }));
    return true;
  }
  ready(): void {
    this.events.message({ kind: 'ready' });
  }
  die(code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.alive) return;
    this.alive = false;
    this.events.exit(code, signal);
  }
}

const flush = () => new Promise((r) => setImmediate(r));

interface Harness {
  sup: Supervisor;
  run: Promise<number>;
  lines: string[];
  children: FakeChild[];
  released: KeepalivedConfig[][];
  prepared: KeepalivedConfig[][];
  signals: FakeSignals;
  timers: FakeTimers;
  clock: ManualClock;
  notify: MemorySender;
  settings: SupervisorSettings;
  ready: number;
  live(role: ChildRole): FakeChild;
}

/** A supervisor over fakes; `autoReady` children report startup complete at once. */
function harness(
  dir: string,
  name: string,
  cfg: KeepalivedConfig,
  over: Partial<SupervisorSettings> = {},
  autoReady = true,
  moreDeps: Pick<SupervisorDeps, 'enterNamespace' | 'onIdentSuffix' | 'checkConfig'> = {},
): Harness {
  const configFile = join(dir, `${name}.conf`);
  writeFileSync(configFile, '');
  const lines: string[] = [];
  const sink: LogSink = {
    write: (r, ident) => {
      lines.push(`${ident}: ${r.text}`);
    },
  };
  const clock = new ManualClock(0, Date.UTC(2026, 11, 6));
  const timers = new FakeTimers(clock);
  const signals = new FakeSignals();
  const notify = new MemorySender();
  const children: FakeChild[] = [];
  const released: KeepalivedConfig[][] = [];
  const prepared: KeepalivedConfig[][] = [];
  let nextPid = 101;
  const settings: SupervisorSettings = {
    configFile,
    configId: 'n1',
    pidFile: join(dir, `${name}.pid`),
    childPidFiles: { vrrp: join(dir, `${name}_vrrp.pid`), check: join(dir, `${name}_checkers.pid`) },
    commandLine: ['keepalived-ts', '-n'],
    version: 'Keepalived v2.2.7 (01/16,2022), keepalived-ts v0.0.0',
    platform: 'Linux test',
    vrrpOnly: false,
    checkOnly: false,
    all: false,
    dontRespawn: false,
    dontReleaseVrrp: false,
    childWaitMs: 5000,
    ...over,
  };
  // -1: no childWaitMs setting (the configuration's child_wait_time decides)
  if (settings.childWaitMs === -1) delete (settings as { childWaitMs?: number }).childWaitMs;
  const h = {} as Harness;
  const sup = new Supervisor({
    settings,
    clock,
    timers,
    logs: new LogHub(clock, [sink], true),
    signals,
    config: configPortFrom(() => ({ config: cfg, errors: [], warnings: [] })),
    spawn: (role, events) => {
      const c = new FakeChild(role, nextPid++, events);
      children.push(c);
      if (autoReady) queueMicrotask(() => c.ready());
      return c;
    },
    release: {
      prepare: async (configs) => {
        prepared.push([...configs]);
      },
      release: async (configs) => {
        released.push([...configs]);
        lines.push('(release)');
        return 1;
      },
    },
    sdNotify: new SdNotifier(notify, '/run/notify', 1000),
    pid: 1000,
    probe: () => false,
    onReady: () => {
      h.ready++;
    },
    ...moreDeps,
  });
  running.push(sup);
  Object.assign(h, {
    sup,
    lines,
    children,
    released,
    prepared,
    signals,
    timers,
    clock,
    notify,
    settings,
    ready: 0,
    run: sup.run(),
    live: (role: ChildRole) => children.filter((c) => c.role === role && c.alive).at(-1)!,
  });
  return h;
}

/** Supervisors of the running test, stopped whatever happens. */
const running: Supervisor[] = [];

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-sup-'));
    try {
      await fn(dir);
    } finally {
      await Promise.all(running.splice(0).map((sup) => sup.stop()));
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const VS = `virtual_server 192.0.2.100 80 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 192.0.2.10 80 {\n    TCP_CHECK {\n    }\n  }\n}\n`;

test('which children run: VRRP and checker by default, -P VRRP only, -C checkers only, VRRP for an empty configuration', () => {
  const both = model(`vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n}\n${VS}`);
  const o = { vrrpOnly: false, checkOnly: false, all: false };
  assert.deepEqual(wantedRoles(both, o), ['check', 'vrrp']);
  assert.deepEqual(wantedRoles(both, { ...o, vrrpOnly: true }), ['vrrp']);
  assert.deepEqual(wantedRoles(both, { ...o, checkOnly: true }), ['check']);
  assert.deepEqual(wantedRoles(model(VS), o), ['check'], 'only virtual servers: no VRRP child');
  assert.deepEqual(wantedRoles(model(), o), ['vrrp']);
  assert.deepEqual(wantedRoles(model(), { ...o, all: true }), ['check', 'vrrp']);
});

test("keepalived's restart delay: at once after a minute of running, else 0, 1, 2, 4 … 32, 60 s", () => {
  let next = 0;
  const seen: number[] = [];
  for (let i = 0; i < 9; i++) {
    const [now, n] = restartDelay(1000, next);
    seen.push(now);
    next = n;
  }
  assert.deepEqual(seen, [0, 1, 2, 4, 8, 16, 32, 60, 60]);
  assert.deepEqual(restartDelay(60_000, 32), [0, 0]);
  assert.deepEqual(restartDelay(59_999, 0), [0, 1]);
});

test(
  'start: children spawned and their pids in -r/-c, the parent in -p; READY only once every child is up',
  withDir(async (dir) => {
    const h = harness(dir, 's', model(`vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n}\n${VS}`), {}, false);
    await flush();
    assert.deepEqual(
      h.children.map((c) => [c.role, c.pid]),
      [
        ['check', 101],
        ['vrrp', 102],
      ],
    );
    assert.equal(readFileSync(h.settings.pidFile, 'utf8'), '1000\n');
    assert.equal(readFileSync(h.settings.childPidFiles.check, 'utf8'), '101\n');
    assert.equal(readFileSync(h.settings.childPidFiles.vrrp, 'utf8'), '102\n');
    assert.ok(h.lines.includes('Keepalived: Starting Healthcheck child process, pid=101'));
    assert.ok(h.lines.includes('Keepalived: Starting VRRP child process, pid=102'));
    h.children[1]!.ready();
    assert.equal(h.ready, 0);
    assert.equal(h.notify.sent.length, 0, 'no READY while a child is starting');
    h.children[0]!.ready();
    assert.equal(h.ready, 1);
    assert.deepEqual(
      h.notify.sent.map((m) => m.text),
      ['READY=1\nMAINPID=1000'],
    );
    h.signals.raise('SIGTERM');
    assert.equal(await h.run, 0);
    assert.deepEqual(
      h.children.map((c) => c.signals),
      [['SIGTERM'], ['SIGTERM']],
    );
    for (const f of [h.settings.pidFile, h.settings.childPidFiles.vrrp, h.settings.childPidFiles.check]) assert.equal(existsSync(f), false, f);
    assert.deepEqual(h.lines.slice(-2), ['Keepalived: Stopping', 'Keepalived: Stopped Keepalived v2.2.7 (01/16,2022), keepalived-ts v0.0.0']);
    assert.deepEqual(h.released, [], 'a child stopped by TERM releases its own VIPs');
  }),
);

test(
  "SIGKILL of the VRRP child: VIPs released first, keepalived's lines, respawned at once, then rate-limited",
  withDir(async (dir) => {
    const cfg = instances('VI_1');
    const h = harness(dir, 'k', cfg);
    await flush();
    const first = h.live('vrrp');
    h.timers.advance(5000);
    first.die(null, 'SIGKILL');
    await flush();
    assert.deepEqual(h.prepared, [[cfg], [cfg]], 'the removal was planned once the first child was up, and again for the respawned one');
    assert.deepEqual(h.released, [[cfg]]);
    const from = h.lines.indexOf('(release)');
    assert.deepEqual(h.lines.slice(from), [
      '(release)',
      'Keepalived: pid 101 exited due to signal 9 (Killed) - has rlimit_rttime been exceeded?',
      'Keepalived: VRRP child process(101) died: Respawning',
      'Keepalived:   Please log an issue at https://github.com/acassen/keepalived/issues/',
      'Keepalived:   and include a full copy of your keepalived configuration files, and',
      'Keepalived:   copies of the keepalived system log entries around the time this happened',
      'Keepalived: Restart of VRRP process delayed 0 seconds to limit respawn rate',
      'Keepalived: Released 1 VRRP address(es), route(s) and rule(s) of the dead VRRP child in 0.0 ms',
      'Keepalived: Starting VRRP child process, pid=102',
    ]);
    assert.equal(readFileSync(h.settings.childPidFiles.vrrp, 'utf8'), '102\n', 'the new pid in -r');
    // a second death within a minute waits 1 s, a third 2 s
    h.live('vrrp').die(null, 'SIGSEGV');
    await flush();
    assert.ok(h.lines.includes('Keepalived: pid 102 exited due to segmentation fault (SIGSEGV).'));
    assert.ok(h.lines.includes('Keepalived: Restart of VRRP process delayed 1 seconds to limit respawn rate'));
    assert.equal(existsSync(h.settings.childPidFiles.vrrp), false, 'no -r file while no VRRP child runs');
    const status = await h.sup.command('json');
    assert.equal(status.ok, false);
    assert.equal(!status.ok && status.code, 'KTS_CHILD_UNAVAILABLE');
    h.timers.advance(999);
    assert.equal(h.children.length, 2, 'not before 1 s');
    h.timers.advance(1);
    assert.equal(h.children.length, 3);
    await flush();
    h.live('vrrp').die(3, null);
    await flush();
    assert.ok(h.lines.includes('Keepalived: pid 103 exited with status 3'));
    assert.ok(h.lines.includes('Keepalived: Restart of VRRP process delayed 2 seconds to limit respawn rate'));
    h.timers.advance(2000);
    assert.equal(h.children.length, 4);
    await flush();
    // after a minute of running, at once and without the delay line
    h.timers.advance(60_000);
    const before = h.lines.length;
    h.live('vrrp').die(null, 'SIGKILL');
    await flush();
    assert.equal(h.children.length, 5);
    assert.equal(
      h.lines.slice(before).some((l) => l.includes('Restart of')),
      false,
    );
    h.signals.raise('SIGTERM');
    assert.equal(await h.run, 0);
  }),
);

test(
  '-R: a dead child stops everything ("died: Exiting"); -V: the VIPs stay',
  withDir(async (dir) => {
    const h = harness(dir, 'r', model(`vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n}\n${VS}`), {
      dontRespawn: true,
      dontReleaseVrrp: true,
    });
    await flush();
    h.live('vrrp').die(null, 'SIGKILL');
    assert.equal(await h.run, 0);
    assert.ok(h.lines.includes('Keepalived: VRRP child process(102) died: Exiting'));
    assert.equal(
      h.lines.some((l) => l.includes('Respawning')),
      false,
    );
    assert.equal(h.children.length, 2, 'nothing respawned');
    assert.deepEqual(h.children[0]!.signals, ['SIGTERM'], 'the checker child was stopped');
    assert.deepEqual(h.released, [], '-V keeps the VIPs');
    assert.equal(existsSync(h.settings.pidFile), false);
  }),
);

test(
  'a permanent exit status (1, 2, 4) terminates the daemon with it',
  withDir(async (dir) => {
    const h = harness(dir, 'p', instances('VI_1'));
    await flush();
    h.live('vrrp').die(2, null);
    assert.equal(await h.run, 2);
    assert.ok(h.lines.includes('Keepalived: pid 101 exited with permanent error CONFIG. Terminating'));
    assert.ok(h.notify.sent.some((m) => m.text === 'ERRNO=2'));
    assert.equal(h.children.length, 1);
  }),
);

test(
  'signals: HUP reloads every child over IPC, USR1 to both, USR2/JSON/STATS_CLEAR/URG to VRRP only; TERM waits, then SIGKILL',
  withDir(async (dir) => {
    const h = harness(dir, 'g', model(`vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n}\n${VS}`), {
      childWaitMs: 5000,
    });
    await flush();
    const [check, vrrp] = [h.live('check'), h.live('vrrp')];
    h.signals.raise('SIGHUP');
    await flush();
    await flush();
    assert.deepEqual(
      vrrp.sent.map((m) => m.command),
      ['reload'],
    );
    assert.deepEqual(
      check.sent.map((m) => m.command),
      ['reload'],
    );
    assert.ok(h.lines.includes('Keepalived: Reloading ...'));
    assert.deepEqual(
      h.notify.sent.map((m) => m.text.split('\n')[0]),
      ['READY=1', 'RELOADING=1', 'READY=1'],
    );
    for (const s of ['SIGUSR1', 'SIGUSR2', 'SIGJSON', 'SIGSTATS_CLEAR', 'SIGURG'] as const) h.signals.raise(s);
    assert.deepEqual(vrrp.signals, ['SIGUSR1', 'SIGUSR2', 36, 63, 'SIGURG']);
    assert.deepEqual(check.signals, ['SIGUSR1']);
    vrrp.exitOnTerm = false;
    h.signals.raise('SIGTERM');
    await flush();
    assert.deepEqual(vrrp.signals.at(-1), 'SIGTERM');
    h.timers.advance(4999);
    await flush();
    assert.equal(vrrp.alive, true, 'child_wait_time not over');
    h.timers.advance(1);
    assert.equal(await h.run, 0);
    assert.ok(h.lines.includes('Keepalived: vrrp process failed to die - forcing termination'));
    assert.deepEqual(vrrp.signals.at(-1), 'SIGKILL');
    assert.equal(h.released.length, 1, 'a VRRP child killed at stop has its VIPs released by the parent');
  }),
);

test(
  'control socket on the parent: status merges the children, dumps come from the VRRP child, reload reaches both',
  withDir(async (dir) => {
    const sock = join(dir, 'c.sock');
    const h = harness(dir, 'c', model(`vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n}\n${VS}`), {
      controlSocket: sock,
    });
    await flush();
    await flush();
    const [check, vrrp] = [h.live('check'), h.live('vrrp')];
    vrrp.answer = (c) =>
      c === 'status'
        ? {
            ok: true,
            status: {
              process: { pid: vrrp.pid, version: 'v', configFile: 'f', startedMs: 0, reloads: 0, loopLagMaxMs: 0, loopLagLastMs: 0 },
              snapshot: { instances: [], syncGroups: [], timing: { loopLagMaxMs: 3, loopLagLastMs: 1 } },
            },
          }
        : { ok: true, text: `vrrp:${c}` };
    check.answer = () => ({
      ok: true,
      status: {
        process: { pid: check.pid, version: 'v', configFile: 'f', startedMs: 0, reloads: 0, loopLagMaxMs: 0, loopLagLastMs: 0 },
        snapshot: { instances: [], syncGroups: [], virtualServers: [{ name: '[192.0.2.100]:tcp:80', quorumUp: true, realServers: [] }] },
      },
    });
    const st = await controlRequest(sock, 'status');
    assert.ok(st.ok && st.status);
    assert.equal(st.status.process.pid, 1000);
    assert.deepEqual(st.status.process.children, [
      { role: 'check', pid: 101 },
      { role: 'vrrp', pid: 102 },
    ]);
    assert.deepEqual(st.status.snapshot.timing, { loopLagMaxMs: 3, loopLagLastMs: 1 });
    assert.deepEqual(
      st.status.snapshot.virtualServers?.map((v) => v.name),
      ['[192.0.2.100]:tcp:80'],
    );
    assert.deepEqual(await controlRequest(sock, 'json'), { ok: true, text: 'vrrp:json' });
    check.answer = () => ({ ok: true });
    assert.deepEqual(await controlRequest(sock, 'reload'), { ok: true });
    assert.deepEqual(check.sent.at(-1)?.command, 'reload');
    // anything else (observability and admin commands) is the VRRP child's to answer, with the caller's credentials
    assert.deepEqual(await controlRequest(sock, 'frobnicate'), { ok: true, text: 'vrrp:frobnicate' });
    assert.equal(typeof vrrp.sent.at(-1)?.peer?.uid, 'number');
    // the load balancer's table and drain/undrain are the checker child's
    const lvs = { backend: 'nftables' as const, tables: ['inet keepalived_ts_lb'], services: [] };
    check.answer = (c) => (c.startsWith('lvs') ? { ok: true, lvs } : { ok: true, text: `check:${c}` });
    assert.deepEqual(await controlRequest(sock, 'lvs'), { ok: true, lvs });
    assert.deepEqual(await controlRequest(sock, 'lvs-rate'), { ok: true, lvs });
    assert.deepEqual(await controlRequest(sock, 'drain [192.0.2.100]:tcp:80 192.0.2.10:80'), {
      ok: true,
      text: 'check:drain [192.0.2.100]:tcp:80 192.0.2.10:80',
    });
    assert.equal(typeof check.sent.at(-1)?.peer?.uid, 'number', "with the caller's credentials");
    assert.deepEqual(
      vrrp.sent.map((m) => m.command).filter((c) => /lvs|drain/.test(c)),
      [],
    );
    h.signals.raise('SIGTERM');
    assert.equal(await h.run, 0);
    assert.equal(existsSync(sock), false);
  }),
);

test(
  'two supervisors in one process do not share state',
  withDir(async (dir) => {
    const a = harness(dir, 'a', instances('VI_1'));
    const b = harness(dir, 'b', instances('VI_2'));
    await flush();
    a.live('vrrp').die(null, 'SIGKILL');
    await flush();
    assert.equal(a.children.length, 2);
    assert.equal(b.children.length, 1);
    assert.equal(
      b.lines.some((l) => l.includes('died')),
      false,
    );
    a.signals.raise('SIGTERM');
    b.signals.raise('SIGTERM');
    assert.deepEqual(await Promise.all([a.run, b.run]), [0, 0]);
  }),
);

test(
  'bgp child: started for an instance with bgp_announce, its pid file beside -p, fed the VRRP and checker facts; a dead VRRP child counts as holding nothing',
  withDir(async (dir) => {
    const h = harness(
      dir,
      'g',
      model(`vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  bgp_announce master_quorum\n}\n${VS}`),
    );
    await flush();
    assert.deepEqual(
      h.children.map((c) => c.role),
      ['check', 'vrrp', 'bgp'],
    );
    const [check, vrrp, bgp] = [h.live('check'), h.live('vrrp'), h.live('bgp')];
    assert.equal(readFileSync(join(dir, 'g_bgp.pid'), 'utf8'), `${bgp.pid}\n`);
    assert.deepEqual(bgp.facts.at(-1), { kind: 'facts', instances: [], quorum: [] }, 'the picture so far once it is up');
    vrrp.events.message({ kind: 'facts', instances: [['VI_1', 'MASTER']] });
    check.events.message({ kind: 'facts', quorum: [['[192.0.2.100]:tcp:80', true]] });
    assert.deepEqual(bgp.facts.at(-1), { kind: 'facts', instances: [['VI_1', 'MASTER']], quorum: [['[192.0.2.100]:tcp:80', true]] });
    vrrp.die(null, 'SIGKILL');
    await flush();
    assert.deepEqual(bgp.facts.at(-1), { kind: 'facts', instances: [], quorum: [['[192.0.2.100]:tcp:80', true]] });
    // the bgp child's observer events go on to the VRRP child (it serves the metrics); the last picture is sent again
    // to a restarted VRRP child, and marked disconnected when the bgp child dies
    const state: BgpStateEvent = {
      engine: 'gobgp',
      connected: true,
      routes: [{ prefix: '192.0.2.100/32', state: 'announced' }],
      sessions: [{ peer: '192.0.2.1', peerAs: 65000, state: 'established', advertised: 1 }],
      at: 1,
    };
    const route = { prefix: '192.0.2.100/32', action: 'announce', gracefulShutdown: false, engine: 'gobgp', at: 1 };
    const vrrp2 = h.live('vrrp');
    assert.notEqual(vrrp2, vrrp, 'the VRRP child was respawned');
    bgp.events.message({ kind: 'event', name: 'keepalived-ts:bgp:route', payload: route });
    bgp.events.message({ kind: 'event', name: 'keepalived-ts:bgp:state', payload: state });
    assert.deepEqual(
      vrrp2.relayed.map((m) => m.name),
      ['keepalived-ts:bgp:route', 'keepalived-ts:bgp:state'],
    );
    vrrp2.die(null, 'SIGKILL');
    await flush();
    h.timers.advance(1000); // the second death within a minute: respawned after 1 s
    await flush();
    const vrrp3 = h.live('vrrp');
    assert.deepEqual(vrrp3.relayed, [{ kind: 'event', name: 'keepalived-ts:bgp:state', payload: state }], 'a new VRRP child gets the last picture');
    bgp.die(null, 'SIGKILL');
    await flush();
    const gone = vrrp3.relayed.at(-1)?.payload as BgpStateEvent;
    assert.deepEqual({ ...gone, at: 0 }, { ...state, connected: false, sessions: [], at: 0 }, 'a dead bgp child: no engine, no sessions');
    // -C (checkers only) runs no bgp child: it announces by VRRP states
    assert.deepEqual(
      wantedRoles(model(`vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  bgp_announce\n}\n${VS}`), {
        vrrpOnly: false,
        checkOnly: true,
        all: false,
      }),
      ['check'],
    );
    await h.sup.stop();
  }),
);

test(
  "net_namespace: keepalived's order — -s overrides it, the ident gains _NS_INSTANCE, the namespace is entered before the children start",
  withDir(async (dir) => {
    const entered: string[] = [];
    const suffixes: string[] = [];
    const cfg = model(`net_namespace blue\ninstance east\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n}\n`);
    const h = harness(dir, 'ns', cfg, { namespace: 'red' }, true, {
      enterNamespace: (n) => {
        entered.push(`${n} with ${h.children.length} children`);
        return undefined;
      },
      onIdentSuffix: (x) => suffixes.push(x),
    });
    await flush();
    assert.deepEqual(entered, ['red with 0 children']);
    assert.deepEqual(suffixes, ['_red_east']);
    const i = h.lines.indexOf("Keepalived: Overriding config net_namespace 'blue' with command line namespace 'red'");
    assert.ok(i >= 0, h.lines.join('\n'));
    assert.equal(h.lines[i + 1], 'Keepalived: Changing syslog ident to Keepalived_red_east');
    assert.ok(h.lines.includes('Keepalived_red_east: Starting VRRP child process, pid=101'), h.lines.join('\n'));
    await h.sup.stop();
  }),
);

test(
  "net_namespace: a namespace that cannot be entered stops the start with keepalived's lines (exit 0, no child)",
  withDir(async (dir) => {
    const h = harness(dir, 'nsfail', model(`net_namespace gone\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n}\n`), {}, true, {
      enterNamespace: (n) => `Failed to open /run/netns/${n}`,
    });
    assert.equal(await h.run, 0);
    assert.equal(h.children.length, 0);
    assert.deepEqual(
      h.lines.filter((l) => /namespace|netns|ident/.test(l)),
      [
        'Keepalived: Changing syslog ident to Keepalived_gone',
        'Keepalived_gone: Failed to open /run/netns/gone',
        'Keepalived_gone: Unable to set network namespace gone - exiting',
      ],
    );
  }),
);

test(
  'bfd child: status merges its sessions; its observer events go on to the VRRP child, which gets the last picture after a restart; a dead bfd child has none',
  withDir(async (dir) => {
    const sock = join(dir, 'f.sock');
    const h = harness(
      dir,
      'f',
      model(
        `bfd_instance bfd_peer {\n  neighbor_ip 192.0.2.2\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n}\n`,
      ),
      {
        controlSocket: sock,
        childPidFiles: { vrrp: join(dir, 'f_vrrp.pid'), check: join(dir, 'f_checkers.pid'), bfd: join(dir, 'f_bfd.pid') },
      },
    );
    await flush();
    await flush();
    assert.deepEqual(h.children.map((c) => c.role).sort(), ['bfd', 'vrrp']);
    const [bfd, vrrp] = [h.live('bfd'), h.live('vrrp')];
    const session: BfdSessionStatus = {
      name: 'bfd_peer',
      state: 'Up',
      remoteState: 'Up',
      localDiscr: 1,
      remoteDiscr: 2,
      localDiag: 'No Diagnostic',
      remoteDiag: 'No Diagnostic',
      txIntervalUs: 10_000,
      detectTimeUs: 30_000,
      remoteMinRxUs: 10_000,
      remoteDesiredMinTxUs: 10_000,
      remoteDetectMult: 3,
      pollActive: false,
      clientUp: true,
      packetsIn: 5,
      packetsOut: 6,
      upTransitions: 1,
      downTransitions: 0,
      sinceMs: 1,
      neighbor: '192.0.2.2',
      rxIntervalUs: 10_000,
      sinceWallMs: 5,
    };
    const proc = (pid: number) => ({ pid, version: 'v', configFile: 'f', startedMs: 0, reloads: 0, loopLagMaxMs: 0, loopLagLastMs: 0 });
    vrrp.answer = () => ({ ok: true, status: { process: proc(vrrp.pid), snapshot: { instances: [], syncGroups: [] } } });
    bfd.answer = () => ({ ok: true, status: { process: proc(bfd.pid), snapshot: { instances: [], syncGroups: [], bfd: [session] } } });
    const st = await controlRequest(sock, 'status');
    assert.ok(st.ok && st.status);
    assert.deepEqual(st.status.snapshot.bfd, [session], "the bfd child's sessions in the merged status");
    assert.deepEqual(st.status.snapshot.instances, [], "the VRRP child's instances stay");
    // the picture and the per-session state events go on to the VRRP child (it serves /metrics and /status)
    const picture: BfdSessionsEvent = { sessions: [session], at: 7 };
    const change = { name: 'bfd_peer', from: 'Init', to: 'Up', diag: 'No Diagnostic', at: 7 };
    bfd.events.message({ kind: 'event', name: 'keepalived-ts:bfd:state', payload: change });
    bfd.events.message({ kind: 'event', name: 'keepalived-ts:bfd:sessions', payload: picture });
    assert.deepEqual(
      vrrp.relayed.map((m) => m.name),
      ['keepalived-ts:bfd:state', 'keepalived-ts:bfd:sessions'],
    );
    vrrp.die(null, 'SIGKILL');
    await flush();
    const vrrp2 = h.live('vrrp');
    assert.notEqual(vrrp2, vrrp, 'the VRRP child was respawned');
    assert.deepEqual(
      vrrp2.relayed,
      [{ kind: 'event', name: 'keepalived-ts:bfd:sessions', payload: picture }],
      'a new VRRP child gets the last picture',
    );
    bfd.die(null, 'SIGKILL');
    await flush();
    const gone = vrrp2.relayed.at(-1);
    assert.equal(gone?.name, 'keepalived-ts:bfd:sessions');
    assert.deepEqual((gone?.payload as BfdSessionsEvent).sessions, [], 'a dead bfd child: no sessions');
    // while no bfd child runs, status has no BFD section
    const st2 = await controlRequest(sock, 'status');
    assert.ok(st2.ok && st2.status);
    assert.equal(st2.status.snapshot.bfd, undefined);
    await h.sup.stop();
    assert.equal(await h.run, 0);
  }),
);

test(
  'child_wait_time from the configuration: TERM waits that long for the children, then SIGKILL',
  withDir(async (dir) => {
    const h = harness(dir, 'w', model(`child_wait_time 2\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n}\n`), {
      childWaitMs: -1,
    });
    await flush();
    const vrrp = h.live('vrrp');
    vrrp.exitOnTerm = false;
    h.signals.raise('SIGTERM');
    await flush();
    h.timers.advance(1999);
    await flush();
    assert.equal(vrrp.alive, true, 'child_wait_time 2 not over');
    h.timers.advance(1);
    assert.equal(await h.run, 0);
    assert.deepEqual(vrrp.signals.at(-1), 'SIGKILL');
  }),
);

test(
  'reload_check_config: a failed -t keeps the running configuration (no reload sent); reload_file exists while it runs',
  withDir(async (dir) => {
    const reloadFile = join(dir, 'kts.reload');
    const checkLog = join(dir, 'check.log');
    let code = 5;
    const seen: boolean[] = [];
    const h = harness(
      dir,
      'r',
      model(
        `global_defs {\n  reload_check_config ${checkLog}\n  reload_file ${reloadFile}\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n}\n`,
      ),
      {},
      true,
      {
        checkConfig: async (log) => {
          assert.equal(log, checkLog);
          seen.push(existsSync(reloadFile));
          return code;
        },
      },
    );
    await flush();
    const vrrp = h.live('vrrp');
    assert.equal(existsSync(reloadFile), false, 'no reload file at start');
    h.signals.raise('SIGHUP');
    for (let i = 0; i < 4; i++) await flush();
    assert.deepEqual(seen, [true], 'the reload file exists while the check runs');
    assert.ok(h.lines.includes(`Keepalived: New config failed validation, see ${checkLog} for details`), h.lines.join('\n'));
    assert.ok(!h.lines.includes('Keepalived: Reloading ...'));
    assert.equal(vrrp.sent.length, 0, 'no reload sent to the children');
    assert.equal(existsSync(reloadFile), false, 'removed after the check');
    code = 0;
    h.signals.raise('SIGHUP');
    for (let i = 0; i < 4; i++) await flush();
    assert.ok(h.lines.includes('Keepalived: Reloading ...'));
    assert.deepEqual(
      vrrp.sent.map((m) => m.command),
      ['reload'],
    );
    await flush();
    assert.equal(existsSync(reloadFile), false, 'removed once every child re-read the files');
  }),
);
