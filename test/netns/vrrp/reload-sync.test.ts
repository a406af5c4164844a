import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-reload-');
after(() => {
  topo.destroy();
  d.removeDir();
});

/** A vrrp_instance block on eth0 (VRRPv3, advert_int 1). */
function inst(name: string, vrid: number, prio: number, vip: string, extra = ''): string {
  return (
    `vrrp_instance ${name} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${prio}\n  advert_int 1\n  version 3\n` +
    `  virtual_ipaddress {\n    ${vip}/24\n  }\n${extra}}\n`
  );
}

/** Lines of `ip monitor address` in a host since it started. */
function monitorAddresses(host: string): () => string[] {
  const child = topo.spawn(host, 'ip', ['-o', 'monitor', 'address']);
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  return () => out.split('\n').filter(Boolean);
}

/** Sends SIGHUP and waits until the daemon logged the end of the reload (ok or not). */
async function hup(o: { child: { kill(s: NodeJS.Signals): boolean }; log(): string }): Promise<string> {
  const before = o.log().length;
  o.child.kill('SIGHUP');
  const t = await waitFor(() => /Reload complete|Reload failed/.test(o.log().slice(before)), 5000);
  assert.ok(t >= 0, `reload finished\n${o.log().slice(before)}`);
  return o.log().slice(before);
}

test('SIGHUP: unchanged instances keep state and VIPs; changed ones update in place; added and removed ones start and stop; a bad file keeps the running one', async () => {
  const base = inst('VI_1', 61, 200, '192.0.2.161') + inst('VI_2', 62, 200, '192.0.2.162');
  const fa = d.write('reload-a.conf', base);
  const a = d.ours('a', fa);
  const b = d.ours('b', d.write('reload-b.conf', inst('VI_1', 61, 100, '192.0.2.161')));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.161') && d.hasVip('a', '192.0.2.162'), 8000)) >= 0, a.log());
    await sleep(1500);
    const mon = monitorAddresses('a');
    await sleep(300);

    // 1. the same configuration with comments and blank lines moved: nothing happens
    writeFileSync(fa, `! reloaded\n\n${base}\n# end\n`);
    const r1 = await hup(a);
    await sleep(1500);
    assert.doesNotMatch(r1, /Entering|setting VIPs|removing VIPs/, r1);
    assert.match(r1, /Reload: 2 unchanged, 0 updated, 0 added, 0 removed/);
    assert.deepEqual(mon(), [], 'no address was removed or re-added');

    // 2. VI_1's priority drops below the peer's: updated in place, the peer preempts
    writeFileSync(fa, inst('VI_1', 61, 50, '192.0.2.161') + inst('VI_2', 62, 200, '192.0.2.162'));
    const r2 = await hup(a);
    assert.match(r2, /Reload: 1 unchanged, 1 updated, 0 added, 0 removed/);
    assert.ok(
      (await waitFor(() => d.hasVip('b', '192.0.2.161') && !d.hasVip('a', '192.0.2.161'), 5000)) >= 0,
      `peer took VI_1\n${a.log()}\n${b.log()}`,
    );
    assert.ok(d.hasVip('a', '192.0.2.162'), 'VI_2 untouched');

    // 3. VI_2 removed, VI_3 added
    writeFileSync(fa, inst('VI_1', 61, 50, '192.0.2.161') + inst('VI_3', 63, 200, '192.0.2.163'));
    const r3 = await hup(a);
    assert.match(r3, /Reload: 1 unchanged, 0 updated, 1 added, 1 removed/);
    assert.ok((await waitFor(() => !d.hasVip('a', '192.0.2.162') && d.hasVip('a', '192.0.2.163'), 6000)) >= 0, a.log());
    // the monitor does see address changes (so the empty list in step 1 means something)
    assert.ok(
      mon().some((l) => l.startsWith('Deleted') && l.includes('192.0.2.162/24')),
      mon().join('\n'),
    );

    // 4. a broken file: errors logged, the running configuration stays
    writeFileSync(fa, inst('VI_1', 61, 50, '192.0.2.161') + 'vrrp_instance VI_3 {\n  virtual_router_id 999\n');
    const r4 = await hup(a);
    assert.match(r4, /Reload failed/);
    assert.match(r4, /reload-a\.conf:\d+:\d+: error:/);
    await sleep(1500);
    assert.ok(d.hasVip('a', '192.0.2.163'), 'VI_3 still master with its VIP');
    assert.equal(a.child.exitCode, null);
  } finally {
    await stop(a.child);
    await stop(b.child);
  }
});

test('sync group: a track_file failing on one member faults the whole group, the peer takes both VIPs; group notify runs', async () => {
  const flag = join(d.dir, 'sg-flag');
  const notes = join(d.dir, 'sg-notify.log');
  const script = d.write('sg-notify.sh', `#!/bin/sh\necho "$@" >> ${notes}\n`);
  (await import('node:fs')).chmodSync(script, 0o755);
  writeFileSync(flag, '0\n');
  const group = (prio: number, tracked: boolean) =>
    inst('VI_1', 71, prio, '192.0.2.171', tracked ? '  track_file {\n    sgflag\n  }\n' : '') +
    inst('VI_2', 72, prio, '192.0.2.172') +
    `vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n  notify ${script}\n}\n` +
    (tracked ? `track_file sgflag {\n  file ${flag}\n  weight 0\n}\n` : '');
  const a = d.ours('a', d.write('sg-a.conf', group(200, true)));
  const b = d.ours('b', d.write('sg-b.conf', group(100, false)));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.171') && d.hasVip('a', '192.0.2.172'), 8000)) >= 0, a.log());
    assert.ok((await waitFor(() => existsSync(notes) && readFileSync(notes, 'utf8').includes('GROUP G1 MASTER'), 3000)) >= 0, 'group notify');
    writeFileSync(flag, '1\n');
    const t = await waitFor(() => d.hasVip('b', '192.0.2.171') && d.hasVip('b', '192.0.2.172') && !d.hasVip('a', '192.0.2.172'), 6000);
    assert.ok(t >= 0, `both VIPs moved\n${a.log()}`);
    assert.match(a.log(), /\(VI_1\).*FAULT/);
    assert.match(a.log(), /VRRP_Group\(G1\)/);
    assert.ok((await waitFor(() => readFileSync(notes, 'utf8').includes('GROUP G1 FAULT'), 3000)) >= 0, readFileSync(notes, 'utf8'));
    writeFileSync(flag, '0\n');
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.171') && d.hasVip('a', '192.0.2.172'), 8000)) >= 0, `group back to MASTER\n${a.log()}`);
  } finally {
    await stop(a.child);
    await stop(b.child);
  }
});

test('vrrp_track_process: the instance is MASTER only while the tracked process runs (quorum 1, weight 0)', async () => {
  const name = `ktsp${process.pid % 100000}`;
  const bin = join(d.dir, name);
  copyFileSync('/bin/sleep', bin);
  (await import('node:fs')).chmodSync(bin, 0o755);
  const conf =
    `vrrp_track_process tp {\n  process ${name}\n  quorum 1\n  delay 0.2\n}\n` +
    inst('VI_1', 81, 200, '192.0.2.181', '  track_process {\n    tp\n  }\n');
  const a = d.ours('a', d.write('tp-a.conf', conf));
  const b = d.ours('b', d.write('tp-b.conf', inst('VI_1', 81, 100, '192.0.2.181')));
  const proc = topo.spawn('a', bin, ['1000']);
  try {
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.181'), 8000)) >= 0, a.log());
    await stop(proc, 'SIGKILL');
    assert.ok((await waitFor(() => d.hasVip('b', '192.0.2.181') && !d.hasVip('a', '192.0.2.181'), 6000)) >= 0, `process gone ⇒ FAULT\n${a.log()}`);
    assert.match(a.log(), /tracked process tp quorum not achieved|FAULT/);
  } finally {
    await stop(proc, 'SIGKILL');
    await stop(a.child);
    await stop(b.child);
  }
});

test('notify_fifo_script reads the FIFO; vrrp_notify_priority_changes reports track_file weight changes; fifo_write_vrrp_states_on_reload', async () => {
  const fifo = join(d.dir, 'prio.fifo');
  const out = join(d.dir, 'prio-reader.out');
  const flag = join(d.dir, 'prio-flag');
  writeFileSync(flag, '0\n');
  const reader = d.write('reader.sh', `#!/bin/sh\nwhile read line; do echo "$line" >> ${out}; done < "$1"\n`);
  (await import('node:fs')).chmodSync(reader, 0o755);
  const conf =
    `global_defs {\n  notify_fifo ${fifo}\n  notify_fifo_script ${reader}\n  vrrp_notify_priority_changes\n  fifo_write_vrrp_states_on_reload\n}\n` +
    `track_file pf {\n  file ${flag}\n  weight -10\n}\n` +
    inst('VI_1', 91, 200, '192.0.2.191', '  track_file {\n    pf\n  }\n');
  const a = d.ours('a', d.write('prio-a.conf', conf));
  const text = () => (existsSync(out) ? readFileSync(out, 'utf8') : '');
  try {
    assert.ok((await waitFor(() => text().includes('INSTANCE "VI_1" MASTER 200'), 8000)) >= 0, `${text()}\n${a.log()}`);
    writeFileSync(flag, '5\n');
    assert.ok((await waitFor(() => text().includes('INSTANCE "VI_1" MASTER_PRIORITY 150'), 3000)) >= 0, `${text()}\n${a.log()}`);
    assert.ok(!text().includes('INSTANCE "VI_1" MASTER 150'));
    await hup(a);
    assert.ok((await waitFor(() => text().includes('INSTANCE "VI_1" MASTER 150'), 3000)) >= 0, `state written on reload\n${text()}`);
  } finally {
    await stop(a.child);
  }
});
