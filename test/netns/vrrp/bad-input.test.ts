import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';
import { VrrpSocket } from '../../../src/net/vrrp-socket.js';
import { encode } from '../../../src/vrrp/packet.js';
import { controlRequest } from '../../../src/daemon/control.js';
import { randomInt, seededRng } from '../../../src/core/rng.js';

const topo = Topology.create({ hosts: ['a', 'b', 'c'] });
const d = Daemons.inTempDir(topo, 'kts-badin-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const VIP = '192.0.2.190';
const GROUP = '224.0.0.18';
const pass = (pw: string) => {
  const b = Buffer.alloc(8);
  Buffer.from(pw).copy(b);
  return b;
};
/** A VRRPv2 advert for VRID 51 from b (192.0.2.11). */
const advert = (priority: number, pw = 'secret12', version: 2 | 3 = 2) =>
  encode(
    {
      version,
      vrid: 51,
      priority,
      family: 4,
      addresses: [VIP],
      advertIntervalCs: 100,
      authType: version === 2 ? 1 : 0,
      ...(version === 2 ? { authData: pass(pw) } : {}),
    },
    { source: '192.0.2.11', destination: GROUP },
  );

/** keepalved.json stats of the instance, through the control socket. */
async function stats(sock: string): Promise<Record<string, number>> {
  const r = await controlRequest(sock, 'json');
  assert.ok(r.ok && r.text, JSON.stringify(r));
  const j = JSON.parse(r.ok ? (r.text ?? '[]') : '[]') as { stats: Record<string, number> }[];
  return j[0]!.stats;
}

test('malformed, truncated, wrong-version, wrong-TTL, wrong-auth and flood traffic: no crash, no state change, counted, logged once per interval', async () => {
  const o = d.ours('a', d.conf('bad-a.conf', 200, 'MASTER', 2, VIP));
  const tx = topo.inside('b', () => VrrpSocket.open({ family: 4, ifname: 'eth0', onPacket: () => {} }));
  const txLowTtl = topo.inside('b', () => VrrpSocket.open({ family: 4, ifname: 'eth0', ttl: 64, onPacket: () => {} }));
  try {
    assert.ok((await waitFor(() => d.hasVip('a', VIP), 8000)) >= 0, o.log());
    await sleep(500);
    const logBefore = o.log().split('\n').length;
    const rng = seededRng(7);
    const garbage = () => {
      const b = Buffer.alloc(8 + randomInt(rng, 0, 59));
      for (let i = 0; i < b.length; i++) b[i] = randomInt(rng, 0, 255);
      b[0] = 0x21;
      b[1] = 51;
      return b;
    };
    const badSum = () => {
      const b = advert(250);
      b[6] = (b[6] ?? 0) ^ 0xff;
      return b;
    };
    const kinds: (() => Buffer)[] = [
      () => Buffer.from([0x21, 51, 250]), // truncated
      garbage, // malformed
      () => advert(250, 'secret12', 3), // wrong version for this instance
      () => advert(250, 'wrongpw'), // wrong PASS
      badSum, // bad checksum
    ];
    let sent = 0;
    const t0 = Date.now();
    // each kind once, then a flood of all of them (and higher-priority adverts with TTL 64) for ~3 s
    while (Date.now() - t0 < 3000) {
      for (const k of kinds) if (!tx.send(k(), GROUP)) sent++;
      if (!txLowTtl.send(advert(250), GROUP)) sent++;
      if (sent % 600 === 0) await sleep(1);
    }
    await sleep(1500);
    assert.ok(sent > 3000, `flood sent ${sent} packets`);
    assert.equal(o.child.exitCode, null, 'the daemon is alive');
    assert.ok(d.hasVip('a', VIP), 'still MASTER with the VIP');
    const during = o.log().split('\n').slice(logBefore).join('\n');
    assert.doesNotMatch(during, /Entering BACKUP|Entering FAULT/);
    const s = await stats(o.controlSocket);
    assert.ok(s['packet_len_err']! > 0, JSON.stringify(s));
    assert.ok(s['ip_ttl_err']! > 0, JSON.stringify(s));
    assert.ok(s['auth_failure']! > 0, JSON.stringify(s));
    // logging: a handful of lines (one per reason per interval), not one per packet
    const logLines = o.log().split('\n').length - logBefore;
    assert.ok(logLines < 40, `logged ${logLines} lines for ${sent} bad packets:\n${o.log().split('\n').slice(logBefore).join('\n')}`);
    // a valid higher-priority advert still works afterwards: the daemon did not go deaf
    for (let i = 0; i < 3; i++) {
      tx.send(advert(250), GROUP);
      await sleep(300);
    }
    assert.ok((await waitFor(() => !d.hasVip('a', VIP), 3000)) >= 0, `yields to a real higher-priority advert\n${o.log()}`);
  } finally {
    tx.close();
    txLowTtl.close();
    await stop(o.child);
  }
});

test('a 4 s flood of invalid adverts claiming priority 254 at high rate leaves a pair untouched (no transition, no VIP event)', async (t) => {
  // pair: a MASTER (200), c BACKUP (100); b floods adverts for VRID 51 claiming priority 254, each invalid
  // (wrong PASS, TTL 64, bad checksum), which a keepalived 2.2.7 pair was measured to flap on
  const o = d.ours('a', d.conf('flood-a.conf', 200, 'MASTER', 2, VIP));
  const bk = d.ours('c', d.conf('flood-c.conf', 100, 'BACKUP', 2, VIP));
  const tx = topo.inside('b', () => VrrpSocket.open({ family: 4, ifname: 'eth0', onPacket: () => {} }));
  const txLowTtl = topo.inside('b', () => VrrpSocket.open({ family: 4, ifname: 'eth0', ttl: 64, onPacket: () => {} }));
  const monitors: { host: string; child: ReturnType<typeof topo.spawn>; out: () => string }[] = [];
  try {
    assert.ok((await waitFor(() => d.hasVip('a', VIP), 8000)) >= 0, o.log());
    await sleep(1500);
    assert.ok(!d.hasVip('c', VIP), bk.log());
    for (const h of ['a', 'c']) {
      // netlink address events from here on: there must be none for the VIP
      const m = topo.spawn(h, 'ip', ['-ts', 'monitor', 'address']);
      let out = '';
      m.stdout?.on('data', (x: Buffer) => {
        out += x.toString();
      });
      monitors.push({ host: h, child: m, out: () => out });
    }
    await sleep(200);
    const before = [o.log().split('\n').length, bk.log().split('\n').length] as const;
    const badSum = () => {
      const x = advert(254);
      x[6] = (x[6] ?? 0) ^ 0xff;
      return x;
    };
    const bad = [advert(254, 'wrongpw'), badSum()];
    const good = advert(254);
    // at most 20 k packets/s, for at least 4 s and at least 40 k packets (a loaded machine sends slower: then longer)
    let sent = 0;
    const t0 = Date.now();
    const RATE = 20_000;
    while ((Date.now() - t0 < 4000 || sent < 40_000) && Date.now() - t0 < 20_000) {
      const due = ((Date.now() - t0) / 1000) * RATE;
      for (let n = 0; sent < due && n < 300; n++) {
        for (const k of bad) if (!tx.send(k, GROUP)) sent++;
        if (!txLowTtl.send(good, GROUP)) sent++; // valid but for the TTL
      }
      await new Promise((r) => setImmediate(r));
    }
    const seconds = (Date.now() - t0) / 1000;
    t.diagnostic(`flood: ${sent} invalid adverts in ${seconds.toFixed(2)} s (${Math.round(sent / seconds)}/s)`);
    await sleep(4000); // longer than the backup's Master_Down_Interval (3.61 s)
    assert.ok(sent >= 40_000, `flood sent ${sent} packets`);
    assert.equal(o.child.exitCode, null, 'the master is alive');
    assert.equal(bk.child.exitCode, null, 'the backup is alive');
    assert.ok(d.hasVip('a', VIP) && !d.hasVip('c', VIP), 'the VIP stays on the master only');
    for (const [i, r] of [o, bk].entries()) assert.doesNotMatch(r.log().split('\n').slice(before[i]).join('\n'), /Entering (MASTER|BACKUP|FAULT)/);
    const [sa, sc] = [await stats(o.controlSocket), await stats(bk.controlSocket)];
    assert.ok(sc['auth_failure']! > 0 && sc['ip_ttl_err']! > 0, `the backup counted the drops: ${JSON.stringify(sc)}`);
    assert.equal(sc['become_master'], 0, JSON.stringify(sc));
    assert.deepEqual([sa['become_master'], sa['release_master']], [1, 0], JSON.stringify(sa));
    for (const m of monitors) assert.doesNotMatch(m.out(), new RegExp(VIP.replace(/\./g, '\\.')), `netlink address events on ${m.host}:\n${m.out()}`);
  } finally {
    for (const m of monitors) await stop(m.child);
    tx.close();
    txLowTtl.close();
    await stop(bk.child);
    await stop(o.child);
  }
});
