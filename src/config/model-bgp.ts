/**
 * keepalived-ts's BGP announcement configuration (an extension: keepalived 2.2.7 has no such keywords). Everything
 * lives under names keepalived does not use: a top-level `bgp_announce { … }` block (the engine and the route
 * attributes; not inside `global_defs`, whose parser in keepalived 2.2.7 would end at the nested block's `}`) and the `bgp_announce`, `bgp_med`, `bgp_community` keywords of a `vrrp_instance` (which VIPs,
 * and when). src/config/parse-bgp.ts reads them; src/runtime/bgp runs them in the `bgp` child.
 */
import type { SourcePos } from './diagnostics.js';

/** Where the routes go: a GoBGP daemon over its gRPC API, or a kernel routing table for FRR/BIRD to redistribute. */
export type BgpEngine = 'gobgp' | 'kernel';

/** The kernel route's type in `engine kernel`: `blackhole`, or a unicast route `dev lo`. */
export type KernelRouteType = 'blackhole' | 'lo';

/** Debian's golang-github-osrg-gobgp-dev puts GoBGP's API definitions here. */
export const DEFAULT_GOBGP_PROTO_DIR = '/usr/share/gocode/src/github.com/osrg/gobgp/api';

/** gobgpd's default gRPC address. */
export const DEFAULT_GOBGP_API = '127.0.0.1:50051';

/** Debian's gobgpd. */
export const DEFAULT_GOBGPD = '/usr/bin/gobgpd';

/** RFC 8326 GRACEFUL_SHUTDOWN community (65535:0). */
export const GRACEFUL_SHUTDOWN_COMMUNITY = 0xffff0000;

/** The top-level `bgp_announce { … }` block. */
export interface BgpAnnounceConfig {
  readonly pos: SourcePos;
  readonly engine: BgpEngine;
  /** `gobgp_api HOST:PORT`: gobgpd's gRPC address. */
  readonly gobgpApi: string;
  /** `gobgp_proto_dir DIR`: where gobgp.proto, attribute.proto, capability.proto are read at run time. */
  readonly gobgpProtoDir: string;
  /** `gobgpd_config FILE`: set = keepalived-ts starts and supervises gobgpd with this configuration file. */
  readonly gobgpdConfig?: string;
  /** `gobgpd_path PATH`: the gobgpd binary when we start it. */
  readonly gobgpdPath: string;
  /**
   * `gobgpd_pid_file PATH`: where the pid of a gobgpd we start is written (default: /run/keepalived-ts/gobgpd-<hash
   * of gobgpd_config and gobgp_api>.pid); a gobgpd left there by an earlier run is stopped before ours starts.
   */
  readonly gobgpdPidFile?: string;
  /** `next_hop self|ADDRESS`: `self` = the engine's own address towards each peer (0.0.0.0 / :: in the path). */
  readonly nextHop: 'self' | string;
  /** `med N`. */
  readonly med?: number;
  /** `community A:B …` as 32-bit values. */
  readonly communities: readonly number[];
  /**
   * `graceful_shutdown SECONDS` (0 = off): a planned withdrawal (stop, state or quorum loss) first re-announces the
   * route with GRACEFUL_SHUTDOWN (65535:0) and withdraws it this long after.
   */
  readonly gracefulShutdownMs: number;
  /** `table N` (engine kernel; default 254, main). */
  readonly table: number;
  /** `proto N` (engine kernel; default 18, keepalived's RTPROT). */
  readonly proto: number;
  /** `route_type blackhole|lo` (engine kernel; default blackhole). */
  readonly routeType: KernelRouteType;
}

/** When an instance's VIPs are announced. */
export type AnnounceCondition = 'master' | 'quorum' | 'master_quorum';

/** A `vrrp_instance`'s `bgp_announce [master|quorum|master_quorum]`, `bgp_med N`, `bgp_community A:B …`. */
export interface InstanceBgpAnnounce {
  readonly pos: SourcePos;
  readonly when: AnnounceCondition;
  readonly med?: number;
  readonly communities: readonly number[];
}
