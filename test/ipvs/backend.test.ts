/**
 * IpvsBackend against the real kernel in the UML guest. After each step `ipvsadm -S -n` (the oracle) must read
 * exactly what was asked, `ipvsadm -Ln` must equal our listing.ts rendering of list() byte for byte, and list()
 * must read back what was set.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { IpvsBackend } from '../../src/lb/ipvs/backend.js';
import { renderListing } from '../../src/lb/listing.js';
import { serviceKeyText, type LbDest, type LbService, type LbServiceKey, type LbServiceState } from '../../src/lb/backend.js';
import { captureFixture, inGuest, ipvsadm } from './harness.js';

const b = new IpvsBackend();

before(async () => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: npm run test:ipvs');
  assert.equal(await b.open(), undefined);
});
after(async () => {
  await b.flush();
  await b.close();
});
beforeEach(async () => {
  assert.equal(await b.flush(), undefined);
});

const tcp80: LbServiceKey = { kind: 'address', family: 4, protocol: 'TCP', address: '192.0.2.1', port: 80 };
function svc(key: LbServiceKey, more: Partial<LbService> = {}): LbService {
  return { key, scheduler: 'wrr', flags: 0, timeoutSec: 0, netmaskBits: key.family === 4 ? 32 : 128, ...more };
}
function dest(address: string, port: number, more: Partial<LbDest> = {}): LbDest {
  return { family: address.includes(':') ? 6 : 4, address, port, method: 'NAT', weight: 1, uthreshold: 0, lthreshold: 0, ...more };
}

async function listed(): Promise<readonly LbServiceState[]> {
  const l = await b.list();
  assert.ok(Array.isArray(l), `list(): ${JSON.stringify(l)}`);
  return l as readonly LbServiceState[];
}

/**
 * The oracle: `ipvsadm -S -n` equals `rules`, and `ipvsadm -Ln` equals our rendering of list(). With `capture`
 * and KTS_IPVS_CAPTURE set, the state and ipvsadm's listing are written as a fixture for the unit tier.
 */
async function oracle(rules: string[], capture?: string): Promise<readonly LbServiceState[]> {
  assert.equal(ipvsadm('-S', '-n'), rules.map((r) => `${r}\n`).join(''));
  const l = await listed();
  const info = await b.info();
  assert.ok(!('code' in info));
  const text = ipvsadm('-Ln');
  assert.equal(renderListing(l, info), text);
  if (capture) captureFixture(capture, l, info, { 'ipvsadm-Ln.txt': text });
  return l;
}

/** The service/dest fields we set, without counters (what list() must give back). */
function shape(l: readonly LbServiceState[]): unknown[] {
  return l.map((s) => ({
    key: s.key,
    scheduler: s.scheduler,
    flags: s.flags,
    timeoutSec: s.timeoutSec,
    netmaskBits: s.netmaskBits,
    ...(s.persistenceEngine ? { persistenceEngine: s.persistenceEngine } : {}),
    dests: s.dests
      .map((d) => {
        const x: Record<string, unknown> = {
          family: d.family,
          address: d.address,
          port: d.port,
          method: d.method,
          weight: d.weight,
          uthreshold: d.uthreshold,
          lthreshold: d.lthreshold,
        };
        if (d.tunnelType) x['tunnelType'] = d.tunnelType;
        if (d.tunnelPort !== undefined) x['tunnelPort'] = d.tunnelPort;
        if (d.tunnelChecksum) x['tunnelChecksum'] = d.tunnelChecksum;
        return x;
      })
      .sort((p, q) => String(p['address']).localeCompare(String(q['address']))),
  }));
}

test('info: IPVS 1.2.1 with the default connection table', async () => {
  assert.deepEqual(await b.info(), { version: 0x010201, connTabSize: 4096 });
});

test('TCP service, persistence with a /24 netmask, NAT and DR destinations, weights and thresholds', async () => {
  const s = svc(tcp80, { timeoutSec: 50, netmaskBits: 24 });
  assert.equal(await b.addService(s), undefined);
  assert.equal(await b.addDest(tcp80, dest('192.0.2.10', 80, { weight: 1 })), undefined);
  assert.equal(await b.addDest(tcp80, dest('192.0.2.11', 8080, { method: 'DR', weight: 3, uthreshold: 100, lthreshold: 20 })), undefined);
  const l = await oracle(
    [
      '-A -t 192.0.2.1:80 -s wrr -p 50 -M 255.255.255.0',
      '-a -t 192.0.2.1:80 -r 192.0.2.10:80 -m -w 1',
      '-a -t 192.0.2.1:80 -r 192.0.2.11:8080 -g -w 3', // ipvsadm 1.31's -S omits thresholds: --thresholds shows them
    ],
    'tcp-persistent',
  );
  assert.match(ipvsadm('-Ln', '--thresholds'), /\n {2}-> 192\.0\.2\.11:8080 {14}100 {8}20 {9}0 {10}0 {9}\n/);
  assert.deepEqual(
    shape(l),
    shape([
      {
        ...s,
        counters: l[0]!.counters,
        dests: [
          { ...dest('192.0.2.10', 80), activeConnections: 0, inactiveConnections: 0, counters: l[0]!.counters },
          {
            ...dest('192.0.2.11', 8080, { method: 'DR', weight: 3, uthreshold: 100, lthreshold: 20 }),
            activeConnections: 0,
            inactiveConnections: 0,
            counters: l[0]!.counters,
          },
        ],
      },
    ]),
  );
});

test('UDP sh with sh-fallback,sh-port on IPv6; SCTP rr; fwmark wlc with one-packet scheduling; IPv6 fwmark', async () => {
  const u6: LbServiceKey = { kind: 'address', family: 6, protocol: 'UDP', address: '2001:db8::1', port: 53 };
  const sctp: LbServiceKey = { kind: 'address', family: 4, protocol: 'SCTP', address: '192.0.2.2', port: 3868 };
  const fw: LbServiceKey = { kind: 'fwmark', family: 4, fwmark: 5 };
  const fw6: LbServiceKey = { kind: 'fwmark', family: 6, fwmark: 6 };
  assert.equal(await b.addService(svc(u6, { scheduler: 'sh', flags: 0x08 | 0x10 })), undefined);
  assert.equal(await b.addDest(u6, dest('2001:db8::10', 53, { method: 'DR' })), undefined);
  assert.equal(await b.addService(svc(sctp, { scheduler: 'rr' })), undefined);
  assert.equal(await b.addDest(sctp, dest('192.0.2.20', 3868)), undefined);
  assert.equal(await b.addService(svc(fw, { scheduler: 'wlc', flags: 0x04 })), undefined);
  assert.equal(await b.addDest(fw, dest('192.0.2.30', 0, { method: 'DR', weight: 5 })), undefined);
  assert.equal(await b.addService(svc(fw6, { scheduler: 'lc', timeoutSec: 300, netmaskBits: 64 })), undefined);
  assert.equal(await b.addDest(fw6, dest('2001:db8::30', 0, { method: 'TUN', tunnelType: 'ipip' })), undefined);
  const l = await oracle(
    [
      '-A --sctp-service 192.0.2.2:3868 -s rr', // ipvsadm sorts by family before protocol
      '-a --sctp-service 192.0.2.2:3868 -r 192.0.2.20:3868 -m -w 1',
      '-A -u [2001:db8::1]:53 -s sh -b sh-fallback,sh-port',
      '-a -u [2001:db8::1]:53 -r [2001:db8::10]:53 -g -w 1',
      '-A -f 5 -s wlc -o',
      '-a -f 5 -r 192.0.2.30:0 -g -w 5',
      '-A -f 6 -6 -s lc -p 300 -M 64',
      '-a -f 6 -6 -r [2001:db8::30]:0 -i -w 1 --tun-type ipip',
    ],
    'mixed',
  );
  const byKey = (xs: readonly (readonly [LbServiceKey, string, number, number, number])[]) =>
    new Map(xs.map((x) => [serviceKeyText(x[0]) + x[0].family, x]));
  assert.deepEqual(
    byKey(l.map((s) => [s.key, s.scheduler, s.flags, s.timeoutSec, s.netmaskBits] as const)),
    byKey([
      [u6, 'sh', 0x18, 0, 128],
      [sctp, 'rr', 0, 0, 32],
      [fw, 'wlc', 4, 0, 32],
      [fw6, 'lc', 0, 300, 64],
    ]),
  );
  const fw6dest = l.find((s) => s.key.kind === 'fwmark' && s.key.fwmark === 6)!.dests[0]!;
  assert.deepEqual([fw6dest.method, fw6dest.tunnelType, fw6dest.family, fw6dest.address], ['TUN', 'ipip', 6, '2001:db8::30']);
});

test('TUN destinations: ipip, gue with port and checksum flags, gre', async () => {
  assert.equal(await b.addService(svc(tcp80, { scheduler: 'rr' })), undefined);
  assert.equal(await b.addDest(tcp80, dest('192.0.2.40', 80, { method: 'TUN', tunnelType: 'ipip' })), undefined);
  assert.equal(
    await b.addDest(tcp80, dest('192.0.2.41', 80, { method: 'TUN', tunnelType: 'gue', tunnelPort: 6080, tunnelChecksum: 'csum' })),
    undefined,
  );
  assert.equal(
    await b.addDest(tcp80, dest('192.0.2.42', 80, { method: 'TUN', tunnelType: 'gue', tunnelPort: 6081, tunnelChecksum: 'remcsum' })),
    undefined,
  );
  assert.equal(await b.addDest(tcp80, dest('192.0.2.43', 80, { method: 'TUN', tunnelType: 'gre', tunnelChecksum: 'csum' })), undefined);
  const l = await oracle(
    [
      '-A -t 192.0.2.1:80 -s rr',
      '-a -t 192.0.2.1:80 -r 192.0.2.40:80 -i -w 1 --tun-type ipip',
      '-a -t 192.0.2.1:80 -r 192.0.2.41:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum',
      '-a -t 192.0.2.1:80 -r 192.0.2.42:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-remcsum',
      '-a -t 192.0.2.1:80 -r 192.0.2.43:80 -i -w 1 --tun-type gre --tun-csum',
    ],
    'tunnels',
  );
  const tun = new Map(l[0]!.dests.map((d) => [d.address, [d.tunnelType, d.tunnelPort, d.tunnelChecksum]]));
  assert.deepEqual(
    tun,
    new Map([
      ['192.0.2.40', ['ipip', undefined, undefined]],
      ['192.0.2.41', ['gue', 6080, 'csum']],
      ['192.0.2.42', ['gue', 6081, 'remcsum']],
      ['192.0.2.43', ['gre', 0, 'csum']],
    ]),
  );
});

test('mh with mh-fallback,mh-port; the sip persistence engine', async () => {
  const sip: LbServiceKey = { kind: 'address', family: 4, protocol: 'UDP', address: '192.0.2.3', port: 5060 };
  assert.equal(await b.addService(svc(tcp80, { scheduler: 'mh', flags: 0x08 | 0x10 })), undefined);
  assert.equal(await b.addService(svc(sip, { scheduler: 'rr', timeoutSec: 60, persistenceEngine: 'sip' })), undefined);
  const l = await oracle(['-A -t 192.0.2.1:80 -s mh -b mh-fallback,mh-port', '-A -u 192.0.2.3:5060 -s rr -p 60 --pe sip'], 'mh-sip');
  // list() gives the kernel's hash-table order: compare sorted
  assert.deepEqual(l.map((s) => [s.scheduler, s.flags, s.persistenceEngine]).sort(), [
    ['mh', 0x18, undefined],
    ['rr', 0, 'sip'],
  ]);
});

test('edit in place: scheduler and persistence of a service, weight and method of a destination', async () => {
  assert.equal(await b.addService(svc(tcp80, { timeoutSec: 30 })), undefined);
  assert.equal(await b.addDest(tcp80, dest('192.0.2.10', 80)), undefined);
  assert.equal(await b.editService(svc(tcp80, { scheduler: 'lc' })), undefined);
  assert.equal(await b.editDest(tcp80, dest('192.0.2.10', 80, { weight: 7, method: 'DR' })), undefined);
  await oracle(['-A -t 192.0.2.1:80 -s lc', '-a -t 192.0.2.1:80 -r 192.0.2.10:80 -g -w 7']);
  assert.equal(await b.editDest(tcp80, dest('192.0.2.10', 80, { weight: 0 })), undefined);
  await oracle(['-A -t 192.0.2.1:80 -s lc', '-a -t 192.0.2.1:80 -r 192.0.2.10:80 -m -w 0']);
});

test('delete destination and service; failures come back as stable codes with the kernel errno', async () => {
  assert.equal(await b.addService(svc(tcp80)), undefined);
  assert.equal(await b.addDest(tcp80, dest('192.0.2.10', 80)), undefined);
  assert.equal(await b.addDest(tcp80, dest('192.0.2.11', 80)), undefined);
  const dup = await b.addService(svc(tcp80));
  assert.deepEqual([dup?.code, /EEXIST/.test(dup?.message ?? '')], ['LB_EXISTS', true]);
  const dupDest = await b.addDest(tcp80, dest('192.0.2.10', 80));
  assert.equal(dupDest?.code, 'LB_EXISTS');
  assert.equal(await b.delDest(tcp80, { family: 4, address: '192.0.2.10', port: 80 }), undefined);
  await oracle(['-A -t 192.0.2.1:80 -s wrr', '-a -t 192.0.2.1:80 -r 192.0.2.11:80 -m -w 1']);
  const goneDest = await b.delDest(tcp80, { family: 4, address: '192.0.2.10', port: 80 });
  assert.equal(goneDest?.code, 'LB_NOT_FOUND');
  const other: LbServiceKey = { ...tcp80, port: 81 };
  const noSvc = await b.addDest(other, dest('192.0.2.10', 81));
  assert.deepEqual([noSvc?.code, /ESRCH/.test(noSvc?.message ?? '')], ['LB_NOT_FOUND', true]);
  assert.equal((await b.delService(other))?.code, 'LB_NOT_FOUND');
  const badSched = await b.addService(svc(other, { scheduler: 'nosuch' }));
  assert.match(badSched?.message ?? '', /ENOENT/);
  const badAddr = await b.addService(svc({ ...tcp80, address: '192.0.2.300' }));
  assert.deepEqual([badAddr?.code, /bad IPv4 address/.test(badAddr?.message ?? '')], ['LB_KERNEL', true]);
  assert.equal(await b.delService(tcp80), undefined);
  await oracle([]);
});

test('connection timeouts: set all three, then one; GET_CONFIG reads them back', async () => {
  assert.equal(await b.setGlobals({ timeouts: { tcpSec: 1000, tcpFinSec: 100, udpSec: 200 } }), undefined);
  assert.equal(ipvsadm('-L', '--timeout'), 'Timeout (tcp tcpfin udp): 1000 100 200\n');
  assert.equal(await b.setGlobals({ timeouts: { udpSec: 60 } }), undefined);
  assert.equal(ipvsadm('-L', '--timeout'), 'Timeout (tcp tcpfin udp): 1000 100 60\n');
  assert.deepEqual(await b.timeouts(), { tcpSec: 1000, tcpFinSec: 100, udpSec: 60 });
  assert.equal(await b.setGlobals({ timeouts: { tcpSec: 900, tcpFinSec: 120, udpSec: 300 } }), undefined);
});

test('flush removes every service', async () => {
  assert.equal(await b.addService(svc(tcp80)), undefined);
  assert.equal(await b.addService(svc({ kind: 'fwmark', family: 4, fwmark: 1 })), undefined);
  assert.equal(await b.flush(), undefined);
  await oracle([]);
});

test('500 services with 2 destinations each: the multi-datagram dumps read back all of them, and ipvsadm -Ln agrees', async () => {
  const keys: LbServiceKey[] = [];
  for (let i = 0; i < 500; i++)
    keys.push({ kind: 'address', family: 4, protocol: i % 2 ? 'UDP' : 'TCP', address: `198.51.100.${1 + (i % 250)}`, port: 1000 + i });
  for (const k of keys) {
    assert.equal(await b.addService(svc(k, { scheduler: 'rr' })), undefined);
    if (k.kind !== 'address') continue;
    assert.equal(await b.addDest(k, dest('203.0.113.10', k.port)), undefined);
    assert.equal(await b.addDest(k, dest('203.0.113.11', k.port, { weight: 2 })), undefined);
  }
  const l = await listed();
  assert.equal(l.length, 500);
  assert.equal(l.filter((s) => s.dests.length === 2).length, 500);
  const info = await b.info();
  assert.ok(!('code' in info));
  assert.equal(renderListing(l, info), ipvsadm('-Ln'));
  assert.equal(ipvsadm('-S', '-n').split('\n').filter(Boolean).length, 1500);
});
