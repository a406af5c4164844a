/**
 * Link creation and lookup messages (linux/if_link.h, linux/rtnetlink.h): the RTM_NEWLINK request that creates a
 * macvlan (what keepalived's netlink_link_add_vmac sends for `use_vmac`), RTM_DELLINK, and RTM_GETLINK by name or
 * index, plus the link-kind details of a reply.
 *
 *   ifinfomsg { u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change }     16 bytes, then attributes:
 *   IFLA_ADDRESS mac · IFLA_LINK u32 parent · IFLA_IFNAME "name\0" ·
 *   IFLA_LINKINFO { IFLA_INFO_KIND "macvlan" · IFLA_INFO_DATA { IFLA_MACVLAN_MODE u32 } }
 *
 * The attribute order and string forms are those of `ip link add link eth0 name vrrp.51 address 00:00:5e:00:01:33
 * type macvlan mode private` (iproute2 6.1, captured with strace); the only difference is that the two nests carry
 * NLA_F_NESTED, which the kernel accepts as iproute2's unflagged nests (nla_parse_nested_deprecated).
 */
import { macBytes } from '../arp.js';
import { attr, decodeAttrs, encodeAttrs, type AttrInput } from './codec.js';
import { decodeLink, IFLA, type LinkInfo } from './route-messages.js';

/** Attributes nested in IFLA_LINKINFO. */
export const IFLA_INFO = { KIND: 1, DATA: 2 } as const;
/** Attributes nested in IFLA_INFO_DATA for kind "macvlan". */
export const IFLA_MACVLAN = { MODE: 1, FLAGS: 2 } as const;
/** macvlan modes (enum macvlan_mode). keepalived always uses private. */
export const MACVLAN_MODE = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
/** A macvlan mode by name. */
export type MacvlanMode = keyof typeof MACVLAN_MODE;
/** RTEXT_FILTER_SKIP_STATS for IFLA_EXT_MASK: replies without the statistics blocks. */
const RTEXT_FILTER_SKIP_STATS = 1 << 3;

/** A macvlan to create. */
export interface MacvlanSpec {
  /** Interface name (at most 15 bytes, e.g. vrrp.51). */
  readonly name: string;
  /** ifindex of the interface it sits on (IFLA_LINK). */
  readonly parentIndex: number;
  /** MAC address, `aa:bb:cc:dd:ee:ff` (keepalived: 00:00:5e:00:01:<VRID>). */
  readonly mac: string;
  /** Default private, as keepalived. */
  readonly mode?: MacvlanMode;
  /** IFLA_MASTER: enslave it to this VRF (the parent's), as keepalived does. */
  readonly master?: number;
}

/** Attributes nested in IFLA_INFO_DATA for kind "ipvlan". */
export const IFLA_IPVLAN = { MODE: 1, FLAGS: 2 } as const;
/** ipvlan modes (enum ipvlan_mode); keepalived always uses l2. */
export const IPVLAN_MODE = { l2: 0, l3: 1, l3s: 2 } as const;
/** ipvlan flags: keepalived's use_ipvlan `bridge` (0), `private`, `vepa`. */
export const IPVLAN_FLAGS = { bridge: 0, private: 1, vepa: 2 } as const;

/** An ipvlan to create (keepalived's netlink_link_add_ipvlan: mode l2, up at once). */
export interface IpvlanSpec {
  readonly name: string;
  readonly parentIndex: number;
  readonly flags: keyof typeof IPVLAN_FLAGS;
  /** IFLA_MASTER: enslave it to this VRF (the parent's), as keepalived does. */
  readonly master?: number;
}

/** Encodes the RTM_NEWLINK body (NLM_F_CREATE | NLM_F_EXCL) that creates an ipvlan, as keepalived 2.2.7 sends it. */
export function encodeIpvlanRequest(s: IpvlanSpec): Buffer {
  const h = ifinfomsg(0);
  h.writeUInt32LE(1, 8); // ifi_flags IFF_UP
  h.writeUInt32LE(1, 12); // ifi_change IFF_UP
  const attrs: AttrInput[] = [
    { type: IFLA.LINK, value: attr.u32(s.parentIndex) },
    { type: IFLA.IFNAME, value: attr.str(s.name) },
    {
      type: IFLA.LINKINFO,
      value: [
        { type: IFLA_INFO.KIND, value: Buffer.from('ipvlan') },
        {
          type: IFLA_INFO.DATA,
          value: [
            { type: IFLA_IPVLAN.MODE, value: u16(IPVLAN_MODE.l2) },
            { type: IFLA_IPVLAN.FLAGS, value: u16(IPVLAN_FLAGS[s.flags]) },
          ],
        },
      ],
    },
    ...(s.master ? [{ type: IFLA.MASTER, value: attr.u32(s.master) }] : []),
  ];
  return Buffer.concat([h, encodeAttrs(attrs)]);
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return b;
}

/** A link with what IFLA_LINKINFO and IFLA_LINK say about it. */
export interface LinkDetails extends LinkInfo {
  /** IFLA_INFO_KIND ("macvlan", "veth", "bridge"…); absent for physical devices. */
  readonly kind?: string;
  /** The parent's ifindex (IFLA_LINK), when it has one. */
  readonly parentIndex?: number;
  /** The macvlan mode name, for kind "macvlan". */
  readonly macvlanMode?: MacvlanMode | number;
  /** IFLA_VRF_TABLE, for kind "vrf". */
  readonly vrfTable?: number;
}

/** An ifinfomsg with only the index set (family AF_UNSPEC). */
function ifinfomsg(index: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(index, 4);
  return h;
}

/** Encodes the body of the RTM_NEWLINK request (send with NLM_F_CREATE | NLM_F_EXCL) that creates a macvlan. */
export function encodeMacvlanRequest(s: MacvlanSpec): Buffer {
  const attrs: AttrInput[] = [
    { type: IFLA.ADDRESS, value: macBytes(s.mac) },
    { type: IFLA.LINK, value: attr.u32(s.parentIndex) },
    { type: IFLA.IFNAME, value: attr.str(s.name) },
    {
      type: IFLA.LINKINFO,
      value: [
        { type: IFLA_INFO.KIND, value: Buffer.from('macvlan') }, // no NUL, as iproute2 and keepalived send it
        { type: IFLA_INFO.DATA, value: [{ type: IFLA_MACVLAN.MODE, value: attr.u32(MACVLAN_MODE[s.mode ?? 'private']) }] },
      ],
    },
    ...(s.master ? [{ type: IFLA.MASTER, value: attr.u32(s.master) }] : []),
  ];
  return Buffer.concat([ifinfomsg(0), encodeAttrs(attrs)]);
}

/** Encodes the body of RTM_DELLINK for one ifindex (a bare ifinfomsg, as `ip link del` sends). */
export function encodeLinkIndexRequest(index: number): Buffer {
  return ifinfomsg(index);
}

/** Encodes the body of an RTM_GETLINK for one link, by name (IFLA_IFNAME) or ifindex, without statistics. */
export function encodeGetLinkRequest(ref: string | number): Buffer {
  const attrs: AttrInput[] = [{ type: IFLA.EXT_MASK, value: attr.u32(RTEXT_FILTER_SKIP_STATS) }];
  if (typeof ref === 'string') attrs.push({ type: IFLA.IFNAME, value: attr.str(ref) });
  return Buffer.concat([ifinfomsg(typeof ref === 'number' ? ref : 0), encodeAttrs(attrs)]);
}

/** Decodes RTM_NEWLINK with its kind, parent and macvlan mode. */
export function decodeLinkDetails(p: Buffer): LinkDetails {
  const base = decodeLink(p);
  const a = decodeAttrs(p.subarray(16));
  const parent = a.get(IFLA.LINK);
  const info = a.get(IFLA.LINKINFO);
  const li = info ? decodeAttrs(info) : undefined;
  const kind = li?.get(IFLA_INFO.KIND)?.toString('utf8').replace(/\0+$/, '');
  const data = kind === 'macvlan' ? li?.get(IFLA_INFO.DATA) : undefined;
  const vrfData = kind === 'vrf' ? li?.get(IFLA_INFO.DATA) : undefined;
  const vrfTable = vrfData ? decodeAttrs(vrfData).get(1 /* IFLA_VRF_TABLE */) : undefined;
  const modeAttr = data ? decodeAttrs(data).get(IFLA_MACVLAN.MODE) : undefined;
  const mode = modeAttr && modeAttr.length >= 4 ? modeAttr.readUInt32LE(0) : undefined;
  const modeName = mode === undefined ? undefined : ((Object.keys(MACVLAN_MODE) as MacvlanMode[]).find((k) => MACVLAN_MODE[k] === mode) ?? mode);
  return {
    ...base,
    ...(kind ? { kind } : {}),
    ...(parent && parent.length >= 4 && parent.readUInt32LE(0) !== base.index ? { parentIndex: parent.readUInt32LE(0) } : {}),
    ...(modeName !== undefined ? { macvlanMode: modeName } : {}),
    ...(vrfTable && vrfTable.length >= 4 ? { vrfTable: vrfTable.readUInt32LE(0) } : {}),
  };
}
