/**
 * The gobgpd we start (`gobgpd_config`): its arguments, its pid file, and the clean-up of one an earlier run left.
 *
 * - gobgpd runs under `setpriv --pdeathsig SIGTERM` (util-linux) when setpriv is there: if the `bgp` child dies,
 *   even by SIGKILL, the kernel sends gobgpd SIGTERM, so it closes its sessions (the peers withdraw our routes at
 *   once) instead of announcing for a dead daemon.
 * - its pid goes to a pid file; at start, a gobgpd named there, or found in /proc, running with exactly our
 *   arguments in our network namespace is an orphan of an earlier run: it is stopped (SIGTERM, SIGKILL after 3 s)
 *   before ours starts, so one never runs twice and stale routes do not stay announced.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BgpAnnounceConfig } from '../../config/model-bgp.js';
import type { Logger } from '../../core/log.js';

/** util-linux's setpriv (Debian: always installed). */
const SETPRIV = '/usr/bin/setpriv';

/** How long a stale gobgpd gets to stop after SIGTERM (ms). */
const STALE_TERM_MS = 3000;

type Settings = Pick<BgpAnnounceConfig, 'gobgpdConfig' | 'gobgpApi' | 'gobgpdPath' | 'gobgpdPidFile'>;

/** The pid file of the gobgpd we start: `gobgpd_pid_file`, or one per configuration file and API address. */
export function gobgpdPidFile(s: Settings): string {
  if (s.gobgpdPidFile) return s.gobgpdPidFile;
  const h = createHash('sha256')
    .update(`${s.gobgpdConfig ?? ''}\0${s.gobgpApi}`)
    .digest('hex')
    .slice(0, 12);
  return `/run/keepalived-ts/gobgpd-${h}.pid`;
}

/** gobgpd's arguments. */
export function gobgpdArgs(s: Settings): string[] {
  return ['-f', s.gobgpdConfig ?? '', '-t', 'toml', '--api-hosts', s.gobgpApi, '-p', '--pprof-disable'];
}

/** The command that starts gobgpd: under setpriv's parent-death signal when it is available. */
export function gobgpdCommand(s: Settings, setpriv = existsSync(SETPRIV)): { file: string; args: string[] } {
  const args = gobgpdArgs(s);
  return setpriv ? { file: SETPRIV, args: ['--pdeathsig', 'SIGTERM', '--', s.gobgpdPath, ...args] } : { file: s.gobgpdPath, args };
}

/** Whether process `pid` runs gobgpd with exactly our arguments, in our network namespace. */
export function isOurGobgpd(pid: number, s: Settings): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    const want = gobgpdArgs(s);
    if (basename(argv[0] ?? '') !== basename(s.gobgpdPath) || argv.length !== want.length + 1) return false;
    if (!want.every((a, i) => argv[i + 1] === a)) return false;
    return readlinkSync(`/proc/${pid}/ns/net`) === readlinkSync('/proc/self/ns/net');
  } catch {
    return false;
  }
}

/** Gobgpds of an earlier run: the pid file's, and any other in /proc with our arguments. */
export function staleGobgpds(s: Settings): number[] {
  const found = new Set<number>();
  try {
    const pid = Number(readFileSync(gobgpdPidFile(s), 'utf8').trim());
    if (pid > 0 && isOurGobgpd(pid, s)) found.add(pid);
  } catch {
    /* no pid file */
  }
  for (const d of readdirSync('/proc')) {
    const pid = Number(d);
    if (pid > 0 && pid !== process.pid && isOurGobgpd(pid, s)) found.add(pid);
  }
  return [...found];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the gobgpds an earlier run left (logged); resolves when they are gone. */
export async function stopStaleGobgpds(s: Settings, log: Logger): Promise<number[]> {
  const pids = staleGobgpds(s);
  for (const pid of pids) {
    log.log({ level: 'warning', text: `BGP: gobgpd (pid ${pid}) left by an earlier run is still running - stopping it` });
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone already */
    }
  }
  const t0 = Date.now();
  while (pids.some(alive) && Date.now() - t0 < STALE_TERM_MS) await sleep(50);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  while (pids.some(alive) && Date.now() - t0 < STALE_TERM_MS + 1000) await sleep(20);
  return pids;
}

/** Writes the pid file (its directory created); a failure is logged. */
export function writeGobgpdPidFile(s: Settings, pid: number, log: Logger): void {
  const file = gobgpdPidFile(s);
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, `${pid}\n`);
  } catch (e) {
    log.log({ level: 'warning', text: `BGP: cannot write ${file}: ${(e as Error).message}` });
  }
}

/** Removes the pid file if it still names `pid`. */
export function removeGobgpdPidFile(s: Settings, pid: number): void {
  const file = gobgpdPidFile(s);
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === pid) rmSync(file, { force: true });
  } catch {
    /* not there */
  }
}
