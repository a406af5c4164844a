/**
 * What keepalived checks against the host once the file is read — interfaces that must exist (and must not be a
 * loopback), scripts run without `enable_script_security` — and `--config-test`'s exit status.
 *
 * Exit statuses as keepalived 2.2.7's `config_test_exit`: 0 valid, 5 configuration errors, 6 scripts run without
 * script security (this wins, as there), 4 when the only errors are of keepalived's CONFIG_FATAL / CONFIG_BAD_IF
 * class (a missing linkbeat or default interface); 6 for an include failing include_check, 2 for a missing word. A
 * missing configuration file is 4 here; keepalived prints "Config files missing" and exits 0, which hides the
 * mistake from init systems.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { ConfigTestExit } from '../core/errors.js';
import { lookupGroup, lookupUser } from '../core/user-db.js';
import { DiagnosticSink, formatDiagnostic, type Diagnostic, type SourcePos } from './diagnostics.js';
import type { KeepalivedConfig, ScriptCommand, VirtualAddress } from './model.js';

/** The host facts the checks need (injected: tests pass fakes). */
export interface HostView {
  /** 'missing', 'loopback' or 'ok'. */
  interfaceKind(name: string): 'missing' | 'loopback' | 'ok';
  /** Whether a script's program is found and executable (keepalived's SC_ISSCRIPT). */
  scriptFound(program: string): boolean;
  /**
   * Whether a script's program does not exist at all (keepalived's SC_NOTFOUND, which it reports; a program that
   * exists but cannot be run is disabled silently). Without it, `!scriptFound`.
   */
  scriptMissing?(program: string): boolean;
  /** Whether a script user (and group) exist (keepalived's set_uid_gid); the real host's databases when absent. */
  userExists?(user: string, group?: string): boolean;
}

/** The host's user database: `user` in /etc/passwd and `group` (when given) in /etc/group. */
export function hostUserExists(user: string, group?: string): boolean {
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  if (!lookupUser(user, read('/etc/passwd'))) return false;
  return group === undefined || lookupGroup(group, read('/etc/group')) !== undefined;
}

/** The real host: /sys/class/net and $PATH. */
export const realHost: HostView = {
  interfaceKind(name) {
    if (name.length === 0 || name.includes('/') || name === '.' || name === '..' || !existsSync(`/sys/class/net/${name}`)) return 'missing';
    try {
      return readFileSync(`/sys/class/net/${name}/type`, 'utf8').trim() === '772' ? 'loopback' : 'ok';
    } catch {
      return 'ok';
    }
  },
  userExists: hostUserExists,
  scriptFound: (program) => anyCandidate(program, constants.X_OK),
  scriptMissing: (program) => !anyCandidate(program, constants.F_OK),
};

/** Whether `program` (a path, or a name searched in $PATH) passes access(2) with `mode`. */
function anyCandidate(program: string, mode: number): boolean {
  const candidates = program.includes('/') ? [program] : (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter).map((d) => `${d}/${program}`);
  return candidates.some((p) => {
    try {
      accessSync(p, mode);
      return true;
    } catch {
      return false;
    }
  });
}

/** keepalived's KEEPALIVED_EXIT_CONFIG: `-t` stops at a missing word (null_strvec) with it. */
export const MISSING_WORD_EXIT = 2;

/** Prefix of the diagnostic that makes `-t` exit 6. */
export const SECURITY_VIOLATION = 'SECURITY VIOLATION';

/** The VRRP side's script commands, as vrrp.c's check_vrrp_script_security walks them (`vrrpScripts`: those kept). */
function scripts(c: KeepalivedConfig, vrrpScripts: readonly ScriptCommand[]): ScriptCommand[] {
  const out: ScriptCommand[] = [...vrrpScripts];
  const notify = (n: Readonly<Record<string, ScriptCommand | undefined>>) => {
    for (const s of Object.values(n)) if (s) out.push(s);
  };
  for (const i of c.vrrpInstances) notify(i.notify);
  for (const g of c.vrrpSyncGroups) notify(g.notify);
  if (c.globalDefs.notifyFifoScript) out.push(c.globalDefs.notifyFifoScript);
  if (c.globalDefs.vrrpNotifyFifoScript) out.push(c.globalDefs.vrrpNotifyFifoScript);
  return out;
}

/** Whether a script's `user`/`group` resolve (keepalived removes the script, or checker, when they do not). */
function userOk(s: ScriptCommand, host: HostView): boolean {
  return s.user === undefined || (host.userExists ?? hostUserExists)(s.user, s.group);
}

/** Every checker-side script (MISC_CHECK, real server and quorum notifies, the LVS notify FIFO script), as check_data.c's check_check_script_security walks them. */
function checkScripts(c: KeepalivedConfig, host: HostView): ScriptCommand[] {
  const out: ScriptCommand[] = [];
  const add = (s: ScriptCommand | undefined): void => {
    if (s) out.push(s);
  };
  for (const vs of c.virtualServers) {
    add(vs.quorumUp);
    add(vs.quorumDown);
    for (const rs of vs.realServers) {
      add(rs.notifyUp);
      add(rs.notifyDown);
      for (const ch of rs.checkers) if (ch.type === 'MISC_CHECK' && userOk(ch.script, host)) add(ch.script);
    }
  }
  if (c.virtualServers.length) {
    add(c.globalDefs.notifyFifoScript);
    add(c.globalDefs.lvsNotifyFifoScript);
  }
  return out;
}

/**
 * A VIP's or static address's interface (vrrp_ipaddress.c parse_ipaddress): a `dev` that does not exist is a
 * configuration error; a static address without one whose default interface does not exist is CONFIG_FATAL (and
 * the address is dropped). Returns `first`, or this address's position when it is the first missing interface.
 */
function checkAddressDev(
  v: VirtualAddress,
  missing: (name: string) => boolean,
  d: DiagnosticSink,
  first: SourcePos | undefined,
): SourcePos | undefined {
  if (!v.dev || !missing(v.dev)) return first;
  if (v.defaultDev) d.fatal(v.pos, `Static address ${v.defaultDev.written} requires either an interface or default interface must exist`);
  else d.error(v.pos, `WARNING - interface ${v.dev} for ip address ${v.address} doesn't exist`);
  return first ?? v.pos;
}

/** Reports host problems of a loaded configuration into `d`. */
export function checkHost(c: KeepalivedConfig, host: HostView, d: DiagnosticSink): void {
  // each interface looked up once: the real host reads /sys for each lookup, and 200 instances on eth0 asked 200 times
  const kinds = new Map<string, ReturnType<HostView['interfaceKind']>>();
  const interfaceKind = (name: string): ReturnType<HostView['interfaceKind']> => {
    let kind = kinds.get(name);
    if (kind === undefined) kinds.set(name, (kind = host.interfaceKind(name)));
    return kind;
  };
  let missingIf: SourcePos | undefined;
  // dynamic_interfaces: a missing interface is waited for (keepalived logs "will use if created", no error)
  const dynamic = c.globalDefs.dynamicInterfaces === true;
  const missing = (name: string) => !dynamic && interfaceKind(name) === 'missing';
  // vrrp_parser.c: CONFIG_FATAL (`-t` exits 4 when nothing else is wrong)
  for (const l of c.linkbeatInterfaces) if (missing(l.name)) d.fatal(l.pos, `unknown interface ${l.name} specified for linkbeat interface`);
  for (const l of c.interfaceDelays) if (missing(l.name)) d.fatal(l.pos, `unknown interface ${l.name} specified for up/down delay`);
  for (const g of c.garpGroups ?? [])
    for (const i of g.interfaces) if (missing(i.name)) d.keptError(i.pos, `WARNING - interface ${i.name} specified for garp_group doesn't exist`);
  for (const i of c.vrrpInstances) {
    if (i.interface === undefined && i.vrf !== undefined) {
      // keepalived vrrp_vrf_handler's texts; the instance's VIPs (each with its dev) are checked as any instance's
      const vrf = interfaceKind(i.vrf);
      const at = i.vrfPos ?? i.pos;
      if (vrf === 'missing' && !dynamic) {
        d.error(at, `(${i.name}) WARNING - VRF interface ${i.vrf} doesn't exist`);
        missingIf ??= at;
      } else if (vrf === 'loopback') d.error(at, `(${i.name}) cannot use a loopback interface (${i.vrf}) for VRF - ignoring`);
      for (const v of [...i.virtualIpaddress, ...i.virtualIpaddressExcluded]) missingIf = checkAddressDev(v, missing, d, missingIf);
    }
    if (i.interface === undefined) continue;
    const kind = interfaceKind(i.interface);
    const pos = i.interfacePos ?? i.pos;
    if (kind === 'missing' && dynamic) continue;
    if (kind === 'missing') {
      d.error(pos, `WARNING - interface ${i.interface} for vrrp_instance ${i.name} doesn't exist`);
      missingIf ??= pos;
    } else if (kind === 'loopback') d.error(pos, `(${i.name}) cannot use a loopback interface (${i.interface}) for vrrp - ignoring`);
    for (const t of i.trackInterface)
      if (missing(t.name)) {
        d.error(t.pos, `(${i.name}) tracked interface ${t.name} doesn't exist`);
        missingIf ??= t.pos;
      }
    for (const v of [...i.virtualIpaddress, ...i.virtualIpaddressExcluded]) missingIf = checkAddressDev(v, missing, d, missingIf);
  }
  for (const v of c.staticIpaddress) missingIf = checkAddressDev(v, missing, d, missingIf);
  const routes = [...c.staticRoutes, ...c.vrrpInstances.flatMap((i) => i.virtualRoutes)];
  for (const r of routes) {
    for (const dev of [r.dev, ...(r.nexthops ?? []).map((n) => n.dev)]) {
      if (dev !== undefined && missing(dev)) d.error(r.pos, `WARNING - interface ${dev} for VROUTE nexthop doesn't exist`);
    }
  }
  for (const r of [...c.staticRules, ...c.vrrpInstances.flatMap((i) => i.virtualRules)]) {
    for (const dev of [r.iif, r.oif]) {
      if (dev !== undefined && missing(dev)) d.error(r.pos, `WARNING - interface ${dev} for rule doesn't exist`);
    }
  }
  // vrrp_daemon.c: CONFIG_BAD_IF, once for any interface looked up and missing (if_get_by_ifname, IF_CREATE_IF_DYNAMIC)
  if (missingIf) d.fatal(missingIf, 'Non-existent interface specified in configuration');
  const su = c.globalDefs.scriptUser;
  if (su && c.globalDefs.pos && !(host.userExists ?? hostUserExists)(su.user, su.group))
    d.keptError(c.globalDefs.pos, 'Error setting global script uid/gid');
  for (const vs of c.virtualServers)
    for (const rs of vs.realServers)
      for (const ch of rs.checkers)
        if (ch.type === 'MISC_CHECK' && !userOk(ch.script, host))
          d.keptError(ch.pos, `Failed to set uid/gid for misc checker script '${ch.script.command}' - removing`);
  const vrrpScripts = c.vrrpScripts.filter((s) => {
    if (userOk(s.script, host)) return true;
    d.keptError(s.script.pos, `Unable to set uid/gid for script '${s.script.command}'`);
    return false;
  });
  const program = (s: ScriptCommand): string => s.command.trim().split(/\s+/)[0] ?? '';
  const found = (l: readonly ScriptCommand[]): ScriptCommand | undefined => l.find((s) => host.scriptFound(program(s)));
  const absent = (s: ScriptCommand): boolean => (host.scriptMissing ? host.scriptMissing(program(s)) : !host.scriptFound(program(s)));
  // keepalived's VRRP side stops at a missing interface, before its script checks; without instances it does not run
  if (c.vrrpInstances.length && !missingIf) {
    // vrrp.c check_track_script_secure: a configuration error that keeps the configuration (the script is dropped)
    for (const s of vrrpScripts) if (absent(s.script)) d.keptError(s.pos, `Disabling track script ${s.name} since not found/accessible`);
    const used = new Set([...c.vrrpInstances, ...c.vrrpSyncGroups].flatMap((x) => x.trackScript.map((t) => t.name)));
    for (const s of c.vrrpScripts) if (!used.has(s.name)) d.keptError(s.pos, `Warning - script ${s.name} is not used`);
    const v = c.globalDefs.enableScriptSecurity
      ? undefined
      : found(
          scripts(
            c,
            vrrpScripts.map((s) => s.script),
          ),
        );
    if (v) d.warning(v.pos, `${SECURITY_VIOLATION} - scripts are being executed but script_security not enabled.`);
  }
  const k = c.globalDefs.enableScriptSecurity ? undefined : found(checkScripts(c, host));
  if (k) d.warning(k.pos, `${SECURITY_VIOLATION} - check scripts are being executed but script_security not enabled.`);
}

/**
 * `-t` exit status from the diagnostics of a load plus host checks, by keepalived's rules: a missing word stops it
 * with 2; an include failing include_check with 6 (KEEPALIVED_EXIT_NO_CONFIG, after the files are read); then
 * config_test_exit on the highest report: a security violation 6, any other error 5, and only CONFIG_FATAL /
 * CONFIG_BAD_IF ones 4.
 */
export function configTestStatus(
  diags: readonly { severity: string; message: string; failsTest?: true; missingWord?: true; exitClass?: 'fatal' | 'noConfig' }[],
): number {
  if (diags.some((x) => x.missingWord)) return MISSING_WORD_EXIT;
  if (diags.some((x) => x.exitClass === 'noConfig')) return ConfigTestExit.NO_CONFIG;
  if (diags.some((x) => x.message.startsWith(SECURITY_VIOLATION))) return ConfigTestExit.SCRIPT_SECURITY;
  if (diags.some((x) => (x.severity === 'error' || x.failsTest) && x.exitClass === undefined)) return ConfigTestExit.ERRORS;
  return diags.some((x) => x.exitClass === 'fatal') ? ConfigTestExit.FATAL : ConfigTestExit.OK;
}

/** Options of `runConfigTest`. */
export interface ConfigTestOptions {
  readonly file: string;
  readonly configId: string;
  readonly stderr: { write(s: string): unknown };
  readonly host?: HostView;
  /** The loader (index.ts's loadConfig), injected to keep this module free of a cycle. */
  readonly load: (file: string, configId: string) => { config: KeepalivedConfig; diagnostics: readonly Diagnostic[] };
  /** `-s NAME`: replaces the configuration's `net_namespace`. */
  readonly namespace?: string;
  /**
   * Enters a named network namespace for the host checks (keepalived's `-t` calls set_namespaces before
   * validate_config, so it looks for interfaces there): the host view inside it, or keepalived's log text.
   */
  readonly enterNamespace?: (name: string) => Promise<{ host: HostView } | { error: string }>;
}

/**
 * The host view for `-t`: the real host, or the one inside the configured network namespace. undefined when the
 * namespace cannot be entered: keepalived logs "Unable to set network namespace NAME - exiting" and ends with
 * status 0 before checking anything (core/main.c jumps to its exit with the initial KEEPALIVED_EXIT_OK).
 */
async function hostFor(o: ConfigTestOptions, c: KeepalivedConfig): Promise<HostView | undefined> {
  const ns = o.namespace ?? c.netNamespace;
  if (ns === undefined || !o.enterNamespace) return o.host ?? realHost;
  if (o.namespace !== undefined && c.netNamespace !== undefined)
    o.stderr.write(`Overriding config net_namespace '${c.netNamespace}' with command line namespace '${o.namespace}'\n`);
  const r = await o.enterNamespace(ns);
  if ('host' in r) return r.host;
  o.stderr.write(`${r.error}\nUnable to set network namespace ${ns} - exiting\n`);
  return undefined;
}

/** `keepalived-ts -t`: prints every diagnostic as `file:line:col: severity: message` and returns the exit status. */
export async function runConfigTest(o: ConfigTestOptions): Promise<number> {
  if (!existsSync(o.file)) {
    o.stderr.write(`Configuration file '${o.file}' does not exist\n`);
    return ConfigTestExit.FATAL;
  }
  const r = o.load(o.file, o.configId);
  const host = await hostFor(o, r.config);
  if (host === undefined) {
    for (const x of r.diagnostics) o.stderr.write(`${formatDiagnostic(x)}\n`);
    return ConfigTestExit.OK;
  }
  const d = new DiagnosticSink();
  checkHost(r.config, host, d);
  const all = [...r.diagnostics, ...d.items];
  for (const x of all) o.stderr.write(`${formatDiagnostic(x)}\n`);
  return configTestStatus(all);
}
