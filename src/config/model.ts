/**
 * The typed, readonly configuration model (separate from runtime objects). Every node carries the position of the
 * keyword that declared it, so reload diffs and runtime warnings can cite the file.
 *
 * Covered so far: global_defs (VRRP-related keys), vrrp_instance, vrrp_sync_group, vrrp_script. The rest of
 * keepalived's blocks are kept as raw trees (`unparsed`) and reported as "not supported yet".
 */
import type { SourcePos } from './diagnostics.js';
import type { ConfNode } from './tree.js';

/** A command line for a script (notify, track script), as written and as keepalived splits it. */
export interface ScriptCommand {
  readonly command: string;
  readonly user?: string;
  readonly group?: string;
  readonly pos: SourcePos;
}

/** `global_defs`. Times are in milliseconds. */
export interface GlobalDefs {
  readonly routerId?: string;
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom?: string;
  readonly smtpServer?: { readonly host: string; readonly port: number };
  readonly smtpHeloName?: string;
  readonly smtpConnectTimeoutMs: number;
  readonly smtpAlert?: boolean;
  readonly vrrpMcastGroup4: string;
  readonly vrrpMcastGroup6: string;
  readonly vrrpStrict: boolean;
  readonly vrrpSkipCheckAdvAddr: boolean;
  readonly vrrpIptables?: readonly string[];
  readonly vrrpGarpIntervalMs: number;
  readonly vrrpGnaIntervalMs: number;
  readonly vrrpGarpMasterDelayMs: number;
  readonly vrrpGarpMasterRepeat: number;
  readonly vrrpGarpMasterRefreshMs: number;
  readonly vrrpGarpMasterRefreshRepeat: number;
  readonly vrrpGarpLowerPrioDelayMs?: number;
  readonly vrrpGarpLowerPrioRepeat?: number;
  readonly vrrpVersion: 2 | 3;
  readonly scriptUser?: { readonly user: string; readonly group?: string };
  readonly enableScriptSecurity: boolean;
  readonly notifyFifo?: string;
  readonly vrrpNotifyFifo?: string;
  readonly pos?: SourcePos;
}

/** One `virtual_ipaddress` line: `<ip>[/len] [brd X] [dev IF] [scope S] [label L] [peer P] [-nodad] …`. */
export interface VirtualAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly prefixLength: number;
  readonly broadcast?: string;
  readonly dev?: string;
  readonly scope?: string;
  readonly label?: string;
  readonly peer?: string;
  readonly noDad: boolean;
  readonly pos: SourcePos;
}

/** A `track_*` entry of an instance or sync group. */
export interface TrackRef {
  readonly name: string;
  readonly weight?: number;
  readonly reverse: boolean;
  readonly pos: SourcePos;
}

/** `vrrp_instance NAME { … }` after keepalived's post-parse fix-ups. */
export interface VrrpInstanceConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly state: 'MASTER' | 'BACKUP';
  readonly interface?: string;
  readonly virtualRouterId: number;
  readonly priority: number;
  /** advert_int in ms, already rounded per version (v2 whole seconds, v3 10 ms). */
  readonly advertIntervalMs: number;
  readonly version: 2 | 3;
  readonly family: 4 | 6;
  readonly authentication?: { readonly type: 'PASS' | 'AH'; readonly password: string };
  readonly virtualIpaddress: readonly VirtualAddress[];
  readonly virtualIpaddressExcluded: readonly VirtualAddress[];
  readonly nopreempt: boolean;
  readonly preemptDelayMs: number;
  readonly unicastSrcIp?: string;
  readonly unicastPeers: readonly { readonly address: string; readonly minTtl?: number; readonly maxTtl?: number }[];
  readonly mcastSrcIp?: string;
  readonly trackInterface: readonly TrackRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
  readonly dontTrackPrimary: boolean;
  readonly strictMode: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly accept: boolean;
  readonly useVmac?: { readonly name?: string };
  readonly garpMasterDelayMs: number;
  readonly garpMasterRepeat: number;
  readonly garpMasterRefreshMs: number;
  readonly garpMasterRefreshRepeat: number;
  readonly garpLowerPrioDelayMs: number;
  readonly garpLowerPrioRepeat: number;
  readonly downTimerAdverts: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly notify: {
    readonly master?: ScriptCommand; readonly backup?: ScriptCommand; readonly fault?: ScriptCommand;
    readonly stop?: ScriptCommand; readonly deleted?: ScriptCommand; readonly generic?: ScriptCommand;
    readonly masterRxLowerPri?: ScriptCommand;
  };
  readonly smtpAlert?: boolean;
}

/** `vrrp_sync_group NAME { group { … } … }`. */
export interface VrrpSyncGroupConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly group: readonly string[];
  readonly notify: VrrpInstanceConfig['notify'];
  readonly smtpAlert?: boolean;
}

/** `vrrp_script NAME { … }`. Times in ms. */
export interface VrrpScriptConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly script: ScriptCommand;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly weight: number;
  readonly reverse: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly initFail: boolean;
}

/** The whole configuration. */
export interface KeepalivedConfig {
  readonly globalDefs: GlobalDefs;
  readonly vrrpInstances: readonly VrrpInstanceConfig[];
  readonly vrrpSyncGroups: readonly VrrpSyncGroupConfig[];
  readonly vrrpScripts: readonly VrrpScriptConfig[];
  /** Top-level blocks the typed model does not cover yet, kept verbatim. */
  readonly unparsed: readonly ConfNode[];
}
