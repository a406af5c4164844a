/**
 * Which data plane the checker runtime programs (`lvs_backend ipvs|nftables|auto`, our global_defs extension;
 * absent = auto). auto takes IPVS over generic netlink when the kernel has it, and the nftables data plane
 * otherwise; the choice and its reason are logged at start-up. When the kernel has no IPVS and IPVS was asked for,
 * keepalived 2.2.7 logs `IPVS: Can't initialize ipvs: …` and its whole daemon exits, VRRP included; here the
 * checker half says which kernel support is missing and what to do, and goes on checking real servers without
 * programming rules.
 */
import type { Logger } from '../../core/log.js';
import type { LbBackend } from '../../lb/backend.js';
import { IpvsBackend } from '../../lb/ipvs/backend.js';
import { createNftBackend, NFT_LB_DEFAULTS } from '../../lb/nft/index.js';

/** A data plane by name. */
export type BackendKind = 'ipvs' | 'nftables';

/** `lvs_backend`'s values. */
export type BackendChoice = BackendKind | 'auto';

/** Builds (does not open) the backend of a kind; undefined = none in this build. */
export type BackendFactory = (kind: BackendKind) => Promise<LbBackend | undefined> | LbBackend | undefined;

/** The text operators read when IPVS was asked for and the kernel has none. */
export const NO_IPVS_TEXT =
  'The kernel offers no IPVS: the ip_vs module is not loaded (generic netlink family "IPVS" not found). ' +
  'Health checks keep running, but no load-balancing rules are programmed. Load the module with `modprobe ip_vs` ' +
  '(and make it load at boot), or choose the nftables data plane (`lvs_backend nftables` or `auto` in global_defs).';

/** The text operators read when no data plane at all can be used. */
export const NO_DATA_PLANE_TEXT =
  'No load-balancer data plane is usable (no IPVS in the kernel, and nftables failed): ' +
  'health checks keep running, but no load-balancing rules are programmed. Load ip_vs, or install nftables (nft).';

/** The text operators read when `lvs_backend nftables` was asked for and nft cannot be used. */
export const NFT_UNUSABLE_TEXT =
  'The nftables data plane cannot be used (is the nftables package installed, and does the kernel have nf_tables?): ' +
  'health checks keep running, but no load-balancing rules are programmed.';

/** IPVS over generic netlink (in `net_namespace_ipvs`'s namespace when given), or nftables through nft(8). */
export const backendFactoryFor =
  (ipvsNetns?: string): BackendFactory =>
  (kind) =>
    kind === 'ipvs' ? new IpvsBackend(ipvsNetns) : createNftBackend();

/** IPVS over generic netlink, or nftables through nft(8). */
export const defaultBackendFactory: BackendFactory = backendFactoryFor();

/** Builds and opens one backend; the error text when it cannot be used. */
async function tryOpen(factory: BackendFactory, kind: BackendKind): Promise<{ backend?: LbBackend; error?: string; unavailable?: boolean }> {
  let backend: LbBackend | undefined;
  try {
    backend = await factory(kind);
  } catch (e) {
    return { error: `backend failed to load: ${(e as Error)?.message ?? String(e)}` };
  }
  if (!backend) return { error: 'Protocol not available', unavailable: true };
  const e = await backend.open();
  if (!e) return { backend };
  await backend.close().catch(() => undefined);
  return { error: e.message, unavailable: e.code === 'LB_UNAVAILABLE' };
}

/**
 * Opens the data plane `choice` names. Returns it when usable; otherwise logs keepalived's line and a plain
 * explanation, and returns undefined (the runtime then checks without programming).
 */
export async function openBackend(factory: BackendFactory, log: Logger, choice: BackendChoice = 'auto'): Promise<LbBackend | undefined> {
  const say = (level: 'info' | 'err', text: string): void => log.log({ level, text });
  if (choice !== 'nftables') {
    const ipvs = await tryOpen(factory, 'ipvs');
    if (ipvs.backend) {
      say('info', `Load balancer: IPVS over generic netlink${choice === 'auto' ? ' (lvs_backend auto: the kernel has IPVS)' : ''}`);
      return ipvs.backend;
    }
    say('info', `IPVS: Can't initialize ipvs: ${ipvs.error ?? ''}`);
    if (choice === 'ipvs') {
      say('err', ipvs.unavailable ? NO_IPVS_TEXT : `IPVS unusable: ${ipvs.error ?? ''}`);
      return undefined;
    }
  }
  const nft = await tryOpen(factory, 'nftables');
  if (nft.backend) {
    say(
      'info',
      `Load balancer: nftables (tables inet ${NFT_LB_DEFAULTS.table} and netdev ${NFT_LB_DEFAULTS.drTable})` +
        (choice === 'auto' ? ', chosen by lvs_backend auto because the kernel has no IPVS' : ''),
    );
    return nft.backend;
  }
  say('err', `nftables data plane unavailable: ${nft.error ?? ''}`);
  say('err', choice === 'auto' ? NO_DATA_PLANE_TEXT : NFT_UNUSABLE_TEXT);
  return undefined;
}
