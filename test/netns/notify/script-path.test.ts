/**
 * Which vrrp_scripts run, in keepalived 2.2.7 and in ours, seen on the wire (advert priorities and silence):
 * - a script given as /bin/true or /bin/false runs (keepalived checks and runs realpath(): /usr/bin/true on a
 *   merged-/usr host). Ours used to refuse it ("Wrong file type found in script path": /bin is a symlink), so a
 *   `/bin/false` weight-0 tracker never put the instance into FAULT;
 * - a script whose program does not exist is dropped (vrrp.c check_track_script_secure): its weight is not added.
 *   Ours used to keep it as a tracker with no result, which counts as success: +50 here.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';
import { captureAdverts } from '../harness/wire.js';

const topo = Topology.create({ hosts: ['a', 'b', 'w'] });
const d = Daemons.inTempDir(topo, 'kts-scrpath-');
after(() => {
  topo.destroy();
  d.removeDir();
});

/** VI_1 (VRID `v1`): base 100, +20 from /bin/true, +50 from a missing program; VI_2 (VRID `v2`) tracks /bin/false. */
function config(who: string, v1: number, v2: number): string {
  return d.write(
    `${who}.conf`,
    `global_defs {\n  router_id ${who}\n}\n` +
      `vrrp_script up {\n  script "/bin/true"\n  interval 1\n  weight 20\n}\n` +
      `vrrp_script gone {\n  script "/nonexistent/keepalived-ts/check.sh"\n  interval 1\n  weight 50\n}\n` +
      `vrrp_script down {\n  script "/bin/false"\n  interval 1\n}\n` +
      `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${v1}\n  priority 100\n  advert_int 1\n` +
      `  track_script {\n    up\n    gone\n  }\n  virtual_ipaddress {\n    192.0.2.${v1 + 100}/32\n  }\n}\n` +
      `vrrp_instance VI_2 {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${v2}\n  priority 100\n  advert_int 1\n` +
      `  track_script {\n    down\n  }\n  virtual_ipaddress {\n    192.0.2.${v2 + 100}/32\n  }\n}\n`,
  );
}

test('/bin/true and /bin/false scripts run and a missing one is dropped, in keepalived 2.2.7 and ours alike', { timeout: 90_000 }, async () => {
  const cap = captureAdverts(topo, 'w');
  await cap.ready;
  const runs: [string, RunningDaemon, number, number][] = [
    ['ka', d.keepalived('a', config('ka', 61, 62)), 61, 62],
    ['ours', d.ours('b', config('ours', 71, 72)), 71, 72],
  ];
  try {
    // both VI_1 become master (no peer) after Master_Down_Interval: wait for 3 adverts of each, then 3 s more
    const seen = (vrid: number) => cap.adverts.filter((a) => a.vrid === vrid).length;
    const ok = await waitFor(() => seen(61) >= 3 && seen(71) >= 3, 30_000);
    assert.ok(ok >= 0, `both VI_1 advertise\n${runs.map(([w, r]) => `${w}:\n${r.log()}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 3000));
    for (const [who, r, v1, v2] of runs) {
      const prios = [...new Set(cap.adverts.filter((a) => a.vrid === v1).map((a) => a.prio))];
      assert.deepEqual(prios, [120], `${who}: VI_1 advertises 100 + 20 (/bin/true ran, the missing script is dropped)`);
      assert.equal(seen(v2), 0, `${who}: VI_2 is in FAULT (/bin/false ran) and sends nothing`);
      assert.doesNotMatch(r.log(), /\(VI_2\) Entering MASTER STATE/, who);
    }
    assert.match(runs[1]![1].log(), /Disabling track script gone since not found\/accessible/);
  } finally {
    for (const [, r] of runs) await stop(r.child);
    await cap.stop();
  }
});
