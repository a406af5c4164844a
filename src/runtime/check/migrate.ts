/**
 * Reload of the checker side (keepalived check_data.c `clear_diff_services`, each checker's `compare`/`migrate`):
 * which virtual servers are the same across two configurations, which are unchanged, and how a changed one
 * takes over the run-time state of the old one — real servers still in the IPVS table stay there, checkers whose
 * configuration did not change keep their up/down state.
 */
import type { VirtualServerConfig } from '../../config/model-lvs.js';
import { CheckerFsm } from '../../check/checker-fsm.js';
import { FileChecker } from '../../check/checker-file.js';
import { BfdChecker } from '../../check/checker-bfd.js';
import type { VirtualServerCheck } from '../../check/virtual-server.js';
import { realWeight } from '../../check/format.js';

/** JSON of a configuration value without source positions (a moved block is the same block). */
export function configText(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => (k === 'pos' ? undefined : v));
}

/** What identifies a virtual server across reloads: its service and protocol (keepalived `vs_exist`). */
export function vsIdentity(vs: VirtualServerConfig): string {
  return configText({ s: vs.service, p: vs.protocol ?? null, f: vs.family });
}

/** What identifies a real server within its virtual server: address and port (keepalived `rs_exist`). */
function rsIdentity(rs: { readonly address: string; readonly port: number; readonly family: 4 | 6 }): string {
  return `${rs.family}/${rs.address}/${rs.port}`;
}

/**
 * Moves the run-time state of `old` into `next` before next.start(): IPVS bookkeeping (`alive`, `set`) of real
 * servers and the sorry server that remain, the quorum state, and each checker's state when its configuration
 * is unchanged. Returns, per real server of `next`, the IPVS weight the old table holds (for an in-place edit).
 */
export function migrateState(old: VirtualServerCheck, next: VirtualServerCheck): Map<number, number> {
  const oldWeights = new Map<number, number>();
  const byId = new Map(old.realServers.map((rs) => [rsIdentity(rs.server), rs]));
  for (const rs of next.realServers) {
    const prev = byId.get(rsIdentity(rs.server));
    if (!prev) continue;
    for (const [i, c] of rs.checkers) {
      const pc = prev.checkers.get(i);
      if (!pc || configText(pc.config) !== configText(c.config)) continue;
      if (c instanceof CheckerFsm && pc instanceof CheckerFsm) Object.assign(c.state, pc.state);
      else if (c instanceof FileChecker && pc instanceof FileChecker) {
        c.isUp = pc.isUp;
        c.curWeight = pc.curWeight;
      } else if (c instanceof BfdChecker && pc instanceof BfdChecker) {
        c.isUp = pc.isUp;
        c.hasRun = pc.hasRun;
      }
    }
    let failed = 0;
    for (const c of rs.checkers.values()) if (!(c instanceof CheckerFsm ? c.state : c).isUp) failed++;
    rs.numFailedCheckers = failed;
    rs.effectiveWeight = rs.configuredWeight();
    rs.alive = prev.alive;
    rs.set = prev.set;
    if (prev.set) oldWeights.set(rs.ref, prev.alive || !prev.inhibit ? realWeight(prev.effectiveWeight) : 0);
  }
  const s = next.sorry;
  const ps = old.sorry;
  if (s && ps && rsIdentity(s.server) === rsIdentity(ps.server)) {
    s.alive = ps.alive;
    s.set = ps.set;
  }
  next.quorumStateUp = old.quorumStateUp;
  return oldWeights;
}
