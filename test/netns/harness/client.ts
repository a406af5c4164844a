/**
 * What a client host on the segment sees of a virtual address: its neighbour (ARP) entry, and who answers an ARP
 * request for it. Used to prove that a takeover's gratuitous ARP reached the LAN (the entry changes without the
 * client sending anything) and that only the new master answers.
 */
import type { Topology } from './topology.js';

/** Makes the client resolve `ip` (one UDP datagram to port 9 through bash's /dev/udp: the kernel ARPs first). */
export function touch(topo: Topology, client: string, ip: string): void {
  topo.exec(client, ['bash', '-c', `echo > /dev/udp/${ip}/9`]);
}

/** The link-layer address in the client's neighbour entry for `ip` on eth0 (lower case), if it has one. */
export function neighbourMac(topo: Topology, client: string, ip: string): string | undefined {
  const out = topo.exec(client, ['ip', 'neigh', 'show', ip, 'dev', 'eth0']);
  return /lladdr ([0-9a-f:]{17})/i.exec(out)?.[1]?.toLowerCase();
}

/** Sends one ARP request for `ip` from the client (iputils arping); the MAC of the first reply (lower case), if any. */
export function arpingMac(topo: Topology, client: string, ip: string): string | undefined {
  let out: string;
  try {
    out = topo.exec(client, ['arping', '-c', '1', '-w', '2', '-I', 'eth0', ip]);
  } catch (e) {
    out = String((e as { stdout?: unknown }).stdout ?? ''); // exit 1: no reply
  }
  return /reply from \S+ \[([0-9a-f:]{17})\]/i.exec(out)?.[1]?.toLowerCase();
}
