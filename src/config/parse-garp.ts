/**
 * Gratuitous ARP / NA pacing and the extra-interface refresh (keepalived 2.2.7 vrrp_parser.c garp_group_*,
 * vrrp_garp_extra_if_handler; core/global_parser.c vrrp_vmac_garp_extra_if_handler), with keepalived's ranges and
 * message texts:
 *
 *  - `garp_extra_if N [all]` (instance; `vmac_garp_intvl` is its deprecated name) and `vrrp_garp_extra_if N [all]`
 *    (global_defs; `vrrp_vmac_garp_intvl`): while MASTER, every N seconds one gratuitous ARP / NA for the first VIP
 *    on each VMAC interface other than the instance's own — on every other interface too with `all`.
 *  - `garp_group { garp_interval S  gna_interval S  interface IF  interfaces { IF … } }`: the interfaces of a group
 *    share one pacing: after a GARP on any of them, the next GARP on any of them waits garp_interval (NAs likewise).
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { GarpExtraIf, GarpGroupConfig } from './model.js';
import type { ConfNode } from './tree.js';
import { valueLines, missingArgPos } from './values.js';

const UINT = /^\d+$/;

/**
 * `garp_extra_if` / `vmac_garp_intvl` (instance `name`) or `vrrp_garp_extra_if` / `vrrp_vmac_garp_intvl` (global,
 * `name` undefined). The instance form takes 0..86400 (0 turns the global setting off for it), the global one
 * 1..86400. `all` may come before or after the number. Undefined when keepalived ignores the line.
 */
export function readGarpExtraIf(c: ConfNode, name: string | undefined, d: DiagnosticSink): GarpExtraIf | undefined {
  const k = c.keyword.text;
  const global = name === undefined;
  if (k === 'vmac_garp_intvl' || k === 'vrrp_vmac_garp_intvl')
    d.keptError(c.keyword.pos, `Keyword "${k}" is deprecated - please use "${global ? 'vrrp_garp_extra_if' : 'garp_extra_if'}"`);
  const who = global ? '' : `(${name}): `;
  let seconds: number | undefined;
  let all = false;
  for (const t of c.args) {
    if (t.text === 'all') {
      all = true;
      continue;
    }
    const n = UINT.test(t.text) ? Number(t.text) : NaN;
    if (!(n >= (global ? 1 : 0) && n <= 86400)) {
      d.keptError(t.pos, `${who}${k} '${t.text}' invalid - ignoring`);
      return undefined;
    }
    seconds = n;
  }
  if (seconds === undefined) {
    d.keptError(c.args[0]?.pos ?? missingArgPos(c), `${who}${k} specified without time - ignoring`);
    return undefined;
  }
  return { intervalMs: seconds * 1000, all };
}

/** keepalived's read_decimal_unsigned_strvec with 6 decimals: seconds in ms, or undefined. */
function readGroupSeconds(text: string): number | undefined {
  if (!/^(\d+(\.\d{0,6})?|\.\d{1,6})$/.test(text)) return undefined;
  const us = Math.round(Number(text) * 1_000_000);
  return us <= 0x7fffffff ? us / 1000 : undefined;
}

/**
 * One `garp_group` block. `taken` holds the interfaces earlier groups claimed (keepalived keeps the first group of
 * an interface); `ordinal` is keepalived's aggregation group number for its messages (groups with an `interfaces`
 * block are numbered from 1 in order, the others are 0). Undefined when the group has no interval (keepalived
 * removes it).
 */
export function parseGarpGroup(node: ConfNode, taken: Set<string>, ordinal: () => number, d: DiagnosticSink): GarpGroupConfig | undefined {
  let garpIntervalMs: number | undefined;
  let gnaIntervalMs: number | undefined;
  let number = 0;
  const interfaces: { name: string; pos: ConfNode['keyword']['pos'] }[] = [];
  const claim = (name: string, pos: ConfNode['keyword']['pos'], shown: string): void => {
    if (taken.has(name)) d.keptError(pos, `garp_group already specified for ${shown} - ignoring`);
    else {
      taken.add(name);
      interfaces.push({ name, pos });
    }
  };
  for (const c of node.children ?? []) {
    const k = c.keyword.text;
    const t = c.args[0];
    switch (k) {
      case 'garp_interval':
      case 'gna_interval': {
        if (!t) {
          d.missingWord(missingArgPos(c), `${k}: missing value`);
          break;
        }
        const ms = readGroupSeconds(t.text);
        if (ms === undefined) {
          d.keptError(t.pos, `garp_group ${k} '${t.text}' invalid`);
          break;
        }
        if (ms >= 1000) d.warning(t.pos, `The ${k} is very large - ${t.text} seconds`);
        if (k === 'garp_interval') garpIntervalMs = ms;
        else gnaIntervalMs = ms;
        break;
      }
      case 'interface':
        if (!t) d.missingWord(missingArgPos(c), 'interface: missing value');
        else claim(t.text, t.pos, t.text);
        break;
      case 'interfaces': {
        const names = valueLines(c, d).flatMap((n) => [n.keyword, ...n.args]);
        if (!names.length) {
          d.keptError(c.keyword.pos, 'Warning - empty garp_group interfaces block');
          break;
        }
        if (number === 0) number = ordinal();
        // keepalived names the list's second word in this message (strvec_slot(interface_vec, 1))
        for (const n of names) claim(n.text, n.pos, names[1]?.text ?? '(null)');
        break;
      }
      default:
        d.keptError(c.keyword.pos, `Unknown keyword '${k}'`);
    }
  }
  if (garpIntervalMs === undefined && gnaIntervalMs === undefined) {
    d.keptError(node.keyword.pos, `garp group ${number} does not have any delay set - removing`);
    for (const i of interfaces) taken.delete(i.name);
    return undefined;
  }
  return {
    ...(garpIntervalMs !== undefined ? { garpIntervalMs } : {}),
    ...(gnaIntervalMs !== undefined ? { gnaIntervalMs } : {}),
    interfaces,
    pos: node.keyword.pos,
  };
}
