/**
 * NftVips against the kernel (root): the rulesets keepalived 2.2.7 installs (test/vectors/nftables, captured by
 * scripts/capture-nftables.sh) come out of our class byte for byte, rule bytecode included, in each state; and
 * traffic to the VIPs of a blocking instance is dropped while an accepting instance's VIPs answer.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Topology } from '../harness/topology.js';
import { waitFor } from '../harness/daemons.js';
import { loadConfig } from '../../../src/config/index.js';
import type { VrrpInstanceConfig } from '../../../src/config/model.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { NftVips, blocksVips, nftSettingsFor, nftVipsOf, nftVmacFamilies, spawnNft } from '../../../src/runtime/vrrp/nft-vips.js';

const VECTORS = new URL('../../../../test/vectors/nftables/', import.meta.url);
const golden = (name: string) => readFileSync(new URL(name, VECTORS), 'utf8');

const topo = Topology.create({ hosts: ['a', 'b'] });
after(() => topo.destroy());

const nftIn = (host: string) => spawnNft(['ip', 'netns', 'exec', topo.host(host).netns, 'nft']);
/** `nft list ruleset` in host a, counter values zeroed (as in the captures). */
const ruleset = () => topo.exec('a', ['nft', 'list', 'ruleset']).replace(/counter packets \d+ bytes \d+/g, 'counter packets 0 bytes 0');
/**
 * The rule bytecode the kernel holds (`nft --debug=netlink`), without handles and set elements (interface indexes).
 * keepalived's VMAC rules load the same things in another order into other registers than nft's: for those
 * (`meta oifkind`) the instructions are compared as a sorted list with registers unnamed.
 */
const bytecode = (text: string) =>
  text
    .split(/\n(?=table )/)[0]!
    .split('\n\n')
    .map((rule) => {
      const lines = rule
        .split('\n')
        .filter((l) => l && !/^\telement |^\S+ \S+ @/.test(l))
        .map((l) => l.replace(/^(ip6? \S+ \S+)( \d+)+$/, '$1').replace(/counter pkts \d+ bytes \d+/, 'counter pkts 0 bytes 0'));
      if (!rule.includes('oifkind')) return lines.join('\n');
      return [
        lines[0],
        ...lines
          .slice(1)
          .map((l) => l.replace(/reg \d/g, 'reg _'))
          .sort(),
      ].join('\n');
    })
    .filter(Boolean)
    .join('\n\n');
const ifindex = (name: string) => {
  const links = JSON.parse(topo.exec('a', ['ip', '-j', 'link', 'show'])) as { ifname: string; ifindex: number }[];
  return links.find((l) => l.ifname === name)?.ifindex;
};

/** Replays keepalived's firewall calls for a captured configuration; checks the ruleset after each state. */
async function replay(scenario: string, states: readonly string[]): Promise<void> {
  const r = loadConfig(new URL(`${scenario}.conf`, VECTORS).pathname);
  const log = new MemoryLogger();
  const nft = new NftVips(log, nftIn('a'));
  const check = (state: string) => {
    if (!states.includes(state)) return;
    assert.equal(ruleset(), golden(`${scenario}.${state}.nft`), `${scenario}.${state}.nft`);
    const ours = bytecode(topo.exec('a', ['nft', '--debug=netlink', 'list', 'ruleset']));
    assert.equal(ours, bytecode(golden(`${scenario}.${state}.netlink`)), `${scenario}.${state}.netlink`);
  };
  const vmacOf = (i: VrrpInstanceConfig) => `vrrp.${i.virtualRouterId}`;
  try {
    await nft.open(nftSettingsFor(r.config)!.settings);
    // start-up: VMACs are created (and put in the maps) before any instance runs
    for (const i of r.config.vrrpInstances.filter((x) => x.useVmac)) {
      topo.exec('a', ['ip', 'link', 'add', 'link', 'eth0', 'name', vmacOf(i), 'type', 'macvlan', 'mode', 'private']);
      nft.vmacState(i.name, { ifindex: ifindex(vmacOf(i))!, baseIfindex: ifindex('eth0')!, families: nftVmacFamilies(i) });
      await nft.settled();
    }
    check('backup');
    for (const [state, master] of [
      ['master', true],
      ['backup-again', false],
      ['master-again', true],
    ] as const) {
      for (const i of r.config.vrrpInstances) {
        nft.instanceState(i.name, nftVipsOf(i, i.useVmac ? vmacOf(i) : 'eth0', ifindex), master && blocksVips(i));
        await nft.settled();
      }
      check(state);
    }
    await nft.close();
    check('stopped');
    assert.deepEqual(log.texts(), []);
  } finally {
    await nft.close();
    for (const i of r.config.vrrpInstances.filter((x) => x.useVmac)) topo.exec('a', ['ip', 'link', 'del', vmacOf(i)]);
  }
}

test('default.conf (counters; IPv4 no_accept + excluded, IPv4 accept, IPv6 no_accept with a link-local VIP): every state as keepalived', () =>
  replay('default', ['backup', 'master', 'backup-again', 'master-again', 'stopped']));

test('vmac.conf (IPv4 VMAC with accept, IPv6 VMAC without): IGMP/MLD rules from start-up, VIPs while MASTER', () =>
  replay('vmac', ['backup', 'master', 'backup-again', 'master-again', 'stopped']));

test('options.conf, ifindex.conf, strict.conf: table name, priority, link-local by name or by index, implied by vrrp_strict', async () => {
  for (const s of ['options', 'ifindex', 'strict']) await replay(s, ['master', 'stopped']);
});

/** Whether host b can open a TCP connection to `ip` port 8080 within `ms`. */
function connects(ip: string, ms = 1000): boolean {
  try {
    topo.exec('b', ['timeout', String(ms / 1000), 'bash', '-c', `exec 3<>/dev/tcp/${ip}/8080`]);
    return true;
  } catch {
    return false;
  }
}

test("traffic: a blocking instance's VIPs (IPv4, IPv6, link-local) drop TCP while an accepting one's answer; unblocked, they answer", async () => {
  const blocked = ['192.0.2.100', '2001:db8::100', 'fe80::100'];
  const accepted = ['192.0.2.110', '2001:db8::110'];
  for (const a of [...blocked, ...accepted]) {
    topo.exec('a', ['ip', 'addr', 'add', `${a}/${a.includes(':') ? 64 : 24}`, 'dev', 'eth0', ...(a.includes(':') ? ['nodad'] : [])]);
  }
  // a TCP listener on every address (a client closing at once must not kill it)
  const server = topo.spawn('a', process.execPath, [
    '-e',
    "require('net').createServer((s) => s.on('error', () => {}).end('ok')).listen(8080, '::')",
  ]);
  const log = new MemoryLogger();
  const nft = new NftVips(log, nftIn('a'));
  const eth0 = ifindex('eth0')!;
  const vips = (list: string[]) =>
    list.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const), ifindex: eth0, ifname: 'eth0' }));
  const target = (a: string) => (a.startsWith('fe80') ? `${a}%eth0` : a);
  try {
    assert.ok((await waitFor(() => connects('192.0.2.110'), 5000)) >= 0, 'the listener in host a answers');
    // every address answers without rules (so a drop below is the rules' doing)
    for (const a of [...blocked, ...accepted]) assert.ok(connects(target(a), 3000), `${a} answers before any rule`);
    await nft.open({ table: 'keepalived', priority: -1, counters: true, ifindex: false });
    nft.instanceState('VI_B', vips(blocked), true);
    nft.instanceState('VI_A', vips(accepted), false);
    await nft.settled();
    for (const a of accepted) assert.ok(connects(target(a)), `${a} answers`);
    for (const a of blocked) assert.ok(!connects(target(a)), `${a} is dropped`);
    // the drops are the VIP rules': their counters moved
    const counted = topo.exec('a', ['nft', 'list', 'ruleset']);
    assert.match(counted, /ip daddr @vips counter packets [1-9]\d* bytes \d+ drop/);
    assert.match(counted, /ip6 daddr @vips counter packets [1-9]\d* bytes \d+ drop/);
    assert.match(counted, /ip6 daddr \. iif @vips_link_local counter packets [1-9]\d* bytes \d+ drop/);
    // leaving MASTER: the VIPs answer again (were they still on the host)
    nft.instanceState('VI_B', vips(blocked), false);
    await nft.settled();
    for (const a of blocked) assert.ok(connects(target(a), 3000), `${a} answers once unblocked`);
    await nft.close();
    assert.equal(topo.exec('a', ['nft', 'list', 'ruleset']), '');
    assert.deepEqual(log.texts(), []);
  } finally {
    await nft.close();
    server.kill('SIGKILL');
  }
});
