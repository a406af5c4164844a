/**
 * global_defs `vrrp_rt_priority` on the real kernel: every thread of our daemon runs SCHED_RR at the configured
 * priority with SCHED_RESET_ON_FORK, RLIMIT_RTTIME is set, a notify script it starts runs SCHED_OTHER, and a reload
 * (SIGHUP) changes or removes all of it. Without the keyword the VRRP child takes our default (SCHED_RR 1); 0 is off.
 * max_auto_priority: late timers (the child stopped with SIGSTOP) raise the priority step by step up to the maximum.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, confText, pidIn, stop, waitFor } from '../harness/daemons.js';
import { K, sysio } from '../../../src/net/sysio.js';

const topo = Topology.create({ hosts: ['a'] });
const d = Daemons.inTempDir(topo, 'kts-priorities-');
after(() => {
  topo.destroy();
  d.removeDir();
});

/** Fields 40 (rt_priority) and 41 (policy) of /proc/PID[/task/TID]/stat (proc(5)); comm may hold spaces. */
function schedOf(statPath: string): { rtPriority: number; policy: number } {
  const text = readFileSync(statPath, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
  return { rtPriority: Number(f[40 - 3]), policy: Number(f[41 - 3]) };
}

/**
 * Asserts every thread of `pid` runs `policy` at `rt`, and the addon's native sender threads (named `*-wd`: the
 * MASTER's advert watchdog) one real-time priority above; returns how many of those there were.
 */
function assertThreads(pid: number, rt: number, policy: number, what: string): number {
  let senders = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const sender = tid !== String(pid) && readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().endsWith('-wd');
    if (sender) senders++;
    const want = sender && rt > 0 ? Math.min(rt + 1, 99) : rt;
    assert.deepEqual(
      schedOf(`/proc/${pid}/task/${tid}/stat`),
      { rtPriority: want, policy },
      `thread ${tid}${sender ? ' (native sender)' : ''} ${what}`,
    );
  }
  return senders;
}

/** `Max realtime timeout` soft and hard from /proc/PID/limits. */
function rttimeLimits(pid: number): string[] {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max realtime timeout'));
  return line?.trim().split(/\s+/).slice(3, 5) ?? [];
}

/** Whether this process (root, running the daemons) has CAP_SYS_RESOURCE (bit 24 of CapEff). */
function hasCapSysResource(): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  return ((BigInt(`0x${hex}`) >> 24n) & 1n) === 1n;
}

test('vrrp_rt_priority 10: SCHED_RR 10 on every thread (reset on fork), RLIMIT_RTTIME 1 s / 2 s, notify script SCHED_OTHER; reloads', async () => {
  const out = join(d.dir, 'script-sched');
  const script = join(d.dir, 'notify.sh');
  // the script records its own scheduling (stat fields 40/41 of its own process) and nice value
  writeFileSync(script, `#!/bin/sh\ncat /proc/$$/stat > ${out}.tmp && mv ${out}.tmp ${out}\n`, { mode: 0o755 });
  const file = d.write(
    'rt.conf',
    confText('rt', 100, 'MASTER', 3, '192.0.2.181', `  notify_master ${script}\n`).replace(
      'global_defs {\n',
      'global_defs {\n  vrrp_rt_priority 10\n',
    ),
  );
  const o = d.ours('a', file);
  try {
    assert.ok((await waitFor(() => existsSync(out), 8000)) >= 0, `notify_master ran\n${o.log()}`);
    const pid = pidIn(o.vrrpPidFile)!; // the VRRP child runs VRRP and takes vrrp_rt_priority, as keepalived's
    const tids = readdirSync(`/proc/${pid}/task`);
    assert.ok(tids.length > 1, `Node runs several threads (${tids.length})`);
    assert.ok(assertThreads(pid, 10, K.SCHED_RR as number, '') > 0, 'the MASTER runs its advert watchdog threads');
    // sched_getscheduler(2) on the main thread: SCHED_RR with the reset-on-fork bit
    assert.equal(sysio.schedGetScheduler(pid), (K.SCHED_RR as number) | (K.SCHED_RESET_ON_FORK as number));
    assert.deepEqual(rttimeLimits(pid), ['1000000', '2000000']);
    assert.deepEqual(schedOf(out), { rtPriority: 0, policy: K.SCHED_OTHER }, 'the notify script is not real-time');
    assert.match(o.log(), /NOTICE: setting config option max_auto_priority should result in better keepalived performance/);
    assert.doesNotMatch(o.log(), /cannot raise priority|cannot set realtime rlimit/);

    // reload (SIGHUP) with another priority, then without vrrp_rt_priority: applied to every thread each time
    const reload = async (text: string, n: number) => {
      writeFileSync(file, text);
      o.child.kill('SIGHUP');
      assert.ok((await waitFor(() => (o.log().match(/Reload complete/g) ?? []).length === n, 8000)) >= 0, o.log());
    };
    await reload(readFileSync(file, 'utf8').replace('vrrp_rt_priority 10', 'vrrp_rt_priority 20\n  vrrp_rlimit_rttime 300000'), 1);
    assert.ok(assertThreads(pid, 20, K.SCHED_RR as number, 'after reload') > 0);
    assert.deepEqual(rttimeLimits(pid), ['300000', '600000']);
    // `vrrp_rt_priority 0` turns real-time off (without the keyword the VRRP child would take the default, SCHED_RR 1)
    await reload(readFileSync(file, 'utf8').replace(/ {2}vrrp_rt_priority 20\n {2}vrrp_rlimit_rttime 300000\n/, '  vrrp_rt_priority 0\n'), 2);
    assertThreads(pid, 0, K.SCHED_OTHER as number, 'after removal');
    if (hasCapSysResource()) assert.deepEqual(rttimeLimits(pid), ['unlimited', 'unlimited'], o.log());
    else {
      // raising a hard limit back needs CAP_SYS_RESOURCE (some containers drop it): logged, limit kept
      assert.match(o.log(), /child process cannot reset realtime rlimit - setrlimit EPERM/);
      assert.deepEqual(rttimeLimits(pid), ['300000', '600000']);
    }
  } finally {
    await stop(o.child);
  }
});

test('without scheduling keywords the VRRP child (only) runs SCHED_RR 1 with RLIMIT_RTTIME 1 s / 2 s; vrrp_rt_priority 0 keeps it SCHED_OTHER', async () => {
  const o = d.ours('a', d.write('plain.conf', confText('plain', 100, 'BACKUP', 3, '192.0.2.182')));
  try {
    assert.ok((await waitFor(() => /Entering BACKUP STATE/.test(o.log()), 8000)) >= 0, o.log());
    const pid = pidIn(o.vrrpPidFile)!;
    assertThreads(pid, 1, K.SCHED_RR as number, '');
    assert.equal(sysio.schedGetScheduler(pid), (K.SCHED_RR as number) | (K.SCHED_RESET_ON_FORK as number));
    assert.deepEqual(rttimeLimits(pid), ['1000000', '2000000']);
    // the supervisor and the checker child keep normal scheduling
    assert.deepEqual(schedOf(`/proc/${o.child.pid}/stat`), { rtPriority: 0, policy: K.SCHED_OTHER }, 'supervisor');
    assert.doesNotMatch(o.log(), /cannot raise priority/);
  } finally {
    await stop(o.child);
  }
  const off = d.ours(
    'a',
    d.write('off.conf', confText('off', 100, 'BACKUP', 3, '192.0.2.182').replace('global_defs {\n', 'global_defs {\n  vrrp_rt_priority 0\n')),
  );
  try {
    assert.ok((await waitFor(() => /Entering BACKUP STATE/.test(off.log()), 8000)) >= 0, off.log());
    const pid = pidIn(off.vrrpPidFile)!;
    assertThreads(pid, 0, K.SCHED_OTHER as number, '');
    assert.deepEqual(rttimeLimits(pid), ['unlimited', 'unlimited']);
  } finally {
    await stop(off.child);
  }
});

test('max_auto_priority end to end: each late timer (the VRRP child stopped past min_auto_priority_delay) raises SCHED_RR by one, up to the maximum', async () => {
  const text = confText('auto', 255, 'MASTER', 3, '192.0.2.183').replace(
    'global_defs {\n',
    'global_defs {\n  vrrp_priority 0\n  max_auto_priority 3\n  min_auto_priority_delay 200000\n',
  );
  const o = d.ours('a', d.write('auto.conf', text));
  /** The VRRP child's SCHED_RR priority, the same on every thread but the native senders (0 = SCHED_OTHER). */
  const level = (pid: number): number => {
    const main = schedOf(`/proc/${pid}/stat`);
    assert.equal(main.policy, main.rtPriority ? K.SCHED_RR : K.SCHED_OTHER);
    assertThreads(pid, main.rtPriority, main.policy, 'every thread alike');
    return main.rtPriority;
  };
  /** level(), or -1 while a raise is still going through the threads one by one (polled; level() then asserts). */
  const settled = (pid: number): number => {
    try {
      return level(pid);
    } catch {
      return -1;
    }
  };
  try {
    assert.ok((await waitFor(() => /Entering MASTER STATE/.test(o.log()), 15000)) >= 0, o.log());
    const pid = pidIn(o.vrrpPidFile)!;
    const levels = [level(pid)];
    assert.ok(levels[0]! < 3, `vrrp_priority set: not real-time by default (${levels[0]})`);
    for (let i = 0; i < 4; i++) {
      const before = levels[levels.length - 1]!;
      process.kill(pid, 'SIGSTOP'); // the advert timer (1 s) comes due while stopped
      await new Promise((r) => setTimeout(r, 1500));
      process.kill(pid, 'SIGCONT');
      const want = Math.min(3, before + 1);
      assert.ok((await waitFor(() => settled(pid) >= want, 3000)) >= 0, `late timer ${i + 1}: ${before} → ${want}\n${o.log()}`);
      levels.push(level(pid));
    }
    assert.equal(levels[levels.length - 1], 3, `capped at max_auto_priority: ${levels.join(' → ')}`);
    assert.equal(sysio.schedGetScheduler(pid), (K.SCHED_RR as number) | (K.SCHED_RESET_ON_FORK as number));
    assert.match(o.log(), /A thread timer expired \d+\.\d{6} seconds ago/);
    assert.match(o.log(), /Set realtime priority 3/);
    assert.doesNotMatch(o.log(), /Set realtime priority 4/);
  } finally {
    await stop(o.child);
  }
});
