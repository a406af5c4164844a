/**
 * Helpers for the BFD interop tests: FRR's bfdd run standalone in a namespace (its own config, pid, vty and
 * control-socket paths under the test directory), a `bfd_instance` block, and the moment a log line first appears.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningDaemon } from '../harness/daemons.js';
import type { Topology } from '../harness/topology.js';

/** FRR's bfdd as Debian installs it. */
export const FRR_BFDD = '/usr/lib/frr/bfdd';

/** A running bfdd. */
export interface RunningFrr extends RunningDaemon {
  readonly vtySocketDir: string;
  readonly pidFile: string;
}

/** Where bfdd runs: a test directory and a way to start a process in a namespace (the Daemons harness has both). */
export interface BfddPlace {
  readonly dir: string;
  write(name: string, text: string): string;
  readonly topo: { spawn(host: string, cmd: string, args: readonly string[]): ChildProcess };
}

/** Starts bfdd in `host` with one single-hop peer. */
export function startFrrBfdd(
  d: BfddPlace,
  host: string,
  o: { peer: string; local: string; rxMs: number; txMs: number; mult: number; passive?: boolean },
): RunningFrr {
  // bfdd drops to user frr (root is not in its vty group): its files live in a directory frr owns
  const dir = join(d.dir, `frr-${host}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(d.dir, 0o755);
  execFileSync('chown', ['frr:frr', dir]);
  const conf = d.write(
    `frr-${host}.conf`,
    `bfd\n peer ${o.peer} local-address ${o.local}\n  receive-interval ${o.rxMs}\n  transmit-interval ${o.txMs}\n  detect-multiplier ${o.mult}\n${o.passive ? '  passive-mode\n' : ''}  no shutdown\n !\n!\n`,
  );
  const args = [
    '-f',
    conf,
    '-i',
    join(dir, 'bfdd.pid'),
    '--vty_socket',
    dir,
    '--bfdctl',
    join(dir, 'bfdd.sock'),
    '-z',
    join(dir, 'zserv.api'),
    '-u',
    'frr',
    '-g',
    'frr',
    '--log',
    'stdout',
    '--log-level',
    'debug',
    '-A',
    '127.0.0.1',
    '-P',
    '0',
  ];
  const child = d.topo.spawn(host, 'chrt', ['-r', '10', FRR_BFDD, ...args]);
  return { host, child, log: capture(child), vtySocketDir: dir, pidFile: join(dir, 'bfdd.pid') };
}

/** `show bfd peers` from the bfdd (through vtysh and its vty socket); the error text when it fails. */
export function frrPeers(topo: Topology, frr: RunningFrr): string {
  try {
    return topo.exec(frr.host, ['vtysh', '--vty_socket', frr.vtySocketDir, '-d', 'bfdd', '-c', 'show bfd peers']);
  } catch (e) {
    return String(e);
  }
}

/** True when the last state line of session `name` in `log` is "Entering Up state". */
export function isUp(log: string, name: string): boolean {
  const up = log.lastIndexOf(`(${name}) Entering Up state`);
  return up >= 0 && up > log.lastIndexOf(`(${name}) Entering Down state`);
}

/** A `bfd_instance` block in keepalived's syntax. */
export function bfdInstance(
  name: string,
  o: { neighbor: string; source?: string; minRx?: number; minTx?: number; mult?: number; extra?: string },
): string {
  return (
    `bfd_instance ${name} {\n  neighbor_ip ${o.neighbor}\n${o.source ? `  source_ip ${o.source}\n` : ''}` +
    `  min_rx ${o.minRx ?? 10}\n  min_tx ${o.minTx ?? 10}\n  multiplier ${o.mult ?? 3}\n${o.extra ?? ''}}\n`
  );
}

/** Resolves with performance.now() when `re` first matches the output of `child` (or -1 after `ms`). */
export function whenLogged(d: RunningDaemon, re: RegExp, ms: number, since = 0): Promise<number> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      if (re.test(d.log().slice(since))) {
        done(performance.now());
        return true;
      }
      return false;
    };
    const onData = (): void => void check();
    const timer = setTimeout(() => done(-1), ms);
    const done = (t: number): void => {
      clearTimeout(timer);
      d.child.stdout?.off('data', onData);
      d.child.stderr?.off('data', onData);
      resolve(t);
    };
    // registered after capture()'s listener, so log() already holds the new chunk
    d.child.stdout?.on('data', onData);
    d.child.stderr?.on('data', onData);
    check();
  });
}

/** Collects stdout and stderr. */
function capture(child: ChildProcess): () => string {
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return () => out;
}
