/**
 * The pure part of DNS_CHECK: the query keepalived builds (check_dns.c `dns_make_query`: RD set, one question of
 * the configured type and name, class IN) and its reading of a reply (`dns_recv_thread`): replies shorter than
 * the header, with another id, or without QR are ignored (the read goes on); a non-zero RCODE fails; anything
 * else succeeds — keepalived does not look at the answer count.
 */
import type { DnsQueryType } from '../config/model-lvs.js';

/** The RR type numbers of the query types keepalived knows (RFC 1035, 3596, 4034). */
export const DNS_TYPE_CODE: Readonly<Record<DnsQueryType, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  RRSIG: 46,
  DNSKEY: 48,
};

/** The DNS header's length. */
export const DNS_HEADER_LENGTH = 12;

/** The wire form of `name` as keepalived writes it: labels split at dots, a root label unless the name is ".". */
export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  let s = 0;
  while (s < name.length) {
    let e = name.indexOf('.', s);
    if (e < 0) e = name.length;
    const label = Buffer.from(name.slice(s, e), 'latin1');
    parts.push(Buffer.from([label.length & 0xff]), label);
    s = e < name.length ? e + 1 : e;
  }
  if (name !== '.') parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A query: header (id, RD, QDCOUNT 1) and one question. */
export function encodeQuery(id: number, name: string, type: DnsQueryType): Buffer {
  const header = Buffer.alloc(DNS_HEADER_LENGTH);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_TYPE_CODE[type], 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

/** What one received datagram means: keep reading, success, or keepalived's failure text. */
export type DnsReplyVerdict = { readonly kind: 'ignore' } | { readonly kind: 'ok' } | { readonly kind: 'error'; readonly text: string };

/** dns_recv_thread's checks of a reply to query `id`. */
export function judgeDnsReply(id: number, reply: Buffer): DnsReplyVerdict {
  if (reply.length < DNS_HEADER_LENGTH) return { kind: 'ignore' };
  if (reply.readUInt16BE(0) !== (id & 0xffff)) return { kind: 'ignore' };
  const flags = reply.readUInt16BE(2);
  if (!(flags & 0x8000)) return { kind: 'ignore' };
  const rcode = flags & 0x000f;
  if (rcode !== 0) return { kind: 'error', text: `read error occurred. (rcode = ${rcode})` };
  return { kind: 'ok' };
}
