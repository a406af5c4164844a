/**
 * nftables_ipvs through the daemon (root; this kernel has nf_tables but no IPVS, so the checker runs the nftables
 * data plane, and the fwmark services are checked over the control socket). What keepalived 2.2.7's
 * check_nftables.c builds is held against the kernel's own view:
 * - `nft list table ip|ip6 keepalived_ipvs` after start: chain `in` (hook input, priority -1), maps
 *   `tcp_map`/`udp_map` of the group addresses (ranges as intervals) to marks counted from
 *   nftables_ipvs_start_fwmark, one rule per map;
 * - the rule's netlink expressions (`nft --debug=netlink`), one for one those of setup_rule_set_mark();
 * - packets from the client to a group address and port leave the chain with the group's mark (a probe chain
 *   after it counts each mark), other ports with none;
 * - a reload that drops a group address deletes its element only (maps, rule and counters stay); a new group gets
 *   the next mark; a reload naming another table is refused (keepalived's line); stop deletes both tables.
 * keepalived 2.2.7 itself cannot run here (its checker exits without IPVS); its IPVS side is compared in the
 * UML guest (test/ipvs/nft-ipvs.test.ts), whose kernel in turn has no nf_tables ip/ip6 families.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlRequest } from '../../../src/daemon/control.js';
import { serviceKeyText } from '../../../src/lb/backend.js';
import { stop, waitFor } from '../harness/daemons.js';
import { startFileDaemon } from '../harness/file-daemon.js';
import { LbLab, RS } from './lb-topology.js';

const lab = new LbLab();
const dir = mkdtempSync(join(tmpdir(), 'kts-nftipvs-'));
after(() => {
  lab.destroy();
  rmSync(dir, { recursive: true, force: true });
});

for (const a of ['203.0.113.20/32', '203.0.113.21/32', '203.0.113.22/32', '203.0.113.30/32', '203.0.113.40/32'])
  lab.sh(lab.ns.dir, `ip addr add ${a} dev lo`);
lab.sh(lab.ns.dir, 'ip addr add 2001:db8:3::21/128 dev lo nodad');
// a probe after keepalived_ipvs's chain: one counter per mark
const PROBE = (f: string) =>
  `table ${f} kts_probe {\n chain in {\n  type filter hook input priority 10; policy accept;\n` +
  [2000, 2001, 2002, 2003].map((m) => `  meta mark ${m} counter\n`).join('') +
  ' }\n}\n';
execFileSync('ip', ['netns', 'exec', lab.ns.dir, 'nft', '-f', '-'], { input: PROBE('ip') + PROBE('ip6') });

const group = (name: string, proto: string, rs: string, port: number) =>
  `virtual_server group ${name} {\n  lb_algo rr\n  lb_kind NAT\n  protocol ${proto}\n  real_server ${rs} ${port} {\n    weight 1\n  }\n}\n`;
const conf = (web: string, extra = '') => `global_defs {
  router_id nftipvs
  nftables_ipvs
  nftables_ipvs_start_fwmark 2000
}
virtual_server_group WEB {
${web}
}
virtual_server_group DNS {
  203.0.113.21 53
}
virtual_server_group DNS6 {
  2001:db8:3::21 53
}
${group('WEB', 'TCP', RS.rs1.v4, 8080)}${group('DNS', 'UDP', RS.rs1.v4, 8053)}${group('DNS6', 'UDP', RS.rs1.v6, 8053)}${extra}`;

const confFile = join(dir, 'keepalived.conf');
writeFileSync(confFile, conf('  203.0.113.20-22 80\n  203.0.113.30 8080'));
const lbd = startFileDaemon((cmd, args) => lab.spawn('dir', cmd, args), dir, 'nftipvs', confFile, ['-C']);
const daemon = lbd.child;
const sock = lbd.controlSocket;

const nft = (args: string) => lab.sh(lab.ns.dir, `nft ${args} 2>&1 || true`);
/** The table as nft lists it, counters zeroed. */
const table = (f: 'ip' | 'ip6') => nft(`list table ${f} keepalived_ipvs`).replace(/packets \d+ bytes \d+/g, 'packets 0 bytes 0');
/** The probe's counter of `mark`. */
const marked = (f: 'ip' | 'ip6', mark: number) => {
  const m = new RegExp(`meta mark 0x0*${mark.toString(16)} counter packets (\\d+)`).exec(nft(`list chain ${f} kts_probe in`));
  return m ? Number(m[1]) : -1;
};
/** `n` datagrams (or TCP connects) from the client, each on its own socket. */
const send = (kind: 'udp' | 'tcp', addr: string, port: number, n: number) =>
  execFileSync(
    'ip',
    ['netns', 'exec', lab.ns.cli, 'bash', '-c', `for i in $(seq ${n}); do (echo x > /dev/${kind}/${addr}/${port}) 2>/dev/null; done; true`],
    {
      timeout: 20_000,
    },
  );

const map = (proto: string, type: string, elements: string) =>
  `\tmap ${proto}_map {\n\t\ttype ${type} . inet_service : mark\n\t\tflags interval\n\t\telements = { ${elements} }\n\t}\n`;
const chain = (rules: string[]) =>
  `\tchain in {\n\t\ttype filter hook input priority filter - 1; policy accept;\n${rules.map((r) => `\t\t${r} counter packets 0 bytes 0 return\n`).join('')}\t}\n`;
const rule = (f: string, p: string) => `meta mark set ${f} daddr . ${p} dport map @${p}_map`;
const IP6_TABLE = `table ip6 keepalived_ipvs {\n${map('udp', 'ipv6_addr', '2001:db8:3::21 . 53 : 0x000007d2')}\n${chain([rule('ip6', 'udp')])}}\n`;

test('start: tables ip and ip6 keepalived_ipvs as check_nftables.c builds them; fwmark services 2000-2002', async () => {
  assert.ok((await waitFor(() => table('ip6') === IP6_TABLE, 20_000)) >= 0, `${table('ip')}${table('ip6')}\n${lbd.log()}`);
  assert.equal(
    table('ip'),
    'table ip keepalived_ipvs {\n' +
      map('tcp', 'ipv4_addr', '203.0.113.20-203.0.113.22 . 80 : 0x000007d0,\n\t\t\t     203.0.113.30 . 8080 : 0x000007d0') +
      '\n' +
      map('udp', 'ipv4_addr', '203.0.113.21 . 53 : 0x000007d1') +
      '\n' +
      chain([rule('ip', 'tcp'), rule('ip', 'udp')]) +
      '}\n',
  );
  // keepalived's rule, expression by expression (setup_rule_set_mark: l4proto, daddr, dport, lookup, mark, counter, return)
  const exprs = nft('--debug=netlink list chain ip keepalived_ipvs in')
    .split('\n')
    .filter((l) => l.startsWith('  ['))
    .map((l) => l.trim());
  assert.deepEqual(exprs.slice(0, 8), [
    '[ meta load l4proto => reg 1 ]',
    '[ cmp eq reg 1 0x00000006 ]',
    '[ payload load 4b @ network header + 16 => reg 1 ]',
    '[ payload load 2b @ transport header + 2 => reg 9 ]',
    '[ lookup reg 1 set tcp_map dreg 1 0x0 ]',
    '[ meta set mark with reg 1 ]',
    '[ counter pkts 0 bytes 0 ]',
    '[ immediate reg 0 return ]',
  ]);
  const r = await controlRequest(sock, 'lvs');
  assert.ok(r.ok && r.lvs, JSON.stringify(r));
  assert.deepEqual(r.lvs.services.map((s) => `${serviceKeyText(s.key)}/${s.key.family}`).sort(), ['FWM 2000/4', 'FWM 2001/4', 'FWM 2002/6']);
  assert.doesNotMatch(lbd.log(), /not supported yet|IPVS nftables/);
});

test('traffic: packets to a group address and port carry the group mark, others none', () => {
  send('udp', '203.0.113.21', 53, 3);
  send('udp', '203.0.113.21', 54, 2);
  send('udp', '203.0.113.22', 53, 2);
  send('tcp', '203.0.113.22', 80, 1);
  send('tcp', '203.0.113.30', 80, 1);
  send('udp', '2001:db8:3::21', 53, 2);
  assert.equal(marked('ip', 2001), 3, 'DNS: 203.0.113.21:53/udp');
  assert.equal(marked('ip', 2000), 1, 'WEB: the SYN to 203.0.113.22:80 (in the range); .30:80 is not in the group');
  assert.equal(marked('ip', 2002), 0);
  assert.equal(marked('ip6', 2002), 2, 'DNS6');
  assert.equal(marked('ip6', 2001), 0);
  const rules = [...nft('list chain ip keepalived_ipvs in').matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
  // a lookup miss ends the rule before its counter: only hits count (1 TCP, 3 UDP)
  assert.deepEqual(rules, [1, 3]);
});

test('reload: a group address removed loses its element only; a new group gets the next mark; stop deletes the tables', async () => {
  writeFileSync(confFile, conf('  203.0.113.20-22 80', `virtual_server_group NEW {\n  203.0.113.40 80\n}\n${group('NEW', 'TCP', RS.rs2.v4, 8080)}`));
  process.kill(daemon.pid!, 'SIGHUP');
  const want = map('tcp', 'ipv4_addr', '203.0.113.20-203.0.113.22 . 80 : 0x000007d0,\n\t\t\t     203.0.113.40 . 80 : 0x000007d3');
  assert.ok((await waitFor(() => table('ip').includes(want), 20_000)) >= 0, `${table('ip')}\n${lbd.log()}`);
  // the rule kept its counters: nothing was re-created
  assert.deepEqual(
    [...nft('list chain ip keepalived_ipvs in').matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1])),
    [1, 3],
  );
  assert.equal(table('ip6'), IP6_TABLE);
  send('tcp', '203.0.113.40', 80, 1);
  assert.equal(marked('ip', 2003), 1, 'NEW: 203.0.113.40:80');
  const r = await controlRequest(sock, 'lvs');
  assert.ok(r.ok && r.lvs, JSON.stringify(r));
  assert.deepEqual(r.lvs.services.map((s) => `${serviceKeyText(s.key)}/${s.key.family}`).sort(), [
    'FWM 2000/4',
    'FWM 2001/4',
    'FWM 2002/6',
    'FWM 2003/4',
  ]);
  // another table name: refused as keepalived refuses it, the running configuration (and table) stays
  writeFileSync(confFile, conf('  203.0.113.20-22 80').replace('  nftables_ipvs\n', '  nftables_ipvs other_ipvs\n'));
  process.kill(daemon.pid!, 'SIGHUP');
  const refused = 'Cannot change IPVS nftables table name at a reload - please restart keepalived';
  assert.ok((await waitFor(() => lbd.log().includes(refused), 20_000)) >= 0, lbd.log());
  assert.ok(table('ip').includes(want), table('ip'));
  assert.doesNotMatch(nft('list tables'), /other_ipvs/);
  await stop(daemon);
  assert.equal(
    nft('list tables')
      .split('\n')
      .filter((l) => l.includes('keepalived_ipvs')).length,
    0,
    nft('list tables'),
  );
  assert.doesNotMatch(lbd.log(), /IPVS nftables \(table/);
});
