/**
 * Helpers for the `ipvs` tier. These tests run only inside the throw-away UML guest (scripts/ipvs-vm), as root:
 * the guest's own root namespace is the director (it has only `lo`; nothing here can reach the host), real
 * servers and the client live in namespaces the tests create. `ipvsadm` is the oracle, never the code under test.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LbServiceState } from '../../src/lb/backend.js';
import type { ListingInfo } from '../../src/lb/listing.js';

/** True inside the guest that scripts/ipvs-vm boots. */
export const inGuest = process.env['KTS_IPVS_GUEST'] === '1';

/** Runs ipvsadm with arguments; returns stdout (throws with stderr on failure). */
export function ipvsadm(...args: string[]): string {
  // bounded: a hung ipvsadm fails its test instead of blocking the event loop (and the runner's timeouts)
  return execFileSync('ipvsadm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000, killSignal: 'SIGKILL' });
}

/** Runs a shell command string; returns stdout. */
export function sh(cmd: string): string {
  return execFileSync('bash', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined, or `timeoutMs` passes. */
export async function poll<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const SERVER = `require('http').createServer((q, r) => r.end(process.argv[1]))
  .listen(Number(process.argv[3]), process.argv[2], () => console.log('listening'))`;

const CLIENT = `const http = require('http'); const n = Number(process.argv[2]); const hits = {};
const one = () => new Promise((res, rej) => http.get({ host: process.argv[1], port: Number(process.argv[3]), agent: false, timeout: 5000 },
  (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => res(b)); }).on('error', rej));
(async () => { for (let i = 0; i < n; i++) { const b = await one(); hits[b] = (hits[b] || 0) + 1; } console.log(JSON.stringify(hits)); })()
  .catch((e) => { console.log('ERR ' + e.message); process.exit(1); });`;

/**
 * The LVS-NAT topology: a client namespace (198.51.100.2/24, default via the director's 198.51.100.1), two real
 * servers in namespaces of their own (192.0.2.10/25 and 192.0.2.130/25, default via the director) each running a
 * node HTTP server that answers its name, and the VIP 192.0.2.100/32 on a dummy link of the director.
 */
export class NatTopology {
  readonly vip = '192.0.2.100';
  readonly servers = [
    { name: 'be1', address: '192.0.2.10' },
    { name: 'be2', address: '192.0.2.130' },
  ] as const;
  private readonly tag: string;
  private readonly children: ChildProcess[] = [];
  private destroyed = false;

  private constructor() {
    this.tag = `k${process.pid % 100000}`;
  }

  private ns(n: string): string {
    return `${this.tag}${n}`;
  }

  /** Builds the namespaces, links and addresses, and starts the two HTTP servers on `port`. */
  static async create(port = 80): Promise<NatTopology> {
    const t = new NatTopology();
    const [c, b1, b2] = [t.ns('c'), t.ns('b1'), t.ns('b2')];
    sh(`set -e
      modprobe -a veth dummy
      for n in ${c} ${b1} ${b2}; do ip netns add $n; ip -n $n link set lo up; done
      ip link add ${t.tag}c type veth peer name eth0 netns ${c}
      ip link add ${t.tag}1 type veth peer name eth0 netns ${b1}
      ip link add ${t.tag}2 type veth peer name eth0 netns ${b2}
      ip addr add 198.51.100.1/24 dev ${t.tag}c; ip link set ${t.tag}c up
      ip addr add 192.0.2.1/25 dev ${t.tag}1; ip link set ${t.tag}1 up
      ip addr add 192.0.2.129/25 dev ${t.tag}2; ip link set ${t.tag}2 up
      ip -n ${c} addr add 198.51.100.2/24 dev eth0; ip -n ${c} link set eth0 up; ip -n ${c} route add default via 198.51.100.1
      ip -n ${b1} addr add 192.0.2.10/25 dev eth0; ip -n ${b1} link set eth0 up; ip -n ${b1} route add default via 192.0.2.1
      ip -n ${b2} addr add 192.0.2.130/25 dev eth0; ip -n ${b2} link set eth0 up; ip -n ${b2} route add default via 192.0.2.129
      echo 1 > /proc/sys/net/ipv4/ip_forward
      ip link add ${t.tag}v type dummy; ip addr add 192.0.2.100/32 dev ${t.tag}v; ip link set ${t.tag}v up`);
    await Promise.all(
      t.servers.map(async (s, i) => {
        const child = spawn('ip', ['netns', 'exec', i === 0 ? b1 : b2, process.execPath, '-e', SERVER, s.name, s.address, String(port)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        t.children.push(child);
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
        });
        const ok = await poll(() => (out.includes('listening') ? true : undefined), 15000, 50);
        if (!ok) throw new Error(`server ${s.name} did not start`);
      }),
    );
    return t;
  }

  /** `n` sequential HTTP requests from the client namespace to `vip:port`; resolves with hits per server name. */
  async requests(n: number, port = 80): Promise<Record<string, number>> {
    const child = spawn('ip', ['netns', 'exec', this.ns('c'), process.execPath, '-e', CLIENT, this.vip, String(n), String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await once(child, 'exit');
    if (!out.startsWith('{')) throw new Error(`client: ${out.trim()}`);
    return JSON.parse(out) as Record<string, number>;
  }

  /** Stops the servers (by PID) and deletes what create() made. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children)
      if (c.exitCode === null && c.pid) {
        try {
          process.kill(c.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    sh(`for n in ${this.ns('c')} ${this.ns('b1')} ${this.ns('b2')}; do ip netns del $n 2>/dev/null; done
        ip link del ${this.tag}v 2>/dev/null; true`);
  }
}

/**
 * With KTS_IPVS_CAPTURE=DIR (scripts/ipvs-capture-fixtures), writes DIR/<name>/state.json (list() and info) and
 * ipvsadm's outputs next to it: the unit tier renders the state and compares with ipvsadm's bytes.
 */
export function captureFixture(name: string, services: readonly LbServiceState[], info: ListingInfo, texts: Record<string, string>): void {
  const dir = process.env['KTS_IPVS_CAPTURE'];
  if (!dir) return;
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'state.json'), `${JSON.stringify({ info, services }, null, 1)}\n`);
  for (const [f, t] of Object.entries(texts)) writeFileSync(join(d, f), t);
}
