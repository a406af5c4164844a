/**
 * The nftables data plane as the daemon builds it: nft(8) from PATH, and an rtnetlink client in this process's
 * network namespace for DR (closed with the backend). `lvs_backend nftables`, or `auto` on a kernel without IPVS.
 */
import { Rtnl } from '../../net/netlink/rtnl.js';
import { NftBackend, type NftBackendOptions } from './backend.js';
import { rtnlLinks } from './links.js';

export { NftBackend, nftExec, type NftBackendOptions, type NftExec } from './backend.js';
export { NFT_LB_DEFAULTS, type NftLbOptions } from './ruleset.js';

/** A ready-to-open NftBackend with DR support (`ingress`: devices for the DR hook; default every up device but lo). */
export function createNftBackend(opts: Omit<NftBackendOptions, 'links' | 'onClose'> & { readonly ingress?: readonly string[] } = {}): NftBackend {
  const rtnl = new Rtnl();
  return new NftBackend({ ...opts, links: rtnlLinks(rtnl, opts.ingress ? { ingress: opts.ingress } : {}), onClose: () => rtnl.close() });
}
