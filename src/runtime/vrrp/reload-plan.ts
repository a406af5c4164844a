/**
 * Reload diffing (pure): which instances a new configuration keeps untouched, updates in place, adds or removes.
 *
 * An instance is identified by its name. It must be restarted (removed, then added) when what its socket and
 * wire identity depend on changes: interface, family, VRID, version, unicast vs multicast, the multicast group.
 * Otherwise, when its effective FSM inputs (its own block, resolved tracker weights, sync group) are equal it is
 * kept as is — no transition, no VIP touched — and when they differ it is updated in place.
 */
import type { KeepalivedConfig, VrrpInstanceConfig } from '../../config/model.js';
import { groupOf, trackerConfigs } from './params.js';

/** What a reload does to the running instances. */
export interface ReloadPlan {
  /** Unchanged: keep state, sockets and VIPs. */
  readonly keep: readonly string[];
  /** Changed in place: the FSM gets an `update` with new parameters. */
  readonly update: readonly VrrpInstanceConfig[];
  /** New (or restarted) instances, started after the removals. */
  readonly add: readonly VrrpInstanceConfig[];
  /** Gone (or restarted) instances: stopped, VIPs released, DELETED notified. */
  readonly remove: readonly string[];
}

/** JSON of a model value without source positions (positions move when unrelated lines are edited). */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (k, x: unknown) => (k === 'pos' || k === 'interfacePos' ? undefined : x));
}

function identity(cfg: KeepalivedConfig, i: VrrpInstanceConfig): string {
  const group = i.family === 4 ? cfg.globalDefs.vrrpMcastGroup4 : cfg.globalDefs.vrrpMcastGroup6;
  return canonical([
    i.interface,
    i.family,
    i.virtualRouterId,
    i.version,
    i.unicastPeers.length > 0,
    i.mcastDstIp ?? group,
    i.unicastSrcIp,
    i.mcastSrcIp,
    i.useVmac ?? null,
  ]);
}

function inputs(cfg: KeepalivedConfig, i: VrrpInstanceConfig): string {
  const g = groupOf(cfg, i.name);
  return canonical([i, trackerConfigs(cfg, i), g ? [g.name, g.group] : null, cfg.globalDefs.smtpAlert, cfg.globalDefs.enableScriptSecurity]);
}

/** Compares the running configuration with the new one. */
export function planReload(old: KeepalivedConfig, next: KeepalivedConfig): ReloadPlan {
  const before = new Map(old.vrrpInstances.map((i) => [i.name, i]));
  const keep: string[] = [];
  const update: VrrpInstanceConfig[] = [];
  const add: VrrpInstanceConfig[] = [];
  const remove: string[] = [];
  const seen = new Set<string>();
  for (const n of next.vrrpInstances) {
    seen.add(n.name);
    const o = before.get(n.name);
    if (!o) add.push(n);
    else if (identity(old, o) !== identity(next, n)) {
      remove.push(n.name);
      add.push(n);
    } else if (inputs(old, o) !== inputs(next, n)) update.push(n);
    else keep.push(n.name);
  }
  for (const o of old.vrrpInstances) if (!seen.has(o.name)) remove.push(o.name);
  return { keep, update, add, remove };
}
