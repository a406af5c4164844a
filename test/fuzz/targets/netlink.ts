/**
 * Fuzz target: the netlink decoders (src/net/netlink: messages, attributes, errors, link, address, neighbour,
 * generic netlink families; src/lb/ipvs/messages.ts: services, destinations, sync daemons, config, info).
 *
 * The first byte picks a decoder, the rest is its input. Property: no decoder throws on any bytes (they run in
 * socket callbacks, where an exception would end the process), and what they return is well formed (finite
 * numbers, addresses that parse, message payloads inside the datagram).
 */
import { decodeAttrs, decodeError, decodeMessages } from '../../../src/net/netlink/codec.js';
import { decodeFamily, decodeGenlPayload, nestedList } from '../../../src/net/netlink/genl.js';
import { decodeLinkDetails } from '../../../src/net/netlink/link-messages.js';
import { decodeNeighbour } from '../../../src/net/netlink/neigh-messages.js';
import { decodeAddress, decodeLink } from '../../../src/net/netlink/route-messages.js';
import { toEvent } from '../../../src/net/netlink/rtnl.js';
import { decodeConfig, decodeDaemon, decodeDest, decodeInfo, decodeService, decodeStats } from '../../../src/lb/ipvs/messages.js';
import { parseAddress } from '../../../src/core/inet/address.js';
import { FuzzInput, ensure } from './input.js';

function finiteNumbers(x: unknown, path = '$'): void {
  if (typeof x === 'number') ensure(Number.isFinite(x), `${path} is ${x}`);
  else if (x instanceof Map) for (const [k, v] of x) finiteNumbers(v, `${path}[${String(k)}]`);
  else if (x && typeof x === 'object' && !Buffer.isBuffer(x)) for (const [k, v] of Object.entries(x)) finiteNumbers(v, `${path}.${k}`);
}

function validAddress(family: 4 | 6, a: string | undefined, what: string): void {
  if (a === undefined) return;
  ensure(parseAddress(family, a) !== undefined, `${what} ${a} is not an IPv${family} address`);
}

const DECODERS: readonly ((b: Buffer) => unknown)[] = [
  (b) => {
    const ms = decodeMessages(b);
    let total = 0;
    for (const m of ms) {
      total += 16 + m.payload.length;
      const e = toEvent(m);
      if (e?.kind === 'address') validAddress(e.address.family, e.address.address, 'event address');
    }
    ensure(total <= b.length, 'messages longer than the datagram');
    return ms.map((m) => ({ type: m.type, flags: m.flags, seq: m.seq, pid: m.pid }));
  },
  (b) => decodeAttrs(b),
  (b) => decodeError(b.subarray(2), b.readUInt16LE(0)),
  (b) => decodeLink(b),
  (b) => decodeLinkDetails(b),
  (b) => {
    const a = decodeAddress(b);
    validAddress(a.family, a.address, 'address');
    validAddress(a.family, a.broadcast, 'broadcast');
    return a;
  },
  (b) => {
    const n = decodeNeighbour(b);
    if (n) validAddress(n.family, n.address, 'neighbour');
    return n;
  },
  (b) => {
    const m = decodeGenlPayload(b);
    return m && decodeFamily(m);
  },
  (b) => nestedList(b).length,
  (b) => decodeService(b),
  (b) => decodeDest(b.subarray(1), b[0]! & 1 ? 6 : 4),
  (b) => decodeDaemon(b),
  (b) => decodeConfig(b),
  (b) => decodeInfo(b),
  (b) => decodeStats(b.subarray(1), (b[0]! & 1) === 1),
];

/** One input. */
export function fuzz(data: Uint8Array): void {
  const inp = new FuzzInput(data);
  const which = inp.pick(DECODERS.length);
  const body = inp.rest();
  const padded = body.length >= 2 ? body : Buffer.concat([body, Buffer.alloc(2 - body.length)]);
  finiteNumbers(DECODERS[which]!(which === 2 || which === 10 || which === 14 ? padded : body));
}
