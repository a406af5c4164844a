/**
 * Reload safety on the real kernel (root): one daemon, every kind of reload in turn — a file with errors, an
 * `includer` of a missing file, a plain `include` of a missing file, an instance added, removed, renamed, its
 * VRID changed (with use_vmac), its address family changed, its VIP list changed, its tracker changed, and the
 * checker and virtual server changed. After each one the daemon (parent and VRRP child, same pids) still runs and
 * answers on its control socket, and the kernel — addresses (`ip -j addr`), routes and rules, the nftables tables
 * (vrrp_strict's `ip`/`ip6 keepalived` and the load balancer's `inet keepalived_ts_lb`) and the macvlans — holds
 * exactly what the configuration in force asks for; on an error the previous state, byte for byte.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor, type RunningOurs } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';
import { addrsOn, allAddresses, kernelState, nftTable, type KernelState } from './kernel.js';
import { B, LISTENER, ROUTED, VMAC, confOf as sharedConf, vs, type Inst } from './scenario.js';

const topo = Topology.create({ hosts: ['a', 'r'] });
const d = Daemons.inTempDir(topo, 'kts-safety-reload-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const confOf = (insts: readonly Inst[], tail: string) => sharedConf(d.dir, insts, tail);

/** Sends SIGHUP and waits for the end of the reload; returns what was logged meanwhile. */
async function hup(o: RunningOurs): Promise<string> {
  const before = o.log().length;
  o.child.kill('SIGHUP');
  assert.ok((await waitFor(() => /Reload complete|Reload failed/.test(o.log().slice(before)), 8000)) >= 0, `reload ended\n${o.log().slice(before)}`);
  return o.log().slice(before);
}

/** The daemon still runs with the same parent and VRRP child and answers `status`. */
async function alive(o: RunningOurs, vrrpPid: number): Promise<void> {
  assert.equal(o.child.exitCode, null, `parent running\n${o.log()}`);
  assert.equal(pidIn(o.vrrpPidFile), vrrpPid, 'the VRRP child was not respawned');
  assert.ok(existsSync(`/proc/${vrrpPid}`));
  const r = await controlRequest(o.controlSocket, 'status');
  assert.equal(r.ok, true, JSON.stringify(r));
}

/** Waits until `pred` holds for the kernel state; returns it (fails with the last state). */
async function until(pred: (k: KernelState) => boolean, what: string, o: RunningOurs, ms = 15_000): Promise<KernelState> {
  let k = kernelState(topo, 'a');
  const t = await waitFor(() => pred((k = kernelState(topo, 'a'))), ms);
  assert.ok(t >= 0, `${what}\n${JSON.stringify({ ...k, addresses: allAddresses(k) }, null, 1)}\n--- log:\n${o.log().slice(-3000)}`);
  return k;
}

const eth0Has = (k: KernelState, ...vips: string[]) => vips.every((v) => addrsOn(k, 'eth0').includes(v));

test(
  'every reload path leaves the daemon running and the kernel as configured; an error keeps the running configuration',
  { timeout: 180_000 },
  async () => {
    writeFileSync(join(d.dir, 'track'), '0\n');
    // the real server (host r, 192.0.2.11) listens on both ports the checker will probe
    const rs = topo.spawn('r', process.execPath, ['-e', LISTENER([8080, 8081])]);
    const file = d.write('safety.conf', confOf([ROUTED, B, VMAC], vs(80, 8080)));
    const o = d.ours('a', file);
    try {
      let k = await until(
        (s) => eth0Has(s, '192.0.2.161/32', '192.0.2.162/32') && addrsOn(s, 'vrrp.63').includes('192.0.2.163/32') && s.routes.length > 0,
        'all MASTER',
        o,
      );
      const vrrpPid = pidIn(o.vrrpPidFile)!;
      assert.ok(k.routes.includes('table main 203.0.113.0/24 via 192.0.2.11 dev eth0'), k.routes.join('\n'));
      assert.ok(
        k.rules.some((r) => r.includes('from 192.0.2.161 table 100')),
        k.rules.join('\n'),
      );
      assert.deepEqual(k.macvlans, ['vrrp.63@eth0 private']);
      assert.deepEqual(k.nft, ['inet keepalived_ts_lb', 'ip keepalived'].sort());
      await until(
        (s) =>
          s.nft.includes('inet keepalived_ts_lb') &&
          /192\.0\.2\.11 . 8080|192\.0\.2\.11:8080/.test(nftTable(topo, 'a', 'inet', 'keepalived_ts_lb') ?? ''),
        'LB table has the real server',
        o,
      );
      const lb0 = nftTable(topo, 'a', 'inet', 'keepalived_ts_lb')!;
      const strict0 = nftTable(topo, 'a', 'ip', 'keepalived')!;
      for (const v of ['192.0.2.161', '192.0.2.162']) assert.match(strict0, new RegExp(v.replace(/\./g, '\\.')), 'strict mode set holds the VIP');

      // 1. a file with an error: rejected, the kernel unchanged (addresses, routes, rules, nft tables byte for byte)
      const good = confOf([ROUTED, B, VMAC], vs(80, 8080));
      writeFileSync(file, good.replace('virtual_router_id 62', 'virtual_router_id 300'));
      let r = await hup(o);
      assert.match(r, /Reload failed/);
      assert.match(r, /virtual_router_id/);
      await alive(o, vrrpPid);
      assert.deepEqual(kernelState(topo, 'a'), k, 'bad file: nothing changed');
      assert.equal(nftTable(topo, 'a', 'inet', 'keepalived_ts_lb'), lb0);

      // 2. `includer` (keepalived: a missing file is an error) of a missing file: rejected likewise
      writeFileSync(file, `${good}includer ${join(d.dir, 'missing.conf')}\n`);
      r = await hup(o);
      assert.match(r, /Reload failed/);
      assert.match(r, /missing\.conf/);
      await alive(o, vrrpPid);
      assert.deepEqual(kernelState(topo, 'a'), k, 'missing includer: nothing changed');

      // 3. a plain `include` of a missing file is a warning in keepalived: the reload goes ahead without it, and an
      //    instance defined only in the missing file (VI_B moved there) is removed as it would be
      writeFileSync(file, confOf([ROUTED, VMAC], vs(80, 8080)) + `include ${join(d.dir, 'gone-*.conf')}\n`);
      r = await hup(o);
      assert.match(r, /Reload complete/);
      assert.match(r, /gone-\*\.conf/);
      await alive(o, vrrpPid);
      k = await until((s) => !eth0Has(s, '192.0.2.162/32') && eth0Has(s, '192.0.2.161/32'), 'VI_B (only in the missing include) removed', o);
      assert.doesNotMatch(nftTable(topo, 'a', 'ip', 'keepalived')!, /192\.0\.2\.162/, 'its VIP left the strict-mode set');

      // 4. instance added (VI_B back) and 5. a new one (VI_D)
      const D: Inst = { name: 'VI_D', vrid: 64, vips: ['192.0.2.164/32'] };
      writeFileSync(file, confOf([ROUTED, B, VMAC, D], vs(80, 8080)));
      r = await hup(o);
      assert.match(r, /Reload complete/);
      k = await until((s) => eth0Has(s, '192.0.2.161/32', '192.0.2.162/32', '192.0.2.164/32'), 'VI_B and VI_D added', o);
      await alive(o, vrrpPid);

      // 6. instance removed (VI_D): its VIP goes, nothing else moves
      writeFileSync(file, confOf([ROUTED, B, VMAC], vs(80, 8080)));
      await hup(o);
      k = await until((s) => !eth0Has(s, '192.0.2.164/32'), 'VI_D removed', o);
      assert.ok(eth0Has(k, '192.0.2.161/32', '192.0.2.162/32'));
      assert.ok(k.routes.includes('table main 203.0.113.0/24 via 192.0.2.11 dev eth0'));

      // 7. renamed (VI_B → VI_B2, same VRID and VIP): one instance with that VIP afterwards, the VIP present once
      const B2: Inst = { ...B, name: 'VI_B2' };
      writeFileSync(file, confOf([ROUTED, B2, VMAC], vs(80, 8080)));
      await hup(o);
      k = await until((s) => eth0Has(s, '192.0.2.162/32') && /\(VI_B2\) Entering MASTER STATE/.test(o.log()), 'VI_B2 is MASTER', o);
      assert.equal(addrsOn(k, 'eth0').filter((a) => a === '192.0.2.162/32').length, 1);

      // 8. VRID changed on the use_vmac instance (63 → 65): the macvlan vrrp.63 goes, vrrp.65 comes with the VIP
      const C65: Inst = { ...VMAC, vrid: 65 };
      writeFileSync(file, confOf([ROUTED, B2, C65], vs(80, 8080)));
      await hup(o);
      k = await until(
        (s) => addrsOn(s, 'vrrp.65').includes('192.0.2.163/32') && !s.macvlans.some((m) => m.startsWith('vrrp.63')),
        'vmac moved to vrrp.65',
        o,
      );
      assert.deepEqual(k.macvlans, ['vrrp.65@eth0 private']);
      await alive(o, vrrpPid);

      // 9. family changed: VI_B2's VIP becomes IPv6; the IPv4 one goes, the ip6 strict-mode table appears
      const B6: Inst = { ...B2, vips: ['2001:db8::162/128'] };
      writeFileSync(file, confOf([ROUTED, B6, C65], vs(80, 8080)));
      await hup(o);
      k = await until((s) => !eth0Has(s, '192.0.2.162/32') && eth0Has(s, '2001:db8::162/128'), 'VI_B2 is IPv6', o);
      assert.ok(k.nft.includes('ip6 keepalived'), k.nft.join(','));
      assert.match(nftTable(topo, 'a', 'ip6', 'keepalived')!, /2001:db8::162/);
      assert.doesNotMatch(nftTable(topo, 'a', 'ip', 'keepalived')!, /192\.0\.2\.162/);

      // 10. VIP list changed on VI_A: .161 out, .165 and .166 in; routes and rules stay
      const A2: Inst = {
        ...ROUTED,
        vips: ['192.0.2.165/32', '192.0.2.166/32'],
        extra: ROUTED.extra!.replace('from 192.0.2.161', 'from 192.0.2.165'),
      };
      writeFileSync(file, confOf([A2, B6, C65], vs(80, 8080)));
      await hup(o);
      k = await until((s) => !eth0Has(s, '192.0.2.161/32') && eth0Has(s, '192.0.2.165/32', '192.0.2.166/32'), 'VI_A VIPs changed', o);
      assert.ok(k.rules.some((x) => x.includes('from 192.0.2.165 table 100')) && !k.rules.some((x) => x.includes('192.0.2.161')), k.rules.join('\n'));
      const strict = nftTable(topo, 'a', 'ip', 'keepalived')!;
      assert.match(strict, /192\.0\.2\.165/);
      assert.doesNotMatch(strict, /192\.0\.2\.161/);

      // 11. tracker changed: VI_A now tracks the file (weight 0) which says failed → FAULT: its VIPs, route and rule go
      writeFileSync(join(d.dir, 'track'), '1\n');
      const A3: Inst = { ...A2, extra: `${A2.extra!}  track_file {\n    TF weight 0\n  }\n` };
      writeFileSync(file, confOf([A3, B6, C65], vs(80, 8080)));
      await hup(o);
      k = await until(
        (s) => !eth0Has(s, '192.0.2.165/32') && !s.routes.some((x) => x.includes('203.0.113.0/24')) && !s.rules.some((x) => x.includes('table 100')),
        'VI_A in FAULT, its VIPs, routes and rules removed',
        o,
      );
      assert.ok(eth0Has(k, '2001:db8::162/128'), 'the others keep theirs');
      // … and back: the file says OK again
      writeFileSync(join(d.dir, 'track'), '0\n');
      k = await until((s) => eth0Has(s, '192.0.2.165/32') && s.routes.some((x) => x.includes('203.0.113.0/24')), 'VI_A back to MASTER', o);

      // 12. checker and virtual server changed: the service moves to port 81, the real server to 8081
      writeFileSync(file, confOf([A3, B6, C65], vs(81, 8081)));
      r = await hup(o);
      assert.match(r, /Reload complete/);
      await until(
        () => {
          const lb = nftTable(topo, 'a', 'inet', 'keepalived_ts_lb') ?? '';
          return /192\.0\.2\.11 . 8081|192\.0\.2\.11:8081/.test(lb) && !/8080/.test(lb) && /\b81\b/.test(lb);
        },
        'LB table follows the new virtual server',
        o,
      );
      // and a bad virtual server (lb_kind unknown) is rejected with the LB table as it was
      const lb1 = nftTable(topo, 'a', 'inet', 'keepalived_ts_lb');
      writeFileSync(file, confOf([A3, B6, C65], vs(82, 8080).replace('lb_kind NAT', 'lb_kind BOGUS')));
      r = await hup(o);
      assert.match(r, /Reload failed/);
      assert.equal(nftTable(topo, 'a', 'inet', 'keepalived_ts_lb'), lb1);
      await alive(o, vrrpPid);

      // SIGTERM: everything of ours leaves the kernel
      await stop(o.child);
      k = kernelState(topo, 'a');
      assert.deepEqual(allAddresses(k), ['eth0 192.0.2.10/24', 'eth0 2001:db8::a/64']);
      assert.deepEqual(
        k.routes.filter((x) => x.includes('203.0.113')),
        [],
      );
      assert.deepEqual(k.rules, []);
      assert.deepEqual(k.nft, []);
      assert.deepEqual(k.macvlans, []);
    } finally {
      await stop(o.child, 'SIGKILL');
      await stop(rs, 'SIGKILL');
    }
  },
);
