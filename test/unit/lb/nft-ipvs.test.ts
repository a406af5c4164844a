/**
 * nftables_ipvs as keepalived 2.2.7 builds it (check_nftables.c, ipvswrapper.c ipvs_cmd): the global_defs
 * keywords, which virtual servers become one fwmark service, the marks, the nft text (table, chain, maps, rules,
 * elements) and its steps at reload and stop. The kernel side: test/netns/nft-ipvs.test.ts and
 * test/ipvs/nft-ipvs.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { servicesOf } from '../../../src/lb/services.js';
import { FwmarkAllocator, NFT_IPVS_EMPTY, nftIpvsElements, planNftIpvs, renderDropIpvsTables } from '../../../src/lb/nft-ipvs.js';
import { NftIpvs } from '../../../src/runtime/check/nft-ipvs.js';
import { MemoryLogger } from '../../../src/core/log.js';

function model(text: string): { m: KeepalivedConfig; d: DiagnosticSink } {
  const { tree } = parseConfigTree(text, 't.conf');
  const d = new DiagnosticSink();
  return { m: buildModel(tree, d), d };
}

const RS = 'real_server 192.0.2.10 80 { weight 1 }';
const GROUPS = `virtual_server_group G4 {
  192.0.2.1-3 80
  192.0.2.9 443
}
virtual_server_group GM {
  192.0.2.20 80
  2001:db8::1-5 80
}
virtual_server_group GF {
  192.0.2.30 80
  fwmark 7
}
`;

test('global_defs: nftables_ipvs [NAME] resets priority and start mark; the other two need it; no "not supported" warning', () => {
  const read = (g: string): { s: unknown; texts: string[] } => {
    const { m, d } = model(`global_defs {\n${g}\n}\n`);
    return { s: m.globalDefs.nftablesIpvs, texts: d.items.map((x) => x.message) };
  };
  assert.deepEqual(read('nftables_ipvs'), { s: { table: 'keepalived_ipvs', priority: -1, startFwmark: 1000 }, texts: [] });
  assert.deepEqual(read('nftables_ipvs lb\nnftables_ipvs_priority -5\nnftables_ipvs_start_fwmark 20').s, {
    table: 'lb',
    priority: -5,
    startFwmark: 20,
  });
  // given before the table is named: reset by it (keepalived's handler sets both defaults)
  assert.deepEqual(read('nftables_ipvs_priority 7\nnftables_ipvs_start_fwmark 20\nnftables_ipvs').s, {
    table: 'keepalived_ipvs',
    priority: -1,
    startFwmark: 1000,
  });
  assert.equal(read('nftables_ipvs_priority 7').s, undefined);
  assert.deepEqual(read('nftables_ipvs a\nnftables_ipvs b').texts, ['ipvs nftables already specified - ignoring']);
  assert.deepEqual(read(`nftables_ipvs ${'x'.repeat(256)}`).texts, ['ipvs nftables table name too long - ignoring']);
  assert.deepEqual(read('nftables_ipvs\nnftables_ipvs_start_fwmark 0').s, { table: 'keepalived_ipvs', priority: -1, startFwmark: 1000 });
  assert.deepEqual(read('nftables_ipvs\nnftables_ipvs_priority x').texts, ["invalid ipvs nftables chain priority 'x'"]);
});

test('servicesOf with marks: a group of addresses is one fwmark service per family; marks per group and protocol, in start order', () => {
  const { m } = model(`${GROUPS}
virtual_server group G4 { protocol TCP\n lb_kind NAT\n persistence_timeout 60\n persistence_granularity 255.255.255.0\n ${RS} }
virtual_server group G4 { protocol UDP\n ${RS} }
virtual_server group G4 { protocol TCP\n lb_algo wrr\n ${RS} }
virtual_server group GF { protocol TCP\n ${RS} }
`);
  const marks = new FwmarkAllocator(1000);
  const [a, b, c, f] = m.virtualServers.map((vs) => servicesOf(vs, m.virtualServerGroups, marks));
  assert.deepEqual(
    a!.map((t) => [t.service.key, t.service.netmaskBits, t.destPort]),
    [[{ kind: 'fwmark', family: 4, fwmark: 1000 }, 24, 0]],
  );
  assert.deepEqual(
    b!.map((t) => t.service.key),
    [{ kind: 'fwmark', family: 4, fwmark: 1001 }],
  );
  // the same group and protocol shares its mark (keepalived: vsg->auto_fwmark[proto])
  assert.deepEqual(
    c!.map((t) => t.service.key),
    [{ kind: 'fwmark', family: 4, fwmark: 1000 }],
  );
  // a group with a fwmark entry keeps one service per entry (keepalived: only when vsg->vfwmark is empty)
  assert.deepEqual(
    f!.map((t) => t.service.key.kind),
    ['address', 'fwmark'],
  );
  // without nftables_ipvs: one service per address, as before
  assert.equal(servicesOf(m.virtualServers[0]!, m.virtualServerGroups).length, 4);
});

test('a group with IPv4 and IPv6 addresses (tunnelled real servers): FWM for both families, IPv6 with netmask 128', () => {
  const { m } = model(`${GROUPS}
virtual_server group GM { protocol TCP\n lb_kind TUN\n persistence_timeout 60\n real_server 192.0.2.10 80 { weight 1 } }
`);
  const ts = servicesOf(m.virtualServers[0]!, m.virtualServerGroups, new FwmarkAllocator(5));
  assert.deepEqual(
    ts.map((t) => [t.service.key, t.service.netmaskBits]),
    [
      [{ kind: 'fwmark', family: 4, fwmark: 5 }, 32],
      [{ kind: 'fwmark', family: 6, fwmark: 5 }, 128],
    ],
  );
  assert.deepEqual(nftIpvsElements(m.virtualServers[0]!, m.virtualServerGroups, new FwmarkAllocator(5)), [
    { family: 4, protocol: 'TCP', key: '192.0.2.20 . 80', mark: 5 },
    { family: 6, protocol: 'TCP', key: '2001:db8::1-2001:db8::5 . 80', mark: 5 },
  ]);
});

test('FwmarkAllocator: retain() forgets unused groups, and a mark is never handed out twice', () => {
  const a = new FwmarkAllocator(1000);
  assert.equal(a.markFor('A', 'TCP'), 1000);
  assert.equal(a.markFor('B', 'TCP'), 1001);
  a.retain(new Set([FwmarkAllocator.key('B', 'TCP')]));
  assert.equal(a.markFor('B', 'TCP'), 1001);
  assert.equal(a.markFor('A', 'TCP'), 1002);
});

const S = { table: 'keepalived_ipvs', priority: -1, startFwmark: 1000 };
const E = (key: string, mark = 1000, family: 4 | 6 = 4, protocol: 'TCP' | 'UDP' | 'SCTP' = 'TCP') => ({ family, protocol, key, mark });

test('planNftIpvs: parts at first use in keepalived order, then elements; a reload only adds and deletes elements', () => {
  const first = planNftIpvs(S, false, NFT_IPVS_EMPTY, [E('192.0.2.1-192.0.2.3 . 80'), E('2001:db8::1 . 53', 1001, 6, 'UDP'), E('192.0.2.9 . 443')]);
  assert.equal(
    first.text,
    [
      'add table ip keepalived_ipvs',
      'add chain ip keepalived_ipvs in { type filter hook input priority -1; policy accept; }',
      'add map ip keepalived_ipvs tcp_map { type ipv4_addr . inet_service : mark; flags interval; }',
      'add rule ip keepalived_ipvs in meta l4proto tcp meta mark set ip daddr . tcp dport map @tcp_map counter return',
      'add table ip6 keepalived_ipvs',
      'add chain ip6 keepalived_ipvs in { type filter hook input priority -1; policy accept; }',
      'add map ip6 keepalived_ipvs udp_map { type ipv6_addr . inet_service : mark; flags interval; }',
      'add rule ip6 keepalived_ipvs in meta l4proto udp meta mark set ip6 daddr . udp dport map @udp_map counter return',
      'add element ip keepalived_ipvs tcp_map { 192.0.2.1-192.0.2.3 . 80 : 1000, 192.0.2.9 . 443 : 1000 }',
      'add element ip6 keepalived_ipvs udp_map { 2001:db8::1 . 53 : 1001 }',
      '',
    ].join('\n'),
  );
  // reload removes an address and every IPv6 one: elements go, the tables, maps and rules stay (until stop)
  const second = planNftIpvs(S, false, first.next, [E('192.0.2.1-192.0.2.3 . 80')]);
  assert.equal(
    second.text,
    'delete element ip6 keepalived_ipvs udp_map { 2001:db8::1 . 53 }\ndelete element ip keepalived_ipvs tcp_map { 192.0.2.9 . 443 }\n',
  );
  assert.deepEqual(second.next.parts, ['4', '4 TCP', '6', '6 UDP']);
  assert.equal(planNftIpvs(S, false, second.next, [E('192.0.2.1-192.0.2.3 . 80')]).text, '');
  // nftables_counters: the maps count per element; priority from nftables_ipvs_priority
  const c = planNftIpvs({ ...S, priority: -150 }, true, NFT_IPVS_EMPTY, [E('192.0.2.5 . 0', 7, 4, 'SCTP')]).text;
  assert.match(c, /priority -150;/);
  assert.match(c, /add map ip keepalived_ipvs sctp_map \{ type ipv4_addr \. inet_service : mark; flags interval; counter; \}/);
  assert.equal(renderDropIpvsTables('t', [6]), 'add table ip6 t\ndelete table ip6 t\n');
});

test('NftIpvs: stale tables dropped at the first sync, failures rebuild, close deletes only what was set up', async () => {
  const scripts: string[] = [];
  let fail = false;
  const log = new MemoryLogger();
  const n = new NftIpvs(S, false, log, async (s) => {
    scripts.push(s);
    return fail ? 'Error: boom' : undefined;
  });
  await n.close();
  assert.equal(scripts.length, 0, 'nothing set up, nothing deleted');
  await n.sync([E('192.0.2.1 . 80')]);
  assert.ok(scripts[0]!.startsWith(renderDropIpvsTables('keepalived_ipvs')), scripts[0]);
  assert.match(scripts[0]!, /add element ip keepalived_ipvs tcp_map \{ 192\.0\.2\.1 \. 80 : 1000 \}/);
  fail = true;
  await n.sync([E('192.0.2.2 . 80')]);
  assert.equal(log.records.at(-1)?.text, 'IPVS nftables (table keepalived_ipvs): Error: boom');
  fail = false;
  await n.sync([E('192.0.2.2 . 80')]);
  assert.ok(scripts[2]!.startsWith(renderDropIpvsTables('keepalived_ipvs')), 'rebuilt from scratch after the failure');
  await n.close();
  assert.equal(scripts[3], 'add table ip keepalived_ipvs\ndelete table ip keepalived_ipvs\n');
});
