/**
 * MISC_CHECK (keepalived check_misc.c): run the script (prepared at configuration time by notify/prepare.ts:
 * argv, script user and group) with misc_timeout; on timeout its process group gets SIGTERM, then SIGKILL 2 s
 * later (notify/script-runner.ts). The exit status and the ending signal go to the core, which applies
 * misc_dynamic and keepalived's texts.
 *
 * A script that cannot be started counts as exit status 0, as in keepalived, whose child exits 0 when execve()
 * fails ("Script errors aren't server errors", lib/notify.c).
 */
import type { MiscCheck } from '../config/model-lvs.js';
import { runScript, type ScriptSpec } from '../notify/script-runner.js';
import { probeTimeout, type ProbeReport } from './report.js';

/** keepalived's delay between SIGTERM and SIGKILL for a timed-out MISC_CHECK script. */
export const MISC_KILL_GRACE_MS = 2000;

/** Runs one MISC_CHECK probe; `script` is the prepared script, undefined when it was refused at start-up. */
export async function runMiscProbe(check: MiscCheck, script: ScriptSpec | undefined, signal?: AbortSignal): Promise<ProbeReport> {
  if (!script) return { kind: 'skipped', detail: `Misc check script ${check.script.command} is not runnable` };
  const o = await runScript(script, {
    timeoutMs: check.timeoutMs,
    killGraceMs: MISC_KILL_GRACE_MS,
    ...(signal ? { signal } : {}),
  });
  switch (o.kind) {
    case 'exited':
      return { kind: 'result', outcome: { ok: o.status === 0, exitStatus: o.status } };
    case 'signaled':
      return { kind: 'result', outcome: { ok: false, signal: o.signo } };
    case 'timedOut':
      return probeTimeout();
    case 'spawnFailed':
      return { kind: 'result', outcome: { ok: true, exitStatus: 0 } };
  }
}
