/**
 * The configuration the reload and crash-safety tests share: MASTER instances on eth0 of host a (VRRPv3,
 * vrrp_strict, so nftables tables), one with virtual routes and rules, one with use_vmac, and a NAT virtual_server
 * on the nftables backend whose real server is host r (192.0.2.11, second host of the topology).
 */
import { join } from 'node:path';

/** One MASTER instance on eth0 (VRRPv3, advert_int 1). */
export interface Inst {
  readonly name: string;
  readonly vrid: number;
  readonly vips: readonly string[];
  readonly extra?: string;
}

/** The vrrp_instance block of `i`. */
export const block = (i: Inst) =>
  `vrrp_instance ${i.name} {\n  state MASTER\n  interface eth0\n  virtual_router_id ${i.vrid}\n  priority 150\n  advert_int 1\n  version 3\n` +
  `  virtual_ipaddress {\n${i.vips.map((v) => `    ${v}\n`).join('')}  }\n${i.extra ?? ''}}\n`;

/** A virtual_server on 192.0.2.170 (nftables backend) with one TCP-checked real server, host r at 192.0.2.11. */
export const vs = (port: number, rsPort: number) =>
  `virtual_server 192.0.2.170 ${port} {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
  `  real_server 192.0.2.11 ${rsPort} {\n    weight 3\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n`;

/** A whole configuration: global_defs (vrrp_strict, nftables LB, no real-time), track_file TF in `dir`, `insts`, `tail`. */
export const confOf = (dir: string, insts: readonly Inst[], tail: string) =>
  `global_defs {\n  router_id safety\n  vrrp_strict\n  lvs_backend nftables\n  vrrp_rt_priority 0\n}\n` +
  `track_file TF {\n  file ${join(dir, 'track')}\n}\n${insts.map(block).join('')}${tail}`;

/** VI_A: VRID 61 with a virtual route (203.0.113.0/24 via host r) and a virtual rule (from its VIP, table 100). */
export const ROUTED: Inst = {
  name: 'VI_A',
  vrid: 61,
  vips: ['192.0.2.161/32'],
  extra: '  virtual_routes {\n    203.0.113.0/24 via 192.0.2.11 dev eth0\n  }\n  virtual_rules {\n    from 192.0.2.161 table 100\n  }\n',
};
/** VI_B: VRID 62, one VIP. */
export const B: Inst = { name: 'VI_B', vrid: 62, vips: ['192.0.2.162/32'] };
/** VI_C: VRID 63 on a VMAC (macvlan vrrp.63). */
export const VMAC: Inst = { name: 'VI_C', vrid: 63, vips: ['192.0.2.163/32'], extra: '  use_vmac\n' };

/** The real server's listener (run in host r): accepts and closes on each port. */
export const LISTENER = (ports: readonly number[]) =>
  `for (const p of ${JSON.stringify(ports)}) require('net').createServer((s) => s.end()).listen(p, '0.0.0.0')`;
