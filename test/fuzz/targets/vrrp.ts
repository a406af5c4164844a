/**
 * Fuzz target: the VRRP codec and the receive checks (src/vrrp/packet.ts, validate.ts).
 *
 * The first bytes choose an instance (family, version, auth, unicast or multicast, check_unicast_src, peer TTL
 * range, skip_check_adv_addr) and the receive metadata; the rest is the packet. Properties:
 *  - decode() and checkReceived() never throw;
 *  - a decoded advert re-encodes, and decoding that gives the same advert back;
 *  - an accepted advert satisfies every receive rule of the instance (version, TTL 255 on multicast, the peer's
 *    TTL range and source with check_unicast_src (keepalived applies the range only then), auth type and password, v2 interval, address list unless skipped);
 *  - a drop names a counter keepalived has (or none) and a log line.
 */
import { decode, encode } from '../../../src/vrrp/packet.js';
import { checkReceived, type RxExpectations } from '../../../src/vrrp/validate.js';
import { STAT_NAMES } from '../../../src/vrrp/stats.js';
import { AuthType, type RxMeta, type VrrpAdvert } from '../../../src/vrrp/types.js';
import { parseAddress, bytesEqual } from '../../../src/core/inet/address.js';
import { FuzzInput, ensure } from './input.js';

const PASS = Buffer.from('secret\0\0');
const SOURCES4 = ['192.0.2.2', '192.0.2.3', '198.51.100.9', '0.0.0.0'];
const SOURCES6 = ['fe80::2', 'fe80::3', '2001:db8::9'];
const DEST4 = ['224.0.0.18', '192.0.2.1', '224.0.0.19'];
const DEST6 = ['ff02::12', 'fe80::1', '2001:db8::1'];

function expectations(inp: FuzzInput): RxExpectations {
  const family = inp.bool() ? 6 : 4;
  const version = family === 6 || inp.bool() ? 3 : 2;
  const unicast = inp.bool();
  const authType = version === 2 ? inp.choose([AuthType.NONE, AuthType.NONE, AuthType.PASS, AuthType.AH]) : AuthType.NONE;
  const minTtl = inp.choose([0, 0, 64, 255]);
  const maxTtl = inp.choose([255, 255, 64, 0]);
  return {
    instanceName: 'VI_FUZZ',
    vrid: 51,
    version,
    family,
    authType,
    ...(authType === AuthType.PASS ? { authData: PASS } : {}),
    advertIntervalCs: inp.choose([100, 100, 200, 5]) * (version === 2 ? 1 : 1),
    vips: family === 4 ? ['192.0.2.100', '192.0.2.101'] : ['2001:db8::100'],
    unicast,
    ...(unicast ? { unicastPeers: [{ address: family === 4 ? '192.0.2.2' : 'fe80::2', minTtl, maxTtl }] } : {}),
    checkUnicastSrc: inp.bool(),
    skipCheckAdvAddr: inp.bool(),
    ...(inp.bool() ? { previousMaster: family === 4 ? '192.0.2.2' : 'fe80::2' } : {}),
  };
}

function sameAddress(family: 4 | 6, a: string, b: string): boolean {
  const x = parseAddress(family, a);
  const y = parseAddress(family, b);
  return x !== undefined && y !== undefined && bytesEqual(x, y);
}

function roundTrip(a: VrrpAdvert, source: string, destination: string): void {
  const again = decode(encode(a, { source, destination, ipv6Checksum: true }), {
    family: a.family,
    withIpHeader: false,
    source,
    destination,
    verifyIpv6Checksum: true,
  });
  ensure(again.ok, `re-encoded advert does not decode: ${JSON.stringify(again)}`);
  const { checksum: _c1, authData: d1, ...x } = a;
  const { checksum: _c2, authData: d2, ...y } = again.advert;
  ensure(JSON.stringify(x) === JSON.stringify(y), `round trip changed the advert: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
  ensure((d1 === undefined) === (d2 === undefined) && (!d1 || !d2 || bytesEqual(d1, d2)), 'round trip changed the auth data');
}

/** One input. */
export function fuzz(data: Uint8Array): void {
  const inp = new FuzzInput(data);
  const exp = expectations(inp);
  const withIpHeader = exp.family === 4 && inp.pick(4) !== 0;
  const meta: RxMeta = {
    source: inp.choose(exp.family === 4 ? SOURCES4 : SOURCES6),
    destination: inp.choose(exp.family === 4 ? DEST4 : DEST6),
    ttl: inp.choose([255, 254, 64, 1, 0, -1]),
    ifindex: 2,
  };
  const checksum4 = inp.choose(['auto', 'rfc', 'mcast-group'] as const);
  const buf = inp.rest();

  const d = decode(buf, { family: exp.family, withIpHeader, checksum4, source: meta.source, destination: meta.destination });
  if (d.ok) roundTrip(d.advert, d.ip?.source ?? meta.source, d.ip?.destination ?? meta.destination);

  const v = checkReceived(buf, meta, exp, { withIpHeader, checksum4 });
  if (!v.ok) {
    ensure(v.counter === null || (STAT_NAMES as readonly string[]).includes(v.counter), `unknown counter ${v.counter}`);
    ensure(
      v.counters.every((c) => (STAT_NAMES as readonly string[]).includes(c)),
      'unknown counter in counters',
    );
    ensure(v.logText.length > 0, 'a drop without a log line');
    return;
  }
  const a = v.advert;
  ensure(v.counters.includes('advert_rcvd'), 'an accepted advert is not counted');
  ensure(a.version === exp.version, 'accepted another VRRP version');
  ensure(a.family === exp.family, 'accepted another family');
  const ttl = withIpHeader ? (d.ip?.ttl ?? -2) : meta.ttl;
  const dst = withIpHeader ? (d.ip?.destination ?? '') : meta.destination;
  if (!exp.unicast) ensure(ttl === 255 || (exp.family === 6 && ttl === -1), `multicast advert accepted with TTL ${ttl}`);
  const peer = exp.unicastPeers?.[0];
  if (
    exp.unicast &&
    peer &&
    exp.checkUnicastSrc &&
    !(exp.skipCheckAdvAddr && exp.previousMaster && sameAddress(exp.family, meta.source, exp.previousMaster))
  ) {
    ensure(sameAddress(exp.family, meta.source, peer.address), `check_unicast_src: accepted source ${meta.source}`);
  }
  if (exp.unicast && exp.checkUnicastSrc && peer && sameAddress(exp.family, meta.source, peer.address) && ttl >= 0) {
    ensure(ttl >= (peer.minTtl ?? 0) && ttl <= (peer.maxTtl ?? 255), `peer TTL ${ttl} outside ${peer.minTtl}..${peer.maxTtl} accepted`);
  }
  ensure(exp.family === 6 || dst !== '' || !withIpHeader, 'no destination');
  if (exp.version === 2) {
    ensure(a.authType === exp.authType, `auth type ${a.authType} accepted by an instance with ${exp.authType}`);
    if (exp.authType === AuthType.PASS) ensure(!!a.authData && bytesEqual(a.authData, PASS), 'wrong password accepted');
    ensure(a.advertIntervalCs === exp.advertIntervalCs, `v2 interval ${a.advertIntervalCs} accepted, own ${exp.advertIntervalCs}`);
  }
  ensure(a.type === 1, `packet type ${a.type} accepted`);
}
