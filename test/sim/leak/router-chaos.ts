/**
 * The VRRP router of one node through a long chaos schedule in the simulator (not a test file: run by
 * router-chaos.test.ts in a node with `--expose-gc --no-opt`, so that optimised code does not count as growth).
 * Node n0 (never restarted, as in the netns soak) sees reloads with changed and unchanged instances, link flaps,
 * partitions, tracker flips, and peers crashed and restarted or frozen; after every `every` disturbances the heap
 * is collected and measured, with the sizes of the router's own collections. Prints one JSON line.
 */
import { seededRng } from '../../../src/core/rng.js';
import type { VrrpRouter } from '../../../src/vrrp/router.js';
import { SimNetwork } from '../network.js';
import { GROUPS, instancesOf, VRIDS } from '../../soak/chaos.js';

const NAMES = ['n0', 'n1', 'n2'];
const NOPREEMPT = [false, false, false, false];
const PRIOS = [
  [250, 250, 190, 20],
  [50, 50, 220, 170],
  [210, 210, 210, 100],
];

/** One sample: disturbances so far, heap used after GC, and the sizes of n0's router collections. */
export interface Sample {
  readonly cycle: number;
  readonly heapUsed: number;
  readonly sizes: Readonly<Record<string, number>>;
}

/** The sizes of the router's collections (private fields, read for this measurement only). */
function sizes(router: VrrpRouter): Record<string, number> {
  const r = router as unknown as {
    all: Map<string, { fsm: unknown }>;
    byWire: { readonly size: number };
    groupsByName: Map<string, unknown>;
    linkUp: Map<number, boolean>;
    dropLogged: Map<string, number>;
    agenda: { heap: unknown[]; current: Map<string, number> };
  };
  const fsms = [...r.all.values()].map((i) => i.fsm as { rivals: Map<string, number>; results: Map<string, unknown> });
  return {
    instances: r.all.size,
    byWire: r.byWire.size,
    groups: r.groupsByName.size,
    linkUp: r.linkUp.size,
    dropLogged: r.dropLogged.size,
    agendaHeap: r.agenda.heap.length,
    agendaKeys: r.agenda.current.size,
    rivals: fsms.reduce((n, f) => n + f.rivals.size, 0),
    trackerResults: fsms.reduce((n, f) => n + f.results.size, 0),
  };
}

/** Runs `cycles` disturbances (each followed by 5 virtual seconds), sampling every `every`. */
export function runRouterChaos(cycles: number, every: number, gc: () => void): Sample[] {
  const net = new SimNetwork({ latencyMs: 1, jitterMs: 1, loss: 0.01, duplicate: 0.01 }, 11);
  net.recordAll = false;
  let extra = [false, false, false, false];
  NAMES.forEach((n, i) => net.addNode(n, instancesOf(i, { priorities: PRIOS[i]!, nopreempt: NOPREEMPT }, extra, 0), GROUPS));
  net.start();
  const rng = seededRng(11);
  const draw = <T>(a: readonly T[]): T => a[Math.floor(rng.next() * a.length)]!;
  const tracker = (ok: boolean) => {
    for (const v of VRIDS) net.inject('n0', v.name, { type: 'tracker', result: { kind: 'script', name: 'chk', ok } });
  };
  const samples: Sample[] = [];
  for (let c = 1; c <= cycles; c++) {
    const peer = draw(['n1', 'n2']);
    const hold = 500 + rng.next() * 3000;
    switch (draw(['reloadSame', 'reloadVips', 'reloadPrio', 'linkFlap', 'partition', 'crashPeer', 'freezePeer', 'tracker'])) {
      case 'reloadSame':
        for (const n of NAMES) net.reload(n, net.node(n).spec.instances, GROUPS);
        break;
      case 'reloadVips':
        extra = extra.map((e) => (rng.next() < 0.5 ? !e : e));
        NAMES.forEach((n, i) => net.reload(n, instancesOf(i, { priorities: PRIOS[i]!, nopreempt: NOPREEMPT }, extra, 0), GROUPS));
        break;
      case 'reloadPrio':
        net.reload(
          'n0',
          instancesOf(0, { priorities: PRIOS[0]!.map((p) => p - Math.floor(rng.next() * 10)), nopreempt: NOPREEMPT }, extra, 0),
          GROUPS,
        );
        break;
      case 'linkFlap':
        net.setLink('n0', false);
        net.runFor(hold);
        net.setLink('n0', true);
        break;
      case 'partition':
        net.partition(['n0'], ['n1', 'n2']);
        net.runFor(hold);
        net.heal();
        break;
      case 'crashPeer':
        net.crash(peer);
        net.runFor(hold);
        net.start(peer);
        break;
      case 'freezePeer':
        net.freeze(peer);
        net.runFor(hold);
        net.thaw(peer);
        break;
      case 'tracker':
        tracker(false);
        net.runFor(hold);
        tracker(true);
        break;
    }
    net.runFor(5000);
    net.timeline.length = 0; // the harness's record, not the router's state
    if (c % every === 0) {
      gc();
      gc();
      samples.push({ cycle: c, heapUsed: process.memoryUsage().heapUsed, sizes: sizes(net.node('n0').router) });
    }
  }
  return samples;
}

const gcFn = (globalThis as { gc?: () => void }).gc;
if (process.argv[1]?.endsWith('router-chaos.js') && gcFn) {
  console.log(JSON.stringify(runRouterChaos(Number(process.argv[2] ?? 2000), Number(process.argv[3] ?? 250), gcFn)));
}
