import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';
import { MemoryLogger } from '../../../src/core/log.js';
import {
  DEFAULT_RLIMIT_RTTIME_US,
  DEFAULT_VRRP_RT_PRIORITY,
  NO_PRIORITIES,
  ProcessPriorities,
  bfdPrioritySettings,
  maxAutoPriorityNotice,
  prioritySettingsFrom,
  type Limit,
  type PriorityPort,
  type PrioritySettings,
  watchdogPriority,
} from '../../../src/daemon/priorities.js';

/** An error shaped like the addon's SysError. */
function sysError(code: string, syscall: string): Error {
  return Object.assign(new Error(`${syscall} ${code} (test)`), { code, errno: 1, syscall });
}

/** A process with threads 100 (main), 101, 102: records every call; `fail` makes a call throw. */
class FakeOs implements PriorityPort {
  tids = [100, 101, 102];
  readonly rt = new Map<number, number>();
  readonly nice = new Map<number, number>([
    [100, 0],
    [101, 0],
    [102, 3],
  ]);
  rttime: Limit = { soft: Infinity, hard: Infinity };
  handlers: (() => void)[] = [];
  readonly calls: string[] = [];
  fail: Partial<Record<'setRealtime' | 'setRttimeLimit' | 'setNice' | 'setAffinity' | 'setName', (tid?: number) => Error | undefined>> = {};

  private check(name: keyof FakeOs['fail'], tid?: number): void {
    const e = this.fail[name]?.(tid);
    if (e) throw e;
  }
  threads(): number[] {
    return [...this.tids];
  }
  readonly names = new Map<number, string>();
  threadName(tid: number): string {
    return this.names.get(tid) ?? 'node';
  }
  setRealtime(tid: number, priority: number): void {
    this.calls.push(`rt ${tid} ${priority}`);
    this.check('setRealtime', tid);
    this.rt.set(tid, priority);
  }
  getRttimeLimit(): Limit {
    return this.rttime;
  }
  setRttimeLimit(l: Limit): void {
    this.calls.push(`rttime ${l.soft}/${l.hard}`);
    this.check('setRttimeLimit');
    this.rttime = l;
  }
  getNice(tid: number): number {
    return this.nice.get(tid) ?? 0;
  }
  setNice(tid: number, n: number): void {
    this.calls.push(`nice ${tid} ${n}`);
    this.check('setNice', tid);
    this.nice.set(tid, n);
  }
  readonly affinity = new Map<number, readonly number[]>();
  name = 'node';
  setAffinity(tid: number, cpus: readonly number[]): void {
    this.calls.push(`affinity ${tid} ${cpus.join(',')}`);
    this.check('setAffinity', tid);
    this.affinity.set(tid, cpus);
  }
  setName(name: string): void {
    this.calls.push(`name ${name}`);
    this.check('setName');
    this.name = name;
  }
  umask: number | undefined;
  setUmask(mask: number): void {
    this.calls.push(`umask ${mask.toString(8)}`);
    this.umask = mask;
  }
  onCpuLimit(h: () => void): () => void {
    this.handlers.push(h);
    return () => {
      this.handlers = this.handlers.filter((x) => x !== h);
    };
  }
}

function setup(): { os: FakeOs; log: MemoryLogger; p: ProcessPriorities } {
  const os = new FakeOs();
  const log = new MemoryLogger();
  return { os, log, p: new ProcessPriorities(os, log, 100) };
}

const settings = (over: Partial<PrioritySettings>): PrioritySettings => ({ ...NO_PRIORITIES, ...over });
/** Log texts without the -D detail lines. */
const texts = (log: MemoryLogger): string[] => log.records.filter((r) => !r.detail).map((r) => r.text);

test('nothing configured: no system call, no log', () => {
  const { os, log, p } = setup();
  p.apply(NO_PRIORITIES);
  assert.deepEqual(os.calls, []);
  assert.deepEqual(log.records, []);
});

test('vrrp_rt_priority: SCHED_RR on every thread, RLIMIT_RTTIME default 1 s soft / 2 s hard, nice left alone', () => {
  const { os, log, p } = setup();
  p.apply(settings({ rtPriority: 10, processPriority: -5 }));
  assert.deepEqual(
    [...os.rt],
    [
      [100, 10],
      [101, 10],
      [102, 10],
    ],
  );
  assert.deepEqual(os.rttime, { soft: DEFAULT_RLIMIT_RTTIME_US, hard: 2 * DEFAULT_RLIMIT_RTTIME_US });
  assert.equal(DEFAULT_RLIMIT_RTTIME_US, 1_000_000);
  assert.ok(!os.calls.some((c) => c.startsWith('nice')), 'vrrp_priority is ignored while real-time, as in keepalived');
  assert.deepEqual(p.status(), { rtPriority: 10, rlimitRttimeUs: 1_000_000 });
  assert.deepEqual(texts(log), []);
  // SIGXCPU (soft limit reached) is logged with keepalived's text
  assert.equal(os.handlers.length, 1);
  os.handlers[0]!();
  assert.deepEqual(texts(log), ['VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be increased']);
});

test("the addon's native sender threads (`*-wd`) run one real-time priority above the others, at most 99; back to normal with them", () => {
  const { os, p } = setup();
  os.tids.push(103);
  os.names.set(102, 'advert-wd').set(103, 'bfd-tx-wd');
  os.names.set(100, 'x-wd'); // the main thread is never treated as one, whatever its name
  p.apply(settings({ rtPriority: 10 }));
  assert.deepEqual(
    [...os.rt],
    [
      [100, 10],
      [101, 10],
      [102, 11],
      [103, 11],
    ],
  );
  p.apply(settings({ rtPriority: 99 }));
  assert.deepEqual([...os.rt.values()], [99, 99, 99, 99]);
  p.apply(NO_PRIORITIES);
  assert.deepEqual([...os.rt.values()], [0, 0, 0, 0]);
  assert.deepEqual([watchdogPriority(0), watchdogPriority(1), watchdogPriority(98), watchdogPriority(99)], [0, 2, 99, 99]);
});

test('vrrp_rlimit_rttime sets the soft limit, the hard limit is twice it; changing it on reload sets it again', () => {
  const { os, p } = setup();
  p.apply(settings({ rtPriority: 5, rlimitRttimeUs: 50_000 }));
  assert.deepEqual(os.rttime, { soft: 50_000, hard: 100_000 });
  p.apply(settings({ rtPriority: 5, rlimitRttimeUs: 80_000 }));
  assert.deepEqual(os.rttime, { soft: 80_000, hard: 160_000 });
  assert.equal(os.calls.filter((c) => c.startsWith('rttime')).length, 2);
});

test('a reload re-applies the policy to threads created since; removing vrrp_rt_priority restores SCHED_OTHER and the limit', () => {
  const { os, p } = setup();
  p.apply(settings({ rtPriority: 10 }));
  os.tids.push(103);
  p.apply(settings({ rtPriority: 10 }));
  assert.equal(os.rt.get(103), 10);
  p.apply(NO_PRIORITIES);
  assert.deepEqual([...os.rt.values()], [0, 0, 0, 0]);
  assert.deepEqual(os.rttime, { soft: Infinity, hard: Infinity });
  assert.equal(os.handlers.length, 0);
  assert.equal(p.status().rtPriority, 0);
});

test("failures are logged with keepalived's texts and are never fatal; a vanished thread is skipped", () => {
  const { os, log, p } = setup();
  os.fail.setRealtime = (tid) =>
    tid === 101 ? sysError('ESRCH', 'sched_setscheduler') : tid === 100 ? sysError('EPERM', 'sched_setscheduler') : undefined;
  p.apply(settings({ rtPriority: 10 }));
  assert.deepEqual(texts(log), ['child process: cannot raise priority - sched_setscheduler EPERM (test)']);
  assert.ok(!os.calls.some((c) => c.startsWith('rttime')), 'no RLIMIT_RTTIME without real-time');
  assert.deepEqual(p.status(), { rtPriority: 0, rlimitRttimeUs: 0 });
});

test('the default real-time priority is best effort: refused (no CAP_SYS_NICE), one info line, no retry on reload', () => {
  const { os, p } = setup();
  const dflt = settings({ rtPriority: DEFAULT_VRRP_RT_PRIORITY, rtDefault: true });
  p.apply(dflt);
  assert.equal(os.rt.get(100), 1, 'granted: SCHED_RR 1');
  assert.deepEqual(os.rttime, { soft: DEFAULT_RLIMIT_RTTIME_US, hard: 2 * DEFAULT_RLIMIT_RTTIME_US }, 'with its RLIMIT_RTTIME guard');
  const q = setup();
  q.os.fail.setRealtime = (tid) => (tid === 100 ? sysError('EPERM', 'sched_setscheduler') : undefined);
  q.p.apply(dflt);
  q.p.apply(dflt);
  assert.deepEqual(
    q.log.records.filter((r) => !r.detail).map((r) => [r.level, r.text]),
    [['info', 'child process: cannot raise priority - sched_setscheduler EPERM (test) (default vrrp_rt_priority)']],
  );
  assert.deepEqual(q.p.status(), { rtPriority: 0, rlimitRttimeUs: 0 });
});

test('a failure on another thread than the main one is reported, the main thread keeps real-time', () => {
  const { os, log, p } = setup();
  os.fail.setRealtime = (tid) => (tid === 102 ? sysError('EPERM', 'sched_setscheduler') : undefined);
  os.fail.setRttimeLimit = () => sysError('EPERM', 'setrlimit');
  p.apply(settings({ rtPriority: 10 }));
  assert.deepEqual(texts(log), [
    'child process: cannot raise priority (1 thread(s) besides the main one) - sched_setscheduler EPERM (test)',
    'child process cannot set realtime rlimit - setrlimit EPERM (test)',
  ]);
  assert.equal(p.status().rtPriority, 10);
});

test('vrrp_priority: nice on every thread, restored per thread when removed', () => {
  const { os, log, p } = setup();
  p.apply(settings({ processPriority: -5 }));
  assert.deepEqual([...os.nice.values()], [-5, -5, -5]);
  p.apply(settings({ processPriority: -5 }));
  assert.equal(os.calls.filter((c) => c.startsWith('nice')).length, 3, 'unchanged: not set again');
  p.apply(NO_PRIORITIES);
  assert.deepEqual(
    [...os.nice],
    [
      [100, 0],
      [101, 0],
      [102, 3],
    ],
  );
  assert.deepEqual(texts(log), []);
  os.fail.setNice = () => sysError('EACCES', 'uv_os_setpriority');
  p.apply(settings({ processPriority: -7 }));
  assert.deepEqual(texts(log), ['Unable to set process priority to -7 - uv_os_setpriority EACCES (test)']);
});

test("noteTimerLateness: keepalived's line past min_auto_priority_delay; raises by one up to max_auto_priority", () => {
  const { os, log, p } = setup();
  p.apply(settings({ maxAutoPriority: 2, minAutoPriorityDelayUs: 200_000 }));
  p.noteTimerLateness(200); // not past the delay
  assert.deepEqual(texts(log), []);
  p.noteTimerLateness(1500.25);
  assert.deepEqual(texts(log), ['A thread timer expired 1.500250 seconds ago', 'Set realtime priority 1']);
  assert.deepEqual([...os.rt.values()], [1, 1, 1]);
  assert.deepEqual(os.rttime, { soft: 1_000_000, hard: 2_000_000 }, 'RLIMIT_RTTIME set with the first raise');
  p.noteTimerLateness(250);
  p.noteTimerLateness(300);
  assert.deepEqual(texts(log).slice(2), [
    'A thread timer expired 0.250000 seconds ago',
    'Set realtime priority 2',
    'A thread timer expired 0.300000 seconds ago',
  ]);
  assert.equal(p.status().rtPriority, 2);
  p.apply(settings({ maxAutoPriority: 2, minAutoPriorityDelayUs: 200_000 }));
  assert.equal(p.status().rtPriority, 2, 'an unchanged reload keeps the automatic raise');
});

test('noteTimerLateness without max_auto_priority only logs; above vrrp_rt_priority it does not lower it', () => {
  const a = setup();
  a.p.apply(NO_PRIORITIES);
  a.p.noteTimerLateness(999);
  a.p.noteTimerLateness(1000.5);
  assert.deepEqual(texts(a.log), ['A thread timer expired 1.000500 seconds ago']);
  assert.deepEqual(a.os.calls, []);
  const b = setup();
  b.p.apply(settings({ rtPriority: 10, maxAutoPriority: 5 }));
  b.p.noteTimerLateness(2000);
  assert.equal(b.p.status().rtPriority, 10);
  assert.deepEqual(texts(b.log), ['A thread timer expired 2.000000 seconds ago']);
});

/** Loads a configuration text with the given global_defs body. */
function load(body: string) {
  const text = `global_defs {\n${body}}\n`;
  return loadConfig('p.conf', { fs: { readFile: (f: string) => (f === 'p.conf' ? text : undefined), listDir: () => [] } });
}

test("global_defs keywords → settings, with keepalived's defaults", () => {
  const r = load(
    ' vrrp_rt_priority 10\n vrrp_rlimit_rttime 200000\n vrrp_priority -5\n vrrp_no_swap\n max_auto_priority\n min_auto_priority_delay 500000\n',
  );
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    "p.conf:5:2: warning: 'vrrp_no_swap' is not supported - Node.js aborts when its memory is locked (V8 frees pages with " +
      'madvise(MADV_DONTNEED), which Linux refuses on locked memory) - ignored',
  ]);
  assert.equal(r.config.globalDefs.vrrpNoSwap, true);
  assert.deepEqual(prioritySettingsFrom(r.config), {
    rtPriority: 10,
    rlimitRttimeUs: 200_000,
    processPriority: -5,
    maxAutoPriority: 99,
    minAutoPriorityDelayUs: 500_000,
  });
  const d = load(' router_id x\n');
  assert.deepEqual(prioritySettingsFrom(d.config), NO_PRIORITIES);
  // the supervised VRRP child: real-time by default, unless either scheduling keyword is configured
  assert.deepEqual(prioritySettingsFrom(d.config, true), settings({ rtPriority: DEFAULT_VRRP_RT_PRIORITY, rtDefault: true }));
  assert.equal(DEFAULT_VRRP_RT_PRIORITY, 1);
  assert.equal(prioritySettingsFrom(load(' vrrp_rt_priority 0\n').config, true).rtPriority, 0);
  assert.deepEqual(prioritySettingsFrom(load(' vrrp_priority -5\n').config, true), settings({ processPriority: -5 }));
  assert.equal(prioritySettingsFrom(r.config, true).rtPriority, 10, 'a configured vrrp_rt_priority is kept as keepalived has it');
  assert.equal(
    maxAutoPriorityNotice(NO_PRIORITIES),
    'NOTICE: setting config option max_auto_priority should result in better keepalived performance',
  );
  assert.equal(maxAutoPriorityNotice(settings({ maxAutoPriority: -1 })), undefined);
});

test("global_defs keywords: keepalived's ranges and texts", () => {
  const r = load(
    ' vrrp_rt_priority 150\n vrrp_rlimit_rtime 1\n vrrp_priority 20\n max_auto_priority 100\n min_auto_priority_delay 0\n' +
      ' vrrp_rt_priority x\n vrrp_rt_priority\n min_auto_priority_delay\n checker_rt_priority 5\n',
  );
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    'p.conf:2:19: error: vrrp process real-time priority 150 greater than maximum 99 - setting to maximum',
    "p.conf:3:2: warning: Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'",
    'p.conf:4:16: error: Invalid vrrp process priority specified',
    "p.conf:5:20: error: max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring",
    "p.conf:6:26: error: min_auto_priority_delay '0' must be in [1, 10000000] - ignoring",
    "p.conf:7:19: error: vrrp process real-time priority 'x' invalid",
    'p.conf:8:18: error: No vrrp process real-time priority specified',
    'p.conf:9:25: error: min_auto_priority_delay requires delay time',
  ]);
  const g = r.config.globalDefs;
  assert.equal(g.checkerRtPriority, 5, 'checker_rt_priority is the checker child’s (process-settings.test.ts)');
  assert.equal(g.vrrpRtPriority, 99);
  assert.equal(g.vrrpRlimitRttimeUs, 2, 'keepalived raises 1 to 2');
  assert.equal(g.vrrpProcessPriority, 0);
  assert.equal(g.maxAutoPriority, undefined);
  const low = load(' vrrp_rt_priority -3\n max_auto_priority -1\n');
  assert.deepEqual(low.diagnostics.map(formatDiagnostic), [
    'p.conf:2:19: error: vrrp process real-time priority -3 less than minimum 1 - setting to minimum',
  ]);
  assert.equal(low.config.globalDefs.vrrpRtPriority, 1);
  assert.equal(low.config.globalDefs.maxAutoPriority, -1);
  const off = load(' vrrp_rt_priority 0\n');
  assert.deepEqual(off.diagnostics.map(formatDiagnostic), [], '0 is our documented off switch, not an error');
  assert.equal(off.config.globalDefs.vrrpRtPriority, 0);
});

test("bfd_* keywords → the BFD child's settings, with keepalived's texts; SCHED_RR 1 by default", () => {
  const r = load(
    ' bfd_rt_priority 20\n bfd_rlimit_rttime 300000\n bfd_priority -4\n bfd_no_swap\n bfd_cpu_affinity 0\n bfd_process_name kbfd\n' +
      ' vrrp_rt_priority 5\n',
  );
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    "p.conf:5:2: warning: 'bfd_no_swap' is not supported - Node.js aborts when its memory is locked (V8 frees pages with " +
      'madvise(MADV_DONTNEED), which Linux refuses on locked memory) - ignored',
  ]);
  assert.deepEqual(bfdPrioritySettings(r.config), {
    process: 'bfd',
    rtPriority: 20,
    rlimitRttimeUs: 300_000,
    processPriority: -4,
    maxAutoPriority: -1,
    minAutoPriorityDelayUs: 1_000_000,
    cpuAffinity: [0],
    processName: 'kbfd',
  });
  assert.equal(prioritySettingsFrom(r.config).rtPriority, 5, 'vrrp_* stay the VRRP process’s');
  const none = load(' router_id x\n');
  assert.deepEqual(bfdPrioritySettings(none.config), {
    ...NO_PRIORITIES,
    process: 'bfd',
    rtPriority: DEFAULT_VRRP_RT_PRIORITY,
    rtDefault: true,
    maxAutoPriority: -1,
  });
  assert.equal(bfdPrioritySettings(load(' bfd_rt_priority 0\n').config).rtPriority, 0, 'bfd_rt_priority 0: off');
  assert.equal(bfdPrioritySettings(load(' bfd_priority 5\n').config).rtPriority, 0, 'a nice value instead of real-time');
  assert.equal(bfdPrioritySettings(load(' bfd_priority 5\n').config).processPriority, 5);

  const bad = load(
    ' bfd_rt_priority 150\n bfd_rlimit_rtime 1\n bfd_priority 20\n bfd_rt_priority x\n bfd_cpu_affinity 0 99999\n bfd_cpu_affinity\n' +
      ' bfd_process_name a_very_long_process_name\n bfd_cpu_affinity z\n',
  );
  assert.deepEqual(bad.diagnostics.map(formatDiagnostic), [
    'p.conf:2:18: error: bfd process real-time priority 150 greater than maximum 99 - setting to maximum',
    "p.conf:3:2: warning: Keyword 'bfd_rlimit_rtime' is deprecated - please use 'bfd_rlimit_rttime'",
    'p.conf:4:15: error: Invalid bfd process priority specified',
    "p.conf:5:18: error: bfd process real-time priority 'x' invalid",
    'p.conf:6:21: error: Invalid cpu_id:99999 specified for bfd process',
    'p.conf:7:2: error: No bfd cpu_id set specified',
    'p.conf:8:19: warning: Process name a_very_long_process_name more than 15 characters, truncating',
    'p.conf:9:19: error: Invalid cpu_id:0 specified for bfd process',
  ]);
  const g = bad.config.globalDefs;
  assert.equal(g.bfdRtPriority, 99);
  assert.equal(g.bfdRlimitRttimeUs, 2);
  assert.equal(g.bfdProcessPriority, 0);
  assert.deepEqual(g.bfdCpuAffinity, [], 'a bad CPU empties the set, as keepalived');
  assert.equal(g.bfdProcessName, 'a_very_long_pro');
});

test('bfd_cpu_affinity on every thread at each apply; bfd_process_name at start and when a reload changes it; failures logged', () => {
  const { os, log, p } = setup();
  const s = settings({ process: 'bfd', rtPriority: 1, cpuAffinity: [1], processName: 'kbfd' });
  p.apply(s);
  assert.deepEqual(
    os.calls.filter((c) => !c.startsWith('rt ')),
    ['name kbfd', 'affinity 100 1', 'affinity 101 1', 'affinity 102 1', 'rttime 1000000/2000000'],
  );
  os.calls.length = 0;
  os.tids.push(103);
  p.apply(s);
  assert.deepEqual(
    os.calls.filter((c) => !c.startsWith('rt ')),
    ['affinity 100 1', 'affinity 101 1', 'affinity 102 1', 'affinity 103 1'],
    'same name: not set again; a new thread gets the affinity',
  );
  os.calls.length = 0;
  p.apply(settings({ process: 'bfd', rtPriority: 1 }));
  assert.deepEqual(
    os.calls.filter((c) => c.startsWith('name')),
    ['name keepalived'],
    "a removed name: keepalived's default",
  );
  os.fail.setAffinity = (tid) => (tid === 100 ? sysError('EINVAL', 'sched_setaffinity') : undefined);
  os.fail.setName = () => sysError('EINVAL', 'prctl');
  p.apply(settings({ process: 'bfd', rtPriority: 1, cpuAffinity: [7], processName: 'x' }));
  assert.deepEqual(texts(log), ["Failed to set process name 'x'", 'unable to set cpu affinity to bfd process (sched_setaffinity EINVAL (test))']);
  os.handlers[0]!();
  assert.equal(texts(log).at(-1), 'BFD process has used too much CPU time, bfd_rlimit_rttime may need to be increased');
});
