/**
 * The receive buffer of a VRRP socket (keepalived 2.2.7 vrrp_scheduler.c alloc_sock / vrrp_if.c setup_interface):
 * the sum, over the instances sharing the socket, of each one's `kernel_rx_buf_size`, else of what global_defs'
 * `vrrp_rx_bufs_policy` gives it: a fixed size, `vrrp_rx_bufs_multiplier` (default 3) adverts, or that many MTUs of
 * its interface. 0 (no policy, no kernel_rx_buf_size): SO_RCVBUF is left at the kernel's default.
 */
import type { GlobalDefs, VrrpInstanceConfig } from '../../config/model.js';

/** keepalived's vrrp_adv_len: an instance's advert as its socket receives it (IPv4 header and AH included). */
export function vrrpAdvertLength(ic: Pick<VrrpInstanceConfig, 'family' | 'version' | 'virtualIpaddress' | 'authentication'>): number {
  const vips = ic.virtualIpaddress.length;
  if (ic.family === 6) return 8 + 16 * vips;
  const ah = ic.version === 2 && ic.authentication?.type === 'AH';
  return 20 + (ah ? 24 : 0) + 8 + (ic.version === 2 ? 8 : 0) + 4 * vips;
}

/** One instance on the socket, with the MTU of the interface it receives on (undefined: not known). */
export interface RxBufMember {
  readonly ic: Pick<VrrpInstanceConfig, 'family' | 'version' | 'virtualIpaddress' | 'authentication' | 'kernelRxBufSize'>;
  readonly mtu?: number;
}

/** The SO_RCVBUF keepalived gives a socket shared by `members` (0: leave the kernel's default). */
export function vrrpRxBufSize(members: readonly RxBufMember[], g: Pick<GlobalDefs, 'vrrpRxBufsPolicy' | 'vrrpRxBufsMultiplier'>): number {
  const policy = g.vrrpRxBufsPolicy;
  const times = g.vrrpRxBufsMultiplier ?? 3;
  let sum = 0;
  for (const { ic, mtu } of members) {
    if (ic.kernelRxBufSize) sum += ic.kernelRxBufSize;
    else if (policy?.size !== undefined) sum += policy.size;
    else if (policy?.advert) sum += times * vrrpAdvertLength(ic);
    else if (policy?.mtu && mtu !== undefined) sum += times * mtu;
  }
  // setsockopt takes an int: keepalived's sum wraps there; the kernel then clamps a negative value to its minimum
  return Math.min(sum, 0x7fffffff);
}
