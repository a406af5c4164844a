/**
 * The SNMP keywords of `global_defs` (keepalived 2.2.7 global_parser.c snmp_*_handler, trap_handler): which MIBs the
 * AgentX subagents serve, whether they send notifications, and the master agent's socket.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { GlobalDefs, Mutable, SnmpConfig } from './model.js';
import type { ConfNode } from './tree.js';

/** keepalived's PATH_MAX - 1: a longer snmp_socket is refused. */
const SNMP_SOCKET_MAX = 4095;

/** Keyword → the flags it sets (enable_snmp_keepalived is keepalived's deprecated spelling of enable_snmp_vrrp). */
const FLAGS: Readonly<Record<string, readonly (keyof Omit<SnmpConfig, 'socket'>)[]>> = {
  enable_traps: ['traps'],
  enable_snmp_vrrp: ['vrrp'],
  enable_snmp_keepalived: ['vrrp'],
  enable_snmp_checker: ['checker'],
  enable_snmp_rfc: ['rfcv2', 'rfcv3'],
  enable_snmp_rfcv2: ['rfcv2'],
  enable_snmp_rfcv3: ['rfcv3'],
};

/** SNMP switched off: keepalived's defaults. */
export const SNMP_OFF: SnmpConfig = { traps: false, vrrp: false, checker: false, rfcv2: false, rfcv3: false };

/** Handles one SNMP keyword of global_defs; false when `c` is not one. */
export function parseSnmpKeyword(c: ConfNode, g: Mutable<GlobalDefs>, d: DiagnosticSink): boolean {
  const k = c.keyword.text;
  const cur = g.snmp ?? SNMP_OFF;
  const flags = FLAGS[k];
  if (flags) {
    const next: Mutable<SnmpConfig> = { ...cur };
    for (const f of flags) next[f] = true;
    g.snmp = next;
    return true;
  }
  if (k !== 'snmp_socket') return false;
  const a0 = c.args[0];
  // a missing name is reported by checkGlobalValue (global-checks.ts)
  if (c.args.length > 1) d.keptError(c.keyword.pos, 'Too many parameters specified for snmp_socket - ignoring');
  else if (!a0) return true;
  else if (a0.text.length > SNMP_SOCKET_MAX) d.keptError(a0.pos, 'SNMP error : snmp socket name too long - ignored');
  else if (cur.socket !== undefined) d.keptError(a0.pos, `SNMP socket already set to ${cur.socket} - ignoring`);
  else g.snmp = { ...cur, socket: a0.text };
  return true;
}

/** The SNMP settings in force: the configuration's, with `-x` (every MIB) and `-A SOCKET` (wins over snmp_socket). */
export function effectiveSnmp(g: GlobalDefs | undefined, cli: { readonly snmp?: boolean; readonly snmpAgentSocket?: string }): SnmpConfig {
  const s = g?.snmp ?? SNMP_OFF;
  const all = cli.snmp ? { vrrp: true, checker: true, rfcv2: true, rfcv3: true } : {};
  return { ...s, ...all, ...(cli.snmpAgentSocket !== undefined ? { socket: cli.snmpAgentSocket } : {}) };
}
