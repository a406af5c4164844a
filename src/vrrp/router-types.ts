/**
 * The contract of the VRRP router (router.ts): what an instance is made of when it is added, and the actions the
 * router returns. The router's actions are the state machine's (actions.ts) with `sendAdvert` replaced by
 * `transmit` (the encoded bytes), plus what only the router knows: accepted and dropped packets, removed instances.
 */
import type { VrrpAction } from './actions.js';
import type { VrrpInstanceParams } from './instance-params.js';
import type { AuthTypeValue, VrrpStateValue } from './types.js';
import type { DropReason, UnicastPeerExpectation } from './validate.js';

/** Everything the router needs to know about one instance besides its state machine parameters. */
export interface RouterInstanceSpec {
  readonly params: VrrpInstanceParams;
  /**
   * The socket the instance sends and receives on, as the driver names it. Received packets are dispatched by
   * (socketKey, VRID); `transmit` actions name it. The Linux runtime shares one socket per (family, interface)
   * between multicast instances.
   */
  readonly socketKey: string;
  /** The interface whose carrier the instance follows (the VMAC's parent with use_vmac). */
  readonly ifindex: number;
  /** Our source address: the IP source of our adverts; received packets from it are ignored (our own echo). */
  readonly source: string;
  /** The multicast group (224.0.0.18 / ff02::12 unless configured); unused with unicast peers. */
  readonly group: string;
  /** VRRPv2 authentication (auth_type and the 8 NUL-padded bytes of auth_pass); none when absent. */
  readonly auth?: { readonly type: AuthTypeValue; readonly data?: Uint8Array };
  /** unicast_peer entries with their TTL ranges; default the addresses of `params.unicastPeers`. */
  readonly unicastPeers?: readonly UnicastPeerExpectation[];
  readonly skipCheckAdvAddr?: boolean;
  readonly checkUnicastSrc?: boolean;
  /** v3/IPv4: keepalived's legacy unicast checksum (old_unicast_checksum). */
  readonly oldUnicastChecksum?: boolean;
  /** IPv4 TTL of adverts we build with their IP header (auth_type AH): unicast_ttl for unicast instances; default 255. */
  readonly ttl?: number;
}

/**
 * keepalived's per-instance auth_type AH state: the sequence counter shared by send and receive
 * (ipsecah_counter: `sequence`, and `cycle` once it reached its limit) and the instance's own IP ID counter.
 * It survives a reload, as in keepalived.
 */
export interface AhCounter {
  sequence: number;
  cycle: boolean;
  ipId: number;
}

/** A vrrp_sync_group as the router needs it: its name and its members' instance names, in configuration order. */
export interface RouterSyncGroup {
  readonly name: string;
  readonly members: readonly string[];
}

/** The pure part of a reload (the runtime plans it from the configurations and starts added instances itself). */
export interface RouterReload {
  /** Instances to stop (priority 0 when MASTER, VIPs released) and forget. */
  readonly remove: readonly string[];
  /** Instances that stay, with new parameters (state kept, VIP lists diffed). */
  readonly update: readonly RouterInstanceSpec[];
}

/** Everything the router asks its driver to do or tells its observers. */
export type RouterAction =
  | Exclude<VrrpAction, { readonly kind: 'sendAdvert' }>
  | {
      /** Send `bytes` (the VRRP message, no IP header, unless `ipHeader`) on the socket `socketKey` to `destination`. */
      readonly kind: 'transmit';
      readonly instance: string;
      readonly socketKey: string;
      readonly destination: string;
      readonly bytes: Uint8Array;
      /** `bytes` is the whole IPv4 packet (auth_type AH: IPv4 header + AH + VRRP, sent with IP_HDRINCL). */
      readonly ipHeader?: boolean;
      readonly priority: number;
      /** For adverts sent because Adver_Timer expired: how late the expiry was handled (ms). */
      readonly lateMs?: number;
    }
  | {
      /** A received advert passed every check and went to the instance. */
      readonly kind: 'advertReceived';
      readonly instance: string;
      readonly source: string;
      readonly priority: number;
      /** The instance's state when the advert arrived. */
      readonly localState: VrrpStateValue;
    }
  | {
      /** A received packet was refused (every drop, not rate limited; the log line is). */
      readonly kind: 'dropped';
      readonly instance: string;
      readonly reason: DropReason;
      readonly source: string;
    }
  | {
      /** A reload removed the instance (after its shutdown actions): notify DELETED, forget its resources. */
      readonly kind: 'instanceRemoved';
      readonly instance: string;
      readonly priority: number;
    };
