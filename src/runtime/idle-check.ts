/**
 * The checker child's runtime until the checker/load-balancer runtime (src/runtime/check) is wired into
 * src/cli/roles.ts: it reports the configured virtual servers, every real server down and unchecked, and says
 * once that nothing is being checked.
 */
import type { KeepalivedConfig } from '../config/model.js';
import { fmtVs } from '../check/format.js';
import type { Runtime, RuntimeContext } from './port.js';
import type { RuntimeSnapshot, VirtualServerSnapshot } from './snapshot.js';

/** The virtual servers of a configuration as an unchecked snapshot. */
function unchecked(cfg: KeepalivedConfig | undefined): VirtualServerSnapshot[] {
  return (cfg?.virtualServers ?? []).map((vs) => ({
    name: fmtVs(vs),
    quorumUp: false,
    realServers: vs.realServers.map((rs) => ({ address: rs.address, port: rs.port, weight: rs.weight, up: false })),
  }));
}

/** Builds the idle checker runtime. */
export function createIdleCheckRuntime(ctx: RuntimeContext): Runtime {
  let config: KeepalivedConfig | undefined;
  const say = () => ctx.log.log({ level: 'warning', text: 'keepalived-ts: health checkers are not available in this build - virtual servers are not checked or programmed' });
  return {
    async start(cfg) { config = cfg; if (cfg.virtualServers.length) say(); },
    async reload(cfg) { config = cfg; },
    async stop() { config = undefined; },
    snapshot(): RuntimeSnapshot { return { instances: [], syncGroups: [], virtualServers: unchecked(config) }; },
    clearStats() {},
  };
}
