/**
 * VRRP daemons inside a Topology (root only): Debian's keepalived 2.2.7 and ours (the CLI), each start with its
 * own pid files, TMPDIR and control socket in one directory, its output captured; plus the polling helpers the
 * netns tests and the lab share.
 *
 *   const d = Daemons.inTempDir(topo, 'kts-interop-');
 *   const k = d.keepalived('a', d.conf('ka.conf', 100, 'BACKUP', 2, '192.0.2.100'));
 *   const o = d.ours('b', d.write('ours.conf', text));
 *   await waitFor(() => d.hasVip('b', '192.0.2.100'), 8000);
 *   await stop(o.child);                  // SIGTERM, resolves on exit
 *   await d.crashKeepalived(k);           // SIGKILL to the VRRP child and the parent
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Topology } from './topology.js';

/** Our CLI, compiled by tsc (this file runs from dist/test/netns/harness). */
const CLI = new URL('../../../src/cli/main.js', import.meta.url).pathname;

/** Our CLI as installed: the esbuild bundle (scripts/bundle.mjs), what the `keepalived-ts` bin runs. */
export const BUNDLED_CLI = new URL('../../../bundle/main.js', import.meta.url).pathname;

/** A daemon started in a host. */
export interface RunningDaemon {
  readonly host: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr together). */
  log(): string;
}

/** keepalived: also where its VRRP child writes its pid (a crash must kill that child too). */
export interface RunningKeepalived extends RunningDaemon {
  readonly vrrpPidFile: string;
}

/** Ours: also its control socket (`keepalived-ts --status`, or controlRequest()) and pid files. */
export interface RunningOurs extends RunningDaemon {
  readonly controlSocket: string;
  /** `-p`: the supervising parent's pid (`child.pid`). */
  readonly pidFile: string;
  /** `-r`: the VRRP child's pid. */
  readonly vrrpPidFile: string;
  /** `-b`: the BFD child's pid. */
  readonly bfdPidFile: string;
}

/** The pid in a pid file, or undefined when it is missing or empty. */
export function pidIn(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The text of a one-instance configuration on eth0, VRID 51, advert_int 1 (PASS auth `secret12` for VRRPv2);
 * `extra` is appended inside the vrrp_instance block.
 */
export function confText(name: string, prio: number, state: string, version: 2 | 3, vip: string, extra = ''): string {
  const auth = version === 2 ? '  authentication {\n    auth_type PASS\n    auth_pass secret12\n  }\n' : '';
  return (
    `global_defs {\n  router_id ${name}\n}\nvrrp_instance VI_1 {\n  state ${state}\n  interface eth0\n  virtual_router_id 51\n` +
    `  priority ${prio}\n  advert_int 1\n  version ${version}\n${auth}  virtual_ipaddress {\n    ${vip}\n  }\n${extra}}\n`
  );
}

/** Polls `pred` every 20 ms; resolves to the ms it took to become true, or -1 after `ms`. */
export async function waitFor(pred: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (pred()) return Date.now() - t0;
    await sleep(20);
  }
  return -1;
}

/** Sends `sig` to a child (SIGTERM by default) and resolves when it has exited; at once if it already had. */
export async function stop(c: ChildProcess, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill(sig);
  });
}

/** Waits until `d` logged `(NAME) Entering BACKUP STATE (init)` for each instance name: the ms it took, or -1. */
export function enteredBackupInit(d: RunningDaemon, names: readonly string[] = ['VI_1'], ms = 8000): Promise<number> {
  const lines = names.map((n) => new RegExp(`\\(${n}\\) Entering BACKUP STATE \\(init\\)`));
  return waitFor(() => lines.every((re) => re.test(d.log())), ms);
}

/** Starts and stops daemons in the hosts of one topology, with their files in one directory. */
export class Daemons {
  private runs = 0;

  /**
   * @param topo where the daemons run (they are killed by PID when it is destroyed)
   * @param dir configuration, pid files, sockets and TMPDIR go here
   * @param cli the script ours() runs: the tsc output (default) or BUNDLED_CLI, or the `keepalived-ts` bin (run with
   *   the node first in PATH)
   */
  constructor(
    readonly topo: Topology,
    readonly dir: string,
    readonly cli: string = CLI,
  ) {}

  /** A Daemons with a fresh temp directory named `prefix…` (remove it with removeDir()); ours() runs `cli`. */
  static inTempDir(topo: Topology, prefix: string, cli: string = CLI): Daemons {
    return new Daemons(topo, mkdtempSync(join(tmpdir(), prefix)), cli);
  }

  /** Writes `text` to `name` in the directory and returns its path. */
  write(name: string, text: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }

  /** Writes confText(...) to `name` and returns its path. */
  conf(name: string, prio: number, state: string, version: 2 | 3, vip: string, extra = ''): string {
    return this.write(name, confText(name, prio, state, version, vip, extra));
  }

  /** Starts keepalived 2.2.7 (`-P -n -l -D`) in a host, with pid files unique to this start. */
  keepalived(host: string, file: string): RunningKeepalived {
    const tag = `${host}-${this.runs++}`;
    const vrrpPidFile = join(this.dir, `${tag}-vrrp.pid`);
    const child = this.topo.spawn(
      host,
      '/usr/sbin/keepalived',
      ['-P', '-n', '-l', '-D', '-f', file, '-p', join(this.dir, `${tag}.pid`), '-r', vrrpPidFile, '-c', join(this.dir, `${tag}-chk.pid`)],
      { env: { ...process.env, TMPDIR: this.dir } },
    );
    return { host, child, log: captureOutput(child), vrrpPidFile };
  }

  /** Starts keepalived 2.2.7 with every subsystem (`-n -l -D`: its BFD process too), pid files unique to this start. */
  keepalivedAll(host: string, file: string): RunningKeepalived {
    const tag = `${host}-${this.runs++}`;
    const vrrpPidFile = join(this.dir, `${tag}-vrrp.pid`);
    const pids = [
      '-p',
      join(this.dir, `${tag}.pid`),
      '-r',
      vrrpPidFile,
      '-c',
      join(this.dir, `${tag}-chk.pid`),
      '-b',
      join(this.dir, `${tag}-bfd.pid`),
    ];
    const child = this.topo.spawn(host, '/usr/sbin/keepalived', ['-n', '-l', '-D', '-f', file, ...pids], {
      env: { ...process.env, TMPDIR: this.dir },
    });
    return { host, child, log: captureOutput(child), vrrpPidFile };
  }

  /**
   * Starts our daemon (`-n -l -D`, plus `extra`) in a host, with pid files and a control socket unique to this start.
   * `detach`: without `-n` (the returned child is the foreground process, which exits once the daemon is ready);
   * `env`: added to the daemon's environment; `fromHost`: started in this process's namespace instead (not through
   * `ip netns exec`), to enter the host's by itself (`-s NETNS` in `extra`); it is still killed with the topology
   * (`ip netns pids` finds it there).
   */
  ours(
    host: string,
    file: string,
    extra: readonly string[] = [],
    opts: { detach?: boolean; env?: NodeJS.ProcessEnv; fromHost?: boolean } = {},
  ): RunningOurs {
    const tag = `ours-${host}-${this.runs++}`;
    const controlSocket = join(this.dir, `${tag}.sock`);
    const pidFile = join(this.dir, `${tag}.pid`);
    const vrrpPidFile = join(this.dir, `${tag}-vrrp.pid`);
    const bfdPidFile = join(this.dir, `${tag}-bfd.pid`);
    const argv = [
      this.cli,
      ...(opts.detach ? [] : ['-n']),
      '-l',
      '-D',
      ...extra,
      '-f',
      file,
      '-p',
      pidFile,
      '-r',
      vrrpPidFile,
      '-c',
      join(this.dir, `${tag}-chk.pid`),
      '-b',
      join(this.dir, `${tag}-bfd.pid`),
      `--control-socket=${controlSocket}`,
    ];
    const o = { env: { ...process.env, TMPDIR: this.dir, ...opts.env } };
    // a script is run by this node; anything else (the `keepalived-ts` bin) is run as it is
    const [cmd, args] = this.cli.endsWith('.js') ? [process.execPath, argv] : [this.cli, argv.slice(1)];
    const child = opts.fromHost ? spawn(cmd, args, { stdio: 'pipe', ...o }) : this.topo.spawn(host, cmd, args, o);
    return { host, child, log: captureOutput(child), controlSocket, pidFile, vrrpPidFile, bfdPidFile };
  }

  /** Hard loss of keepalived: SIGKILL its VRRP child (from its pid file) and its parent, as a crash would. */
  async crashKeepalived(k: RunningKeepalived): Promise<void> {
    try {
      process.kill(Number(readFileSync(k.vrrpPidFile, 'utf8').trim()), 'SIGKILL');
    } catch {
      /* already gone */
    }
    await stop(k.child, 'SIGKILL');
  }

  /** True when `vip` (IPv4 or IPv6, without prefix) is configured on the host's eth0. */
  hasVip(host: string, vip: string): boolean {
    return this.topo.exec(host, ['ip', 'addr', 'show', 'dev', 'eth0']).includes(` ${vip}/`);
  }

  /** Removes the directory and everything in it. */
  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Collects a child's stdout and stderr; returns the reader. */
export function captureOutput(child: ChildProcess): () => string {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return () => out;
}
