/**
 * Helpers for the ipvs tier's daemon tests (daemon-diff, seed-tun-e2e): whole daemons — ours
 * (dist/src/cli/main.js) and keepalived 2.2.7 (/usr/sbin/keepalived) — run in namespaces of the guest, real
 * servers as node listeners that a test stops and starts, a client that counts answers. ipvsadm is the oracle.
 * Everything is started by PID and stopped by PID; namespaces carry a per-run tag.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { poll } from './harness.js';

const root = process.env['KTS_ROOT'] ?? new URL('../../../', import.meta.url).pathname;

/** Which implementation a daemon is. */
export type Impl = 'ours' | 'keepalived';

/** Runs `cmd` in namespace `ns` (the guest's root namespace when undefined) and returns stdout. */
export function nsExec(ns: string | undefined, cmd: string[]): string {
  const argv = ns ? ['ip', 'netns', 'exec', ns, ...cmd] : cmd;
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000, killSignal: 'SIGKILL' });
}

/** `ipvsadm -S -n`, `-Ln --thresholds` and `-L --timeout` of namespace `ns` in one exec of bash. */
export function ipvsState(ns: string | undefined): string {
  return nsExec(ns, ['bash', '-c', 'ipvsadm -S -n; echo "# thresholds"; ipvsadm -Ln --thresholds; echo "# timeouts"; ipvsadm -L --timeout']);
}

/** A daemon started by a test. */
export class Daemon {
  private out = '';
  private constructor(
    readonly impl: Impl,
    readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
  }

  /**
   * Starts `impl` on `conf` in namespace `ns`, its pid files (and our control socket) in `dir`; `extra` are more
   * command-line words (`-C` for the checker process only).
   */
  static start(impl: Impl, conf: string, dir: string, ns: string | undefined, extra: string[] = []): Daemon {
    const common = [
      '-n',
      '-l',
      '-f',
      conf,
      '-p',
      join(dir, `${impl}.pid`),
      '-c',
      join(dir, `${impl}-c.pid`),
      '-r',
      join(dir, `${impl}-v.pid`),
      ...extra,
    ];
    const argv =
      impl === 'ours'
        ? [process.execPath, join(root, 'dist', 'src', 'cli', 'main.js'), ...common, `--control-socket=${join(dir, 'ctl.sock')}`]
        : ['/usr/sbin/keepalived', ...common];
    const full = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
    return new Daemon(impl, spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Everything it wrote so far. */
  get log(): string {
    return this.out;
  }

  /** Sends SIGHUP (reload). */
  reload(): void {
    if (this.child.pid) process.kill(this.child.pid, 'SIGHUP');
  }

  /** SIGTERM, and waits for the exit (SIGKILL after `graceMs`). */
  async stop(graceMs = 15000): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
    const exited = once(c, 'exit');
    process.kill(c.pid, 'SIGTERM');
    const t = setTimeout(() => {
      try {
        process.kill(c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    await exited;
    clearTimeout(t);
  }
}

/**
 * Real-server listeners in one node process: TCP listeners on `address:port` that answer an HTTP request with
 * `name` (or close at once), switched off and on by lines on stdin (`down A P`, `up A P`), each acknowledged.
 */
const LISTENERS = `const net = require('net'); const name = process.argv[1]; const eps = JSON.parse(process.argv[2]); const srv = new Map();
const up = (a, p) => new Promise((res) => { const s = net.createServer((c) => { c.once('data', () => c.end('HTTP/1.0 200 OK\\r\\nContent-Length: ' + name.length + '\\r\\n\\r\\n' + name)); c.on('error', () => {}); });
  s.listen({ host: a, port: p, ipv6Only: a.includes(':') }, res); srv.set(a + ' ' + p, s); });
const down = (a, p) => new Promise((res) => { const s = srv.get(a + ' ' + p); srv.delete(a + ' ' + p); s ? s.close(() => res()) : res(); });
let q = Promise.resolve();
require('readline').createInterface({ input: process.stdin }).on('line', (l) => { const [op, a, p] = l.split(' ');
  q = q.then(() => (op === 'up' ? up(a, Number(p)) : down(a, Number(p)))).then(() => console.log('ok ' + l)); });
Promise.all(eps.map(([a, p]) => up(a, p))).then(() => console.log('listening'));`;

/** A node process of real-server listeners in a namespace. */
export class Listeners {
  private out = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
  }

  /** Starts listeners on every `[address, port]` in `ns`; resolves when all listen. */
  static async start(ns: string, name: string, endpoints: readonly (readonly [string, number])[]): Promise<Listeners> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', LISTENERS, name, JSON.stringify(endpoints)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const l = new Listeners(child);
    if (!(await poll(() => (l.out.includes('listening') ? true : undefined), 60000, 50))) throw new Error(`listeners in ${ns} did not start`);
    return l;
  }

  /** Switches listeners `down` or `up`; resolves when the process acknowledged every one. */
  async set(op: 'up' | 'down', endpoints: readonly (readonly [string, number])[]): Promise<void> {
    for (const [a, p] of endpoints) {
      const line = `${op} ${a} ${p}`;
      this.child.stdin!.write(`${line}\n`);
      if (!(await poll(() => (this.out.includes(`ok ${line}\n`) ? true : undefined), 10000, 20)))
        throw new Error(`listener ${line} not acknowledged`);
      this.out = this.out.replace(`ok ${line}\n`, '');
    }
  }

  /** Stops the process (by PID). */
  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
    const exited = once(c, 'exit');
    process.kill(c.pid, 'SIGTERM');
    await exited;
  }
}

/**
 * A client in a namespace: on `run N` it makes N sequential HTTP/1.0 requests to `vip:port` and prints the
 * answers per name; on `loop` it requests until `stop`, then prints answers and failures (each request has a
 * 1 s timeout and a 50 ms pause after a failure).
 */
const CLIENT = `const net = require('net'); const [vip, port] = [process.argv[1], Number(process.argv[2])]; let looping = false; let loopDone;
const one = () => new Promise((res) => { let b = ''; const s = net.connect({ host: vip, port });
  const t = setTimeout(() => { s.destroy(); res(undefined); }, 1000);
  s.on('connect', () => s.write('GET / HTTP/1.0\\r\\n\\r\\n')); s.on('data', (d) => { b += d; });
  s.on('error', () => { clearTimeout(t); res(undefined); });
  s.on('close', () => { clearTimeout(t); const i = b.indexOf('\\r\\n\\r\\n'); res(i >= 0 ? b.slice(i + 4) : undefined); }); });
const tally = () => ({ hits: {}, failed: 0, failedAtMs: [] });
const note = (r, x, t0) => { if (x === undefined) { r.failed++; r.failedAtMs.push(Date.now() - t0); } else r.hits[x] = (r.hits[x] || 0) + 1; };
require('readline').createInterface({ input: process.stdin }).on('line', async (l) => { const [op, n] = l.split(' ');
  if (op === 'run') { const r = tally(); const t0 = Date.now(); for (let i = 0; i < Number(n); i++) note(r, await one(), t0); console.log(JSON.stringify(r)); }
  else if (op === 'loop') { looping = true; const r = tally(); const t0 = Date.now();
    loopDone = (async () => { while (looping) { const x = await one(); note(r, x, t0); if (x === undefined) await new Promise((z) => setTimeout(z, 50)); } return r; })(); console.log('{"looping":true}'); }
  else if (op === 'stop') { looping = false; console.log(JSON.stringify(await loopDone)); } });
console.log('{"ready":true}');`;

/** What the client saw. */
export interface ClientTally {
  readonly hits: Record<string, number>;
  readonly failed: number;
  /** When each failure happened, ms after the run or loop began. */
  readonly failedAtMs: number[];
}

/** A client process in a namespace. */
export class Client {
  private out = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
  }

  /** Starts the client for `vip:port` in `ns`. */
  static async start(ns: string, vip: string, port: number): Promise<Client> {
    const c = new Client(
      spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', CLIENT, vip, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    await c.reply('', 60000);
    return c;
  }

  private async reply<T>(line: string, timeoutMs: number): Promise<T> {
    if (line) this.child.stdin!.write(`${line}\n`);
    const got = await poll(
      () => {
        const i = this.out.indexOf('\n');
        if (i < 0) return undefined;
        const l = this.out.slice(0, i);
        this.out = this.out.slice(i + 1);
        return l;
      },
      timeoutMs,
      20,
    );
    if (got === undefined) throw new Error(`client: no answer to '${line}'`);
    return JSON.parse(got) as T;
  }

  /** `n` sequential requests. */
  run(n: number): Promise<ClientTally> {
    return this.reply<ClientTally>(`run ${n}`, 60000 + n * 1000);
  }

  /** Starts requesting in a loop until loopEnd(). */
  async loopStart(): Promise<void> {
    await this.reply('loop', 10000);
  }

  /** Ends the loop; what it saw. */
  loopEnd(): Promise<ClientTally> {
    return this.reply<ClientTally>('stop', 10000);
  }

  /** Stops the process (by PID). */
  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
    const exited = once(c, 'exit');
    process.kill(c.pid, 'SIGTERM');
    await exited;
  }
}

/**
 * A seed LVS configuration (test/fixtures/seed-configs) for the guest: interfaces → eth0, addresses into
 * 192.0.2.0/24 (last octet kept: VIP .166, real servers .92 and .93), checker timings made small (delay_loop 1,
 * connect_timeout 1, retry 1, delay_before_retry 1) so each phase settles in seconds.
 */
export function seedLvsConfig(file: string, rewrite: (text: string) => string): string {
  const raw = readFileSync(join(root, 'test', 'fixtures', 'seed-configs', file), 'utf8');
  return rewrite(raw)
    .replace(/^(\s*)delay_loop 6$/gm, '$1delay_loop 1')
    .replace(/^(\s*)connect_timeout 3$/gm, '$1connect_timeout 1\n$1retry 1')
    .replace(/^(\s*)delay_before_retry 3$/gm, '$1delay_before_retry 1');
}
