/**
 * Split brain heals cleanly, on the wire (issue 14): a bridge drop rule partitions a MASTER (150) from its BACKUP
 * (100) with carriers up, the backup takes over, the rule goes away at a random phase of both nodes' advert timers,
 * and the winner must re-announce the VIP (GARP) within 10 ms after the loser's last act as master. Packet times are
 * tcpdump's (kernel) timestamps on the loser's interface.
 *
 * The loser's last act as master is the later of: the winner's first advert reaching it after the heal (it steps
 * down on that advert), and the loser's last advert before it stepped down (its yield advert, or its regular
 * advert when that crossed first).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology, capture } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-split-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const VIP = '192.0.2.190';
const BOUND_S = 0.01;
const GARP = new RegExp(`Request who-has ${VIP.replace(/\./g, '\\.')} .*tell ${VIP.replace(/\./g, '\\.')}`);
const A = topo.host('a');
const B = topo.host('b');

interface Packet {
  readonly t: number;
  readonly line: string;
}

function parse(lines: readonly string[]): { adverts: (Packet & { src: string; prio: number })[]; garps: Packet[] } {
  const adverts: (Packet & { src: string; prio: number })[] = [];
  const garps: Packet[] = [];
  for (const line of lines) {
    const ad = /^(\d+\.\d+) .*: (\S+) > 224\.0\.0\.18: VRRPv2, Advertisement, vrid 51, prio (\d+)/.exec(line);
    if (ad) adverts.push({ t: Number(ad[1]), line, src: ad[2]!, prio: Number(ad[3]) });
    if (line.includes(`${A.mac} > ff:ff:ff:ff:ff:ff`) && GARP.test(line)) garps.push({ t: Number(line.split(' ')[0]), line });
  }
  return { adverts, garps };
}

/**
 * Our winner must re-announce within 10 ms. A keepalived winner (interop: it answers our loser's yield advert with
 * its garp_lower_prio_repeat burst) is held to re-announcing after the step-down before its next advert is due.
 */
const pairs = [
  { name: 'ours (winner) + ours (loser)', winner: 'ours', loser: 'ours', heals: 6, boundS: BOUND_S },
  { name: 'ours (winner) + keepalived 2.2.7 with higher_prio_send_advert (loser)', winner: 'ours', loser: 'keepalived', heals: 5, boundS: BOUND_S },
  { name: 'keepalived 2.2.7 (winner) + ours (loser)', winner: 'keepalived', loser: 'ours', heals: 5, boundS: 1 },
] as const;

for (const p of pairs) {
  test(`split brain: after every heal the winner's GARP follows the loser's step-down within ${p.boundS * 1000} ms — ${p.name}`, async (t) => {
    const start = (host: 'a' | 'b', impl: 'ours' | 'keepalived', prio: number, state: string, extra = ''): RunningDaemon => {
      const file = d.conf(`split-${host}-${impl}.conf`, prio, state, 2, VIP, extra);
      return impl === 'ours' ? d.ours(host, file) : d.keepalived(host, file);
    };
    const cap = capture(topo, 'b', 'vrrp or arp');
    await cap.ready;
    const a = start('a', p.winner, 150, 'MASTER');
    const b = start('b', p.loser, 100, 'BACKUP', p.loser === 'keepalived' ? '  higher_prio_send_advert\n' : '');
    const logs = () => `--- a\n${a.log()}\n--- b\n${b.log()}`;
    const heals: number[] = [];
    try {
      assert.ok((await waitFor(() => d.hasVip('a', VIP), 8000)) >= 0, logs());
      await sleep(1500);
      for (let i = 0; i < p.heals; i++) {
        topo.partition(['a'], ['b']);
        assert.ok((await waitFor(() => d.hasVip('b', VIP), 8000)) >= 0, `heal ${i}: b takes over while partitioned\n${logs()}`);
        await sleep(Math.random() * 1000); // random phase against both advert timers
        heals.push(Date.now() / 1000);
        topo.heal();
        assert.ok((await waitFor(() => !d.hasVip('b', VIP), 4000)) >= 0, `heal ${i}: b steps down\n${logs()}`);
        assert.ok(d.hasVip('a', VIP), `heal ${i}: a keeps the VIP`);
        await sleep(1500);
      }
    } finally {
      await stop(b.child);
      await stop(a.child);
    }
    const { adverts, garps } = parse(await cap.stop());
    const failures: string[] = [];
    heals.forEach((h, i) => {
      const winner = adverts.find((x) => x.src === A.ipv4 && x.prio === 150 && x.t > h);
      if (!winner) {
        failures.push(`heal ${i}: no advert from the winner after the heal`);
        return;
      }
      const loser = adverts.filter((x) => x.src === B.ipv4 && x.prio === 100 && x.t > h && x.t <= winner.t + 0.1).at(-1);
      const stepDown = Math.max(winner.t, loser?.t ?? 0);
      const garp = garps.find((g) => g.t >= stepDown);
      const delay = garp ? garp.t - stepDown : Infinity;
      const loserFirst = adverts.some((x) => x.src === B.ipv4 && x.prio === 100 && x.t > h && x.t < winner.t);
      t.diagnostic(
        `heal ${i}: ${loserFirst ? "loser's" : "winner's"} advert crossed first; GARP ${(delay * 1000).toFixed(2)} ms after the step-down`,
      );
      if (!(delay >= 0 && delay <= p.boundS)) failures.push(`heal ${i}: GARP ${(delay * 1000).toFixed(2)} ms after the step-down (${stepDown})`);
    });
    assert.deepEqual(failures, [], `${failures.join('\n')}\n${logs()}`);
  });
}
