/**
 * keepalived's names for services in log lines, FIFO lines and mails (check_data.c `format_vs`/`format_rs`,
 * utils.c `inet_sockaddrtotrio`): `[192.0.2.1]:tcp:80`, `FWM 7`, `[group]:0`.
 *
 * Pure: IPv6 addresses are canonicalised with the codec helpers (inet_ntop's text), never with node:net.
 */
import type { VirtualServerConfig } from '../config/model-lvs.js';
import { formatIpv6, parseIpv6 } from '../core/inet/address.js';

/** IPVS' largest weight (IPVS_WEIGHT_LIMIT, INT_MAX). */
export const IPVS_WEIGHT_LIMIT = 2147483647;
/** A tracked file's "fault" weight (IPVS_WEIGHT_FAULT, INT_MIN). */
export const IPVS_WEIGHT_FAULT = -2147483648;

/** keepalived's `real_weight()`: an effective weight clamped into IPVS' range 0…IPVS_WEIGHT_LIMIT. */
export function realWeight(effectiveWeight: number): number {
  if (effectiveWeight < 0) return 0;
  return effectiveWeight > IPVS_WEIGHT_LIMIT ? IPVS_WEIGHT_LIMIT : effectiveWeight;
}

/** The address as inet_ntop would print it (IPv6 canonical form; IPv4 as written). */
export function addressText(address: string, family: 4 | 6): string {
  if (family !== 6) return address;
  const b = parseIpv6(address);
  return b ? formatIpv6(b) : address;
}

/** keepalived's FMT_RS: `[ip]:proto:port`, the protocol being the virtual server's (`none` when unset). */
export function fmtRs(server: { readonly address: string; readonly family: 4 | 6; readonly port: number }, vs: VirtualServerConfig): string {
  return `[${addressText(server.address, server.family)}]:${vs.protocol?.toLowerCase() ?? 'none'}:${server.port}`;
}

/**
 * keepalived's FMT_VS: `[ip]:proto:port`, `FWM n`, or `[group]:member` for a `virtual_server group`
 * (keepalived prints the group member's number where the port would be).
 */
export function fmtVs(vs: VirtualServerConfig, groupMember = 0): string {
  const s = vs.service;
  if (s.kind === 'group') return `[${s.group}]:${groupMember}`;
  if (s.kind === 'fwmark') return `FWM ${s.fwmark}`;
  return fmtRs({ address: s.address, family: vs.family, port: s.port }, vs);
}

/** The `lvs_notify_fifo` line for a virtual server's quorum (same text as notify/fifo.ts `vsFifoLine`). */
export function vsFifoText(vs: string, up: boolean): string {
  return `VS ${vs} ${up ? 'UP' : 'DOWN'}\n`;
}

/** The `lvs_notify_fifo` line for a real server (same text as notify/fifo.ts `rsFifoLine`). */
export function rsFifoText(rs: string, vs: string, up: boolean): string {
  return `RS ${rs} ${vs} ${up ? 'UP' : 'DOWN'}\n`;
}
