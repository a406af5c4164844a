/**
 * The nftables load-balancer text (src/lb/nft/ruleset.ts) against golden files in test/vectors/nft-lb (each was
 * loaded into a kernel by test/netns/lb/nft-backend.test.ts's scenarios or by hand with `nft -c -f`), and the
 * descriptions a restarted daemon reads back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LbDest, LbService } from '../../../src/lb/backend.js';
import {
  NFT_LB_DEFAULTS,
  describeDest,
  describeService,
  maskedSource,
  parseDescription,
  renderDestAdd,
  renderDestDelete,
  renderDrTable,
  renderNatTable,
  renderSched,
  renderServiceAdd,
  renderServiceDelete,
  schedElements,
  type SvcView,
} from '../../../src/lb/nft/ruleset.js';
import { numgenSlots, planScheduler } from '../../../src/lb/nft/schedule.js';

const VECTORS = new URL('../../../../test/vectors/nft-lb/', import.meta.url);
const golden = (name: string) => readFileSync(new URL(name, VECTORS), 'utf8');
const o = NFT_LB_DEFAULTS;
const text = (lines: readonly string[]) => `${lines.join('\n')}\n`;

const natSvc: LbService = {
  key: { kind: 'address', family: 4, protocol: 'TCP', address: '203.0.113.10', port: 80 },
  scheduler: 'wrr',
  flags: 1,
  timeoutSec: 300,
  netmaskBits: 24,
};
const nat: SvcView = { id: 1, mode: 'NAT', shape: planScheduler('wrr', 0)!.shape, svc: natSvc };
const drSvc: LbService = {
  key: { kind: 'address', family: 6, protocol: 'SCTP', address: '2001:db8:3::10', port: 3868 },
  scheduler: 'sh',
  flags: 0x10,
  timeoutSec: 0,
  netmaskBits: 128,
};
const dr: SvcView = { id: 5, mode: 'DR', shape: planScheduler('sh', 0x10)!.shape, svc: drSvc };
const fwSvc: LbService = { key: { kind: 'fwmark', family: 4, fwmark: 5 }, scheduler: 'mh', flags: 0, timeoutSec: 60, netmaskBits: 32 };
const fw: SvcView = { id: 7, mode: 'NAT', shape: planScheduler('mh', 0)!.shape, svc: fwSvc };
const rs = (address: string, port: number, method: LbDest['method'] = 'NAT'): LbDest => ({
  family: address.includes(':') ? 6 : 4,
  address,
  port,
  method,
  weight: 1,
  uthreshold: 0,
  lthreshold: 0,
});

test('the tables: NAT (inet, hooks at dstnat/forward/srcnat) and DR (netdev ingress on the given devices)', () => {
  assert.equal(renderNatTable(o), golden('nat-table.nft'));
  assert.equal(renderDrTable(o, ['eth1', 'eth2']), golden('dr-table.nft'));
});

test('services: NAT wrr with persistence /24; DR sh (with port) over IPv6 SCTP; fwmark mh with persistence', () => {
  assert.equal(text(renderServiceAdd(o, nat, 3)), golden('service-nat.nft'));
  assert.equal(text(renderServiceAdd(o, dr, 256)), golden('service-dr.nft'));
  assert.equal(text(renderServiceAdd(o, fw, 251)), golden('service-fwmark.nft'));
  assert.equal(text(renderServiceDelete(o, nat)), golden('service-nat-delete.nft'));
});

test('real servers: NAT with masquerade, DR with its link; deletion forgets persistence keys', () => {
  const d1 = { id: 2, sid: 1, dest: rs('192.0.2.11', 8080) };
  const d6 = { id: 6, sid: 5, dest: rs('2001:db8:1::11', 3868, 'DR'), link: { ifindex: 2, srcMac: '02:00:00:00:01:01', mac: '02:00:00:00:01:11' } };
  assert.equal(text([...renderDestAdd({ ...o, masquerade: true }, nat, d1), ...renderDestAdd(o, dr, d6)]), golden('dests.nft'));
  assert.equal(text(renderDestDelete(o, nat, d1, [{ map: 'persist_1', key: '198.51.100.0' }])), golden('dest-nat-delete.nft'));
});

test('scheduling updates are element diffs; a changed total replaces the one rule by handle', () => {
  const a = schedElements(
    nat,
    numgenSlots({ kind: 'numgen', weighted: true, failover: false }, [
      { id: 2, weight: 1, name: 'a' },
      { id: 3, weight: 2, name: 'b' },
    ]),
  );
  const b = schedElements(
    nat,
    numgenSlots({ kind: 'numgen', weighted: true, failover: false }, [
      { id: 2, weight: 1, name: 'a' },
      { id: 3, weight: 0, name: 'b' },
      { id: 4, weight: 4, name: 'c' },
    ]),
  );
  assert.deepEqual(renderSched(o, nat, { modulus: 1, elements: new Map() }, a, undefined), [
    'add element inet keepalived_ts_lb sched_1 { 0 : 2, 1-2 : 3 }',
  ]);
  assert.deepEqual(renderSched(o, nat, a, b, 11), [
    'delete element inet keepalived_ts_lb sched_1 { 1-2 }',
    'add element inet keepalived_ts_lb sched_1 { 1-4 : 4 }',
    'replace rule inet keepalived_ts_lb vs_1 handle 11 ct mark 0 ct mark set numgen inc mod 5 map @sched_1',
  ]);
  // same total: elements only
  const c = schedElements(
    nat,
    numgenSlots({ kind: 'numgen', weighted: true, failover: false }, [
      { id: 2, weight: 2, name: 'a' },
      { id: 3, weight: 1, name: 'b' },
    ]),
  );
  assert.deepEqual(renderSched(o, nat, a, c, 11), [
    'delete element inet keepalived_ts_lb sched_1 { 0, 1-2 }',
    'add element inet keepalived_ts_lb sched_1 { 0-1 : 2, 2 : 3 }',
  ]);
  // DR ids carry the new-flow bit
  assert.deepEqual(
    [...schedElements(dr, [6, 7]).elements],
    [
      ['0', 0x80000006],
      ['1', 0x80000007],
    ],
  );
});

test('persistence granularity masks', () => {
  assert.deepEqual(
    [maskedSource(4, 32), maskedSource(4, 24), maskedSource(4, 20), maskedSource(6, 128), maskedSource(6, 64), maskedSource(6, 100)],
    [
      'ip saddr',
      'ip saddr & 255.255.255.0',
      'ip saddr & 255.255.240.0',
      'ip6 saddr',
      'ip6 saddr & ffff:ffff:ffff:ffff::',
      'ip6 saddr & ffff:ffff:ffff:ffff:ffff:ffff:f000::',
    ],
  );
});

test('descriptions round-trip (how open() reads an earlier run back) and fit a comment', () => {
  for (const s of [natSvc, drSvc, fwSvc, { ...natSvc, persistenceEngine: 'sip' }]) {
    const t = describeService(9, s);
    assert.ok(t.length <= 128);
    assert.deepEqual(parseDescription(t), { kind: 's', id: 9, svc: s });
  }
  const d = { ...rs('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 65535, 'DR'), weight: 65535 };
  assert.deepEqual(parseDescription(describeDest(12, 3, d)), { kind: 'd', id: 12, sid: 3, dest: d });
  assert.equal(parseDescription('something else'), undefined);
  assert.equal(parseDescription('s 1 a 4 ICMP 192.0.2.1 0 rr 0 0 32'), undefined);
});
