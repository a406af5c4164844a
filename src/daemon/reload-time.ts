/**
 * The first line of a `reload_time_file`, read as keepalived 2.2.7's core/reload_monitor.c parse_datetime does:
 * `HH:MM:SS`, `YY-MM-DD HH:MM:SS` or `YYYY-MM-DD HH:MM:SS`, local time, or UTC with a trailing `Z`. A time that does
 * not exist (Feb 30, 25:00, a skipped daylight-saving hour) is refused; a time of day already past means tomorrow,
 * a date already past is refused. Pure: the current time and the time zone come in.
 */

/** A reload time, or why there is none (keepalived's log text). */
export type ReloadTime =
  | { readonly ok: true; readonly atMs: number; readonly dateSpecified: boolean }
  | { readonly ok: false; readonly past: boolean; readonly log: readonly string[] };

/** Calendar fields → epoch ms, local time or UTC (injected: Date's local time follows TZ). */
export interface Calendar {
  /** Epoch ms of the fields (month 0-11), normalising out-of-range fields as mktime does. */
  toMs(y: number, mon: number, d: number, h: number, mi: number, s: number, utc: boolean): number;
  /** The fields of an epoch ms. */
  fields(ms: number, utc: boolean): readonly [y: number, mon: number, d: number, h: number, mi: number, s: number];
}

/** The platform's calendar (local time per TZ). */
export const systemCalendar: Calendar = {
  toMs: (y, mon, d, h, mi, s, utc) => {
    if (utc) return Date.UTC(y, mon, d, h, mi, s);
    const t = new Date(0);
    t.setFullYear(y, mon, d);
    t.setHours(h, mi, s, 0);
    return t.getTime();
  },
  fields: (ms, utc) => {
    const t = new Date(ms);
    return utc
      ? [t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()]
      : [t.getFullYear(), t.getMonth(), t.getDate(), t.getHours(), t.getMinutes(), t.getSeconds()];
  },
};

const FORMATS: Readonly<Record<number, RegExp>> = {
  8: /^(\d{2}):(\d{2}):(\d{2})$/,
  17: /^(\d{2})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/,
  19: /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/,
};

/** Parses `line` (without its newline) at `nowMs`. */
export function parseReloadTime(line: string, nowMs: number, cal: Calendar = systemCalendar): ReloadTime {
  const fail = (past: boolean, ...log: string[]): ReloadTime => ({ ok: false, past, log });
  const invalid = (why: string): ReloadTime => fail(false, why, `Invalid reload time '${line}' specified - ignoring`);
  const utc = line.endsWith('Z');
  const text = utc ? line.slice(0, -1) : line;
  const re = FORMATS[text.length];
  if (!re) return invalid(`Reload time ${line} format is incorrect - ignoring`);
  const m = re.exec(text);
  if (!m) return invalid(`Reload date/time ${line} invalid - ignoring`);
  const n = m.slice(1).map(Number);
  const today = cal.fields(nowMs, utc);
  // strptime's %y: 69-99 → 19xx, 00-68 → 20xx
  const [y, mon, d] = n.length === 3 ? today : [n[0]! < 100 && text.length === 17 ? n[0]! + (n[0]! < 69 ? 2000 : 1900) : n[0]!, n[1]! - 1, n[2]!];
  const [h, mi, s] = n.slice(-3) as [number, number, number];
  if (mon < 0 || mon > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 61) return invalid(`Reload date/time ${line} invalid - ignoring`);
  let at = cal.toMs(y, mon, d, h, mi, s, utc);
  const back = cal.fields(at, utc);
  if (back.join() !== [y, mon, d, h, mi, s].join()) return invalid(`Reload time ${line} is not valid - ignoring`);
  if (at <= nowMs) {
    if (n.length !== 3) return fail(true, `Reload time ${line} is in the past - ignoring`, 'Reload date/time is in the past - ignoring');
    at = cal.toMs(y, mon, d + 1, h, mi, s, utc);
  }
  return { ok: true, atMs: at, dateSpecified: n.length !== 3 };
}

/** keepalived's format_time_t: `YYYY-MM-DD HH:MM:SS` in local time. */
export function formatLocalTime(ms: number, cal: Calendar = systemCalendar): string {
  const [y, mon, d, h, mi, s] = cal.fields(ms, false);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${y}-${p(mon + 1)}-${p(d)} ${p(h)}:${p(mi)}:${p(s)}`;
}
