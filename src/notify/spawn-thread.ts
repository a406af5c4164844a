/**
 * Starting scripts from a worker thread, so that the event loop that sends adverts never waits for a fork.
 *
 * Why (issue 16, found by the chaos soak): child_process.spawn blocks its thread until the new process has called
 * execve — libuv reads a close-on-exec pipe to learn whether exec failed. The VRRP child runs SCHED_RR with
 * SCHED_RESET_ON_FORK (daemon/priorities.ts), so the forked process is an ordinary SCHED_OTHER task that must wait
 * for a CPU behind every other runnable process before it gets to execve. On the soak's loaded machine each spawn
 * of a tracked script (`test -e FILE`, every second) kept the VRRP event loop blocked for 7–48 ms, and long enough
 * at times that a 0.05 s MASTER fell silent past its backups' Master_Down_Interval (a VIP flap during a reload).
 * A worker thread waits for that fork instead; the event loop only posts a message and later hears the pid and the
 * exit status. The worker is started on first use and does not keep the process alive while no script runs.
 */
import { Worker } from 'node:worker_threads';

/** What to start: child_process.spawn's file, args and the options scripts use. */
export interface SpawnRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly uid?: number;
  readonly gid?: number;
  readonly env: NodeJS.ProcessEnv;
}

/** Callbacks for one started process: its pid once running, or why it could not start, then how it ended. */
export interface SpawnEvents {
  spawned(pid: number): void;
  failed(error: string): void;
  exited(code: number | null, signal: NodeJS.Signals | null): void;
}

type Reply =
  | { readonly id: number; readonly kind: 'spawned'; readonly pid: number }
  | { readonly id: number; readonly kind: 'failed'; readonly error: string }
  | { readonly id: number; readonly kind: 'exited'; readonly code: number | null; readonly signal: NodeJS.Signals | null };

// The worker: spawn detached (own process group), stdio ignored, report pid/error/exit.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
parentPort.on('message', (m) => {
  let child;
  try {
    child = spawn(m.file, m.args, { detached: true, stdio: 'ignore', env: m.env, ...(m.uid === undefined ? {} : { uid: m.uid }), ...(m.gid === undefined ? {} : { gid: m.gid }) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, kind: 'failed', error: e.message });
    return;
  }
  let failed = false;
  child.once('error', (e) => {
    if (failed) return;
    failed = true;
    parentPort.postMessage({ id: m.id, kind: 'failed', error: e.message });
  });
  if (child.pid !== undefined) parentPort.postMessage({ id: m.id, kind: 'spawned', pid: child.pid });
  child.once('exit', (code, signal) => {
    if (!failed) parentPort.postMessage({ id: m.id, kind: 'exited', code, signal });
  });
});
`;

/** A worker thread that starts processes; one per process that runs scripts (see scriptSpawner()). */
export class SpawnThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, SpawnEvents>();

  /** Starts `req`; `ev` hears of it. */
  spawn(req: SpawnRequest, ev: SpawnEvents): void {
    const w = this.start();
    const id = this.nextId++;
    this.pending.set(id, ev);
    if (this.pending.size === 1) w.ref();
    w.postMessage({ id, file: req.file, args: [...req.args], uid: req.uid, gid: req.gid, env: { ...req.env } });
  }

  /** Processes started and not yet ended (or failed). */
  get running(): number {
    return this.pending.size;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false });
    w.unref();
    w.on('message', (r: Reply) => this.onReply(r));
    w.on('error', (e) => this.onGone(`script spawner thread failed: ${e.message}`));
    w.on('exit', () => this.onGone('script spawner thread exited'));
    this.worker = w;
    return w;
  }

  private onReply(r: Reply): void {
    const ev = this.pending.get(r.id);
    if (!ev) return;
    if (r.kind === 'spawned') {
      ev.spawned(r.pid);
      return;
    }
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (r.kind === 'failed') ev.failed(r.error);
    else ev.exited(r.code, r.signal);
  }

  /** The worker died: every process it was watching is reported as failed, and the next spawn starts a new one. */
  private onGone(error: string): void {
    this.worker = undefined;
    const evs = [...this.pending.values()];
    this.pending.clear();
    for (const ev of evs) ev.failed(error);
  }
}

let shared: SpawnThread | undefined;

/** The process's spawner thread (created on first use: a process without scripts never starts it). */
export function scriptSpawner(): SpawnThread {
  return (shared ??= new SpawnThread());
}
