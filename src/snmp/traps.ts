/**
 * The notifications keepalived 2.2.7 sends (vrrp_snmp.c): KEEPALIVED-MIB vrrpInstanceStateChange and
 * vrrpSyncGroupStateChange (enable_snmp_vrrp), VRRP-MIB vrrpTrapNewMaster (enable_snmp_rfcv2) and VRRPV3-MIB
 * vrrpv3NotifyNewMaster (enable_snmp_rfcv3), each only with enable_traps. Pure: objects built from a MibSource.
 * keepalived names the KEEPALIVED-MIB objects by their column OID without a row index; so do we.
 */
import { VarType, type Oid, type VarBind } from './agentx.js';
import { addressBytes } from './inet.js';
import { GLOBAL_OID, VRRP_OID } from './keepalived-mib.js';
import { masterReason, VRRP_RFC_OID, VRRP_RFCV3_OID } from './rfc-mibs.js';
import { ifindexOf, type MibSource } from './source.js';

/** A notification: its snmpTrapOID.0 value and objects. */
export interface Notification {
  readonly trapOid: Oid;
  readonly varbinds: readonly VarBind[];
  /** keepalived's detail log line for it (logged with -D). */
  readonly detail: string;
}

/** keepalived's trap state: INIT/BACKUP/MASTER/FAULT as themselves, STOP 5, DELETED 6, anything else 4. */
function trapState(s: number): number {
  if (s <= 3) return s;
  return s === 98 ? 5 : s === 97 ? 6 : 4;
}

const str = (oid: Oid, s: string): VarBind => ({ oid, type: VarType.OctetString, value: Buffer.from(s) });
const int = (oid: Oid, n: number): VarBind => ({ oid, type: VarType.Integer, value: n });

function routerId(src: MibSource): VarBind {
  return str([...GLOBAL_OID, 2, 0], src.config.globalDefs.routerId ?? src.host.nodeName);
}

/** The notifications an instance's transition into `state` (for `reason`, in the state machine's words) sends, in keepalived's order. */
export function instanceNotifications(src: MibSource, name: string, state: number, reason?: string): Notification[] {
  const s = src.config.globalDefs.snmp;
  const ic = src.config.vrrpInstances.find((i) => i.name === name);
  if (!s?.traps || !ic) return [];
  const out: Notification[] = [];
  if (s.vrrp)
    out.push({
      trapOid: [...VRRP_OID, 10, 0, 2],
      varbinds: [
        str([...VRRP_OID, 3, 1, 2], name),
        int([...VRRP_OID, 3, 1, 4], trapState(state)),
        int([...VRRP_OID, 3, 1, 5], ic.state === 'MASTER' ? 2 : 1),
        routerId(src),
      ],
      detail: `(${name}) Sending SNMP notification`,
    });
  if (state !== 2 || !ic.virtualIpaddress.length) return out;
  const ifx = ifindexOf(src.host, ic.interface);
  const snap = src.snapshot.instances.find((i) => i.name === name);
  // keepalived sends its own address (vrrp->saddr): the master is us
  const own =
    (snap?.srcIp && addressBytes(snap.srcIp)) || (ic.interface && (ic.family === 4 ? src.host.ipv4(ic.interface) : src.host.ipv6(ic.interface)));
  const addr = own || Buffer.alloc(ic.family === 4 ? 4 : 16);
  if (s.rfcv2 && ic.version === 2 && ic.family === 4)
    out.push({
      trapOid: [...VRRP_RFC_OID, 0, 1],
      varbinds: [{ oid: [...VRRP_RFC_OID, 1, 3, 1, 7, ifx, ic.virtualRouterId], type: VarType.IpAddress, value: addr }],
      detail: `(${name}) Sending SNMP notification vrrpTrapNewMaster`,
    });
  if (s.rfcv3) {
    const idx = [ifx, ic.virtualRouterId, ic.family === 4 ? 1 : 2];
    const why = masterReason(snap, reason);
    out.push({
      trapOid: [...VRRP_RFCV3_OID, 0, 1],
      varbinds: [
        { oid: [...VRRP_RFCV3_OID, 1, 1, 1, 1, 3, ...idx], type: VarType.OctetString, value: addr },
        int([...VRRP_RFCV3_OID, 1, 2, 5, 1, 2, ...idx], why),
      ],
      detail: `(${name}) Sending SNMP notification vrrpv3NotifyNewMaster, reason ${why}`,
    });
  }
  return out;
}

/** vrrpSyncGroupStateChange for a sync group that entered `state`. */
export function groupNotifications(src: MibSource, name: string, state: number): Notification[] {
  const s = src.config.globalDefs.snmp;
  if (!s?.traps || !s.vrrp) return [];
  return [
    {
      trapOid: [...VRRP_OID, 10, 0, 1],
      varbinds: [str([...VRRP_OID, 1, 1, 2], name), int([...VRRP_OID, 1, 1, 3], trapState(state)), routerId(src)],
      detail: `VRRP_Group(${name}): Sending SNMP notification`,
    },
  ];
}
