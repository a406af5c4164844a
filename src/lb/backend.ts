/**
 * The load-balancer data plane as the checker runtime drives it: a port with two implementations, IPVS over
 * generic netlink (src/lb/ipvs) and nftables where the kernel has no IPVS (src/lb/nft). The checker core
 * (src/check) decides *what* a table holds; a backend only makes the kernel hold it.
 *
 * The unit of work is keepalived's `ipvs_cmd()`: one service or one destination added, edited or deleted. A
 * virtual server that names a `virtual_server_group` is expanded into one {@link LbService} per group entry by
 * the caller, so a backend never sees configuration objects. Every method reports failure as a value with a
 * stable code; a backend never throws across this port.
 */

/** Transport protocol of a service. IPVS numbers: TCP 6, UDP 17, SCTP 132. */
export type LbProtocol = 'TCP' | 'UDP' | 'SCTP';

/** How packets reach a real server (`lb_kind`): masquerading, direct routing, or a tunnel. */
export type LbMethod = 'NAT' | 'DR' | 'TUN';

/** What identifies a service in the kernel: address + protocol + port, or a firewall mark (+ family). */
export type LbServiceKey =
  | { readonly kind: 'address'; readonly family: 4 | 6; readonly protocol: LbProtocol; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly family: 4 | 6; readonly fwmark: number };

/** A virtual service with its scheduling settings (IPVS_SVC_ATTR_*). */
export interface LbService {
  readonly key: LbServiceKey;
  /** Scheduler name (`rr`, `wrr`, `lc`, `wlc`, `sh`, `mh`, …). */
  readonly scheduler: string;
  /** IP_VS_SVC_F_* bits other than PERSISTENT (which follows `timeoutSec`). */
  readonly flags: number;
  /** Persistence timeout in seconds; 0 = not persistent. */
  readonly timeoutSec: number;
  /** Persistence granularity: an IPv4 netmask as a prefix length, or an IPv6 prefix length (default 32 / 128). */
  readonly netmaskBits: number;
  /** Persistence engine (`sip`), if any. */
  readonly persistenceEngine?: string;
}

/** A real server of a service (IPVS_DEST_ATTR_*). */
export interface LbDest {
  readonly family: 4 | 6;
  readonly address: string;
  /** 0 for fwmark services with DR/TUN. */
  readonly port: number;
  readonly method: LbMethod;
  readonly weight: number;
  /** Connection thresholds; 0 = none. */
  readonly uthreshold: number;
  readonly lthreshold: number;
  /** TUN only. */
  readonly tunnelType?: 'ipip' | 'gue' | 'gre';
  readonly tunnelPort?: number;
  readonly tunnelChecksum?: 'nocsum' | 'csum' | 'remcsum';
}

/** Counters of a service or destination, as IPVS reports them (`ipvsadm --stats` / `--rate`). */
export interface LbCounters {
  readonly connections: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Rates per second over the kernel's estimator window; undefined where the backend has none. */
  readonly cps?: number;
  readonly ppsIn?: number;
  readonly ppsOut?: number;
  readonly bpsIn?: number;
  readonly bpsOut?: number;
}

/** A destination as read back from the kernel. */
export interface LbDestState extends LbDest {
  readonly activeConnections: number;
  readonly inactiveConnections: number;
  readonly counters: LbCounters;
}

/** A service as read back from the kernel, with its destinations. */
export interface LbServiceState extends LbService {
  readonly dests: readonly LbDestState[];
  readonly counters: LbCounters;
}

/** Stable error codes at this port (the text stays free for the kernel's words). */
export type LbErrorCode =
  | 'LB_UNAVAILABLE' // the kernel lacks the data plane (no IPVS family / no nftables)
  | 'LB_EXISTS' // EEXIST
  | 'LB_NOT_FOUND' // ESRCH / ENOENT
  | 'LB_UNSUPPORTED' // an option this backend cannot honour (e.g. TUN on nftables)
  | 'LB_KERNEL'; // any other kernel refusal

/** A failure of one backend operation. */
export interface LbError {
  readonly code: LbErrorCode;
  /** Kernel or backend text, e.g. `EEXIST: Service already exists`. */
  readonly message: string;
}

/** Global IPVS-like settings (`lvs_timeouts`, `lvs_sync_daemon`). Backends ignore what they cannot honour and say so. */
export interface LbGlobals {
  /** `lvs_timeouts tcp N tcpfin N udp N` in seconds; undefined = leave as is. */
  readonly timeouts?: { readonly tcpSec?: number; readonly tcpFinSec?: number; readonly udpSec?: number };
  /** `lvs_sync_daemon IFNAME VRRP_INSTANCE [id N] [maxlen N] [port N] [ttl N] [group IP]`. */
  readonly syncDaemon?: {
    readonly state: 'master' | 'backup';
    readonly ifname: string;
    readonly syncId: number;
    readonly maxlen?: number;
    readonly port?: number;
    readonly ttl?: number;
    readonly group?: string;
  };
}

/**
 * Something the runtime should log once (LOG_INFO): an option a backend runs as its nearest equivalent, e.g.
 * the nftables backend scheduling `wlc` as `wrr`. Not an error: the service works, differently.
 */
export interface LbNotice {
  readonly service?: LbServiceKey;
  readonly text: string;
}

/** A load-balancer data plane. */
export interface LbBackend {
  /** `ipvs` or `nftables`. */
  readonly name: 'ipvs' | 'nftables';
  /** Opens kernel handles; resolves with an error when the data plane is not usable on this kernel. */
  open(): Promise<LbError | undefined>;
  addService(s: LbService): Promise<LbError | undefined>;
  /** Changes scheduler, flags or persistence of an existing service (IPVS_CMD_SET_SERVICE). */
  editService(s: LbService): Promise<LbError | undefined>;
  delService(key: LbServiceKey): Promise<LbError | undefined>;
  addDest(key: LbServiceKey, d: LbDest): Promise<LbError | undefined>;
  /** Changes weight, thresholds or method of an existing destination (IPVS_CMD_SET_DEST). */
  editDest(key: LbServiceKey, d: LbDest): Promise<LbError | undefined>;
  delDest(key: LbServiceKey, d: Pick<LbDest, 'family' | 'address' | 'port'>): Promise<LbError | undefined>;
  /** Everything the kernel holds now (for reconciliation at start-up, reload diffs and `status --lvs`). */
  list(): Promise<readonly LbServiceState[] | LbError>;
  /** Applies global settings. */
  setGlobals(g: LbGlobals): Promise<LbError | undefined>;
  /** Removes every service (`lvs_flush`). */
  flush(): Promise<LbError | undefined>;
  close(): Promise<void>;
  /** Notices raised since the last call (optional: a backend that honours everything has none). */
  takeNotices?(): readonly LbNotice[];
}

/** Text of a service key in keepalived's FMT_VS style: `[192.0.2.1]:tcp:80`, `FWM 5`. */
export function serviceKeyText(k: LbServiceKey): string {
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}`;
  return `[${k.address}]:${k.protocol.toLowerCase()}:${k.port}`;
}

/** Equality of two service keys (addresses compared as written: callers pass canonical text). */
export function sameServiceKey(a: LbServiceKey, b: LbServiceKey): boolean {
  if (a.kind === 'fwmark') return b.kind === 'fwmark' && a.family === b.family && a.fwmark === b.fwmark;
  return b.kind === 'address' && a.family === b.family && a.protocol === b.protocol && a.address === b.address && a.port === b.port;
}
