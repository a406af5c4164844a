/**
 * The children the supervisor runs, as keepalived's parent forks them: their names in log lines, their syslog
 * identities, their `-g` log-file suffixes, and the one internal flag that tells a re-executed keepalived-ts
 * which child it is (`--ts-child=vrrp`), plus the daemonizing flag. Which runtime each role runs is src/runtime/factories.ts's business,
 * loaded only in the child, so the parent never loads runtime code.
 */

/** A child process role. */
export type ChildRole = 'vrrp' | 'check' | 'bgp' | 'bfd';

/** Every role, in start order (keepalived forks the BFD child first, then the checker). */
export const CHILD_ROLES: readonly ChildRole[] = ['bfd', 'check', 'vrrp', 'bgp'];

/** The internal flag the daemonizing foreground process adds for its detached copy (the supervisor). */
export const DAEMON_CHILD_FLAG = '--ts-daemon-child';

/** The internal flag (with `=role`) the supervisor adds to a child's command line. */
export const CHILD_FLAG = '--ts-child';

/** Facts about one role. */
export interface RoleInfo {
  /** syslog identity (keepalived's PROG_VRRP, PROG_CHECK). */
  readonly ident: string;
  /** The name in `Starting … child process`, `… child process(N) died: Respawning`, `Restart of … process`. */
  readonly name: string;
  /** Inserted into the `-g` log file name (`keepalived_vrrp.log`). */
  readonly logSuffix: string;
}

/** keepalived 2.2.7's names per role. */
export const ROLE_INFO: Readonly<Record<ChildRole, RoleInfo>> = {
  vrrp: { ident: 'Keepalived_vrrp', name: 'VRRP', logSuffix: 'vrrp' },
  check: { ident: 'Keepalived_healthcheckers', name: 'Healthcheck', logSuffix: 'healthcheckers' },
  /** keepalived-ts's own: BGP announcement of VIPs (keepalived has no such process). */
  bgp: { ident: 'Keepalived_bgp', name: 'BGP', logSuffix: 'bgp' },
  bfd: { ident: 'Keepalived_bfd', name: 'BFD', logSuffix: 'bfd' },
};

/** The parent's syslog identity. */
export const PARENT_IDENT = 'Keepalived';

/** `--ts-child=ROLE` → the role; undefined for any other word or an unknown role. */
export function childRoleOf(word: string): ChildRole | undefined {
  if (!word.startsWith(`${CHILD_FLAG}=`)) return undefined;
  const role = word.slice(CHILD_FLAG.length + 1);
  return role === 'vrrp' || role === 'check' || role === 'bgp' || role === 'bfd' ? role : undefined;
}

/** The flag word for a role. */
export function childFlag(role: ChildRole): string {
  return `${CHILD_FLAG}=${role}`;
}

/** The environment variable that hands the syslog ident suffix from the supervisor to its children. */
export const IDENT_SUFFIX_ENV = 'KEEPALIVED_TS_IDENT_SUFFIX';

/**
 * What keepalived 2.2.7's make_syslog_ident appends to every process's syslog ident: `_NAMESPACE` for
 * `net_namespace`/`-s`, then `_INSTANCE` for `instance`/`use_pid_dir`'s instance name (`Keepalived_vrrp_ns1_a`).
 */
export function identSuffix(netNamespace: string | undefined, instanceName: string | undefined): string {
  return `${netNamespace !== undefined ? `_${netNamespace}` : ''}${instanceName !== undefined ? `_${instanceName}` : ''}`;
}
