import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LbBackend, LbCounters, LbServiceState } from '../../../src/lb/backend.js';
import { renderLvsReport, withRates, type LvsReport } from '../../../src/lb/report.js';
import { readLvs } from '../../../src/runtime/check/lvs-listing.js';
import { parseClientArgs } from '../../../src/cli/ctl.js';

const DIR = join(process.env['KTS_ROOT'] ?? new URL('../../../../', import.meta.url).pathname, 'test', 'fixtures', 'ipvs', 'nat-traffic');
const fixture = JSON.parse(readFileSync(join(DIR, 'state.json'), 'utf8')) as {
  info: { version: number; connTabSize: number };
  services: LbServiceState[];
};

const counters = (connections: number, packetsIn: number, packetsOut: number, bytesIn: number, bytesOut: number): LbCounters => ({
  connections,
  packetsIn,
  packetsOut,
  bytesIn,
  bytesOut,
});
/** One wrr service with two NAT real servers, as the nftables backend lists it (no rates). */
function nftState(c: readonly [LbCounters, LbCounters]): LbServiceState[] {
  const dest = (address: string, weight: number, k: LbCounters) => ({
    family: 4 as const,
    address,
    port: 8080,
    method: 'NAT' as const,
    weight,
    uthreshold: 0,
    lthreshold: 0,
    activeConnections: 0,
    inactiveConnections: 0,
    counters: k,
  });
  const sum = (f: keyof LbCounters) => (c[0][f] ?? 0) + (c[1][f] ?? 0);
  return [
    {
      key: { kind: 'address', family: 4, protocol: 'TCP', address: '203.0.113.10', port: 80 },
      scheduler: 'wrr',
      flags: 0,
      timeoutSec: 0,
      netmaskBits: 32,
      counters: counters(sum('connections'), sum('packetsIn'), sum('packetsOut'), sum('bytesIn'), sum('bytesOut')),
      dests: [dest('192.0.2.11', 1, c[0]), dest('192.0.2.12', 2, c[1])],
    },
  ];
}

test('IPVS: the report renders exactly as ipvsadm -Ln / --stats / --rate', () => {
  const r: LvsReport = { backend: 'ipvs', info: fixture.info, services: fixture.services };
  assert.equal(renderLvsReport(r), readFileSync(join(DIR, 'ipvsadm-Ln.txt'), 'utf8'));
  assert.equal(renderLvsReport(r, 'stats'), readFileSync(join(DIR, 'ipvsadm-Ln-stats.txt'), 'utf8'));
  assert.equal(renderLvsReport(r, 'rate'), readFileSync(join(DIR, 'ipvsadm-Ln-rate.txt'), 'utf8'));
});

test("nftables: line 1 names the tables (and the rate interval), the rest is ipvsadm's shape", () => {
  const services = nftState([counters(100, 500, 400, 30000, 60000), counters(200, 1000, 800, 60000, 120000)]);
  const r: LvsReport = { backend: 'nftables', tables: ['inet keepalived_ts_lb', 'netdev keepalived_ts_dr'], services };
  assert.equal(
    renderLvsReport(r),
    [
      'nftables load balancer (tables inet keepalived_ts_lb, netdev keepalived_ts_dr)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  203.0.113.10:80 wrr',
      '  -> 192.0.2.11:8080              Masq    1      0          0         ',
      '  -> 192.0.2.12:8080              Masq    2      0          0         ',
      '',
    ].join('\n'),
  );
  assert.equal(
    renderLvsReport(r, 'stats').split('\n').slice(3).join('\n'),
    [
      'TCP  203.0.113.10:80                   300     1500     1200    90000   180000',
      '  -> 192.0.2.11:8080                   100      500      400    30000    60000',
      '  -> 192.0.2.12:8080                   200     1000      800    60000   120000',
      '',
    ].join('\n'),
  );
  assert.match(renderLvsReport({ ...r, rateSampleMs: 1000 }, 'rate').split('\n')[0]!, /, rates over 1 s$/);
  assert.equal(renderLvsReport({ backend: 'none', services: [] }).split('\n')[0], 'No load-balancer data plane: nothing is programmed');
});

test('withRates: per-second differences; a counter that went back (restart) or a server not read before rates 0', () => {
  const a = nftState([counters(10, 50, 40, 3000, 6000), counters(20, 100, 80, 6000, 12000)]);
  const b = nftState([counters(14, 70, 56, 4200, 8400), counters(18, 100, 80, 6000, 12000)]);
  const [s] = withRates(a, b, 2000);
  assert.deepEqual([s!.counters.cps, s!.counters.ppsIn, s!.counters.ppsOut, s!.counters.bpsIn, s!.counters.bpsOut], [1, 10, 8, 600, 1200]);
  assert.deepEqual(
    s!.dests.map((d) => [d.counters.cps, d.counters.ppsIn]),
    [
      [2, 10],
      [0, 0],
    ],
  );
  assert.equal(s!.counters.connections, 32, 'the totals are the later reading');
  const onlyRs1 = [{ ...a[0]!, dests: a[0]!.dests.slice(0, 1) }];
  assert.deepEqual(
    withRates(onlyRs1, b, 2000)[0]!.dests.map((d) => d.counters.bpsOut),
    [1200, 0],
  );
  assert.deepEqual(withRates([], b, 2000)[0]!.counters.cps, 0);
});

test('readLvs: nftables rates from two readings sampleMs apart; IPVS passes its estimator and version through', async () => {
  const readings = [
    nftState([counters(10, 50, 40, 3000, 6000), counters(20, 100, 80, 6000, 12000)]),
    nftState([counters(15, 75, 60, 4500, 9000), counters(30, 150, 120, 9000, 18000)]),
  ];
  let n = 0;
  const slept: number[] = [];
  const nft = { name: 'nftables', list: async () => readings[Math.min(n++, 1)]! } as unknown as LbBackend;
  const plain = await readLvs(nft, { rates: false });
  assert.ok(typeof plain !== 'string');
  assert.equal(plain.rateSampleMs, undefined);
  assert.deepEqual(plain.tables, ['inet keepalived_ts_lb', 'netdev keepalived_ts_dr']);
  n = 0;
  const rated = await readLvs(nft, {
    rates: true,
    sampleMs: 500,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  assert.ok(typeof rated !== 'string');
  assert.deepEqual(slept, [500]);
  assert.equal(rated.rateSampleMs, 500);
  const [s] = rated.services;
  assert.deepEqual([s!.counters.cps, s!.counters.ppsIn, s!.counters.bpsOut], [30, 150, 18000]);
  assert.deepEqual(
    s!.dests.map((d) => d.counters.cps),
    [10, 20],
  );
  const failing = { name: 'nftables', list: async () => ({ code: 'LB_KERNEL', message: 'nft: no such table' }) } as unknown as LbBackend;
  assert.equal(await readLvs(failing, { rates: false }), 'nftables: nft: no such table');
  const ipvs = { name: 'ipvs', list: async () => fixture.services, info: async () => fixture.info } as unknown as LbBackend;
  const ri = await readLvs(ipvs, { rates: true, sleep: async () => assert.fail('IPVS has its own estimator') });
  assert.deepEqual(ri, { backend: 'ipvs', info: fixture.info, services: fixture.services });
  assert.deepEqual(await readLvs(undefined, { rates: false }), { backend: 'none', services: [] });
});

test('status --lvs [--stats|--rate]: parsed; --stats without --lvs is a usage error', () => {
  assert.deepEqual(parseClientArgs(['--lvs', '-p', '/run/a.pid']), {
    socket: '/run/a-ts.sock',
    json: false,
    colour: 'auto',
    rest: [],
    lvs: 'default',
  });
  assert.deepEqual(parseClientArgs(['--lvs', '--rate', '--json']), {
    socket: '/run/keepalived-ts.sock',
    json: true,
    colour: 'auto',
    rest: [],
    lvs: 'rate',
  });
  assert.equal(parseClientArgs(['--stats', '--lvs']).constructor, Object);
  assert.equal((parseClientArgs(['--lvs', '--stats']) as { lvs?: string }).lvs, 'stats');
  assert.ok(parseClientArgs(['--stats']) instanceof Error);
});
