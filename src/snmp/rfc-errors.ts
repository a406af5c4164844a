/**
 * The RFC MIBs' receive error counters and error notifications, as keepalived 2.2.7 keeps them (vrrp.c
 * vrrp_check_packet, vrrp_snmp.c): per instance a checksum error count (chk_err), a version error count (vers_err)
 * and the last protocol error (proto_err_reason), summed over the instances each MIB shows for vrrpStatsChecksumErrors
 * / vrrpStatsVersionErrors (and the VRRPV3-MIB equivalents); vrrpStatsVrIdErrors stays 0, as keepalived never counts
 * it. A drop also sends VRRP-MIB vrrpTrapAuthFailure (auth errors) or VRRPV3-MIB vrrpv3NotifyProtoError (TTL,
 * version, checksum errors), with enable_traps. Pure: fed the receive pipeline's drop reasons.
 */
import { VarType, type VarBind } from './agentx.js';
import { addressBytes } from './inet.js';
import { VRRP_RFC_OID, VRRP_RFCV3_OID } from './rfc-mibs.js';
import { ifindexOf, type MibSource } from './source.js';
import type { Notification } from './traps.js';

/** RFC 6527 vrrpv3StatisticsProtoErrReason: noError 0, ipTtlError 1, versionError 2, checksumError 3 (vrIdError 4 unused). */
export const ProtoError = { noError: 0, ipTtlError: 1, versionError: 2, checksumError: 3 } as const;

/** RFC 2787 vrrpTrapAuthErrorType: invalidAuthType 1, authTypeMismatch 2, authFailure 3. */
export const AuthError = { invalidAuthType: 1, authTypeMismatch: 2, authFailure: 3 } as const;

/** One instance's error counters. */
export interface RfcErrorCounts {
  readonly checksum: number;
  readonly version: number;
  /** The last protocol error (ProtoError). */
  readonly protoReason: number;
}

/** What a drop reason of the receive pipeline (src/vrrp/validate.ts) means for the RFC MIBs. */
interface Meaning {
  readonly proto?: number;
  readonly auth?: number;
  readonly counter?: 'checksum' | 'version';
}

const MEANINGS: Readonly<Record<string, Meaning>> = {
  ttl: { proto: ProtoError.ipTtlError },
  'unicast-ttl-range': { proto: ProtoError.ipTtlError },
  version: { proto: ProtoError.versionError, counter: 'version' },
  'version-mismatch': { proto: ProtoError.versionError, counter: 'version' },
  checksum: { proto: ProtoError.checksumError, counter: 'checksum' },
  'invalid-authtype': { auth: AuthError.invalidAuthType },
  'authtype-mismatch': { auth: AuthError.authTypeMismatch },
  'ah-header': { auth: AuthError.authTypeMismatch },
  'ah-expected': { auth: AuthError.authTypeMismatch },
  'auth-failure': { auth: AuthError.authFailure },
};

/** The counters after a drop for `reason` (unchanged for reasons the RFC MIBs do not count). */
export function countDrop(before: RfcErrorCounts | undefined, reason: string): RfcErrorCounts {
  const b = before ?? { checksum: 0, version: 0, protoReason: ProtoError.noError };
  const m = MEANINGS[reason];
  if (!m) return b;
  return {
    checksum: b.checksum + (m.counter === 'checksum' ? 1 : 0),
    version: b.version + (m.counter === 'version' ? 1 : 0),
    protoReason: m.proto ?? b.protoReason,
  };
}

/** The notifications a drop for `reason` of a packet from `source` sends (keepalived's conditions and objects). */
export function dropNotifications(src: MibSource, instance: string, reason: string, source: string): Notification[] {
  const s = src.config.globalDefs.snmp;
  const ic = src.config.vrrpInstances.find((i) => i.name === instance);
  const m = MEANINGS[reason];
  if (!s?.traps || !ic || !m || !ic.virtualIpaddress.length) return [];
  const ifx = ifindexOf(src.host, ic.interface);
  const int = (oid: readonly number[], value: number): VarBind => ({ oid, type: VarType.Integer, value });
  if (m.auth !== undefined && s.rfcv2 && ic.version === 2 && ic.family === 4)
    return [
      {
        trapOid: [...VRRP_RFC_OID, 0, 2],
        varbinds: [
          { oid: [...VRRP_RFC_OID, 1, 5, ifx, ic.virtualRouterId], type: VarType.IpAddress, value: addressBytes(source) ?? Buffer.alloc(4) },
          int([...VRRP_RFC_OID, 1, 6, ifx, ic.virtualRouterId], m.auth),
        ],
        detail: `(${instance}) Sending SNMP notification vrrpTrapAuthFailure`,
      },
    ];
  if (m.proto !== undefined && s.rfcv3)
    return [
      {
        trapOid: [...VRRP_RFCV3_OID, 0, 2],
        varbinds: [int([...VRRP_RFCV3_OID, 1, 2, 5, 1, 6, ifx, ic.virtualRouterId, ic.family === 4 ? 1 : 2], m.proto)],
        detail: `(${instance}) Sending SNMP notification vrrpTrapProtoError`,
      },
    ];
  return [];
}

/** The sums the RFC MIBs' global error counters show over `names` (the instances that MIB shows). */
export function sumErrors(counts: ReadonlyMap<string, RfcErrorCounts> | undefined, names: readonly string[]): { checksum: number; version: number } {
  let checksum = 0;
  let version = 0;
  for (const n of names) {
    const c = counts?.get(n);
    checksum += c?.checksum ?? 0;
    version += c?.version ?? 0;
  }
  return { checksum, version };
}
