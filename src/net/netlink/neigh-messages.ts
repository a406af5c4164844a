/**
 * rtnetlink neighbour messages (linux/neighbour.h): `struct ndmsg` (12 bytes: family, pad, pad16, ifindex,
 * state u16, flags u8, type u8) then NDA_* attributes. Used by the nftables DR data plane to learn a real
 * server's MAC address from the neighbour table (RTM_GETNEIGH dump), and to make the kernel resolve one it
 * does not know yet (RTM_NEWNEIGH with NTF_USE: "use" the entry, which starts ARP / neighbour discovery).
 */
import { ipv4Bytes, ipv4Text, ipv6Bytes, ipv6Text } from '../sockaddr.js';
import { K } from '../sysio.js';
import { decodeAttrs, encodeAttrs, fixedHeader, NLM_F } from './codec.js';
import type { Rtnl } from './rtnl.js';

/** Neighbour message types. */
export const RTM_NEIGH = { NEW: 28, DEL: 29, GET: 30 } as const;
/** Neighbour attributes. */
export const NDA = { DST: 1, LLADDR: 2 } as const;
/** Neighbour states (NUD_*). */
export const NUD = { INCOMPLETE: 0x01, REACHABLE: 0x02, STALE: 0x04, DELAY: 0x08, PROBE: 0x10, FAILED: 0x20, NOARP: 0x40, PERMANENT: 0x80 } as const;
/** Neighbour flags (NTF_*). */
export const NTF = { USE: 0x01 } as const;

/** A neighbour entry. */
export interface NeighbourInfo {
  readonly family: 4 | 6;
  readonly ifindex: number;
  readonly address: string;
  readonly state: number;
  /** Lower-case colon form; absent while incomplete. */
  readonly mac?: string;
}

/** States in which the link-layer address can be used (NUD_VALID without NOARP). */
export const NUD_USABLE = NUD.REACHABLE | NUD.STALE | NUD.DELAY | NUD.PROBE | NUD.PERMANENT;

/** Encodes a struct ndmsg. */
export function encodeNdmsg(family: 4 | 6 | 0, ifindex = 0, state = 0, flags = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt8(family === 4 ? (K.AF_INET as number) : family === 6 ? (K.AF_INET6 as number) : 0, 0);
  h.writeInt32LE(ifindex, 4);
  h.writeUInt16LE(state, 8);
  h.writeUInt8(flags, 10);
  return h;
}

/** Decodes RTM_NEWNEIGH; undefined for families other than IPv4/IPv6. */
export function decodeNeighbour(payload: Buffer): NeighbourInfo | undefined {
  const p = fixedHeader(payload, 12);
  const af = p.readUInt8(0);
  const family = af === K.AF_INET ? 4 : af === K.AF_INET6 ? 6 : undefined;
  if (!family) return undefined;
  const a = decodeAttrs(p.subarray(12));
  const dst = a.get(NDA.DST);
  if (!dst || dst.length !== (family === 4 ? 4 : 16)) return undefined;
  const ll = a.get(NDA.LLADDR);
  return {
    family,
    ifindex: p.readInt32LE(4),
    address: family === 4 ? ipv4Text(dst) : ipv6Text(dst),
    state: p.readUInt16LE(8),
    ...(ll && ll.length === 6 ? { mac: Array.from(ll, (x) => x.toString(16).padStart(2, '0')).join(':') } : {}),
  };
}

/** Dumps the neighbour table of one family. */
export async function listNeighbours(rtnl: Rtnl, family: 4 | 6): Promise<NeighbourInfo[]> {
  const msgs = await rtnl.request(RTM_NEIGH.GET, NLM_F.DUMP, encodeNdmsg(family), 'list neighbours');
  return msgs
    .filter((m) => m.type === RTM_NEIGH.NEW)
    .map((m) => decodeNeighbour(m.payload))
    .filter((n): n is NeighbourInfo => n !== undefined);
}

/** Asks the kernel to resolve `address` on `ifindex` (NTF_USE: creates the entry if needed and sends a probe). */
export async function useNeighbour(rtnl: Rtnl, family: 4 | 6, ifindex: number, address: string): Promise<void> {
  const body = Buffer.concat([
    encodeNdmsg(family, ifindex, 0, NTF.USE),
    encodeAttrs([{ type: NDA.DST, value: family === 4 ? ipv4Bytes(address) : ipv6Bytes(address) }]),
  ]);
  await rtnl.request(RTM_NEIGH.NEW, NLM_F.CREATE | NLM_F.REPLACE, body, `resolve neighbour ${address}`);
}
