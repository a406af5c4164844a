/**
 * Top-level interface blocks of keepalived 2.2.7's vrrp_parser.c: `linkbeat_interfaces` (alloc_linkbeat_interface)
 * and `interface_up_down_delays` (alloc_if_up_down_delay), with keepalived's message texts. Whether the interfaces
 * exist is a host check (config-test.ts checkHost); keepalived's own "Invalid down delay …" lines are log lines, not
 * configuration errors, so they are warnings here and `-t` passes.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { InterfaceDelay, LinkbeatInterface } from './model.js';
import type { ConfNode } from './tree.js';
import { valueLines } from './values.js';

const LINKBEAT_TYPES = new Set(['MII', 'ETHTOOL', 'IOCTL']);

/** `linkbeat_interfaces { IFNAME [MII|ETHTOOL|IOCTL] … }`. */
export function readLinkbeatInterfaces(node: ConfNode, d: DiagnosticSink): LinkbeatInterface[] {
  const out: LinkbeatInterface[] = [];
  for (const c of valueLines(node, d)) {
    const name = c.keyword.text;
    const t = c.args[0];
    const known = t !== undefined && LINKBEAT_TYPES.has(t.text);
    if (t && (!known || c.args.length > 1)) d.keptError(t.pos, `extra characters ${t.text} in linkbeat interface`);
    out.push({ name, ...(known ? { type: t.text as LinkbeatInterface['type'] } : {}), pos: c.keyword.pos });
  }
  return out;
}

/** keepalived's read_timer for these delays: seconds, µs resolution, 0–255 s; undefined when invalid. */
function delayMs(text: string): number | undefined {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return undefined;
  const s = Number(text);
  return s >= 0 && s <= 255 ? Math.round(s * 1_000_000) / 1000 : undefined;
}

/** `interface_up_down_delays { IFNAME DOWN [UP] … }` (the up delay is 0 when not given, as keepalived 2.2.7's parser). */
export function readInterfaceDelays(node: ConfNode, d: DiagnosticSink): InterfaceDelay[] {
  const out: InterfaceDelay[] = [];
  for (const c of valueLines(node, d)) {
    const name = c.keyword.text;
    const [down, up] = c.args;
    if (!down) {
      d.warning(c.keyword.pos, `No timeouts specified for ${name} up/down delays`);
      continue;
    }
    if (c.args.length > 2) d.warning(c.args[2]!.pos, `Too many parameters for ${name} up/down delays`);
    const downMs = delayMs(down.text);
    if (downMs === undefined) {
      d.warning(down.pos, `Invalid down delay ${down.text} for ${name}`);
      continue;
    }
    const upMs = up ? delayMs(up.text) : 0;
    if (upMs === undefined) {
      d.warning(up!.pos, `Invalid up delay ${up!.text} for ${name}`);
      continue;
    }
    const prev = out.findIndex((x) => x.name === name);
    if (prev >= 0) out.splice(prev, 1); // keepalived: the later line overwrites the interface's timers
    out.push({ name, downMs, upMs, pos: c.keyword.pos });
  }
  return out;
}
