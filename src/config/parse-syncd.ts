/**
 * `lvs_sync_daemon INTERFACE [VRRP_INSTANCE] [id SYNCID] [maxlen N] [port N] [ttl N] [group ADDRESS]` (global_defs)
 * and the deprecated `lvs_sync_daemon_interface INTERFACE` of a vrrp_instance: the IPVS connection sync daemon,
 * with keepalived 2.2.7's messages (global_parser.c lvs_syncd_handler, vrrp_parser.c vrrp_lvs_syncd_handler,
 * vrrp.c's instance lookup). Old forms are still read: `lvs_sync_daemon IF INSTANCE [SYNCID]`, `inst NAME`.
 */
import { isIP } from 'node:net';
import type { DiagnosticSink } from './diagnostics.js';
import type { LvsSyncDaemonConfig, VrrpInstanceConfig } from './model.js';
import type { ConfNode } from './tree.js';

/** IP_VS_IFNAME_MAXLEN: an interface name must be shorter. */
const IFNAME_MAX = 16;

/** `lvs_sync_daemon …` in global_defs; `prev` is an earlier one (then this one is ignored). Undefined when not usable. */
export function readLvsSyncDaemon(c: ConfNode, prev: LvsSyncDaemonConfig | undefined, d: DiagnosticSink): LvsSyncDaemonConfig | undefined {
  const w = c.args.map((a) => a.text);
  if (prev) {
    d.keptError(c.keyword.pos, `lvs_sync_daemon has already been specified as ${prev.ifname} ${prev.instance ?? ''} - ignoring`);
    return prev;
  }
  const ifname = w[0];
  if (ifname === undefined) return undefined; // global-checks.ts: "lvs_sync_daemon requires interface"
  if (ifname.length >= IFNAME_MAX) {
    d.keptError(c.args[0]!.pos, `lvs_sync_daemon interface name '${ifname}' too long - ignoring`);
    return undefined;
  }
  const s: { -readonly [K in keyof LvsSyncDaemonConfig]: LvsSyncDaemonConfig[K] } = { ifname, pos: c.keyword.pos };
  const err = (i: number, text: string): void => d.keptError(c.args[i]?.pos ?? c.keyword.pos, text);
  const num = (v: string | undefined, lo: number, hi: number): number | undefined =>
    v !== undefined && /^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi ? Number(v) : undefined;
  /** keepalived's "maxlen"/"port"/"ttl" options: the value or the message. */
  const option = (i: number, key: 'maxlen' | 'port' | 'ttl', hi: number): void => {
    if (i === w.length - 1) return err(i, `No value specified for lvs_sync_daemon ${key} - ignoring`);
    const v = num(w[i + 1], 1, hi);
    if (v === undefined) err(i + 1, `Invalid lvs_sync_daemon ${key} (${w[i + 1]}) - ignoring`);
    else s[key] = v;
  };
  for (let i = 1; i < w.length; i++) {
    const k = w[i]!;
    if (k === 'inst') {
      if (s.instance !== undefined) err(i, `lvs_sync_daemon vrrp instance has already been specified as ${s.instance} - ignoring`);
      else if (w[i + 1] !== undefined) s.instance = w[i + 1];
      i++;
    } else if (k === 'id') {
      if (i === w.length - 1) {
        err(i, 'No value specified for lvs_sync_daemon id, defaulting to vrid');
        continue;
      }
      const v = num(w[i + 1], 0, 255);
      if (v === undefined) err(i + 1, `Invalid syncid (${w[i + 1]}) - defaulting to vrid`);
      else s.syncId = v;
      i++;
    } else if (k === 'maxlen' || k === 'port' || k === 'ttl') {
      option(i, k, k === 'maxlen' ? 65535 - 20 - 8 : k === 'port' ? 65535 : 255);
      i++;
    } else if (k === 'group') {
      if (i === w.length - 1) {
        err(i, 'No value specified for lvs_sync_daemon group - ignoring');
        continue;
      }
      const g = w[i + 1]!;
      if (!isIP(g)) err(i + 1, `Invalid lvs_sync_daemon group (${g}) - ignoring`);
      else if (!isMulticast(g)) err(i + 1, `lvs_sync_daemon group address ${g} is not multicast - ignoring`);
      else s.group = g;
      i++;
    } else if (i === 1)
      s.instance = k; // lvs_sync_daemon IF VRRP_INSTANCE (the old form)
    else if (i === 2) {
      const v = num(k, 0, 255);
      if (v === undefined) err(i, `Invalid syncid (${k}) - defaulting to vrid`);
      else {
        err(i, 'Please use keyword "id" before lvs_sync_daemon SYNCID');
        s.syncId = v;
      }
    } else err(i, `Unknown option ${k} specified for lvs_sync_daemon`);
  }
  return s;
}

/** True for 224.0.0.0/4 and ff00::/8. */
function isMulticast(a: string): boolean {
  return isIP(a) === 4 ? Number(a.split('.')[0]) >> 4 === 14 : /^ff/i.test(a);
}

/**
 * The sync daemon a configuration runs: global_defs' `lvs_sync_daemon`, else the first instance's
 * `lvs_sync_daemon_interface` (later ones are reported and ignored); an instance name that names no vrrp_instance
 * clears it (vrrp.c: "Unable to find vrrp instance"); the sync id defaults to the instance's VRID, or 0.
 */
export function resolveLvsSyncDaemon(
  global: LvsSyncDaemonConfig | undefined,
  instances: readonly VrrpInstanceConfig[],
  d: DiagnosticSink,
): LvsSyncDaemonConfig | undefined {
  let s = global;
  for (const i of instances) {
    const l = i.lvsSyncDaemonInterface;
    if (!l) continue;
    if (s) d.keptError(l.pos, `(${i.name}) lvs_sync_daemon_interface has already been specified as ${s.ifname} - ignoring`);
    else s = { ifname: l.ifname, instance: i.name, pos: l.pos };
  }
  if (!s?.instance) return s && { ...s, syncId: s.syncId ?? 0 };
  const inst = instances.find((i) => i.name === s.instance);
  if (!inst) {
    d.keptError(s.pos, `Unable to find vrrp instance ${s.instance} for lvs_syncd - clearing lvs_syncd config`);
    return undefined;
  }
  return { ...s, syncId: s.syncId ?? inst.virtualRouterId };
}
