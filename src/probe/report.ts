/**
 * What a probe driver hands back, and how it becomes the checker core's event (check/checker-fsm.ts).
 *
 * The drivers under src/probe do the IO the sans-IO core asks for with its `runProbe` action. keepalived ends a
 * probe in one of three ways, and so does a driver: a result (`probeResult`: up, or down with keepalived's failure
 * text), a timeout of one IO step (`timeout`: connect_timeout, or misc_timeout for MISC_CHECK), or no probe at all
 * because the socket could not be set up (`probeSkipped`: keepalived logs "… bind failed. Rescheduling." and
 * waits delay_loop).
 */
import type { CheckAction } from '../check/actions.js';
import type { CheckerEvent, ProbeOutcome } from '../check/checker-fsm.js';

/** The `runProbe` action of the core: which checker, with which parameters (and, for HTTP_GET/SSL_GET, which url). */
export type ProbeSpec = Extract<CheckAction, { kind: 'runProbe' }>;

/** How one probe ended. */
export type ProbeReport =
  | { readonly kind: 'result'; readonly outcome: ProbeOutcome }
  | { readonly kind: 'timeout'; readonly detail?: string }
  | { readonly kind: 'skipped'; readonly detail: string };

/** A success. */
export const PROBE_OK: ProbeReport = { kind: 'result', outcome: { ok: true } };

/** A failure with keepalived's text (where the checker's messages carry one). */
export function probeFailed(detail?: string, extra: Omit<ProbeOutcome, 'ok' | 'detail'> = {}): ProbeReport {
  return { kind: 'result', outcome: { ok: false, ...(detail !== undefined ? { detail } : {}), ...extra } };
}

/** A timeout, with keepalived's text where it has one. */
export function probeTimeout(detail?: string): ProbeReport {
  return detail === undefined ? { kind: 'timeout' } : { kind: 'timeout', detail };
}

/** The checker event for `report` of probe number `probe` (feed it to CheckerFsm.handle). */
export function probeEvent(probe: number, report: ProbeReport): CheckerEvent {
  switch (report.kind) {
    case 'result':
      return { type: 'probeResult', probe, ...report.outcome };
    case 'timeout':
      return { type: 'timeout', probe, ...(report.detail !== undefined ? { detail: report.detail } : {}) };
    case 'skipped':
      return { type: 'probeSkipped', probe, detail: report.detail };
  }
}
