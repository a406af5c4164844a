/**
 * Start-up milestones for measuring (issue 17, README "sixth pass"): with `KEEPALIVED_TS_STARTUP_TRACE=FILE` in
 * the environment, each process of the daemon appends one line per milestone to FILE:
 * `MONOTONIC_MS PID LABEL CPU_MS`, where MONOTONIC_MS is CLOCK_MONOTONIC (process.hrtime: one clock for every
 * process of the host, so a bench can subtract the time it started the daemon) and CPU_MS the process's CPU time
 * (user + system, every thread) so far. The first line of a process is `node`: when node started it
 * (performance.now() counts from there), CPU 0. Unset, as always outside a bench: nothing is written.
 * `bench/compare.ts` (group `start`) sets it and prints the breakdown.
 */
import { appendFileSync } from 'node:fs';
import { subscribe } from '../core/events.js';

/** The environment variable naming the trace file. */
export const STARTUP_TRACE_ENV = 'KEEPALIVED_TS_STARTUP_TRACE';

/** The milestones, in the order a daemon start passes them (a child's after its supervisor's `spawned`). */
export const STARTUP_MILESTONES = [
  'node',
  'main',
  'supervisor',
  'config',
  'spawned',
  'child',
  'runtime',
  'child-config',
  'fsm',
  'ready',
  'master',
  'vip',
] as const;

/** One milestone's name. */
export type StartupMilestone = (typeof STARTUP_MILESTONES)[number];

/** CLOCK_MONOTONIC in ms. */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Appends `label` with the time now; a no-op when the trace is off. `main` (every process passes it first) also
 * writes `node`, when node started this process.
 */
export function startupMark(label: Exclude<StartupMilestone, 'node'>, env: NodeJS.ProcessEnv = process.env): void {
  const file = env[STARTUP_TRACE_ENV];
  if (!file) return;
  const now = monotonicMs();
  const c = process.cpuUsage();
  const cpu = (c.user + c.system) / 1000;
  const lines = label === 'main' ? `${(now - performance.now()).toFixed(2)} ${process.pid} node 0\n` : '';
  try {
    appendFileSync(file, `${lines}${now.toFixed(2)} ${process.pid} ${label} ${cpu.toFixed(2)}\n`);
  } catch {
    /* a measuring aid: never a reason to fail */
  }
}

/**
 * In a VRRP child: marks the first state an instance enters (`fsm`: its timers run from there), the first MASTER
 * (`master`) and the first gratuitous ARP/NA burst, which follows the VIPs' netlink acknowledgement (`vip`).
 * Subscribes only when the trace is on (subscribers make the runtime build its events).
 */
export function traceStartupEvents(env: NodeJS.ProcessEnv = process.env): void {
  if (!env[STARTUP_TRACE_ENV]) return;
  let fsm = false;
  let master = false;
  const offTransition = subscribe('keepalived-ts:vrrp:transition', (e) => {
    if (!fsm) startupMark('fsm', env);
    fsm = true;
    if (e.to === 'MASTER' && !master) startupMark('master', env);
    master ||= e.to === 'MASTER';
  });
  const offGarp = subscribe('keepalived-ts:vrrp:garp', () => {
    startupMark('vip', env);
    offGarp();
    offTransition();
  });
}
