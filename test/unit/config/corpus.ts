/**
 * The configuration corpus the differential test (keepalived 2.2.7 `-t` against ours) and the keyword table share:
 * Debian's samples, the seed configs, and configurations generated from keepalived's keyword list
 * (test/fixtures/keepalived/keywords-2.2.7.tsv) — each keyword in its block, with a plausible value and a bad one —
 * plus route and rule lines for every keyword of keepalived's ip(8) parsers.
 *
 * Generated configurations use interface `kad0` (the differential test creates it, with eth0 and eth1, in a network
 * namespace of its own; our side sees the same interfaces through a HostView).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's test/fixtures directory (from dist/test/unit/config or test/unit/config). */
export const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/', import.meta.url));

/** One keyword of keepalived 2.2.7: where it is installed and the block it belongs to ('' = top level). */
export interface KeepalivedKeyword {
  readonly file: string;
  readonly keyword: string;
  readonly path: string;
}

/** keepalived's keywords, from the committed list. */
export function keepalivedKeywords(): KeepalivedKeyword[] {
  return readFileSync(`${FIXTURES}keepalived/keywords-2.2.7.tsv`, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [file = '', keyword = '', path = ''] = l.split('\t');
      return { file, keyword, path };
    });
}

/** A named configuration text. */
export interface CorpusConfig {
  readonly name: string;
  readonly text: string;
  /** keepalived's -i, when the config needs one. */
  readonly configId?: string;
}

/** A valid vrrp_instance body on kad0. */
const INSTANCE = ['interface kad0', 'virtual_router_id 51', 'priority 100', 'virtual_ipaddress {', '192.0.2.10/24', '}'];

/** Lines that make a minimal valid block for each enclosing block keepalived installs keywords under. */
const OPEN: Record<string, { open: string; body: string[] }> = {
  global_defs: { open: 'global_defs', body: [] },
  vrrp_instance: { open: 'vrrp_instance VI_1', body: INSTANCE },
  'vrrp_instance > authentication': { open: 'authentication', body: [] },
  vrrp_sync_group: { open: 'vrrp_sync_group SG_1', body: ['group {', 'VI_1', '}'] },
  vrrp_script: { open: 'vrrp_script chk', body: ['script "/bin/true"'] },
  vrrp_track_process: { open: 'vrrp_track_process tp', body: ['process sshd'] },
  track_file: { open: 'track_file tf', body: ['file /tmp/kad-tf'] },
  vrrp_track_file: { open: 'vrrp_track_file tf', body: ['file /tmp/kad-tf'] },
  track_group: { open: 'track_group tg', body: [] },
  garp_group: { open: 'garp_group', body: ['interface kad0'] },
  bfd_instance: { open: 'bfd_instance bfd1', body: ['neighbor_ip 192.0.2.99'] },
  virtual_server: { open: 'virtual_server 192.0.2.1 80', body: ['protocol TCP'] },
  'virtual_server > real_server': { open: 'real_server 192.0.2.2 80', body: [] },
  'virtual_server > real_server > TCP_CHECK': { open: 'TCP_CHECK', body: [] },
  'virtual_server > real_server > HTTP_GET': { open: 'HTTP_GET', body: ['url {', 'path /', '}'] },
  'virtual_server > real_server > HTTP_GET > url': { open: 'url', body: ['path /'] },
  'virtual_server > real_server > UDP_CHECK': { open: 'UDP_CHECK', body: [] },
  'virtual_server > real_server > MISC_CHECK': { open: 'MISC_CHECK', body: ['misc_path /bin/true'] },
  'virtual_server > real_server > SMTP_CHECK': { open: 'SMTP_CHECK', body: [] },
  'virtual_server > real_server > DNS_CHECK': { open: 'DNS_CHECK', body: [] },
  'virtual_server > real_server > FILE_CHECK': { open: 'FILE_CHECK', body: ['track_file tf'] },
  'virtual_server > real_server > BFD_CHECK': { open: 'BFD_CHECK', body: ['name bfd1'] },
  SSL: { open: 'SSL', body: [] },
};

/** Values tried for each keyword: none, a number, a word. */
const VALUES = ['', '1', 'x'];

/** Wraps `line` in the blocks of `path`, each with its minimal body; a VRRP instance comes along where needed. */
export function wrap(path: string, line: string): string | undefined {
  const parts = path === '' ? [] : path.split(' > ');
  const chain: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const key = parts.slice(0, i + 1).join(' > ');
    if (!OPEN[key]) return undefined;
    chain.push(key);
  }
  const open = chain.map((k) => `${OPEN[k]!.open} {\n${OPEN[k]!.body.map((l) => `  ${l}`).join('\n')}`);
  const text = `${open.join('\n')}\n  ${line}\n${chain.map(() => '}').join('\n')}\n`;
  const needsInstance = parts[0] !== 'vrrp_instance' && parts[0] === 'vrrp_sync_group';
  return needsInstance ? `vrrp_instance VI_1 {\n${INSTANCE.map((l) => `  ${l}`).join('\n')}\n}\n${text}` : text;
}

/** One configuration per keepalived keyword and value (keywords of blocks we cannot wrap are left out). */
export function keywordConfigs(): CorpusConfig[] {
  const out: CorpusConfig[] = [];
  const seen = new Set<string>();
  for (const k of keepalivedKeywords()) {
    for (const v of VALUES) {
      const text = wrap(k.path, `${k.keyword}${v ? ` ${v}` : ''}`);
      const name = `kw:${k.path || 'top'}:${k.keyword}:${v || 'none'}`;
      if (text === undefined || seen.has(name)) continue;
      seen.add(name);
      out.push({ name, text });
    }
  }
  return out;
}

/** Route and rule lines (valid and invalid) for every keyword keepalived's alloc_route / alloc_rule take. */
export const ROUTE_LINES = [
  '192.0.2.0/24 dev kad0',
  '192.0.2.0/24 via 192.0.2.1 dev kad0',
  '192.0.2.0/24 via inet 192.0.2.1 dev kad0',
  'default via inet6 2001:db8::1 dev kad0',
  '192.0.2.0/24 via inet6 2001:db8::1 dev kad0',
  'inet6 default dev kad0',
  'to 192.0.2.0/24 dev kad0',
  'blackhole 192.0.2.0/24',
  'unreachable 192.0.2.0/24 dev kad0',
  'to blackhole 192.0.2.0/24 dev kad0',
  '192.0.2.0/24 src 192.0.2.9 dev kad0',
  '192.0.2.0/24 src x dev kad0',
  '2001:db8::/64 from 2001:db8:1::/48 dev kad0',
  '192.0.2.0/24 from 192.0.2.1 dev kad0',
  '192.0.2.0/24 tos 0x10 dev kad0',
  '192.0.2.0/24 dsfield AF11 dev kad0',
  '192.0.2.0/24 tos bogus dev kad0',
  '192.0.2.0/24 table 100 dev kad0',
  '192.0.2.0/24 table main dev kad0',
  '192.0.2.0/24 table bogus dev kad0',
  '192.0.2.0/24 protocol keepalived dev kad0',
  '192.0.2.0/24 protocol static dev kad0',
  '192.0.2.0/24 protocol static no_track dev kad0',
  '192.0.2.0/24 protocol bogus dev kad0',
  '192.0.2.0/24 proto static dev kad0',
  '192.0.2.0/24 scope link dev kad0',
  '192.0.2.0/24 scope bogus dev kad0',
  '192.0.2.0/24 metric 5 dev kad0',
  '192.0.2.0/24 priority 5 dev kad0',
  '192.0.2.0/24 preference 5 dev kad0',
  '192.0.2.0/24 metric x dev kad0',
  '192.0.2.0/24 oif kad0',
  '192.0.2.0/24 dev nosuch0',
  '192.0.2.0/24 via 192.0.2.1 dev kad0 onlink',
  '2001:db8::/64 expires 10 dev kad0',
  '192.0.2.0/24 expires 10 dev kad0',
  '192.0.2.0/24 mtu 1400 dev kad0',
  '192.0.2.0/24 mtu lock 1400 dev kad0',
  '192.0.2.0/24 mtu lock x dev kad0',
  '192.0.2.0/24 hoplimit 64 dev kad0',
  '192.0.2.0/24 hoplimit 300 dev kad0',
  '192.0.2.0/24 advmss lock 1360 dev kad0',
  '192.0.2.0/24 rtt 3s dev kad0',
  '192.0.2.0/24 rtt lock 300ms dev kad0',
  '192.0.2.0/24 rtt 1e3 dev kad0',
  '192.0.2.0/24 rttvar 2s dev kad0',
  '192.0.2.0/24 reordering lock 3 dev kad0',
  '192.0.2.0/24 window 1000 dev kad0',
  '192.0.2.0/24 cwnd lock 10 dev kad0',
  '192.0.2.0/24 ssthresh lock 107 dev kad0',
  '192.0.2.0/24 ssthresh x dev kad0',
  '192.0.2.0/24 realms 1/2 dev kad0',
  '192.0.2.0/24 realms x dev kad0',
  '2001:db8::/64 realms 1 dev kad0',
  '192.0.2.0/24 rto_min 300ms dev kad0',
  '192.0.2.0/24 rto_min lock 1s dev kad0',
  '192.0.2.0/24 initcwnd 10 dev kad0',
  '192.0.2.0/24 initrwnd 10 dev kad0',
  '192.0.2.0/24 features ecn dev kad0',
  '192.0.2.0/24 features sack dev kad0',
  '192.0.2.0/24 quickack 1 dev kad0',
  '192.0.2.0/24 quickack 2 dev kad0',
  '192.0.2.0/24 congctl cubic dev kad0',
  '192.0.2.0/24 congctl lock reno dev kad0',
  '2001:db8::/64 pref high dev kad0',
  '2001:db8::/64 pref 7 dev kad0',
  '192.0.2.0/24 pref low dev kad0',
  '192.0.2.0/24 ttl-propagate enabled dev kad0',
  '192.0.2.0/24 ttl-propagate maybe dev kad0',
  '192.0.2.0/24 fastopen_no_cookie 1 dev kad0',
  '192.0.2.0/24 add dev kad0',
  '192.0.2.0/24 append dev kad0',
  '192.0.2.0/24 prepend dev kad0',
  '192.0.2.0/24 via 192.0.2.1 or 192.0.2.2 dev kad0',
  '192.0.2.0/24 gw 192.0.2.1 dev kad0',
  '192.0.2.0/24 dev kad0 nexthop via 192.0.2.1 dev kad0 weight 2 nexthop via 192.0.2.2 dev kad0',
  '192.0.2.0/24 dev kad0 nexthop via 192.0.2.1 weight 0',
  '192.0.2.0/24 dev kad0 nexthop via 192.0.2.1 bogus',
  '192.0.2.0/24 no_track dev kad0',
  '192.0.2.0/24 dev kad0 track_group tg',
  '192.0.2.0/24 dev kad0 bogus',
  '192.0.2.0/33 dev kad0',
  'dev kad0',
  '192.0.2.0/24 dev kad0 mtu',
  '192.0.2.0/24 via',
];
export const RULE_LINES = [
  'from 192.0.2.0/24 table 100 priority 10',
  'from 192.0.2.0/24 table 100',
  'to 2001:db8::/32 lookup main priority 1',
  'inet6 from all lookup 5 priority 2',
  'not from 192.0.2.1 table 5 order 3',
  'from 192.0.2.1 table 5 preference 0x10',
  'from 192.0.2.1 table 5 pref 3',
  'tos 0x10 table 5 priority 4',
  'dsfield bogus table 5 priority 4',
  'fwmark 0x10/0xff table 5 priority 4',
  'fwmark x table 5 priority 4',
  'realms 3 table 5 priority 4',
  'table 5 suppress_prefixlength 0 priority 4',
  'table 5 sup_pl x priority 4',
  'table 5 sup_group default priority 4',
  'dev kad0 table 5 priority 4',
  'iif kad0 table 5 priority 4',
  'oif kad0 table 5 priority 4',
  'dev nosuch0 table 5 priority 4',
  'tunnel-id 7 table 5 priority 4',
  'uidrange 100-200 table 5 priority 4',
  'uidrange x table 5 priority 4',
  'l3mdev priority 4',
  'l3mdev table 5 priority 4',
  'protocol 18 table 5 priority 4',
  'protocol static table 5 priority 4',
  'ipproto tcp table 5 priority 4',
  'ipproto bogus table 5 priority 4',
  'sport 1000-2000 dport 53 table 5 priority 4',
  'sport x table 5 priority 4',
  'goto 100 priority 4',
  'goto 100',
  'goto 1 priority 4',
  'type nop priority 4',
  'blackhole priority 4',
  'unreachable priority 4',
  'prohibit priority 4',
  'throw priority 4',
  'table 0 priority 4',
  'table 5 goto 9 priority 4',
  'nop realms 1 priority 4',
  'from 192.0.2.1 priority 4',
  'bogus 1 table 5 priority 4',
  'iif kad0 table 5 priority 4 track_group tg',
  'table 5 priority 4 track_group tg',
  'table 5 priority 4 no_track',
  'inet from 2001:db8::1 table 5 priority 4',
  'from',
  'table 5 priority',
];

/** Route and rule lines in static_routes/static_rules and in a vrrp_instance's virtual_routes/virtual_rules. */
export function routeConfigs(): CorpusConfig[] {
  const tg = 'track_group tg {\n  group {\n    kad0\n  }\n}\n';
  const out: CorpusConfig[] = [];
  ROUTE_LINES.forEach((l, i) => {
    out.push({ name: `route:static:${i}:${l}`, text: `${tg}static_routes {\n  ${l}\n}\n` });
    out.push({ name: `route:virtual:${i}:${l}`, text: wrap('vrrp_instance', `virtual_routes {\n    ${l}\n  }`)! });
  });
  RULE_LINES.forEach((l, i) => {
    out.push({ name: `rule:static:${i}:${l}`, text: `${tg}static_rules {\n  ${l}\n}\n` });
    out.push({ name: `rule:virtual:${i}:${l}`, text: wrap('vrrp_instance', `virtual_rules {\n    ${l}\n  }`)! });
  });
  return out;
}

/** Preprocessor cases: comments, definitions, includes of nothing. */
export function preprocessConfigs(): CorpusConfig[] {
  const hc = '$HC=virtual_router_id 52 \\\n  priority 90\n';
  return [
    { name: 'pp:commented-multiline-definition', text: `${hc}${wrap('vrrp_instance', '# $HC')!}` },
    { name: 'pp:bang-commented-definition', text: `${hc}${wrap('vrrp_instance', '! $HC')!}` },
    { name: 'pp:trailing-comment-definition', text: `${hc}${wrap('vrrp_instance', 'nopreempt # $HC')!}` },
    { name: 'pp:extra-brace', text: `${wrap('vrrp_instance', '')!}}\n` },
    { name: 'pp:missing-brace', text: `global_defs {\n  router_id a\n` },
    { name: 'pp:unknown-top', text: 'bogus_keyword 1\n' },
  ];
}

/**
 * Cases for `-t`'s exit status classes (keepalived's config_test_exit and its include checks): CONFIG_FATAL /
 * CONFIG_BAD_IF alone (4), with another error (5), an include failing include_check (6), one that only warns (0).
 */
export function exitStatusConfigs(): CorpusConfig[] {
  const staticNoDev = 'global_defs {\n  default_interface nosuch0\n}\nstatic_ipaddress {\n  192.0.2.1/24\n}\n';
  return [
    { name: 'exit:static-default-if-missing', text: staticNoDev },
    { name: 'exit:static-default-if-missing-and-dev-missing', text: `${staticNoDev}static_ipaddress {\n  192.0.2.2/24 dev nosuch1\n}\n` },
    { name: 'exit:static-default-if-present', text: 'global_defs {\n  default_interface eth0\n}\nstatic_ipaddress {\n  192.0.2.1/24\n}\n' },
    { name: 'exit:linkbeat-if-missing', text: 'linkbeat_interfaces {\n  nosuch2\n}\n' },
    { name: 'exit:include-check-match', text: 'global_defs {\n  include_check\n}\ninclude kadiff-none.conf\n' },
    { name: 'exit:include-check-wildcard', text: 'global_defs {\n  include_check wildcard_match\n}\ninclude kadiff-none-*.conf\n' },
    { name: 'exit:includem', text: 'includem kadiff-none.conf\n' },
    { name: 'exit:include-unchecked', text: 'include kadiff-none.conf\n' },
    { name: 'exit:include-check-after', text: 'include kadiff-none.conf\nglobal_defs {\n  include_check\n}\n' },
    // a VIP of the other family: reported and dropped (5), the instance runs on (vrrp_data.c alloc_vrrp_vip)
    { name: 'exit:vip-other-family-6-in-4', text: wrap('vrrp_instance', 'virtual_ipaddress {\n    2001:db8::10/64\n  }')! },
    {
      name: 'exit:vip-other-family-4-in-6',
      text: 'vrrp_instance VI_1 {\n  interface kad0\n  virtual_router_id 51\n  virtual_ipaddress {\n    2001:db8::10/64\n    192.0.2.10/24\n  }\n}\n',
    },
    {
      name: 'exit:vip-other-family-native-ipv6',
      text: 'vrrp_instance VI_1 {\n  interface kad0\n  virtual_router_id 51\n  native_ipv6\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n',
    },
    { name: 'exit:vip-other-family-excluded', text: wrap('vrrp_instance', 'virtual_ipaddress_excluded {\n    2001:db8::10/64\n  }')! },
  ];
}

/** Debian's samples and the seed configs. */
export function collectedConfigs(): CorpusConfig[] {
  const out: CorpusConfig[] = [];
  const dir = `${FIXTURES}keepalived/samples/`;
  for (const f of readdirSync(dir)
    .filter((n) => n.startsWith('keepalived.conf'))
    .sort()) {
    const text = readFileSync(dir + f, 'utf8');
    if (f === 'keepalived.conf.conditional_conf') {
      out.push({ name: `sample:${f}:high`, text, configId: 'high' }, { name: `sample:${f}:low`, text, configId: 'low' });
    } else out.push({ name: `sample:${f}`, text });
  }
  const seeds = `${FIXTURES}seed-configs/`;
  for (const f of readdirSync(seeds)
    .filter((n) => n.endsWith('.conf'))
    .sort())
    out.push({ name: `seed:${f}`, text: readFileSync(seeds + f, 'utf8') });
  return out;
}

/** Everything. */
export function corpus(): CorpusConfig[] {
  return [...collectedConfigs(), ...preprocessConfigs(), ...exitStatusConfigs(), ...routeConfigs(), ...keywordConfigs()];
}
