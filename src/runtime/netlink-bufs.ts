/**
 * The `*_netlink_*_rcv_bufs(_force)` global_defs keywords as receive buffers for our rtnetlink sockets (keepalived
 * 2.2.7 keepalived_netlink.c netlink_set_rx_buf_size): a size of 0 means keepalived's IF_DEFAULT_BUFSIZE, 64 KiB;
 * `_force` uses SO_RCVBUFFORCE, which passes net.core.rmem_max. Unset keywords leave our own defaults.
 */
import type { NetlinkRcvBuf } from '../config/model.js';
import type { ReceiveBuffer } from '../net/netlink/rtnl.js';

/** keepalived's IF_DEFAULT_BUFSIZE. */
const DEFAULT_BYTES = 64 * 1024;

/** The receive buffer a configured `*_rcv_bufs` asks for (undefined when neither it nor its _force was given). */
export function netlinkReceiveBuffer(b: NetlinkRcvBuf | undefined): ReceiveBuffer | undefined {
  return b ? { bytes: b.size || DEFAULT_BYTES, force: b.force } : undefined;
}
