/**
 * Which data plane the checker runtime programs. The default is IPVS over generic netlink (src/lb/ipvs, loaded
 * lazily so a build without it still runs). When the kernel has no IPVS, keepalived 2.2.7 logs
 * `IPVS: Can't initialize ipvs: …` and its whole daemon exits, VRRP included; here the checker half says which
 * kernel support is missing and what to do, and goes on checking real servers without programming rules.
 */
import type { Logger } from '../../core/log.js';
import type { LbBackend } from '../../lb/backend.js';

/** Builds the data-plane backend; undefined = none available in this build. */
export type BackendFactory = () => Promise<LbBackend | undefined> | LbBackend | undefined;

/** The text operators read when no data plane can be used. */
export const NO_IPVS_TEXT = 'The kernel offers no IPVS: the ip_vs module is not loaded (generic netlink family "IPVS" not found). '
  + 'Health checks keep running, but no load-balancing rules are programmed. Load the module with `modprobe ip_vs` '
  + '(and make it load at boot), or choose the nftables data plane (`lvs_backend nftables`) once it is available.';

/** The IPVS backend module, when this build has it (src/lb/ipvs/backend.js). */
export const defaultBackendFactory: BackendFactory = async () => {
  const specifier = '../../lb/ipvs/backend.js';
  let mod: Record<string, unknown>;
  try {
    mod = await import(specifier) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const make = mod['createIpvsBackend'] ?? mod['createBackend'];
  if (typeof make === 'function') return (make as () => LbBackend)();
  const Cls = mod['IpvsBackend'] ?? mod['default'];
  if (typeof Cls === 'function') return new (Cls as new () => LbBackend)();
  return undefined;
};

/**
 * Builds and opens the backend. Returns it when usable; otherwise logs keepalived's line and the plain
 * explanation, and returns undefined (the runtime then checks without programming).
 */
export async function openBackend(factory: BackendFactory, log: Logger): Promise<LbBackend | undefined> {
  let backend: LbBackend | undefined;
  try {
    backend = await factory();
  } catch (e) {
    log.log({ level: 'err', text: `IPVS: backend failed to load: ${(e as Error)?.message ?? String(e)}` });
  }
  if (!backend) {
    log.log({ level: 'info', text: "IPVS: Can't initialize ipvs: Protocol not available" });
    log.log({ level: 'err', text: NO_IPVS_TEXT });
    return undefined;
  }
  const e = await backend.open();
  if (!e) return backend;
  log.log({ level: 'info', text: `IPVS: Can't initialize ipvs: ${e.message}` });
  if (e.code === 'LB_UNAVAILABLE') log.log({ level: 'err', text: backend.name === 'nftables' ? `nftables data plane unavailable: ${e.message}` : NO_IPVS_TEXT });
  await backend.close().catch(() => undefined);
  return undefined;
}
