/**
 * `-s NAME` / `net_namespace NAME` and `disable_local_igmp`, against keepalived 2.2.7.
 *
 * - Our daemon is started in this process's (the host's) network namespace with `-s <host a's netns>`: it must
 *   enter that namespace before opening anything, so its VIP lands on a's eth0 (not in the host's namespace) and
 *   keepalived 2.2.7 in b hears its adverts and yields to it.
 * - With `instance NAME` too, the syslog ident and `-g`'s file names gain `_NAMESPACE_INSTANCE` as keepalived's
 *   make_syslog_ident / make_file_name build them (Debian's 2.2.7 is built without --enable-log-file, so the names
 *   are checked against its source: the parent's first lines in FILE.log, then FILE_NS_INST.log; the VRRP child's in
 *   FILE_vrrp_NS_INST.log).
 * - `disable_local_igmp` (keepalived vrrp_daemon.c): the VRRP process writes 0 to the namespace's
 *   igmp_link_local_mcast_reports at start and restores it at exit, so joining 224.0.0.18 sends no IGMP report.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology, capture } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-netns-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const conf = (prio: number, vip: string, globals = '', top = '') =>
  `${top}global_defs {\n${globals}}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 57\n  priority ${prio}\n` +
  `  advert_int 1\n  version 3\n  virtual_ipaddress {\n    ${vip}/24\n  }\n}\n`;

/** The host namespace's addresses (read only). */
const hostAddrs = () => execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' });

test('-s NETNS from the host namespace: the VIP is in that namespace, keepalived 2.2.7 there yields to our adverts', async () => {
  const vip = '192.0.2.170';
  const k = d.keepalived('b', d.write('ka-ns.conf', conf(100, vip)));
  const o0 = await waitFor(() => d.hasVip('b', vip), 10_000);
  assert.ok(o0 >= 0, `keepalived becomes MASTER first\n${k.log()}`);
  // the file names another namespace: -s wins, as in keepalived
  const ns = topo.host('a').netns;
  const logBase = join(d.dir, 'kts-g.log');
  const o = d.ours(
    'a',
    d.write('ours-ns.conf', conf(200, vip, '', 'net_namespace kts-no-such-ns\ninstance i1\n')),
    ['-s', ns, `--log-file=${logBase}`],
    {
      fromHost: true,
    },
  );
  try {
    assert.ok((await waitFor(() => /\(VI_1\) Entering BACKUP STATE/.test(o.log()), 15_000)) >= 0, o.log());
    const master = await waitFor(() => /\(VI_1\) Entering MASTER STATE/.test(o.log()), 10_000);
    const yielded = await waitFor(() => /\(VI_1\) Entering BACKUP STATE/.test(k.log()) && !d.hasVip('b', vip), 3000);
    assert.ok(yielded >= 0, `keepalived in b hears ours and yields\n${k.log()}`);
    assert.ok(d.hasVip('a', vip), 'the VIP is on eth0 of the namespace given with -s');
    assert.doesNotMatch(hostAddrs(), new RegExp(` ${vip.replace(/\./g, '\\.')}/`), 'nothing in the host namespace');
    // a higher-priority backup ignores lower-priority adverts and preempts when its Master_Down_Interval runs out:
    // 3 × 1 s + (256 − 200)/256 s = 3.22 s after it entered BACKUP
    assert.ok(master >= 2900 && master <= 4700, `MASTER ${master} ms after BACKUP (expected ~3220)\n${o.log()}`);
    assert.match(o.log(), new RegExp(`Overriding config net_namespace 'kts-no-such-ns' with command line namespace '${ns}'`));
    assert.match(o.log(), new RegExp(`Changing syslog ident to Keepalived_${ns}_i1\n`));
    const files = readdirSync(d.dir).filter((f) => f.startsWith('kts-g'));
    assert.deepEqual(files.sort(), ['kts-g.log', `kts-g_${ns}_i1.log`, `kts-g_vrrp_${ns}_i1.log`]);
    const text = (f: string) => readFileSync(join(d.dir, f), 'utf8');
    assert.match(text('kts-g.log'), /Starting Keepalived v2\.2\.7/);
    assert.match(text('kts-g.log'), /Changing syslog ident to/, 'the parent re-opens its file after this line');
    assert.match(text(`kts-g_${ns}_i1.log`), /Starting VRRP child process/);
    assert.doesNotMatch(text('kts-g.log'), /Starting VRRP child process/);
    assert.match(text(`kts-g_vrrp_${ns}_i1.log`), /\(VI_1\) Entering MASTER STATE/);
    await sleep(2500);
    assert.ok(d.hasVip('a', vip) && !d.hasVip('b', vip), `stable: keepalived stays BACKUP\n${k.log()}`);
  } finally {
    await stop(o.child);
    await stop(k.child);
  }
});

test("net_namespace naming a namespace that does not exist: keepalived's lines, exit 0, nothing started", async () => {
  const o = d.ours('a', d.write('ours-nons.conf', conf(200, '192.0.2.171', '', 'net_namespace kts-no-such-ns\n')), [], { fromHost: true });
  const code = await new Promise<number | null>((r) => o.child.once('exit', (c) => r(c)));
  assert.equal(code, 0, o.log());
  assert.match(o.log(), /Changing syslog ident to Keepalived_kts-no-such-ns/);
  assert.match(o.log(), /Failed to open \/run\/netns\/kts-no-such-ns/);
  assert.match(o.log(), /Unable to set network namespace kts-no-such-ns - exiting/);
  assert.doesNotMatch(o.log(), /Starting VRRP child process/);
});

const igmpSysctl = () => topo.exec('a', ['cat', '/proc/sys/net/ipv4/igmp_link_local_mcast_reports']).trim();

/** Runs ours in a (with `globals`) for a few seconds; returns the IGMP frames b saw from a and the sysctl while running. */
async function igmpRun(tag: string, globals: string): Promise<{ reports: string[]; during: string; log: string }> {
  const cap = capture(topo, 'b', 'igmp and ether src 02:00:00:00:00:0a');
  await cap.ready;
  const o = d.ours('a', d.write(`ours-igmp-${tag}.conf`, conf(200, '192.0.2.172', globals)));
  try {
    assert.ok((await waitFor(() => /\(VI_1\) Entering BACKUP STATE/.test(o.log()), 10_000)) >= 0, o.log());
    const during = igmpSysctl();
    await sleep(3000); // the kernel's unsolicited reports for a join go out within ~1 s (robustness 2)
    return { reports: (await cap.stop()).filter((l) => /igmp/i.test(l)), during, log: o.log() };
  } finally {
    await stop(o.child);
  }
}

test('disable_local_igmp: the sysctl is 0 while the VRRP process runs and restored at exit; no IGMP report for 224.0.0.18', async () => {
  assert.equal(igmpSysctl(), '1');
  // the option first: a run's leave report is retransmitted up to ~1 s after it stops, and must not be seen here
  const off = await igmpRun('off', '  disable_local_igmp\n');
  assert.equal(off.during, '0', off.log);
  assert.deepEqual(off.reports, [], 'no IGMP report at all from a');
  assert.equal(igmpSysctl(), '1', 'restored at exit');
  const plain = await igmpRun('plain', '');
  assert.equal(plain.during, '1');
  // the only IPv4 group a joins is VRRP's 224.0.0.18: the kernel reports the join (IGMPv3, to 224.0.0.22)
  assert.ok(
    plain.reports.length >= 1 && plain.reports.every((l) => /192\.0\.2\.10 > 224\.0\.0\.22: igmp v3 report/.test(l)),
    `without the option the join is reported:\n${plain.reports.join('\n')}`,
  );
});
