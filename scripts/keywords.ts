/**
 * `npm run keywords`: writes docs/keywords.md, the table of every keepalived 2.2.7 keyword (from the committed list
 * test/fixtures/keepalived/keywords-2.2.7.tsv, extracted from keepalived's install_keyword calls) and what
 * keepalived-ts does with it. The status is not written by hand: each keyword is put in its block and read by our
 * parser, and its diagnostics decide — "Unknown keyword" means not recognised, "not supported" means parsed but not
 * acted on (the message says why), anything else means supported. NOTES adds how a supported keyword behaves
 * differently. test/unit/config/keywords.test.ts fails when docs/keywords.md is not what this prints.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildModel, parseConfigTree } from '../src/config/index.js';
import { DiagnosticSink } from '../src/config/diagnostics.js';
import { keepalivedKeywords, wrap } from '../test/unit/config/corpus.js';

/** Supported, but not exactly as keepalived: how (keyed by `path > keyword`, or the keyword alone). */
const NOTES: Readonly<Record<string, string>> = {
  'global_defs > vrrp_iptables':
    "nftables is used instead, with keepalived's warning, as Debian's keepalived 2.2.7 (built without iptables) does: the same table, chains and rules as `nftables` (test/netns/vrrp/nftables.test.ts compares `nft list ruleset`)",
  'global_defs > vrrp_ipsets':
    "as Debian's keepalived 2.2.7 (built without libipset, so the keyword is not installed): reported as an unknown keyword and ignored; vrrp_iptables's nftables table keeps the address sets",
  'global_defs > enable_snmp_checker':
    "the checker child's AgentX subagent serves KEEPALIVED-MIB's global scalars and check subtree (virtual server groups and members, virtual and real servers with their IPVS counters, lvsSyncDaemon and lvsTimeouts) and sends realServerStateChange and virtualServerQuorumStateChange as keepalived 2.2.7, and takes SET of realServerWeight as keepalived (the value's first byte, the quorum re-weighed, kept until a reload; test/ipvs/snmp-check.test.ts compares walks, notifications, SET answers and the IPVS table); differences: a SET of a realServerWeight row that does not exist is refused (keepalived writes the next row's), the rates' Low columns read 0 (keepalived's read a wrong buffer, 0 below 4 GiB)",
  'global_defs > enable_snmp_vrrp':
    "KEEPALIVED-MIB vrrp subtree as keepalived 2.2.7, every table (routes, rules and next hops too; tracked files, processes and BFD) and SET of vrrpInstanceBasePriority/vrrpInstancePreempt (the rest refused as keepalived: notWritable, a VRRPv3 instance's accept noAccess); the route encapsulation columns are left out (keepalived-ts sets no route `encap`)",
  'global_defs > enable_snmp_keepalived': 'the old name of enable_snmp_vrrp: the same (see enable_snmp_vrrp)',
  'global_defs > snmp_socket':
    'unix:PATH, PATH and tcp:HOST:PORT as net-snmp; udp:HOST:PORT sends one AgentX PDU per datagram (not tested against snmpd); taken once at start-up, as keepalived (a reload does not reconnect)',
  'global_defs > vrrp_rt_priority':
    'unset (and no vrrp_priority): the VRRP process runs SCHED_RR 1 by default; 0 turns that off (an error in keepalived)',
  'global_defs > vrrp_no_swap': 'refused: Node.js aborts when its memory is locked (V8 frees pages with madvise(MADV_DONTNEED))',
  'global_defs > checker_no_swap': 'refused: Node.js aborts when its memory is locked (V8 frees pages with madvise(MADV_DONTNEED))',
  'global_defs > bfd_no_swap': 'refused: Node.js aborts when its memory is locked (V8 frees pages with madvise(MADV_DONTNEED))',
  'global_defs > checker_rt_priority':
    'set on every thread present at start and at each reload (a thread Node creates later runs SCHED_OTHER until the next reload: SCHED_RESET_ON_FORK)',
  'global_defs > random_seed':
    'checked, no effect — as in keepalived 2.2.7, whose init_data clears the seed before set_std_definitions would seed ${_RANDOM} with it',
  'global_defs > tmp_config_directory':
    'checked, no effect: keepalived keeps a copy of the configuration for its children to read; ours read the files themselves (see reload_file), so there is no copy to place',
  'global_defs > reload_file':
    "exists from the start of a reload (before reload_check_config's check) until every child has re-read the files (ours read them themselves); keepalived 2.2.7 creates it only around the check",
  'global_defs > reload_check_config':
    "the check (`-t` with the daemon's arguments, report in LOGFILE) may take 30 s (keepalived: 5 s; a Node.js start-up under load needs more)",
  'global_defs > config_save_dir':
    'the copy is each file read, in order, after a `# PATH` line (keepalived copies its in-memory concatenation); written by the parent at start and at each reload',
  'global_defs > include_check':
    'decides whether an include matching nothing is an error (match: a plain name, brace_match: braces, wildcard_match: a wildcard); read anywhere in the file (keepalived: in global_defs); `-t` then exits 6, as keepalived',
  'global_defs > vrrp_garp_interval':
    '0 is accepted (keepalived 2.x refuses it); frames held back by the interval are queued and all sent (keepalived keeps at most one held-back GARP/NA per VIP, so a garp_master_repeat burst shrinks to about two frames per VIP)',
  'global_defs > vrrp_gna_interval':
    '0 is accepted (keepalived 2.x refuses it); frames held back by the interval are queued and all sent (keepalived keeps at most one held-back GARP/NA per VIP, so a garp_master_repeat burst shrinks to about two frames per VIP)',
  'garp_group > garp_interval':
    'frames held back by the interval are queued and all sent (keepalived keeps at most one held-back GARP/NA per VIP, so a garp_master_repeat burst shrinks to about two frames per VIP)',
  'garp_group > gna_interval':
    'frames held back by the interval are queued and all sent (keepalived keeps at most one held-back GARP/NA per VIP, so a garp_master_repeat burst shrinks to about two frames per VIP)',
  'vrrp_instance > virtual_routes': "`vrf` is refused (needs the host's VRF table)",
  linkbeat_interfaces:
    'polled every second over rtnetlink (RTM_GETLINK: IFF_UP and carrier), whatever MII/ETHTOOL/IOCTL asks; keepalived reads MII registers, ethtool or SIOCGIFFLAGS',
  linkbeat_use_polling: "as linkbeat_interfaces for the instances' interfaces: polled every second over rtnetlink (RTM_GETLINK)",
  interface_up_down_delays:
    "as keepalived (up delay 0 when not given, as its parser; clamped below (down_timer_adverts-1) x advert_int); also for interfaces created after start (keepalived 2.2.7 does not delay those); not lowered again for a master's shorter advert_int",
  'global_defs > dynamic_interfaces':
    'an instance whose interface is missing waits in FAULT and starts when the interface is up with an address; deleted and re-created, it waits again (VMAC instances: the VMAC is not re-made); allow_if_changes accepted, nothing to relax',
  'vrrp_instance > use_ipvlan':
    'an IPv4 ipvlan without an address is not started (keepalived: the instance stays in FAULT); VIPs stay on the parent interface, as keepalived 2.2.7 puts them',
  net_namespace_ipvs:
    "IPVS only: the checker's generic netlink socket is opened in /run/netns/NAME (no name: pid 1's namespace), as keepalived; the nftables data plane stays in the daemon's namespace",
  namespace_with_ipsets:
    'accepted, no effect: keepalived uses it to allow ipsets in a namespace on Linux before 3.13; keepalived-ts keeps its address sets in nftables',
  'vrrp_instance > use_vmac_addr': 'address VMACs are not entered in the nftables VMAC sets (the instance VMAC is)',
  regex_stack:
    "checked as keepalived checks it; it only sizes PCRE2's JIT stack, and keepalived-ts matches with JavaScript's RegExp, which has none to size",
  net_namespace:
    'the daemon enters /run/netns/NAME before opening a socket, as keepalived; keepalived also binds /run/keepalived/NAME on /run/keepalived in a private mount namespace, which a multi-threaded process cannot unshare, so the pid files are written to /run/keepalived/NAME directly (the same files seen from outside)',
  'vrrp_instance > vrf':
    'run as keepalived\'s manual (and keepalived 2.4) describe: unicast, no interface, sockets bound to the VRF device, each VIP on its `dev`; keepalived 2.2.7 itself refuses every instance without interface ("Unknown interface!": it checks before it has noted the unicast peers) and its VRRP child exits; the VRF device going down puts the instance in FAULT',
  'vrrp_instance > debug': "accepted, no effect in keepalived 2.2.7 either (it only shows it in keepalived.data as 'Debug level', and so do we)",
  'global_defs > vrrp_down_timer_adverts':
    'the default of every instance wherever global_defs stands (keepalived copies it into instances allocated after it)',
  'global_defs > lvs_netlink_cmd_rcv_bufs': 'accepted, no effect: keepalived 2.2.7 applies it only in a single-process debug build',
  'global_defs > lvs_netlink_cmd_rcv_bufs_force': 'accepted, no effect: keepalived 2.2.7 applies it only in a single-process debug build',
  'global_defs > vrrp_netlink_monitor_rcv_bufs':
    'when set as keepalived (0: 64 KiB); when not set our monitor socket keeps 1 MiB, where keepalived sets 64 KiB',
  'global_defs > vrrp_netlink_cmd_rcv_bufs': "when set as keepalived (0: 64 KiB); when not set the kernel's default, where keepalived sets 64 KiB",
  'global_defs > lvs_netlink_monitor_rcv_bufs':
    "the checker's address monitor (ha_suspend) as keepalived (0: 64 KiB); when not set it keeps 1 MiB, where keepalived sets 64 KiB",
  SSL: "SSL_GET's client context as keepalived's (certificate chain, key, password; `ca` loaded, the server never verified); a file that no longer loads at a reload is logged and the previous context kept (keepalived's checker exits)",
  'global_defs > lvs_sync_daemon':
    'IPVS only, over its own generic netlink socket: a kernel without IPVS gets a logged error and no daemon (lvs_backend nftables has no connection sync)',
  'vrrp_instance > track_src_ip':
    "as keepalived's manual says (FAULT while the configured unicast_src_ip/mcast_src_ip is removed); keepalived 2.2.7 itself never acts on it",
};

/** The status of one keyword in its block. */
export function probe(path: string, keyword: string): { status: 'supported' | 'not yet' | 'unknown' | 'not probed'; why: string } {
  const text = wrap(path, `${keyword} 1`);
  if (text === undefined) return { status: 'not probed', why: 'block not generated by the probe' };
  const line = text.split('\n').findIndex((l) => l.trim() === `${keyword} 1`) + 1;
  const { tree, diagnostics } = parseConfigTree(text, 'probe.conf', { configId: 'probe' });
  const d = new DiagnosticSink();
  d.items.push(...diagnostics);
  buildModel(tree, d);
  const here = d.items.filter((x) => x.pos.line === line && x.pos.col <= 3 + 2 * path.split(' > ').length);
  const unknown = here.find((x) => x.message.startsWith('Unknown keyword'));
  if (unknown) return { status: 'unknown', why: 'not recognised by keepalived-ts' };
  // a keyword inside a block that is itself not acted on (garp_group, linkbeat_interfaces) is not acted on either
  const blocks = path ? path.split(' > ') : [];
  // "not supported yet" (not "iptables not supported, using nftables instead": keepalived's own text for a keyword it maps)
  const notYet =
    here.find((x) => /not supported yet/.test(x.message)) ??
    d.items.find((x) => x.pos.line < line && blocks.some((b) => x.message.includes(`'${b}' is not supported`)));
  if (notYet) return { status: 'not yet', why: notYet.message.replace(/^\([^)]*\) /, '') };
  return { status: 'supported', why: '' };
}

/** The markdown table. */
export function keywordTable(): string {
  const rows = keepalivedKeywords().map((k) => {
    const p = probe(k.path, k.keyword);
    const full = k.path ? `${k.path} > ${k.keyword}` : k.keyword;
    const note = NOTES[full] ?? NOTES[k.keyword];
    // a note on a keyword we report as unknown: keepalived 2.2.7 (Debian's build) does not know it either
    const status = note?.startsWith('refused')
      ? 'refused'
      : (p.status === 'supported' || p.status === 'unknown') && note
        ? 'supported differently'
        : p.status;
    const why = note && (status === 'refused' || status === 'supported differently') ? note : p.why;
    return `| ${k.path || '(top level)'} | \`${k.keyword}\` | ${status} | ${why.replace(/\|/g, '\\|')} |`;
  });
  const count = (s: string) => rows.filter((r) => r.includes(`| ${s} |`)).length;
  return [
    '# keepalived 2.2.7 keywords in keepalived-ts',
    '',
    "Generated by `npm run keywords` (scripts/keywords.ts) from keepalived's keyword tables",
    '(test/fixtures/keepalived/keywords-2.2.7.tsv) and our parser: do not edit by hand; a unit test fails when it is stale.',
    '',
    `${rows.length} keywords: ${count('supported')} supported, ${count('supported differently')} supported differently, ` +
      `${count('not yet')} parsed but not acted on yet, ${count('refused')} refused, ${count('unknown')} not recognised, ` +
      `${count('not probed')} not probed.`,
    '',
    '| block | keyword | status | how / why |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** docs/keywords.md in the repository. */
export const KEYWORDS_MD = fileURLToPath(new URL('../../docs/keywords.md', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(KEYWORDS_MD, keywordTable());
  process.stdout.write(`wrote ${KEYWORDS_MD}\n`);
}
