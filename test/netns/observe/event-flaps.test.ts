/**
 * Issue 13: the event stream delivers every transition of 50 rapid flaps, in order, none lost — across a
 * reconnect. Our daemon on a (priority 200, `--http` on a UNIX socket) and on b (100), VRRPv3, advert_int 0.1;
 * a's link is cut at the bridge 50 times (the technique of test/netns/notify/fifo-flaps.test.ts). A client reads
 * /events from the start, disconnects after flap 25 and resumes with Last-Event-ID; the transitions it saw must be
 * exactly a's logged "Entering … STATE" lines, in order, with strictly increasing consecutive ids per event.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, confText, stop, waitFor } from '../harness/daemons.js';
import { openEvents, type Sse } from './http.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-event-flaps-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const VIP = '192.0.2.151';
const FLAPS = 50;

function conf(name: string, prio: number, state: string): string {
  return d.write(`${name}.conf`, confText(name, prio, state, 3, VIP).replace('  advert_int 1\n', '  advert_int 0.1\n'));
}

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

test(`${FLAPS} flaps: every transition on /events, in order, none lost across a reconnect`, { timeout: 150_000 }, async (t) => {
  const http = join(d.dir, 'a-http.sock');
  const a = d.ours('a', conf('a', 200, 'MASTER'), [`--http=${http}`]);
  const masterA = /\(VI_1\) Entering MASTER STATE/g;
  const faultA = /\(VI_1\) Entering FAULT STATE/g;
  assert.ok((await waitFor(() => count(a.log(), masterA) >= 1 && d.hasVip('a', VIP), 10_000)) >= 0, `a never became MASTER:\n${a.log()}`);
  const b = d.ours('b', conf('b', 100, 'BACKUP'));
  const masterB = /\(VI_1\) Entering MASTER STATE/g;
  assert.ok((await waitFor(() => /Entering BACKUP STATE \(init\)/.test(b.log()), 10_000)) >= 0, `b did not start:\n${b.log()}`);

  const first = await openEvents(http);
  let second: Awaited<ReturnType<typeof openEvents>> | undefined;
  const t0 = Date.now();
  try {
    /** One flap: a's link down (a FAULT, b MASTER), up again (a MASTER). */
    const flap = async (label: string) => {
      const [aFaults, aMasters, bMasters] = [count(a.log(), faultA), count(a.log(), masterA), count(b.log(), masterB)];
      topo.linkDown('a');
      assert.ok((await waitFor(() => count(a.log(), faultA) > aFaults, 5000)) >= 0, `${label}: a did not go FAULT`);
      assert.ok((await waitFor(() => count(b.log(), masterB) > bMasters, 5000)) >= 0, `${label}: b did not take over`);
      topo.linkUp('a');
      assert.ok((await waitFor(() => count(a.log(), masterA) > aMasters, 5000)) >= 0, `${label}: a did not preempt back`);
    };
    for (let i = 1; i <= FLAPS; i++) {
      await flap(`flap ${i}`);
      if (i === 25) {
        // let the stream catch up with a's log, drop it, flap three times unseen, resume from the last id
        const want = count(a.log(), /\(VI_1\) Entering \w+ STATE/g);
        assert.ok((await waitFor(() => first.events.filter((e) => e.event === 'transition').length >= want, 3000)) >= 0, 'stream behind the log');
        first.close();
        for (let k = 1; k <= 3; k++) await flap(`unseen flap ${k}`);
        second = await openEvents(http, first.events.at(-1)!.id);
      }
    }
    const flapMs = Date.now() - t0;
    const logStates = [...a.log().matchAll(/\(VI_1\) Entering (\w+) STATE/g)].map((m) => m[1]!);
    const all = (): Sse[] => [...first.events, ...(second?.events ?? [])];
    assert.ok(
      (await waitFor(() => all().filter((e) => e.event === 'transition').length >= logStates.length, 5000)) >= 0,
      `stream has ${all().filter((e) => e.event === 'transition').length} transitions, log ${logStates.length}`,
    );
    const events = all();
    assert.equal(
      second?.events.some((e) => e.event === 'reset'),
      false,
      'resume was complete',
    );
    // ids: one run, consecutive, no duplicates across the reconnect
    const seqs = events.map((e) => Number(e.id!.split('.')[1]));
    assert.equal(new Set(events.map((e) => e.id!.split('.')[0])).size, 1);
    assert.deepEqual(
      seqs,
      seqs.map((_, k) => seqs[0]! + k),
      'every event, in order, once',
    );
    const transitions = events
      .filter((e) => e.event === 'transition')
      .map((e) => JSON.parse(e.data) as { instance: string; from: string; to: string; reason: string });
    assert.deepEqual(
      transitions.map((x) => x.to),
      logStates,
      'the transitions are exactly the logged ones, in order',
    );
    for (let k = 1; k < transitions.length; k++) assert.equal(transitions[k]!.from, transitions[k - 1]!.to, `transition ${k} follows on`);
    assert.equal(count(a.log(), faultA), FLAPS + 3);
    const faults = transitions.filter((x) => x.to === 'FAULT');
    assert.ok(
      faults.every((x) => x.reason === 'link eth0 down'),
      JSON.stringify(faults.find((x) => x.reason !== 'link eth0 down')),
    );
    t.diagnostic(
      `${FLAPS + 3} flaps in ${flapMs} ms; ${events.length} events (${transitions.length} transitions) over two connections, ids ${seqs[0]}..${seqs.at(-1)}`,
    );
  } finally {
    first.close();
    second?.close();
    await stop(a.child);
    await stop(b.child);
  }
});
