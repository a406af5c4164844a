/**
 * nftables_ipvs in the UML guest, keepalived 2.2.7 beside ours as the oracle: the same configuration in two
 * namespaces, the kernel's own `ipvsadm -Ln` (services, schedulers, persistence, destinations) compared after
 * start, after a reload that removes a group address and adds a group, and after stop.
 * - A group of addresses becomes one fwmark service per family, marks from nftables_ipvs_start_fwmark in the order
 *   the virtual servers start, shared by the virtual servers of one group and protocol; a group with a fwmark
 *   entry keeps one service per entry.
 * - A reload keeps the marks; a new group gets the next one.
 * The guest's kernel has no nf_tables ip/ip6 families (CONFIG_NF_TABLES_IPV4/IPV6 unset), so both daemons' map
 * updates fail there (each logs it); the maps, marks on packets and the tables' removal are proven on the host's
 * kernel (test/netns/lb/nft-ipvs.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inGuest, poll, sh } from './harness.js';
import { Daemon, nsExec, type Impl } from './lvs-daemons.js';

const tag = `nfi${process.pid % 100000}`;
const ns = { ours: `${tag}o`, keepalived: `${tag}k` } as const;
const tmp = mkdtempSync('/tmp/kts-nftipvs-');
const daemons: Daemon[] = [];

before(() => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: npm run test:ipvs');
  sh(`set -e
    modprobe -a ip_vs
    for n in ${ns.ours} ${ns.keepalived}; do ip netns add $n; ip -n $n link set lo up; done`);
});

after(async () => {
  for (const d of daemons) await d.stop();
  sh(`for n in ${ns.ours} ${ns.keepalived}; do ip netns del $n 2>/dev/null; done; true`);
  rmSync(tmp, { recursive: true, force: true });
});

const vs = (group: string, body: string) => `virtual_server group ${group} {\n${body}\n}\n`;
const rs = (addr: string, port: number, weight = 1) => `  real_server ${addr} ${port} {\n    weight ${weight}\n  }`;

function conf(name: string, web: string, extra = ''): string {
  const f = join(tmp, name);
  writeFileSync(
    f,
    `global_defs {\n  router_id ${name}\n  nftables_ipvs\n  nftables_ipvs_start_fwmark 2000\n}\n` +
      `virtual_server_group WEB {\n${web}\n}\n` +
      'virtual_server_group DNS {\n  192.0.2.21 53\n}\n' +
      'virtual_server_group DNS6 {\n  2001:db8::21 53\n}\n' +
      'virtual_server_group MARKS {\n  192.0.2.50 80\n  fwmark 7\n}\n' +
      vs('WEB', `  lb_algo wrr\n  lb_kind NAT\n  protocol TCP\n  persistence_timeout 60\n${rs('192.0.2.10', 8080, 2)}\n${rs('192.0.2.11', 8080)}`) +
      vs('DNS', `  lb_algo rr\n  lb_kind DR\n  protocol UDP\n${rs('192.0.2.10', 53)}`) +
      vs('WEB', `  lb_algo rr\n  lb_kind DR\n  protocol UDP\n${rs('192.0.2.12', 80)}`) +
      vs('DNS6', `  lb_algo sh\n  lb_kind NAT\n  protocol UDP\n${rs('2001:db8::10', 5353)}`) +
      vs('MARKS', `  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs('192.0.2.12', 80)}`) +
      extra,
  );
  return f;
}

function start(impl: Impl, file: string, n: string): Daemon {
  const dir = mkdtempSync(join(tmp, `${impl}-`));
  const d = Daemon.start(impl, file, dir, n, ['-C', '-D']);
  daemons.push(d);
  return d;
}

/** `ipvsadm -Ln` of a namespace, services in sorted blocks (the kernel's hash order is not the point). */
function table(n: string): string {
  const blocks: string[] = [];
  for (const l of nsExec(n, ['ipvsadm', '-Ln']).split('\n').slice(3)) {
    if (!l) continue;
    if (l.startsWith('  ->')) blocks[blocks.length - 1] += `\n${l.trimEnd()}`;
    else blocks.push(l.trimEnd());
  }
  return blocks.sort().join('\n');
}

/** Waits until both namespaces' tables are equal and have `services` services; returns the table. */
async function same(services: number, what: string, k: Daemon, o: Daemon): Promise<string> {
  let kt = '';
  let ot = '';
  const ok = await poll(
    () => {
      kt = table(ns.keepalived);
      ot = table(ns.ours);
      return kt === ot && kt.split('\n').filter((l) => !l.startsWith('  ->')).length === services ? true : undefined;
    },
    60_000,
    500,
  );
  assert.ok(ok, `${what}: keepalived\n${kt}\nours\n${ot}\n--- keepalived log\n${k.log}\n--- our log\n${o.log}`);
  return kt;
}

const START = [
  'FWM  2000 wrr persistent 60',
  '  -> 192.0.2.10:8080              Masq    2      0          0',
  '  -> 192.0.2.11:8080              Masq    1      0          0',
  'FWM  2001 rr',
  '  -> 192.0.2.10:0                 Route   1      0          0',
  'FWM  2002 rr',
  '  -> 192.0.2.12:0                 Route   1      0          0',
  'FWM  2003 IPv6 sh',
  '  -> [2001:db8::10]:5353          Masq    1      0          0',
  'FWM  7 rr',
  '  -> 192.0.2.12:80                Masq    1      0          0',
  'TCP  192.0.2.50:80 rr',
  '  -> 192.0.2.12:80                Masq    1      0          0',
].join('\n');

test('nftables_ipvs: the fwmark services keepalived 2.2.7 programs, at start, after a reload, and after stop', { timeout: 600_000 }, async () => {
  const web = '  192.0.2.20-22 80\n  192.0.2.30 8080';
  const k = start('keepalived', conf('k.conf', web), ns.keepalived);
  const o = start('ours', conf('o.conf', web), ns.ours);
  assert.equal(await same(6, 'start', k, o), START);
  // reload: WEB loses 192.0.2.30 8080 (its element only; the services stay), group NEW gets the next mark (2004)
  const extra = `virtual_server_group NEW {\n  192.0.2.40 80\n}\n${vs('NEW', `  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs('192.0.2.13', 80)}`)}`;
  conf('k.conf', '  192.0.2.20-22 80', extra);
  conf('o.conf', '  192.0.2.20-22 80', extra);
  k.reload();
  o.reload();
  const reloaded = await same(7, 'reload', k, o);
  assert.equal(
    reloaded,
    `${START.split('\n').slice(0, 9).join('\n')}\nFWM  2004 rr\n  -> 192.0.2.13:80                Masq    1      0          0\n${START.split('\n').slice(9).join('\n')}`,
  );
  await o.stop();
  await k.stop();
  assert.equal(table(ns.ours), '', `ours left services:\n${o.log}`);
  assert.equal(table(ns.keepalived), '');
  // both tried the maps and were refused by this kernel (no nf_tables ip family)
  assert.match(o.log, /IPVS nftables \(table keepalived_ipvs\): .*Operation not supported/);
  assert.match(k.log, /mnl_socket_recvfrom error .*\(Operation not supported\)/);
  for (const [who, d] of [
    ['keepalived', k],
    ['ours', o],
  ] as const)
    for (const l of d.log
      .split('\n')
      .filter((x) => /nftables|netlink|mnl|nft_/i.test(x))
      .slice(0, 6))
      process.stdout.write(`# ${who}: ${l}\n`);
});
