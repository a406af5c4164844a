/**
 * The typed, readonly model of keepalived's load-balancer configuration: `virtual_server_group`, `virtual_server`,
 * its `real_server`s and their health checkers, after keepalived 2.2.7's post-parse fix-ups
 * (check_data.c `validate_check_config`, ipwrapper.c `link_vsg_to_vs`): every default is filled in, so the
 * runtime never walks the checker → real server → virtual server inheritance chain itself.
 *
 * Times are in milliseconds, like the rest of the model. Addresses are kept as written unless a field says otherwise.
 */
import type { SourcePos } from './diagnostics.js';
import type { ScriptCommand } from './model.js';

/** An IPVS forwarding method (`lb_kind`/`lvs_method`): masquerading, direct routing or tunnelling. */
export type LvsMethod = 'NAT' | 'DR' | 'TUN';

/** How IPVS forwards to one server, with the tunnel options keepalived accepts after `TUN`. */
export interface LvsForwarding {
  readonly method: LvsMethod;
  /** TUN only: encapsulation (`type ipip|gue|gre`), default ipip. */
  readonly tunnelType?: 'ipip' | 'gue' | 'gre';
  /** TUN with gue only: the UDP port of the tunnel (`port N`), required there and forbidden elsewhere. */
  readonly tunnelPort?: number;
  /** TUN only: tunnel checksum option (`nocsum` default, `csum`, `remcsum`). */
  readonly tunnelChecksum?: 'nocsum' | 'csum' | 'remcsum';
}

/** IPVS service flag bits (`IP_VS_SVC_F_*`, linux/ip_vs.h) that keepalived sets from keywords. */
export const IPVS_SVC_FLAG = {
  /** `ops`: one-packet scheduling (UDP only). */
  ONEPACKET: 0x0004,
  /** `flag-1`, and `sh-fallback`/`mh-fallback` for the sh/mh schedulers. */
  SCHED1: 0x0008,
  /** `flag-2`, and `sh-port`/`mh-port` for the sh/mh schedulers. */
  SCHED2: 0x0010,
  /** `flag-3`. */
  SCHED3: 0x0020,
} as const;

/**
 * Where a checker connects (`connect_ip`, `connect_port`, `bindto`, `bind_port`, `bind_if`, `connect_timeout`,
 * `fwmark`). The destination defaults to the real server's address and port.
 */
export interface CheckerConnection {
  readonly connectIp: string;
  readonly connectPort: number;
  readonly bindto?: string;
  readonly bindPort?: number;
  readonly bindIf?: string;
  /** connect_timeout; default the real server's, else the virtual server's (5 s). */
  readonly connectTimeoutMs: number;
  /** SO_MARK for the checker's socket. */
  readonly fwmark?: number;
}

/** The retry and scheduling settings every launched checker has, resolved from checker → real server → virtual server. */
export interface CheckerTiming {
  /** Failures tolerated before the checker goes down (`retry`, alias `nb_get_retry`). */
  readonly retry: number;
  /** Wait after a failed attempt before retrying. */
  readonly delayBeforeRetryMs: number;
  /** Random delay (0…warmup) before the first check; default the delay loop. */
  readonly warmupMs: number;
  /** Interval between checks. */
  readonly delayLoopMs: number;
  /** Alpha mode: the checker starts as failed. */
  readonly alpha: boolean;
  /** Log every failure, not only state changes. */
  readonly logAllFailures: boolean;
}

/** `TCP_CHECK`: a TCP connect. Defaults retry 1, delay_before_retry 1 s. */
export interface TcpCheck extends CheckerTiming {
  readonly type: 'TCP_CHECK';
  readonly pos: SourcePos;
  readonly connection: CheckerConnection;
}

/** One `url { … }` of HTTP_GET/SSL_GET. */
export interface HttpUrl {
  readonly path: string;
  /** MD5 of the body, lower-case hex (32 characters). */
  readonly digest?: string;
  /** Accepted status codes as sorted, merged inclusive ranges; default [[200, 299]]. */
  readonly statusCodes: readonly (readonly [number, number])[];
  /** Host header: the url's, else the checker's, else the real server's, else the virtual server's. */
  readonly virtualhost?: string;
  /** A PCRE2 pattern the body must (or, with `regexNoMatch`, must not) match. */
  readonly regex?: string;
  readonly regexNoMatch: boolean;
  /** PCRE2 option names from `regex_options` (keepalived's spelling, e.g. `caseless`). */
  readonly regexOptions: readonly string[];
  readonly regexMinOffset: number;
  /** One past the last acceptable match position (keepalived stores `regex_max_offset` + 1); 0 = no limit. */
  readonly regexMaxOffset: number;
}

/**
 * The top-level `SSL` block: the TLS client context every SSL_GET checker shares (keepalived check_ssl.c). Paths
 * as written; read when the checker starts. The server's certificate is not verified, with or without `ca`.
 */
export interface SslConfig {
  /** Passphrase of an encrypted `key`. */
  readonly password?: string;
  /** PEM CA file (loaded, as keepalived loads it; it must parse). */
  readonly ca?: string;
  /** PEM client certificate chain (leaf first). */
  readonly certificate?: string;
  /** PEM private key of `certificate`. */
  readonly key?: string;
}

/** `HTTP_GET` / `SSL_GET`. Defaults retry 1, delay_before_retry 3 s, HTTP/1.0. */
export interface HttpCheck extends CheckerTiming {
  readonly type: 'HTTP_GET' | 'SSL_GET';
  readonly pos: SourcePos;
  readonly connection: CheckerConnection;
  /** The checker-level `virtualhost` (already applied to each url's `virtualhost`). */
  readonly virtualhost?: string;
  /** `http_protocol`: 1.0 (default), 1.0C (1.0 with `Connection: close`), 1.1. */
  readonly httpProtocol: '1.0' | '1.0C' | '1.1';
  /** Send the virtual host as TLS SNI (SSL_GET). */
  readonly enableSni: boolean;
  /** Retry a failed url at once instead of after delay_before_retry once the server is up again. */
  readonly fastRecovery: boolean;
  readonly urls: readonly HttpUrl[];
}

/** `MISC_CHECK`: runs a script; exit 0 = up (with `misc_dynamic`, 2..255 set the weight). Default retry 0. */
export interface MiscCheck extends CheckerTiming {
  readonly type: 'MISC_CHECK';
  readonly pos: SourcePos;
  readonly script: ScriptCommand;
  /** `misc_timeout` (whole seconds); default the virtual server's delay loop, as keepalived does. */
  readonly timeoutMs: number;
  readonly dynamic: boolean;
}

/** `SMTP_CHECK`: HELO dialogue. Each deprecated `host { … }` block becomes a checker of its own, as in keepalived. */
export interface SmtpCheck extends CheckerTiming {
  readonly type: 'SMTP_CHECK';
  readonly pos: SourcePos;
  readonly connection: CheckerConnection;
  /** Default `smtpchecker.keepalived.org`. */
  readonly heloName: string;
}

/** A DNS query type `DNS_CHECK` knows. */
export type DnsQueryType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA' | 'RRSIG' | 'DNSKEY';

/** `DNS_CHECK`: a query that must be answered. Defaults retry 3, delay_before_retry = delay loop, type SOA, name "" (root). */
export interface DnsCheck extends CheckerTiming {
  readonly type: 'DNS_CHECK';
  readonly pos: SourcePos;
  readonly connection: CheckerConnection;
  readonly queryType: DnsQueryType;
  readonly name: string;
}

/** `UDP_CHECK`: sends a payload; with `require_reply` a reply (optionally matching bytes) must come back. */
export interface UdpCheck extends CheckerTiming {
  readonly type: 'UDP_CHECK';
  readonly pos: SourcePos;
  readonly connection: CheckerConnection;
  /** Bytes to send (`payload` hex); none = an empty datagram. */
  readonly payload?: readonly number[];
  readonly requireReply: boolean;
  /** Expected reply bytes; `mask` has 0x0f/0xf0 set for wildcard nibbles (`x` in the hex). */
  readonly reply?: { readonly data: readonly number[]; readonly mask?: readonly number[] };
  /** Accepted reply length range; default 0..255. */
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
}

/** `PING_CHECK`: ICMP/ICMPv6 echo. */
export interface PingCheck extends CheckerTiming {
  readonly type: 'PING_CHECK';
  readonly pos: SourcePos;
  readonly connection: CheckerConnection;
}

/** `FILE_CHECK`: a `track_file` whose value (times weight) adjusts or fails the real server. Not a launched checker. */
export interface FileCheck {
  readonly type: 'FILE_CHECK';
  readonly pos: SourcePos;
  /** Name of a top-level `track_file` block. */
  readonly trackFile: string;
  /** Multiplier; unset = the track_file's own weight. */
  readonly weight?: number;
  readonly reverse: boolean;
}

/** `BFD_CHECK`: follows a `bfd_instance`. Not a launched checker. */
export interface BfdCheck {
  readonly type: 'BFD_CHECK';
  readonly pos: SourcePos;
  /** Name of a top-level `bfd_instance` block. */
  readonly name: string;
  readonly alpha: boolean;
}

/** Any health checker of a real server, discriminated by keepalived's keyword. */
export type CheckerConfig = TcpCheck | HttpCheck | MiscCheck | SmtpCheck | DnsCheck | UdpCheck | PingCheck | FileCheck | BfdCheck;

/** `real_server <ip> [<port>] { … }` after keepalived's fix-ups. */
export interface RealServerConfig {
  readonly pos: SourcePos;
  readonly address: string;
  readonly family: 4 | 6;
  /** The port IPVS uses: 0 for fwmark services (non-NAT), else the virtual server's when unset or (non-NAT) different. */
  readonly port: number;
  /** IPVS weight; default the virtual server's `weight` (1). */
  readonly weight: number;
  readonly forwarding: LvsForwarding;
  /** Set weight 0 instead of removing the server when it fails. */
  readonly inhibitOnFailure: boolean;
  readonly notifyUp?: ScriptCommand;
  readonly notifyDown?: ScriptCommand;
  /** IPVS upper/lower connection thresholds; 0 = none. */
  readonly uthreshold: number;
  readonly lthreshold: number;
  readonly alpha: boolean;
  /** Defaults handed to this server's checkers (resolved into each checker already). */
  readonly retry?: number;
  readonly delayBeforeRetryMs?: number;
  readonly warmupMs?: number;
  readonly connectTimeoutMs: number;
  readonly delayLoopMs: number;
  readonly smtpAlert: boolean;
  readonly virtualhost?: string;
  readonly snmpName?: string;
  readonly checkers: readonly CheckerConfig[];
}

/** `sorry_server <ip> [<port>]` with `sorry_server_inhibit` and `sorry_server_lvs_method`. */
export interface SorryServerConfig {
  readonly pos: SourcePos;
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly forwarding: LvsForwarding;
  readonly inhibit: boolean;
}

/** What a virtual server balances: an address and port, a firewall mark, or a `virtual_server_group`. */
export type VirtualService =
  | { readonly kind: 'address'; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly fwmark: number }
  | { readonly kind: 'group'; readonly group: string };

/** `virtual_server <ip> <port> | fwmark <n> | group <name> { … }` after keepalived's fix-ups. */
export interface VirtualServerConfig {
  readonly pos: SourcePos;
  readonly service: VirtualService;
  /** Address family of the service (from the address, `ip_family`, the group, or the real servers; else 4). */
  readonly family: 4 | 6;
  /** Transport protocol; unset for fwmark services (IPVS ignores it). keepalived defaults a missing one to UDP. */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** IPVS scheduler (`lb_algo`/`lvs_sched`); default wlc. */
  readonly scheduler: string;
  /** Default forwarding for the real servers (`lb_kind`/`lvs_method`); default NAT. */
  readonly forwarding: LvsForwarding;
  /** IPVS service flags, bits of {@link IPVS_SVC_FLAG}. */
  readonly flags: number;
  /** 0 = not persistent. */
  readonly persistenceTimeoutMs: number;
  /** IPv4 netmask text, or an IPv6 prefix length. */
  readonly persistenceGranularity?: string | number;
  readonly persistenceEngine?: string;
  readonly virtualhost?: string;
  readonly sorryServer?: SorryServerConfig;
  /** Minimum total weight of live real servers for the service to be up (≤ the sum of weights). */
  readonly quorum: number;
  /** Quorum hysteresis (< quorum). */
  readonly hysteresis: number;
  readonly quorumUp?: ScriptCommand;
  readonly quorumDown?: ScriptCommand;
  readonly alpha: boolean;
  readonly omega: boolean;
  readonly haSuspend: boolean;
  readonly inhibitOnFailure: boolean;
  readonly smtpAlert: boolean;
  /** Defaults handed to the real servers (already resolved into them). */
  readonly connectTimeoutMs: number;
  readonly delayLoopMs: number;
  readonly retry?: number;
  readonly delayBeforeRetryMs?: number;
  readonly warmupMs?: number;
  readonly weight: number;
  readonly snmpName?: string;
  readonly realServers: readonly RealServerConfig[];
}

/** One line of a `virtual_server_group`: an address range with a port, or a firewall mark. */
export type VirtualServerGroupEntry =
  | {
      readonly kind: 'range';
      readonly pos: SourcePos;
      readonly family: 4 | 6;
      /** First and last address of the range, canonical text (equal for a single address). */
      readonly start: string;
      readonly end: string;
      /** 0 = any port (only valid for persistent services). */
      readonly port: number;
    }
  | { readonly kind: 'fwmark'; readonly pos: SourcePos; readonly fwmark: number; readonly family?: 4 | 6 };

/** `virtual_server_group NAME { <ip>[-<end>|/<len>] <port> … fwmark <n> [inet|inet6] … }`. */
export interface VirtualServerGroupConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly entries: readonly VirtualServerGroupEntry[];
}
