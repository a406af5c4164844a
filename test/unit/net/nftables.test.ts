import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfig, buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { MemoryLogger } from '../../../src/core/log.js';
import {
  NFT_EMPTY,
  elementId,
  familiesOf,
  isIpv6LinkLocal,
  isNftIdentifier,
  planBurst,
  renderDropTables,
  vipElement,
  vmacElements,
  type NftCommitted,
  type NftElement,
  type NftSettings,
} from '../../../src/net/nft/vrrp-tables.js';
import { NftVips, acceptMode, blocksVips, nftSettingsFor, nftVipsOf, nftVmacFamilies } from '../../../src/runtime/vrrp/nft-vips.js';

const VECTORS = new URL('../../../../test/vectors/nftables/', import.meta.url);
const golden = (name: string) => readFileSync(new URL(name, VECTORS), 'utf8');
/** Interface indexes in the capture (scripts/capture-nftables.sh): eth0, then the VMACs in creation order. */
const IFINDEX: Readonly<Record<string, number>> = { eth0: 2, 'vrrp.61': 3, 'vrrp.62': 4 };
const IFNAME = Object.fromEntries(Object.entries(IFINDEX).map(([k, v]) => [v, k]));
const S: NftSettings = { table: 'keepalived', priority: -1, counters: false, ifindex: false };

/* A model of nftables good enough to compare a ruleset listing with the effect of our scripts --------------- */

interface NSet {
  readonly name: string;
  type: string;
  flags: string;
  elements: string[];
}
interface NChain {
  readonly name: string;
  head: string;
  readonly rules: string[];
}
interface NTable {
  readonly id: string;
  readonly sets: NSet[];
  readonly chains: NChain[];
}

const PRIORITY_NAMES: Readonly<Record<string, number>> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
/** `filter - 1` → -1, `mangle` → -150, `7` → 7. */
function priorityValue(p: string): number {
  const m = /^([a-z]+)(?: ([+-]) (\d+))?$/.exec(p);
  if (!m) return Number(p);
  return PRIORITY_NAMES[m[1]!]! + (m[2] === '-' ? -1 : 1) * Number(m[3] ?? 0);
}

/** Prints a model in a canonical form (elements sorted: nft lists hash sets in no particular order). */
function canon(tables: readonly NTable[]): string {
  return tables
    .map((t) =>
      [
        `table ${t.id}`,
        ...t.sets.map((s) => `  set ${s.name} type=${s.type} flags=${s.flags} elements=[${[...s.elements].sort().join(', ')}]`),
        ...t.chains.flatMap((c) => [`  chain ${c.name} ${c.head}`, ...c.rules.map((r) => `    ${r}`)]),
      ].join('\n'),
    )
    .join('\n');
}

/** Reads `nft list ruleset` output. */
function parseListing(text: string): NTable[] {
  const tables: NTable[] = [];
  let set: NSet | undefined;
  let chain: NChain | undefined;
  let elems: string | undefined;
  for (const line of text.split('\n')) {
    const l = line.trim();
    let m: RegExpExecArray | null;
    if (elems !== undefined) {
      elems += ` ${l}`;
      if (l.endsWith('}')) {
        set!.elements = elems
          .replace(/^\{|\}$/g, '')
          .split(',')
          .map((x) => x.trim());
        elems = undefined;
      }
    } else if ((m = /^table (\S+ \S+) \{$/.exec(l))) tables.push({ id: m[1]!, sets: [], chains: [] });
    else if ((m = /^(?:set|map) (\S+) \{$/.exec(l))) tables.at(-1)!.sets.push((set = { name: m[1]!, type: '', flags: '', elements: [] }));
    else if ((m = /^chain (\S+) \{$/.exec(l))) tables.at(-1)!.chains.push((chain = { name: m[1]!, head: '', rules: [] }));
    else if (l === '}') {
      set = undefined;
      chain = undefined;
    } else if (set && (m = /^type (.*)$/.exec(l))) set.type = m[1]!;
    else if (set && (m = /^flags (.*)$/.exec(l))) set.flags = m[1]!;
    else if (set && l.startsWith('elements = {')) {
      elems = l.slice('elements = '.length);
      if (l.endsWith('}')) {
        set.elements = elems
          .replace(/^\{|\}$/g, '')
          .split(',')
          .map((x) => x.trim());
        elems = undefined;
      }
    } else if (chain && (m = /^type filter hook (\S+) priority (.+); policy accept;$/.exec(l)))
      chain.head = `hook ${m[1]} priority ${priorityValue(m[2]!)}`;
    else if (chain && l) chain.rules.push(l);
  }
  return tables;
}

/** What nft lists for one of our element texts: interface indexes as names. */
function listedElement(type: string, item: string): string {
  if (!type.includes('iface_index')) return item;
  return item
    .split(/( [.:] )/)
    .map((p) => (/^\d+$/.test(p) ? `"${IFNAME[Number(p)]}"` : p))
    .join('');
}

/** Applies one of our scripts to the model, as nft -f would. */
function apply(tables: NTable[], script: string): void {
  const table = (id: string) => tables.find((t) => t.id === id);
  for (const l of script.split('\n').filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^add table (\S+ \S+)$/.exec(l))) {
      if (!table(m[1]!)) tables.push({ id: m[1]!, sets: [], chains: [] });
    } else if ((m = /^delete table (\S+ \S+)$/.exec(l)))
      tables.splice(
        tables.findIndex((t) => t.id === m![1]),
        1,
      );
    else if ((m = /^add chain (\S+ \S+) (\S+)(?: \{ type filter hook (\S+) priority (-?\d+); policy accept; \})?$/.exec(l))) {
      table(m[1]!)!.chains.push({ name: m[2]!, head: m[3] ? `hook ${m[3]} priority ${m[4]}` : '', rules: [] });
    } else if ((m = /^add (?:set|map) (\S+ \S+) (\S+) \{ type ([^;]+);(?: flags (\w+);)?(?: elements = \{ (.*) \};)? \}$/.exec(l))) {
      table(m[1]!)!.sets.push({ name: m[2]!, type: m[3]!, flags: m[4] ?? '', elements: m[5] ? m[5].split(', ') : [] });
    } else if ((m = /^add rule (\S+ \S+) (\S+) (.*)$/.exec(l))) {
      // nft lists keepalived's next-header dependency implicitly, and counters with their values
      const rule = m[3]!.replace('ip6 nexthdr icmpv6 icmpv6 type', 'icmpv6 type').replace(/\bcounter /, 'counter packets 0 bytes 0 ');
      const chain = m[2];
      table(m[1]!)!
        .chains.find((c) => c.name === chain)!
        .rules.push(rule);
    } else if ((m = /^(add|delete) element (\S+ \S+) (\S+) \{ (.*) \}$/.exec(l))) {
      const s = table(m[2]!)!.sets.find((x) => x.name === m![3])!;
      const items = m[4]!.split(', ').map((x) => listedElement(s.type, x));
      if (m[1] === 'add') s.elements.push(...items);
      else s.elements = s.elements.filter((e) => !items.includes(e.split(' : ')[0]!));
    } else assert.fail(`unexpected nft command: ${l}`);
  }
}

/* Replaying keepalived's calls for a captured configuration --------------------------------------------------- */

/** The scripts our code gives nft for the state sequence of the capture: start, MASTER, BACKUP, MASTER, stop. */
function replay(cfg: KeepalivedConfig): Map<string, string[]> {
  const s = nftSettingsFor(cfg)!.settings;
  let have: NftCommitted = NFT_EMPTY;
  const wants = new Map<string, readonly NftElement[]>();
  const scripts: string[] = [];
  const out = new Map<string, string[]>();
  const burst = (key: string, elements: readonly NftElement[]) => {
    wants.delete(key);
    if (elements.length) wants.set(key, elements);
    const plan = planBurst(s, have, [...wants.values()].flat());
    have = plan.next;
    if (plan.text) scripts.push(plan.text);
  };
  const vips = (i: KeepalivedConfig['vrrpInstances'][number], on: boolean) =>
    (on && blocksVips(i) ? nftVipsOf(i, i.useVmac ? `vrrp.${i.virtualRouterId}` : 'eth0', (n) => IFINDEX[n]) : []).map((v) => vipElement(s, v)!);
  for (const i of cfg.vrrpInstances.filter((x) => x.useVmac)) {
    const vmac = `vrrp.${i.virtualRouterId}`;
    burst(`vmac ${i.name}`, vmacElements({ ifindex: IFINDEX[vmac]!, baseIfindex: IFINDEX.eth0!, families: nftVmacFamilies(i) }));
  }
  out.set('backup', [...scripts]);
  for (const [state, on] of [
    ['master', true],
    ['backup-again', false],
    ['master-again', true],
  ] as const) {
    for (const i of cfg.vrrpInstances) burst(`vips ${i.name}`, vips(i, on));
    out.set(state, [...scripts]);
  }
  scripts.push(familiesOf(have).length ? renderDropTables(s.table, familiesOf(have)) : '');
  out.set('stopped', scripts);
  return out;
}

const SCENARIOS: Readonly<Record<string, readonly string[]>> = {
  default: ['backup', 'master', 'backup-again', 'master-again', 'stopped'],
  vmac: ['backup', 'master', 'backup-again', 'master-again', 'stopped'],
  options: ['master', 'stopped'],
  ifindex: ['master', 'stopped'],
  strict: ['master', 'stopped'],
};

for (const [scenario, states] of Object.entries(SCENARIOS)) {
  test(`${scenario}.conf: our scripts give keepalived's ruleset in each state (${states.join(', ')})`, () => {
    const r = loadConfig(new URL(`${scenario}.conf`, VECTORS).pathname);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    const scripts = replay(r.config);
    for (const state of states) {
      const model: NTable[] = [];
      for (const text of scripts.get(state)!) apply(model, text);
      assert.equal(canon(model), canon(parseListing(golden(`${scenario}.${state}.nft`))), `${scenario}.${state}`);
    }
  });
}

/* The renderer ------------------------------------------------------------------------------------------------ */

test('planBurst: parts in keepalived order with their dependencies, one add per set, nothing twice', () => {
  const vip4 = vipElement(S, { address: '192.0.2.100', family: 4 })!;
  const ll = vipElement(S, { address: 'FE80:0:0::100', family: 6, ifindex: 2, ifname: 'eth0' })!;
  assert.deepEqual(ll, { family: 'ip6', set: 'vips_link_local', key: 'fe80::100 . 2' });
  const first = planBurst(S, NFT_EMPTY, [vip4, vip4, { ...vip4, key: '192.0.2.101' }]);
  assert.equal(
    first.text,
    [
      'add table ip keepalived',
      'add chain ip keepalived out { type filter hook output priority -1; policy accept; }',
      'add chain ip keepalived in { type filter hook input priority -1; policy accept; }',
      'add set ip keepalived vips { type ipv4_addr; }',
      'add rule ip keepalived in ip daddr @vips drop',
      'add rule ip keepalived out ip saddr @vips drop',
      'add element ip keepalived vips { 192.0.2.100, 192.0.2.101 }',
      '',
    ].join('\n'),
  );
  const second = planBurst(S, first.next, [ll]);
  assert.match(second.text, /^delete element ip keepalived vips \{ 192\.0\.2\.100, 192\.0\.2\.101 \}\nadd table ip6 keepalived\n/);
  assert.match(second.text, /add set ip6 keepalived vips_link_local \{ type ipv6_addr \. iface_index; \}\n/);
  assert.match(second.text, /add element ip6 keepalived vips_link_local \{ fe80::100 \. 2 \}\n$/);
  assert.equal(planBurst(S, second.next, [ll]).text, '');
  assert.deepEqual(familiesOf(second.next), ['ip', 'ip6']);
});

test('planBurst: counters on every rule, the priority as given, a map element replaced by key', () => {
  const s = { ...S, counters: true, priority: -150, table: 'kts_vips' };
  const a = planBurst(s, NFT_EMPTY, vmacElements({ ifindex: 3, baseIfindex: 2, families: [4] }));
  assert.ok(a.text.includes('add chain ip kts_vips out { type filter hook output priority -150; policy accept; }'));
  assert.ok(
    a.text.includes('add rule ip kts_vips out ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map @vmac_map counter drop'),
  );
  assert.ok(a.text.endsWith('add element ip kts_vips vmac_map { 3 : 2 }\n'));
  const b = planBurst(s, a.next, vmacElements({ ifindex: 3, baseIfindex: 5, families: [4] }));
  assert.equal(b.text, 'delete element ip kts_vips vmac_map { 3 }\nadd element ip kts_vips vmac_map { 3 : 5 }\n');
  assert.equal(planBurst(s, b.next, []).text, 'delete element ip kts_vips vmac_map { 3 }\n');
});

test('vipElement: link-local by name only with matchIfname and without nftables_ifindex; no interface, no element', () => {
  const v = { address: 'fe80::1', family: 6 as const, ifindex: 7, ifname: 'eth1', matchIfname: true };
  assert.deepEqual(vipElement(S, v), { family: 'ip6', set: 'vips_link_local_name', key: 'fe80::1 . "eth1"' });
  assert.deepEqual(vipElement({ ...S, ifindex: true }, v), { family: 'ip6', set: 'vips_link_local', key: 'fe80::1 . 7' });
  assert.deepEqual(vipElement(S, { address: 'fe80::1', family: 6, ifname: 'eth1' }), {
    family: 'ip6',
    set: 'vips_link_local',
    key: 'fe80::1 . "eth1"',
  });
  assert.equal(vipElement(S, { address: 'fe80::1', family: 6 }), undefined);
  assert.deepEqual(vipElement(S, { address: '2001:DB8:0::1', family: 6 }), { family: 'ip6', set: 'vips', key: '2001:db8::1' });
  assert.deepEqual([isIpv6LinkLocal('febf::1'), isIpv6LinkLocal('fec0::1'), isIpv6LinkLocal('fe80::')], [true, false, true]);
  assert.equal(elementId({ family: 'ip', set: 'vmac_map', key: '3', data: '2' }), 'ip vmac_map 3 : 2');
});

test('renderDropTables and isNftIdentifier', () => {
  assert.equal(renderDropTables('t', ['ip6']), 'add table ip6 t\ndelete table ip6 t\n');
  assert.equal(renderDropTables('t').split('\n').filter(Boolean).length, 4);
  assert.deepEqual(['keepalived', 'kts_vips', 'a.b-c/d', 'my table', '1abc', ''].map(isNftIdentifier), [true, true, true, false, false, false]);
});

/* The configuration ------------------------------------------------------------------------------------------- */

const model = (text: string) => {
  const d = new DiagnosticSink();
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf');
  d.items.push(...diagnostics);
  return { config: buildModel(tree, d), diags: d.items };
};
const inst = (name: string, body = '') =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n` + `  virtual_ipaddress {\n    192.0.2.100\n  }\n${body}}\n`;

test('global_defs nftables keywords: defaults, name, priority, counters, ifindex', () => {
  const none = model(inst('VI_1')).config.globalDefs;
  assert.deepEqual([none.nftables, none.nftablesPriority, none.nftablesCounters, none.nftablesIfindex], [undefined, -1, false, false]);
  const { config, diags } = model(
    `global_defs {\n  nftables kts_vips\n  nftables_priority -150\n  nftables_counters\n  nftables_ifindex\n}\n${inst('VI_1')}`,
  );
  const g = config.globalDefs;
  assert.deepEqual([g.nftables, g.nftablesPriority, g.nftablesCounters, g.nftablesIfindex], ['kts_vips', -150, true, true]);
  assert.deepEqual(
    diags.filter((x) => /nftables/.test(x.message)),
    [],
  );
  assert.equal(model(`global_defs {\n  nftables\n}\n`).config.globalDefs.nftables, 'keepalived');
  assert.equal(model(`global_defs { nftables_priority 5 nftables_counters }\n`).config.globalDefs.nftablesPriority, 5);
});

test("global_defs nftables keywords: keepalived's fix-ups and texts", () => {
  // naming the table resets the priority; a second name is ignored
  const a = model(`global_defs {\n  nftables_priority 9\n  nftables one\n  nftables two\n}\n`);
  assert.deepEqual([a.config.globalDefs.nftables, a.config.globalDefs.nftablesPriority], ['one', -1]);
  assert.ok(a.diags.some((x) => x.severity === 'warning' && x.pos.line === 4 && x.message === 'nftables already specified - ignoring'));
  const long = model(`global_defs {\n  nftables ${'x'.repeat(256)}\n}\n`);
  assert.equal(long.config.globalDefs.nftables, undefined);
  assert.ok(long.diags.some((x) => x.message === 'nftables table name too long - ignoring'));
  assert.equal(model(`global_defs {\n  nftables ${'x'.repeat(255)}\n}\n`).config.globalDefs.nftables, 'x'.repeat(255));
  const bad = model(`global_defs {\n  nftables_priority 2147483648\n  nftables_priority abc\n}\n`);
  assert.equal(bad.config.globalDefs.nftablesPriority, -1);
  assert.deepEqual(
    bad.diags.filter((x) => x.severity === 'error').map((x) => x.pos.line),
    [2, 3],
  );
  assert.equal(model(`global_defs {\n  nftables_priority -2147483648\n}\n`).config.globalDefs.nftablesPriority, -2147483648);
  // Debian's keepalived has no iptables: vrrp_iptables means the default nftables table
  const ipt = model(`global_defs {\n  nftables mine\n  vrrp_iptables IN OUT\n}\n`);
  assert.equal(ipt.config.globalDefs.nftables, 'keepalived');
  assert.ok(ipt.diags.some((x) => x.message.startsWith('iptables not supported, using nftables instead.')));
});

test('nftSettingsFor: named, implied by no accept mode or use_vmac (strict, no_accept), or none', () => {
  const settings = (text: string) => nftSettingsFor(model(text).config);
  assert.equal(settings(inst('VI_1')), undefined);
  assert.equal(settings(inst('VI_1', '  accept\n')), undefined);
  assert.deepEqual(settings(`global_defs {\n  nftables\n  nftables_counters\n}\n${inst('VI_1')}`), {
    settings: { table: 'keepalived', priority: -1, counters: true, ifindex: false },
    implied: false,
  });
  assert.deepEqual(settings(inst('VI_1', '  no_accept\n'))?.implied, true);
  assert.deepEqual(settings(inst('VI_1', '  use_vmac\n'))?.settings.table, 'keepalived');
  assert.deepEqual(settings(`global_defs {\n  vrrp_strict\n}\n${inst('VI_1')}`)?.implied, true);
});

test('acceptMode / blocksVips: strict without accept, the address owner, VRRPv2 strict never accepts', () => {
  const one = (text: string) => model(text).config.vrrpInstances[0]!;
  const strict = (body: string) => one(`global_defs {\n  vrrp_strict\n}\n${inst('VI_1', body)}`);
  assert.equal(blocksVips(one(inst('VI_1'))), false);
  assert.equal(blocksVips(one(inst('VI_1', '  no_accept\n'))), true);
  assert.equal(blocksVips(strict('  version 3\n')), true);
  assert.equal(blocksVips(strict('  version 3\n  accept\n')), false);
  const v2 = strict('  version 2\n  accept\n');
  assert.deepEqual([v2.accept, acceptMode(v2), blocksVips(v2)], [true, false, true]);
  const owner = one(inst('VI_1', '  no_accept\n').replace('priority 100', 'priority 255'));
  assert.deepEqual([acceptMode(owner), blocksVips(owner)], [false, false]);
});

test('nftVipsOf / nftVmacFamilies: VIPs and excluded VIPs, interfaces, dont_track_primary, other-family VMAC', () => {
  const i = model(
    `vrrp_instance VI_6 {\n  interface eth0\n  virtual_router_id 1\n  dont_track_primary\n  use_vmac\n` +
      `  virtual_ipaddress {\n    2001:db8::1/64\n    fe80::1/64\n    fe80::2/64 dev eth1\n  }\n` +
      `  virtual_ipaddress_excluded {\n    192.0.2.1/24\n  }\n}\n`,
  ).config.vrrpInstances[0]!;
  const vips = nftVipsOf(i, 'vrrp.1', (n) => ({ 'vrrp.1': 9, eth1: 4 })[n]);
  assert.deepEqual(
    vips.map((v) => vipElement(S, v)?.key),
    ['2001:db8::1', 'fe80::1 . "vrrp.1"', 'fe80::2 . 4', '192.0.2.1'],
  );
  assert.deepEqual(nftVmacFamilies(i), [6, 4]);
  const v4 = model(inst('VI_1', '  use_vmac\n')).config.vrrpInstances[0]!;
  assert.deepEqual([nftVmacFamilies(v4), nftVmacFamilies(v4, true)], [[4], []]);
});

/* The runner -------------------------------------------------------------------------------------------------- */

/** A runner recording scripts, failing those `fail` matches. */
function fakeRunner(fail: (script: string) => boolean = () => false) {
  const scripts: string[] = [];
  const run = async (script: string) => {
    scripts.push(script);
    return fail(script)
      ? 'Error: Could not process rule: No such file or directory\ndelete element ip keepalived vips { 192.0.2.1 }\n^^^^^'
      : undefined;
  };
  return { scripts, run };
}

test('NftVips: stale tables deleted at open, one nft run per burst, nothing when nothing changes, close drops what was set up', async () => {
  const f = fakeRunner();
  const log = new MemoryLogger();
  const nft = new NftVips(log, f.run);
  await nft.open(S);
  assert.deepEqual(f.scripts, [renderDropTables('keepalived')]);
  await nft.open(S);
  assert.equal(f.scripts.length, 1);
  nft.instanceState('VI_1', [{ address: '192.0.2.1', family: 4 }], true);
  nft.instanceState('VI_2', [{ address: '192.0.2.2', family: 4 }], true);
  nft.instanceState('VI_3', [{ address: '192.0.2.3', family: 4 }], false);
  await nft.settled();
  assert.equal(f.scripts.length, 2);
  assert.ok(f.scripts[1]!.endsWith('add element ip keepalived vips { 192.0.2.1, 192.0.2.2 }\n'), f.scripts[1]);
  nft.instanceState('VI_3', [], false);
  await nft.settled();
  assert.equal(f.scripts.length, 2);
  nft.instanceState('VI_1', [{ address: '192.0.2.1', family: 4 }], false);
  await nft.settled();
  assert.equal(f.scripts[2], 'delete element ip keepalived vips { 192.0.2.1 }\n');
  await nft.close();
  assert.equal(f.scripts[3], 'add table ip keepalived\ndelete table ip keepalived\n');
  assert.deepEqual(log.records, []);
});

test('NftVips: a shared VIP stays while one blocking instance holds it; bursts never overlap', async () => {
  let running = 0;
  const scripts: string[] = [];
  const nft = new NftVips(new MemoryLogger(), async (s) => {
    assert.equal(running++, 0);
    scripts.push(s);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    return undefined;
  });
  void nft.open(S);
  const vip = [{ address: '192.0.2.9', family: 4 as const }];
  nft.instanceState('VI_1', vip, true);
  await new Promise((r) => setImmediate(r));
  nft.instanceState('VI_2', vip, true);
  await new Promise((r) => setTimeout(r, 1));
  nft.instanceState('VI_1', vip, false);
  await nft.settled();
  assert.equal(scripts.filter((s) => s.includes('192.0.2.9')).length, 1);
  nft.instanceState('VI_2', vip, false);
  await nft.settled();
  assert.equal(scripts.at(-1), 'delete element ip keepalived vips { 192.0.2.9 }\n');
});

test('NftVips: a failed run is logged (with the command), and the next burst rebuilds the tables in one transaction', async () => {
  let failNext = true;
  const f = fakeRunner((s) => s.includes('add element') && failNext);
  const log = new MemoryLogger();
  const nft = new NftVips(log, f.run);
  await nft.open(S);
  nft.instanceState('VI_1', [{ address: '192.0.2.1', family: 4 }], true);
  await nft.settled();
  assert.deepEqual(log.texts(), [
    'nftables: Error: Could not process rule: No such file or directory: delete element ip keepalived vips { 192.0.2.1 }',
  ]);
  assert.equal(log.records[0]!.level, 'err');
  failNext = false;
  nft.instanceState('VI_2', [{ address: '192.0.2.2', family: 4 }], true);
  await nft.settled();
  assert.ok(f.scripts.at(-1)!.startsWith(renderDropTables('keepalived') + 'add table ip keepalived\n'), f.scripts.at(-1));
  assert.ok(f.scripts.at(-1)!.endsWith('add element ip keepalived vips { 192.0.2.1, 192.0.2.2 }\n'));
  // a link-local VIP without an interface cannot be blocked: said, not thrown
  nft.instanceState('VI_3', [{ address: 'fe80::1', family: 6 }], true);
  await nft.settled();
  assert.match(log.texts().at(-1)!, /^nftables: \(VI_3\) VIP fe80::1: no interface for a link-local address - not blocked$/);
});

test('NftVips: new settings (reload) drop the old tables and rebuild what is wanted under the new name', async () => {
  const f = fakeRunner();
  const nft = new NftVips(new MemoryLogger(), f.run);
  await nft.open(S);
  nft.vmacState('VI_1', { ifindex: 3, baseIfindex: 2, families: [6] });
  await nft.settled();
  await nft.open({ ...S, table: 'other' });
  assert.equal(f.scripts[2], 'add table ip6 keepalived\ndelete table ip6 keepalived\n');
  assert.equal(f.scripts[3], renderDropTables('other'));
  assert.ok(f.scripts[4]!.includes('add element ip6 other vmac_set { 3 }'), f.scripts[4]);
  nft.vmacState('VI_1', undefined);
  await nft.settled();
  assert.equal(f.scripts[5], 'delete element ip6 other vmac_map { 3 }\ndelete element ip6 other vmac_set { 3 }\n');
});
