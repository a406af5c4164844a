/**
 * The texts of `--help` and `--version`, and the version string every lifecycle log line carries.
 *
 * Version string decision: keepalived-ts logs `Keepalived v2.2.7 (01/16,2022), keepalived-ts v<ours>` — the
 * keepalived part is exactly 2.2.7's, so everything that greps `Starting Keepalived v2.2.7` or parses
 * `Keepalived v(\d+\.\d+\.\d+)` (keepalived-exporter, monitoring checks) keeps working; the suffix has the shape
 * keepalived itself uses for `, git commit …` builds and names what is really running.
 */

/** The keepalived release whose behaviour we reproduce. */
export const KEEPALIVED_COMPAT = 'Keepalived v2.2.7 (01/16,2022)';

/** The version string used in `Starting …` / `Stopped …` log lines and in `-v`. */
export function versionString(ourVersion: string): string {
  return `${KEEPALIVED_COMPAT}, keepalived-ts v${ourVersion}`;
}

/** `-v/--version` output (keepalived writes it to stderr). */
export function versionText(ourVersion: string, nodeVersion: string): string {
  return [
    versionString(ourVersion),
    '',
    'keepalived-ts: a TypeScript reimplementation of keepalived, compatible with keepalived 2.2.7',
    '(configuration language, command line, signals, log texts, VRRP on the wire).',
    '',
    `Running on Node.js ${nodeVersion}`,
    '',
  ].join('\n');
}

/** `-h/--help` output, laid out as keepalived 2.2.7's `usage()`, plus keepalived-ts's own options. */
export function usageText(prog: string): string {
  return `Usage: ${prog} [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
                                default '/etc/keepalived/keepalived.conf'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -B, --no_bfd                 Don't run BFD subsystem
      --all                    Force all child processes to run, even if have no configuration
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -g, --log-file=FILE          Also log to FILE (default $TMPDIR/keepalived.log)
      --flush-log-file         Flush log file on write
  -G, --no-syslog              Don't log via syslog
  -u, --umask=MASK             umask for file creation (in numeric form)
  -X, --release-vips           Drop VIP on transition from signal.
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -R, --dont-respawn           Don't respawn child processes
  -n, --dont-fork              Don't fork the daemon process
  -d, --dump-conf              Dump the configuration data
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -a, --address-monitoring     Report all address additions/deletions notified via netlink
  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process
  -x, --snmp                   Enable SNMP subsystem
  -A, --snmp-agent-socket=FILE Use the specified socket for master agent
  -s, --namespace=NAME         Run in network namespace NAME (overrides config)
  -m, --core-dump              Produce core dump if terminate abnormally
  -M, --core-dump-pattern=PATN Also set /proc/sys/kernel/core_pattern to PATN (default 'core')
  -e, --all-config             Error if any configuration file missing (same as includet)
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match.
                                The config-id defaults to the node name if option not used
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
  -v, --version                Display the version number
  -h, --help                   Display this help message

keepalived-ts options:
      --dump-config            Print the normalised configuration model as JSON and exit
      --control-socket=PATH    Control socket of the daemon (default: next to the pid file, named after it:
                                /run/keepalived.pid -> /run/keepalived-ts.sock; 'none' = off)
      --http=ADDRESS:PORT      HTTP endpoint: /metrics, /status, /events, / (dashboard); also [IPV6]:PORT,
                                :PORT or a socket path; overrides global_defs http_endpoint; off by default
      --status[=CMD]           Ask a running daemon over its control socket and print the answer;
                                CMD is status (default), json, stats, data, stats-clear or reload

keepalived-ts client commands (pick the daemon with -p PIDFILE or --control-socket=PATH):
  status [--json] [--watch[=SECONDS]] [--color=auto|always|never]
                               Instances (state, priority, master, since when and why, VIPs, tracking)
                                and virtual/real servers
  status --lvs [--stats|--rate] [--json]
                               The load balancer's table in the shape of ipvsadm -Ln (IPVS or nftables)
  ctl ACTION                   Admin actions, root only: priority INSTANCE OFFSET, garp [INSTANCE],
                                drain VS RS, undrain VS RS, reload
`;
}
