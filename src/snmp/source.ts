/**
 * What the MIB builders read: the configuration model, the runtime snapshot and a few host facts, behind one
 * interface, so that they never see a runtime object (the subagent in the child's runtime layer fills it).
 */
import type { KeepalivedConfig } from '../config/model.js';
import type { RuntimeSnapshot } from '../runtime/snapshot.js';
import type { RfcErrorCounts } from './rfc-errors.js';

/** Facts about the host the MIBs show (interface indexes and addresses, the node name). */
export interface HostFacts {
  /** The interface's ifindex, when it exists. */
  ifindex(name: string): number | undefined;
  /** The interface's primary IPv4 address (4 bytes), when it has one. */
  ipv4(name: string): Buffer | undefined;
  /** The interface's first link-local IPv6 address (16 bytes), when it has one. */
  ipv6(name: string): Buffer | undefined;
  /** The interface's hardware address, when it has one. */
  hwaddr(name: string): Buffer | undefined;
  /** A script's path as keepalived shows it (symbolic links resolved, as its script security check does). */
  realPath(path: string): string;
  /** An interface group's name from /etc/iproute2/group, when the file names it (keepalived's get_rttables_group). */
  ifGroupName?(id: number): string | undefined;
  /** uname's node name (keepalived's default router_id). */
  readonly nodeName: string;
}

/** Everything one request's MIB view is built from. */
export interface MibSource {
  readonly config: KeepalivedConfig;
  readonly snapshot: RuntimeSnapshot;
  readonly host: HostFacts;
  /** keepalived's version string (`Keepalived v2.2.7 (01/16,2022)`); ours names keepalived-ts. */
  readonly version: string;
  /** Wall-clock ms the VRRP subagent started (keepalived's snmp_vrrp_start_time, for the RFC uptime columns). */
  readonly startedWallMs: number;
  /** Wall-clock ms each instance left INIT (vrrpOperVrUpTime's moment); absent until it did. */
  readonly upSinceMs: ReadonlyMap<string, number>;
  /** Each instance's checksum/version error counts and last protocol error (the RFC MIBs' error objects). */
  readonly rfcErrors?: ReadonlyMap<string, RfcErrorCounts>;
}

/** The interface's ifindex, 0 when there is no interface or it does not exist (keepalived's `ifp ? index : 0`). */
export function ifindexOf(host: HostFacts, name: string | undefined): number {
  return (name !== undefined && host.ifindex(name)) || 0;
}
