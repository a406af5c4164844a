/**
 * The announcement plan from the configuration: one entry per VIP (`virtual_ipaddress`) of every instance with
 * `bgp_announce`, its attributes (the `bgp_announce { … }` block's MED and communities, the instance's on top) and
 * the virtual servers on its address, named as the checker child reports their quorum (keepalived's FMT_VS).
 */
import { fmtVs } from '../../check/format.js';
import type { KeepalivedConfig } from '../../config/model.js';
import { defaultBgpAnnounce } from '../../config/parse-bgp.js';
import type { BgpAnnounceConfig } from '../../config/model-bgp.js';
import type { PlanEntry } from '../../bgp/plan.js';
import { addressText } from '../../check/format.js';

/** The engine settings in force (the block, or its defaults). */
export function bgpSettings(cfg: KeepalivedConfig): BgpAnnounceConfig {
  return cfg.bgpAnnounce ?? defaultBgpAnnounce({ file: '', line: 0, col: 0 });
}

/** Whether the configuration announces anything (the supervisor then runs the `bgp` child). */
export function announces(cfg: KeepalivedConfig): boolean {
  return cfg.vrrpInstances.some((i) => i.bgpAnnounce !== undefined && i.virtualIpaddress.length > 0);
}

/** The plan. */
export function buildPlan(cfg: KeepalivedConfig): PlanEntry[] {
  const b = bgpSettings(cfg);
  const out: PlanEntry[] = [];
  for (const inst of cfg.vrrpInstances) {
    const a = inst.bgpAnnounce;
    if (!a) continue;
    for (const vip of inst.virtualIpaddress) {
      const address = addressText(vip.address, vip.family);
      const vss = cfg.virtualServers.filter(
        (vs) => vs.service.kind === 'address' && vs.family === vip.family && addressText(vs.service.address, vs.family) === address,
      );
      const med = a.med ?? b.med;
      out.push({
        route: {
          prefix: `${address}/${vip.family === 4 ? 32 : 128}`,
          address,
          family: vip.family,
          ...(med !== undefined ? { med } : {}),
          communities: [...new Set([...b.communities, ...a.communities])],
        },
        instance: inst.name,
        when: a.when,
        virtualServers: vss.map((vs) => fmtVs(vs)),
      });
    }
  }
  return out;
}
