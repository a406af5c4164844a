/**
 * global_defs process keywords (issue 15): the checker's scheduling, `vrrp_cpu_affinity`, the process names, `umask`
 * — parsed with keepalived 2.2.7's texts (core/global_parser.c), turned into each process's settings, and applied
 * through a fake operating system.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';
import { MemoryLogger } from '../../../src/core/log.js';
import {
  DEFAULT_RLIMIT_RTTIME_US,
  NO_PRIORITIES,
  ProcessPriorities,
  bfdPrioritySettings,
  checkerPrioritySettings,
  parentProcessSettings,
  prioritySettingsFrom,
  type PriorityPort,
} from '../../../src/daemon/priorities.js';

function load(body: string) {
  const text = `global_defs {\n${body}}\n`;
  return loadConfig('p.conf', { fs: { readFile: (f: string) => (f === 'p.conf' ? text : undefined), listDir: () => [] } });
}
const diags = (body: string) => load(body).diagnostics.map(formatDiagnostic);

/** Records the calls ProcessPriorities makes. */
function fakeOs(calls: string[]): PriorityPort {
  return {
    threads: () => [100, 101],
    threadName: () => 'node',
    setRealtime: (tid, p) => void calls.push(`rt ${tid} ${p}`),
    getRttimeLimit: () => ({ soft: Infinity, hard: Infinity }),
    setRttimeLimit: (l) => void calls.push(`rttime ${l.soft}/${l.hard}`),
    getNice: () => 0,
    setNice: (tid, n) => void calls.push(`nice ${tid} ${n}`),
    setAffinity: (tid, cpus) => void calls.push(`affinity ${tid} ${cpus.join(',')}`),
    setName: (n) => void calls.push(`name ${n}`),
    setUmask: (m) => void calls.push(`umask ${m.toString(8)}`),
    onCpuLimit: () => () => {},
  };
}

test("checker_* keywords → the checker child's settings; normal scheduling unless configured, as keepalived", () => {
  const r = load(
    ' checker_rt_priority 30\n checker_rlimit_rttime 400000\n checker_priority -7\n checker_cpu_affinity 0\n checker_process_name kchk\n',
  );
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  assert.deepEqual(checkerPrioritySettings(r.config), {
    process: 'checker',
    rtPriority: 30,
    rlimitRttimeUs: 400_000,
    processPriority: -7,
    maxAutoPriority: -1,
    minAutoPriorityDelayUs: 1_000_000,
    cpuAffinity: [0],
    processName: 'kchk',
  });
  const none = checkerPrioritySettings(load(' router_id x\n').config);
  assert.deepEqual(none, { ...NO_PRIORITIES, process: 'checker', maxAutoPriority: -1 }, 'no default real-time for the checker');
  assert.equal(prioritySettingsFrom(r.config, true).rtPriority, 1, 'checker_* do not touch the VRRP child');
  assert.deepEqual(
    diags(' checker_rt_priority 150\n checker_rlimit_rtime 5\n checker_priority 20\n checker_cpu_affinity 0 99999\n checker_priority\n'),
    [
      'p.conf:2:22: error: checker process real-time priority 150 greater than maximum 99 - setting to maximum',
      "p.conf:3:2: warning: Keyword 'checker_rlimit_rtime' is deprecated - please use 'checker_rlimit_rttime'",
      'p.conf:4:19: error: Invalid checker process priority specified',
      'p.conf:5:25: error: Invalid cpu_id:99999 specified for checker process',
      // a bare keyword keepalived reads unchecked: its null_strvec (values.ts withWords)
      ...diags(' checker_priority\n').map((l) => l.replace('p.conf:2:', 'p.conf:6:')),
    ],
  );
  const bad = load(' checker_rt_priority 150\n checker_rlimit_rtime 5\n').config.globalDefs;
  assert.equal(bad.checkerRtPriority, 99);
  assert.equal(bad.checkerRlimitRttimeUs, 5);
  assert.deepEqual(diags(' checker_no_swap\n'), [
    "p.conf:2:2: warning: 'checker_no_swap' is not supported - Node.js aborts when its memory is locked (V8 frees pages with " +
      'madvise(MADV_DONTNEED), which Linux refuses on locked memory) - ignored',
  ]);
});

test('vrrp_cpu_affinity → the VRRP child; a bad CPU empties the set', () => {
  assert.deepEqual(prioritySettingsFrom(load(' vrrp_cpu_affinity 0\n').config, true).cpuAffinity, [0]);
  const bad = load(' vrrp_cpu_affinity 0 x\n');
  assert.deepEqual(bad.diagnostics.map(formatDiagnostic), ['p.conf:2:22: error: Invalid cpu_id:0 specified for vrrp process']);
  assert.equal(prioritySettingsFrom(bad.config, true).cpuAffinity, undefined);
  assert.deepEqual(diags(' vrrp_cpu_affinity\n'), ['p.conf:2:2: error: No vrrp cpu_id set specified']);
});

test("process names: process_name for every process without its own; process_names gives keepalived's names", () => {
  const g = load(' process_name kmain\n vrrp_process_name kv\n').config;
  assert.equal(parentProcessSettings(g).processName, 'kmain');
  assert.equal(prioritySettingsFrom(g, true).processName, 'kv');
  assert.equal(checkerPrioritySettings(g).processName, 'kmain', "the checker inherits the parent's name");
  assert.equal(bfdPrioritySettings(g).processName, 'kmain');
  const all = load(' process_names\n').config;
  assert.equal(parentProcessSettings(all).processName, undefined, 'process_names leaves the parent');
  assert.equal(prioritySettingsFrom(all).processName, 'keepalived_vrrp');
  assert.equal(checkerPrioritySettings(all).processName, 'keepalived_lvs');
  assert.equal(bfdPrioritySettings(all).processName, 'keepalived_bfd');
  const lvs = load(' lvs_process_name klvs\n');
  assert.deepEqual(lvs.diagnostics.map(formatDiagnostic), [
    "p.conf:2:2: warning: 'lvs_process_name' is deprecated - please use 'checker_process_name'",
  ]);
  assert.equal(checkerPrioritySettings(lvs.config).processName, 'klvs');
  const long = load(' process_name abcdefghijklmnopq\n');
  assert.deepEqual(long.diagnostics.map(formatDiagnostic), [
    'p.conf:2:15: warning: Process name abcdefghijklmnopq more than 15 characters, truncating',
  ]);
  assert.equal(long.config.globalDefs.processName, 'abcdefghijklmno');
  assert.ok(long.diagnostics[0]!.failsTest, '-t fails on it, as keepalived');
});

test("umask: keepalived's numeric (strtol base 0) and symbolic forms, its texts; applied unless -u was given", () => {
  const u = (body: string) => load(` umask ${body}\n`).config.globalDefs.umask;
  assert.equal(u('027'), 0o27);
  assert.equal(u('0x12'), 0x12);
  assert.equal(u('18'), 18);
  assert.equal(u('IWGRP|IWOTH'), 0o22);
  assert.equal(u('IRWXU'), undefined);
  assert.deepEqual(diags(' umask IWGRP|IWOTH IXOTH\n'), ['p.conf:2:20: warning: Invalid umask syntax IXOTH']);
  assert.deepEqual(diags(' umask IWGRP | IWOTH\n'), []);
  assert.deepEqual(diags(' umask IRWXU\n'), ['p.conf:2:8: warning: Unknown umask bit IRWXU']);
  assert.deepEqual(diags(' umask 0777\n'), []);
  assert.deepEqual(diags(' umask 01000\n'), ['p.conf:2:8: warning: invalid umask value 01000']);
  assert.deepEqual(diags(' umask 08\n'), ['p.conf:2:8: warning: invalid umask value 08']);
  assert.deepEqual(diags(' umask 022 7\n'), ['p.conf:2:12: warning: Extra parameter(s) to umask option']);
  const cfg = load(' umask 027\n').config;
  for (const s of [parentProcessSettings(cfg), prioritySettingsFrom(cfg, true), checkerPrioritySettings(cfg), bfdPrioritySettings(cfg)]) {
    assert.equal(s.umask, 0o27);
  }
  const calls: string[] = [];
  const log = new MemoryLogger();
  const p = new ProcessPriorities(fakeOs(calls), log, 100);
  p.apply(parentProcessSettings(cfg));
  assert.deepEqual(calls, ['umask 27']);
  calls.length = 0;
  p.apply(parentProcessSettings(cfg, true));
  assert.deepEqual(calls, [], '-u given: not applied');
  assert.deepEqual(
    log.records.map((r) => r.text),
    ['umask command line option specified, ignoring config option'],
  );
});

test('the parent applies process_name (and a reload that removes it gives "keepalived"), nothing else', () => {
  const calls: string[] = [];
  const p = new ProcessPriorities(fakeOs(calls), new MemoryLogger(), 100);
  p.apply(parentProcessSettings(load(' process_name kp\n vrrp_rt_priority 9\n').config));
  assert.deepEqual(calls, ['name kp']);
  calls.length = 0;
  p.apply(parentProcessSettings(load(' router_id x\n').config));
  assert.deepEqual(calls, ['name keepalived']);
  assert.equal(DEFAULT_RLIMIT_RTTIME_US, parentProcessSettings(load('').config).rlimitRttimeUs);
});
