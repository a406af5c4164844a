/**
 * From a configured command string to a runnable ScriptSpec, as keepalived does at config time
 * (`lib/notify.c notify_script_init` + `check_script_secure`): split with quoting/escapes, resolve the
 * user (per-script `user U [G]`, else the default script user), PATH-search and realpath the program,
 * check path security. Returns undefined (logged) when the script must not be run.
 */
import type { Logger } from '../core/log.js';
import type { GlobalDefs } from '../config/model.js';
import type { ScriptSpec } from './script-runner.js';
import { checkScriptSecure, securityViolationText, ScriptUserResolver, type IdDatabases } from './security.js';
import { splitCommand } from './split.js';

/** What prepareScript needs. */
export interface ScriptContext {
  readonly resolver: ScriptUserResolver;
  /** `enable_script_security`. */
  readonly scriptSecurity: boolean;
  readonly logger: Logger;
  /** PATH for bare program names (default: ours). */
  readonly pathEnv?: string;
}

/**
 * The script context of one configuration: `enable_script_security`, and a user resolver whose default user is
 * `script_user` when the configuration names one (keepalived's get_default_script_user), else keepalived_script.
 */
export function scriptContextFor(g: Pick<GlobalDefs, 'scriptUser' | 'enableScriptSecurity'>, logger: Logger, db?: IdDatabases): ScriptContext {
  const resolver = new ScriptUserResolver(logger, undefined, db);
  if (g.scriptUser) resolver.setDefault(g.scriptUser.user, g.scriptUser.group);
  return { resolver, scriptSecurity: g.enableScriptSecurity, logger };
}

/** A usable script plus whether its path was found insecure (for the SECURITY VIOLATION summary). */
export interface PreparedScript {
  readonly spec: ScriptSpec;
  readonly insecure: boolean;
}

/**
 * Why a script was refused: its command does not split (`syntax`), its user (or the default script user) cannot be
 * set (`user`), or keepalived's check_script_secure said no: not found or not accessible (`notFound`), an insecure
 * path with enable_script_security, a wrong file type or user switch (`insecure`, keepalived's SC_INHIBIT), or not
 * executable for its user (`notExecutable`).
 */
export type ScriptRefusal = 'syntax' | 'user' | 'notFound' | 'insecure' | 'notExecutable';

/** prepareScriptOutcome's answer: the script, or why it was refused and its command as keepalived's `cmd_str` shows it. */
export type PrepareOutcome =
  { readonly ok: true; readonly script: PreparedScript } | { readonly ok: false; readonly refused: ScriptRefusal; readonly cmdStr: string };

/** keepalived's `cmd_str`: every word in single quotes (the first not when it starts a `<`/`>` redirection). */
export function cmdStr(argv: readonly string[]): string {
  return argv.map((a, i) => (i === 0 && (a.startsWith('<') || a.startsWith('>')) ? a : `'${a}'`)).join(' ');
}

/**
 * Prepares one script. `type` names it in messages (`notify`, `track`, `fifo`…), `user`/`group` are the
 * script's own `user` option if given. `noDefaultUser` replaces keepalived's notify wording (`Failed to set default
 * user for notify script X - ignoring`) where keepalived words it otherwise (a vrrp_script, a MISC_CHECK).
 */
export function prepareScript(...args: Parameters<typeof prepareScriptOutcome>): PreparedScript | undefined {
  const o = prepareScriptOutcome(...args);
  return o.ok ? o.script : undefined;
}

/** prepareScript, telling why a script was refused; `badUser` replaces the `Invalid user/group …` line. */
export function prepareScriptOutcome(
  cmd: string,
  type: string,
  ctx: ScriptContext,
  user?: string,
  group?: string,
  noDefaultUser?: string,
  badUser?: string,
): PrepareOutcome {
  const split = splitCommand(cmd);
  if (!split.ok) {
    ctx.logger.log({ level: 'info', text: split.error });
    ctx.logger.log({ level: 'info', text: `Unable to parse script '${cmd}' - ignoring` });
    return { ok: false, refused: 'syntax', cmdStr: cmd };
  }
  const argv = split.argv;
  let ids;
  if (user !== undefined) {
    ids = ctx.resolver.resolve(user, group);
    if (!ids) {
      ctx.logger.log({ level: 'info', text: badUser ?? `Invalid user/group for ${type} script ${argv[0]} - ignoring` });
      return { ok: false, refused: 'user', cmdStr: cmdStr(argv) };
    }
  } else {
    ids = ctx.resolver.defaultUser(ctx.scriptSecurity);
    if (!ids) {
      ctx.logger.log({ level: 'info', text: noDefaultUser ?? `Failed to set default user for ${type} script ${argv[0]} - ignoring` });
      return { ok: false, refused: 'user', cmdStr: cmdStr(argv) };
    }
  }
  const check = checkScriptSecure(argv[0]!, ids, ctx.scriptSecurity, ctx.logger, ctx.pathEnv);
  const shown = cmdStr([check.path ?? argv[0]!, ...argv.slice(1)]);
  if (check.notFound || !check.path) return { ok: false, refused: 'notFound', cmdStr: shown };
  if (check.notExecutable) return { ok: false, refused: 'notExecutable', cmdStr: shown };
  if (check.inhibit) return { ok: false, refused: 'insecure', cmdStr: shown };
  return { ok: true, script: { spec: { argv: [check.path, ...argv.slice(1)], uid: ids.uid, gid: ids.gid }, insecure: check.insecure } };
}

/** The SECURITY VIOLATION config error to report after preparing `scripts`, if any (none with script security). */
export function securityViolation(scripts: readonly (PreparedScript | undefined)[], scriptSecurity: boolean): string | undefined {
  const present = scripts.filter((s): s is PreparedScript => s !== undefined);
  if (scriptSecurity || present.length === 0) return undefined;
  return securityViolationText(present.some((s) => s.insecure));
}
