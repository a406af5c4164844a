/**
 * What keepalived checks against the host once the file is read — interfaces that must exist (and must not be a
 * loopback), scripts run without `enable_script_security` — and `--config-test`'s exit status.
 *
 * Exit statuses as keepalived 2.2.7's `config_test_exit`: 0 valid, 5 configuration errors, 6 scripts run without
 * script security (this wins, as there). A missing configuration file is 4 here; keepalived prints "Config files
 * missing" and exits 0, which hides the mistake from init systems.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { ConfigTestExit } from '../core/errors.js';
import { DiagnosticSink, formatDiagnostic, type Diagnostic, type SourcePos } from './diagnostics.js';
import type { KeepalivedConfig, ScriptCommand } from './model.js';

/** The host facts the checks need (injected: tests pass fakes). */
export interface HostView {
  /** 'missing', 'loopback' or 'ok'. */
  interfaceKind(name: string): 'missing' | 'loopback' | 'ok';
  /** Whether a script's program is found and executable (keepalived's SC_ISSCRIPT). */
  scriptFound(program: string): boolean;
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
  scriptFound(program) {
    const candidates = program.includes('/') ? [program] : (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter).map((d) => `${d}/${program}`);
    return candidates.some((p) => {
      try {
        accessSync(p, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  },
};

/** keepalived's KEEPALIVED_EXIT_CONFIG: `-t` stops at a missing word (null_strvec) with it. */
export const MISSING_WORD_EXIT = 2;

/** Prefix of the diagnostic that makes `-t` exit 6. */
export const SECURITY_VIOLATION = 'SECURITY VIOLATION';

/** Every script command in the configuration with where it was written. */
function scripts(c: KeepalivedConfig): ScriptCommand[] {
  const out: ScriptCommand[] = [];
  const notify = (n: Readonly<Record<string, ScriptCommand | undefined>>) => {
    for (const s of Object.values(n)) if (s) out.push(s);
  };
  for (const i of c.vrrpInstances) notify(i.notify);
  for (const g of c.vrrpSyncGroups) notify(g.notify);
  for (const s of c.vrrpScripts) out.push(s.script);
  return out;
}

/** Reports host problems of a loaded configuration into `d`. */
export function checkHost(c: KeepalivedConfig, host: HostView, d: DiagnosticSink): void {
  let missingIf: SourcePos | undefined;
  // dynamic_interfaces: a missing interface is waited for (keepalived logs "will use if created", no error)
  const dynamic = c.globalDefs.dynamicInterfaces === true;
  const missing = (name: string) => !dynamic && host.interfaceKind(name) === 'missing';
  for (const l of c.linkbeatInterfaces) if (missing(l.name)) d.error(l.pos, `unknown interface ${l.name} specified for linkbeat interface`);
  for (const l of c.interfaceDelays) if (missing(l.name)) d.error(l.pos, `unknown interface ${l.name} specified for up/down delay`);
  for (const i of c.vrrpInstances) {
    if (i.interface === undefined) continue;
    const kind = host.interfaceKind(i.interface);
    const pos = i.interfacePos ?? i.pos;
    if (kind === 'missing' && dynamic) continue;
    if (kind === 'missing') {
      d.error(pos, `WARNING - interface ${i.interface} for vrrp_instance ${i.name} doesn't exist`);
      missingIf ??= pos;
    } else if (kind === 'loopback') d.error(pos, `(${i.name}) cannot use a loopback interface (${i.interface}) for vrrp - ignoring`);
    for (const t of i.trackInterface) if (missing(t.name)) d.error(t.pos, `(${i.name}) tracked interface ${t.name} doesn't exist`);
    for (const v of [...i.virtualIpaddress, ...i.virtualIpaddressExcluded]) {
      if (v.dev && missing(v.dev)) d.error(v.pos, `WARNING - interface ${v.dev} for ip address ${v.address} doesn't exist`);
    }
  }
  for (const v of c.staticIpaddress) {
    if (v.dev && missing(v.dev)) d.error(v.pos, `WARNING - interface ${v.dev} for ip address ${v.address} doesn't exist`);
  }
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
  if (missingIf) d.error(missingIf, 'Non-existent interface specified in configuration');
  if (!c.globalDefs.enableScriptSecurity) {
    const found = scripts(c).find((s) => host.scriptFound(s.command.trim().split(/\s+/)[0] ?? ''));
    if (found) d.warning(found.pos, `${SECURITY_VIOLATION} - scripts are being executed but script_security not enabled.`);
  }
}

/** `-t` exit status from the diagnostics of a load plus host checks. */
export function configTestStatus(diags: readonly { severity: string; message: string; failsTest?: true; missingWord?: true }[]): number {
  if (diags.some((x) => x.missingWord)) return MISSING_WORD_EXIT;
  if (diags.some((x) => x.message.startsWith(SECURITY_VIOLATION))) return ConfigTestExit.SCRIPT_SECURITY;
  return diags.some((x) => x.severity === 'error' || x.failsTest) ? ConfigTestExit.ERRORS : ConfigTestExit.OK;
}

/** Options of `runConfigTest`. */
export interface ConfigTestOptions {
  readonly file: string;
  readonly configId: string;
  readonly stderr: { write(s: string): unknown };
  readonly host?: HostView;
  /** The loader (index.ts's loadConfig), injected to keep this module free of a cycle. */
  readonly load: (file: string, configId: string) => { config: KeepalivedConfig; diagnostics: readonly Diagnostic[] };
}

/** `keepalived-ts -t`: prints every diagnostic as `file:line:col: severity: message` and returns the exit status. */
export function runConfigTest(o: ConfigTestOptions): number {
  if (!existsSync(o.file)) {
    o.stderr.write(`Configuration file '${o.file}' does not exist\n`);
    return ConfigTestExit.FATAL;
  }
  const r = o.load(o.file, o.configId);
  const d = new DiagnosticSink();
  checkHost(r.config, o.host ?? realHost, d);
  const all = [...r.diagnostics, ...d.items];
  for (const x of all) o.stderr.write(`${formatDiagnostic(x)}\n`);
  return configTestStatus(all);
}
