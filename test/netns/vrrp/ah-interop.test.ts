/**
 * auth_type AH (keepalived's IPsec-AH adverts) against Debian's keepalived 2.2.7, both ways: each side accepts the
 * other's adverts (no auth failures, the lower priority stays BACKUP), each accepts the other's priority-0 advert
 * (takeover within Skew_Time, well before Master_Down_Interval), the sequence numbers carry across a handover and
 * back, and a wrong password is refused and counted on our side and refused by keepalived.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, enteredBackupInit, stop, waitFor, type RunningOurs } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-ah-');
after(() => {
  topo.destroy();
  d.removeDir();
});

/** One VRRPv2 instance on eth0 with auth_type AH. keepalived (and we) start AH instances as BACKUP. */
function ahConf(name: string, prio: number, vip: string, password = 'secret12'): string {
  return d.write(
    name,
    `global_defs {\n  router_id ${name}\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 61\n` +
      `  priority ${prio}\n  advert_int 1\n  authentication {\n    auth_type AH\n    auth_pass ${password}\n  }\n` +
      `  virtual_ipaddress {\n    ${vip}/24\n  }\n}\n`,
  );
}

async function stats(o: RunningOurs): Promise<Record<string, number>> {
  const r = await controlRequest(o.controlSocket, 'json');
  assert.ok(r.ok && r.text, JSON.stringify(r));
  return (JSON.parse(r.text ?? '[]') as { stats: Record<string, number> }[])[0]!.stats;
}

const INVALID = /\(VI_1\) IPSEC-AH : invalid IPSEC HMAC-MD5 value/;
/** Skew_Time for priority 100 (v2): a priority-0 advert hands over after it; Master_Down_Interval is 3 s more. */
const SKEW_100_MS = ((256 - 100) / 256) * 1000;

test('AH: ours (200) is MASTER, keepalived (100) accepts its adverts and takes over on our priority-0 advert', async () => {
  const vip = '192.0.2.161';
  // ours first: its Master_Down_Interval must run out before keepalived's, whatever Node's start-up takes
  const o = d.ours('b', ahConf('ours-hi.conf', 200, vip));
  await enteredBackupInit(o, ['VI_1'], 12000);
  const k = d.keepalived('a', ahConf('ka-lo.conf', 100, vip));
  try {
    assert.ok((await waitFor(() => d.hasVip('b', vip), 12000)) >= 0, `ours holds the VIP\n--- ours:\n${o.log()}\n--- keepalived:\n${k.log()}`);
    await sleep(2500);
    assert.ok(!d.hasVip('a', vip), `keepalived stays BACKUP\n${k.log()}`);
    assert.doesNotMatch(k.log(), /Entering MASTER STATE/);
    assert.doesNotMatch(k.log(), /IPSEC|AH header|auth/, `keepalived accepted every advert\n${k.log()}`);
    assert.match(k.log(), /\(VI_1\) Entering BACKUP STATE/);
    const stopAt = Date.now();
    await stop(o.child);
    assert.ok((await waitFor(() => d.hasVip('a', vip), 5000)) >= 0, `keepalived took over\n${k.log()}`);
    const elapsed = Date.now() - stopAt;
    // accepted priority 0 ⇒ Skew_Time (609 ms); an ignored one would take Master_Down_Interval (3609 ms)
    assert.ok(elapsed < SKEW_100_MS + 1000, `keepalived took over in ${elapsed} ms: it accepted the priority-0 advert`);
    assert.doesNotMatch(k.log(), /IPSEC|AH header/, k.log());
  } finally {
    await stop(o.child, 'SIGKILL');
    await stop(k.child);
    await d.crashKeepalived(k);
  }
});

test('AH: keepalived (200) is MASTER, ours (100) accepts its adverts, takes over on priority 0, and hands back to a restarted keepalived', async () => {
  const vip = '192.0.2.162';
  const k = d.keepalived('a', ahConf('ka-hi.conf', 200, vip));
  const o = d.ours('b', ahConf('ours-lo.conf', 100, vip));
  let k2: ReturnType<typeof d.keepalived> | undefined;
  try {
    assert.ok((await waitFor(() => d.hasVip('a', vip), 12000)) >= 0, `keepalived holds the VIP\n${k.log()}`);
    assert.ok((await enteredBackupInit(o, ['VI_1'], 12000)) >= 0, o.log());
    await sleep(3000);
    assert.ok(!d.hasVip('b', vip), `ours stays BACKUP\n${o.log()}`);
    const s = await stats(o);
    assert.ok(s['advert_rcvd']! >= 2, JSON.stringify(s));
    assert.equal(s['auth_failure'], 0, JSON.stringify(s));
    assert.equal(s['authtype_mismatch'], 0, JSON.stringify(s));
    const stopAt = Date.now();
    await stop(k.child);
    assert.ok((await waitFor(() => d.hasVip('b', vip), 5000)) >= 0, `ours took over\n${o.log()}`);
    const elapsed = Date.now() - stopAt;
    assert.ok(elapsed < SKEW_100_MS + 1000, `ours took over in ${elapsed} ms: it accepted the priority-0 advert`);
    // keepalived again: it starts at sequence 0, learns ours, preempts with higher numbers, which ours accepts
    await sleep(2000);
    k2 = d.keepalived('a', ahConf('ka-hi2.conf', 200, vip));
    assert.ok((await waitFor(() => d.hasVip('a', vip), 12000)) >= 0, `keepalived took the VIP back\n${k2.log()}`);
    assert.ok((await waitFor(() => !d.hasVip('b', vip), 3000)) >= 0, `ours released it\n${o.log()}`);
    await sleep(2000);
    assert.ok(!d.hasVip('b', vip), o.log());
    const s2 = await stats(o);
    assert.equal(s2['auth_failure'], 0, `${JSON.stringify(s2)}\n${o.log()}`);
    assert.ok(s2['advert_rcvd']! > s['advert_rcvd']!, JSON.stringify(s2));
    assert.doesNotMatch(k2.log(), /invalid IPSEC|already processed|AH header/, k2.log());
    // keepalived, MASTER again, heard ours (lower priority) and took its sequence number over, as it does
    assert.match(k2.log(), /\(VI_1\) IPSEC-AH : Syncing seq_num - Increment seq/);
  } finally {
    await stop(o.child, 'SIGKILL');
    await stop(k.child);
    await d.crashKeepalived(k);
    if (k2) {
      await stop(k2.child);
      await d.crashKeepalived(k2);
    }
  }
});

test('AH: a wrong password is refused both ways — counted as auth_failure by ours, logged by keepalived; both end MASTER', async () => {
  const vip = '192.0.2.163';
  const k = d.keepalived('a', ahConf('ka-pw.conf', 200, vip, 'secret12'));
  const o = d.ours('b', ahConf('ours-pw.conf', 100, vip, 'wrongpw1'));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', vip), 12000)) >= 0, k.log());
    // ours hears nothing it can accept: it becomes MASTER after Master_Down_Interval
    assert.ok((await waitFor(() => d.hasVip('b', vip), 12000)) >= 0, o.log());
    // Once ours is MASTER, keepalived often sends nothing more: it restarts its advert timer on every packet it reads
    // for the VRID, valid or not, and ours' adverts arrive just before it is due (see ah-master-counters.test.ts,
    // which checks on the wire that ours counts every failing AH advert while MASTER). Only the refusals before are sure.
    await sleep(1500);
    const s = await stats(o);
    assert.ok(s['auth_failure']! >= 1, JSON.stringify(s));
    assert.equal(s['advert_rcvd'], 0, JSON.stringify(s));
    assert.match(o.log(), INVALID);
    assert.match(k.log(), INVALID, `keepalived refused our adverts\n${k.log()}`);
    assert.ok(d.hasVip('a', vip), 'keepalived stayed MASTER: it never accepted our adverts');
  } finally {
    await stop(o.child, 'SIGKILL');
    await stop(k.child);
    await d.crashKeepalived(k);
  }
});
