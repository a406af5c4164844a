/**
 * Repeats of an accepted advert (issue 17). A backup hears the same advert from its master every
 * Advertisement_Interval. The receive checks (validate.ts checkReceived) are a function of the packet, what the
 * kernel told about it (RxMeta) and the instance's expectations; a packet equal to the last accepted one in every
 * byte those checks read, with the same RxMeta and the same expectations, gets the same verdict — so it is not decoded
 * and checked again, and the decoded advert is reused.
 *
 * Bytes the checks never read are left out of the comparison: in an IPv4 header the TOS, the ID (the sender's kernel
 * sets it per packet), flags/fragment offset and the header checksum. Adverts with AH carry a sequence number that
 * must grow, so the router never uses this for them.
 */
import type { RxMeta } from './types.js';
import type { Accept } from './validate.js';

/** IPv4 header bytes the checks do not read: TOS (1), ID (4-5), flags/fragment (6-7), header checksum (10-11). */
const IPV4_UNREAD = [false, true, false, false, true, true, true, true, false, false, true, true];

/** The last advert an instance accepted and its verdict. */
export class AcceptedAdvert {
  private bytes = new Uint8Array(0);
  private length = 0;
  private ipv4 = false;
  private source = '';
  private destination = '';
  private ttl = -1;
  private ifindex = -1;
  private expect: object | undefined;
  private wire: object | undefined;
  private verdict: Accept | undefined;

  /**
   * The verdict of the remembered advert when `bytes` and `meta` repeat it under the same `expect` and `wire` (the
   * objects the checks ran with: the instance's expectations and its wire settings, replaced and never changed in
   * place); undefined otherwise.
   */
  repeatOf(bytes: Uint8Array, meta: RxMeta, expect: object, wire: object): Accept | undefined {
    const v = this.verdict;
    if (v === undefined || expect !== this.expect || wire !== this.wire || bytes.length !== this.length) return undefined;
    if (meta.source !== this.source || meta.destination !== this.destination || meta.ttl !== this.ttl || meta.ifindex !== this.ifindex)
      return undefined;
    const last = this.bytes;
    const skipHeader = this.ipv4 ? IPV4_UNREAD.length : 0;
    for (let i = 0; i < skipHeader; i++) if (!IPV4_UNREAD[i] && bytes[i] !== last[i]) return undefined;
    for (let i = skipHeader; i < bytes.length; i++) if (bytes[i] !== last[i]) return undefined;
    return v;
  }

  /** Remembers an accepted advert (its bytes are copied: the caller's buffer may be reused). */
  remember(bytes: Uint8Array, meta: RxMeta, expect: object, wire: object, verdict: Accept, ipv4Header: boolean): void {
    if (this.bytes.length < bytes.length) this.bytes = new Uint8Array(bytes.length);
    this.bytes.set(bytes);
    this.length = bytes.length;
    this.ipv4 = ipv4Header;
    this.source = meta.source;
    this.destination = meta.destination;
    this.ttl = meta.ttl;
    this.ifindex = meta.ifindex;
    this.expect = expect;
    this.wire = wire;
    this.verdict = verdict;
  }

  /** Forgets the advert (the next one is checked in full). */
  clear(): void {
    this.verdict = undefined;
    this.expect = undefined;
    this.wire = undefined;
  }
}
