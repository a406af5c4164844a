/**
 * Script security and script users (keepalived `lib/notify.c`: check_script_secure, check_security,
 * set_uid_gid, get_default_script_user; `vrrp.c` SECURITY VIOLATION report).
 *
 * - Users: `script_user USER [GROUP]` or a per-script `user U [G]`; the default user is `keepalived_script`
 *   if it exists, else the daemon's own user (root).
 * - `enable_script_security`: a script that runs as root (or is setuid/setgid root) is refused if any path
 *   component — `/`, each directory, the file — is not owned by root, or is group-writable by a non-root group,
 *   or world-writable (directories with the sticky bit are exempt from the write checks).
 */
import { accessSync, constants, lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import type { Logger } from '../core/log.js';
import { pathComponents, unsafeReason } from '../core/path-security.js';
import { lookupGroup, lookupUser, type ScriptIds } from '../core/user-db.js';

export { pathComponents, unsafeReason, lookupGroup, lookupUser, type ScriptIds };

/** Where to read user and group databases (tests point these at fixtures). */
export interface IdDatabases {
  readonly passwd?: string;
  readonly group?: string;
}

/** Resolves script users and the default script user, logging as keepalived does. */
export class ScriptUserResolver {
  private defaultIds: ScriptIds | undefined | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly own: ScriptIds = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    private readonly db: IdDatabases = {},
  ) {}

  private read(path: string): string {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  }

  /** `user U [G]` → ids, or undefined (with `Script user 'x' does not exist` etc.). */
  resolve(user: string, group?: string): ScriptIds | undefined {
    const u = lookupUser(user, this.read(this.db.passwd ?? '/etc/passwd'));
    if (!u) {
      this.logger.log({ level: 'info', text: `Script user '${user}' does not exist` });
      return undefined;
    }
    if (group === undefined) return u;
    const gid = lookupGroup(group, this.read(this.db.group ?? '/etc/group'));
    if (gid === undefined) {
      this.logger.log({ level: 'info', text: `Script group '${group}' does not exist` });
      return undefined;
    }
    return { uid: u.uid, gid };
  }

  /** Sets `script_user USER [GROUP]` as the default; returns false if it could not be resolved. */
  setDefault(user: string, group?: string): boolean {
    const ids = this.resolve(user, group);
    this.defaultIds = ids;
    return ids !== undefined;
  }

  /**
   * The default script user: the `script_user`, else `keepalived_script` if it exists, else our own ids.
   * With script security, a missing keepalived_script is an error (`Unable to set default user … for script`).
   */
  defaultUser(scriptSecurity: boolean): ScriptIds | undefined {
    if (this.defaultIds !== null) return this.defaultIds;
    const ks = this.resolve('keepalived_script');
    if (!ks && scriptSecurity) {
      this.logger.log({ level: 'err', text: 'Unable to set default user keepalived_script for script' });
      this.defaultIds = undefined;
      return undefined;
    }
    this.defaultIds = ks ?? this.own;
    return this.defaultIds;
  }
}

/** Result flags of a script check (keepalived SC_*). */
export interface ScriptCheck {
  /** The program path after PATH search / realpath, if found. */
  readonly path?: string;
  readonly notFound: boolean;
  /** Insecure path (logged). */
  readonly insecure: boolean;
  /** Must not run (insecure with script security, not executable, not found). */
  readonly inhibit: boolean;
  /** Refused only because it is not executable for its user (keepalived: no SC_EXECUTABLE, no SC_INHIBIT). */
  readonly notExecutable?: boolean;
}

/** Walks `path`'s components; logs the first unsafe one. Returns 'ok' | 'insecure' | 'notfound' | 'badtype'. */
function checkPath(path: string, enabled: boolean, logger: Logger): 'ok' | 'insecure' | 'notfound' | 'badtype' {
  const comps = pathComponents(path);
  for (let i = 0; i < comps.length; i++) {
    const last = i === comps.length - 1;
    let st: Stats;
    try {
      st = lstatSync(comps[i]!);
    } catch {
      logger.log({ level: 'info', text: `check_script_secure could not find script '${path}' - disabling` });
      return 'notfound';
    }
    if ((!last && !st.isDirectory()) || (last && !st.isFile() && !st.isSymbolicLink())) {
      logger.log({ level: 'info', text: `Wrong file type found in script path '${path}'.` });
      return 'badtype';
    }
    const why = unsafeReason(st, st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file');
    if (why) {
      logger.log({ level: 'info', text: `Unsafe permissions found for script '${path}'${enabled ? ' - disabling' : ''}.` });
      logger.log({ level: 'info', text: `Script '${path}': path component '${comps[i]}' ${why}` });
      return 'insecure';
    }
  }
  return 'ok';
}

/** PATH search for a bare program name, as keepalived's find_path (with its warning). */
export function findInPath(name: string, pathEnv: string, logger: Logger): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    const p = join(dir || '.', name);
    try {
      accessSync(p, constants.X_OK);
      if (!statSync(p).isFile()) continue;
      logger.log({ level: 'info', text: `WARNING - script \`${name}\` resolved by path search to \`${p}\`. Please specify full path.` });
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * keepalived's check_script_secure for one script run as `ids`. Only scripts that run as root (uid or gid 0)
 * need path protection; `scriptSecurity` (enable_script_security) turns an insecure path into a refusal.
 */
export function checkScriptSecure(
  argv0: string,
  ids: ScriptIds,
  scriptSecurity: boolean,
  logger: Logger,
  pathEnv = process.env['PATH'] ?? '/usr/bin:/bin',
): ScriptCheck {
  let prog = argv0;
  if (!prog.includes('/')) {
    const found = findInPath(prog, pathEnv, logger);
    if (!found) {
      logger.log({ level: 'info', text: `Cannot find script ${prog} in path - disabling` });
      return { notFound: true, insecure: false, inhibit: true };
    }
    prog = found;
  }
  let real: string;
  try {
    real = realpathSync(prog);
  } catch (e) {
    logger.log({ level: 'info', text: `Script ${prog} cannot be accessed - ${(e as Error).message}` });
    return { notFound: true, insecure: false, inhibit: true };
  }
  // keepalived runs (and checks) the resolved path, keeping the name it was called by when that is the same file
  // (a program may behave by its name): /bin/true on a merged-/usr host is /usr/bin/true, not a symlinked /bin
  let realFile: string | undefined;
  if (real !== prog && basename(prog) !== basename(real)) {
    const named = join(dirname(real), basename(prog));
    const a = statSync(real);
    const b = statSync(named, { throwIfNoEntry: false });
    if (b && a.dev === b.dev && a.ino === b.ino) realFile = real;
    prog = realFile ? named : real;
  } else prog = real;
  const st = statSync(real);
  const execBits = st.uid === ids.uid ? 0o100 : st.gid === ids.gid ? 0o010 : 0o001;
  if (!(st.mode & execBits) && !(ids.uid === 0 && st.mode & 0o111)) {
    logger.log({ level: 'info', text: `WARNING - script '${prog}' is not executable for uid:gid ${ids.uid}:${ids.gid} - disabling.` });
    return { path: prog, notFound: false, insecure: false, inhibit: true, notExecutable: true };
  }
  const setuidRoot = (st.uid === 0 && (st.mode & 0o4100) === 0o4100) || (st.gid === 0 && (st.mode & 0o2010) === 0o2010);
  if (!(ids.uid === 0 || ids.gid === 0 || setuidRoot)) return { path: prog, notFound: false, insecure: false, inhibit: false };
  let r = checkPath(prog, scriptSecurity, logger);
  if (r === 'ok' && realFile !== undefined) r = checkPath(realFile, scriptSecurity, logger);
  if (r === 'notfound') return { path: prog, notFound: true, insecure: false, inhibit: true };
  if (r === 'badtype') return { path: prog, notFound: false, insecure: false, inhibit: true };
  const insecure = r === 'insecure';
  return { path: prog, notFound: false, insecure, inhibit: insecure && scriptSecurity };
}

/** The config error keepalived reports when scripts exist but enable_script_security is off. */
export function securityViolationText(anyInsecure: boolean, what = 'scripts'): string {
  return `SECURITY VIOLATION - ${what} are being executed but script_security not enabled.${anyInsecure ? ' There are insecure scripts.' : ''}`;
}
