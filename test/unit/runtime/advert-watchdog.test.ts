/**
 * The advert watchdog's wiring (src/runtime/vrrp/advert-watchdog.ts) driven by the real VRRP router and a fake
 * native port, exactly as LinuxVrrpRuntime.execute drives it: a MASTER's advert arms its record with the very bytes
 * and destinations it went out with (one datagram per unicast peer), later adverts only kick it, new bytes replace
 * the old; every exit from MASTER (higher-priority advert, FAULT, shutdown's priority 0, removal by reload)
 * disarms it before the batch is carried out; native sends count in advert_sent exactly once; AH adverts are
 * never repeated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceParams, type VrrpInstanceParamsInput } from '../../../src/vrrp/instance-params.js';
import { IPV4_HEADER_LENGTH, writeIpv4Header } from '../../../src/vrrp/ipv4-header.js';
import { encodeAdvert, VrrpRouter } from '../../../src/vrrp/router.js';
import type { RouterAction, RouterInstanceSpec } from '../../../src/vrrp/router-types.js';
import { IPPROTO_VRRP, VrrpState } from '../../../src/vrrp/types.js';
import { AdvertWatchdog, MasterWatchdog, watchdogTiming, type WatchdogPort } from '../../../src/runtime/vrrp/advert-watchdog.js';

const GROUP = '224.0.0.18';
const FD = 42;

function spec(over: Partial<VrrpInstanceParamsInput> = {}): RouterInstanceSpec {
  const params = instanceParams({ name: 'VI_1', vrid: 51, primaryAddress: '192.0.2.1', priority: 100, vips: ['192.0.2.100'], ...over });
  return { params, socketKey: 'eth0', ifindex: 2, source: params.primaryAddress, group: GROUP };
}

function packet(source: string, priority: number): Uint8Array {
  const peer = spec({ name: 'PEER', primaryAddress: source, priority });
  const msg = encodeAdvert(peer, priority, 1000)[0]!.bytes;
  const out = Buffer.alloc(IPV4_HEADER_LENGTH + msg.length);
  writeIpv4Header(out, { source, destination: GROUP, payloadLength: msg.length, ttl: 255, protocol: IPPROTO_VRRP });
  out.set(msg, IPV4_HEADER_LENGTH);
  return out;
}

/** Everything that happened, in order: the event loop's sends and the native port's calls. */
type Ev =
  | { e: 'js'; instance: string; priority: number; destination: string }
  | { e: 'set'; id: number; fd: number; packets: Uint8Array[]; sockaddrs: Uint8Array[] }
  | { e: 'kick'; id: number; intervalMs: number; slackMs: number; holdMs: number }
  | { e: 'disarm'; id: number };

/** A fake native side: records calls; `native(id, n)` plays n native sends (only an armed record may send). */
class FakePort implements WatchdogPort {
  readonly log: Ev[] = [];
  private readonly counts: number[] = [];
  readonly armed: boolean[] = [];
  closed = false;
  add(): number {
    this.counts.push(0);
    this.armed.push(false);
    return this.counts.length - 1;
  }
  set(id: number, fd: number, packets: readonly Uint8Array[], sockaddrs: readonly Uint8Array[]): void {
    this.log.push({ e: 'set', id, fd, packets: [...packets], sockaddrs: [...sockaddrs] });
  }
  kick(id: number, intervalMs: number, slackMs: number, holdMs: number): number {
    this.log.push({ e: 'kick', id, intervalMs, slackMs, holdMs });
    this.armed[id] = true;
    return this.counts[id]!;
  }
  claim(): number {
    throw new Error('the VRRP wiring only kicks');
  }
  disarm(id: number): void {
    this.log.push({ e: 'disarm', id });
    this.armed[id] = false;
  }
  sent(id: number): number {
    return this.counts[id]!;
  }
  close(): void {
    this.closed = true;
  }
  native(id: number, n: number): void {
    assert.ok(this.armed[id], 'only an armed record sends');
    this.counts[id]! += n;
  }
}

/** The runtime's side: the router, the watchdog wiring, the instances' advert_sent, and execute() as the runtime's. */
function rig(specs: RouterInstanceSpec[] = [spec()]) {
  const r = new VrrpRouter();
  const port = new FakePort();
  const stats = new Map<string, { advert_sent: number }>();
  for (const s of specs) {
    const { stats: st } = r.addInstance(s);
    stats.set(s.params.name, st);
  }
  const sockaddrs = new Map<string, Uint8Array>();
  const socket = {
    fd: FD,
    sockaddrOf: (d: string) => {
      let b = sockaddrs.get(d);
      if (!b) sockaddrs.set(d, (b = Buffer.from(d)));
      return b;
    },
  };
  const wd = new MasterWatchdog(
    new AdvertWatchdog(() => port),
    (name) => {
      const i = r.instance(name);
      return i && { fsm: i.fsm, socket };
    },
    (name, n) => {
      const s = stats.get(name);
      if (s) s.advert_sent += n;
    },
  );
  const execute = (actions: readonly RouterAction[]) => {
    wd.before(actions);
    for (const a of actions) {
      if (a.kind !== 'transmit') continue;
      port.log.push({ e: 'js', instance: a.instance, priority: a.priority, destination: a.destination });
      stats.get(a.instance); // (the router counted it in advert_sent already)
      wd.transmitted(a);
    }
    wd.after();
    return actions;
  };
  return { r, port, wd, stats, execute };
}

/** Starts VI_1 and lets its Master_Down_Timer expire: MASTER, first advert sent; returns the time. */
function toMaster(x: ReturnType<typeof rig>, name = 'VI_1'): number {
  x.execute(x.r.event(name, { type: 'startup' }, 0));
  const t = x.r.pollTimeout()!;
  x.execute(x.r.timeout(t));
  assert.equal(x.r.instance(name)!.fsm.state, VrrpState.MASTER);
  return t;
}

const kinds = (log: readonly Ev[]) => log.map((e) => e.e);

test('a MASTER advert arms the record with exactly the bytes sent; later adverts only kick it', () => {
  const x = rig();
  const t = toMaster(x);
  const sent = encodeAdvert(spec(), 100, 1000)[0]!.bytes;
  assert.deepEqual(kinds(x.port.log), ['js', 'set', 'kick']);
  const set = x.port.log[1] as Extract<Ev, { e: 'set' }>;
  assert.equal(set.fd, FD);
  assert.deepEqual(set.packets, [sent]);
  assert.deepEqual(
    set.sockaddrs.map((b) => Buffer.from(b).toString()),
    [GROUP],
  );
  assert.deepEqual(x.port.log[2], { e: 'kick', id: 0, intervalMs: 1000, ...watchdogTiming(1000) });
  assert.deepEqual(watchdogTiming(1000), { slackMs: 250, holdMs: 3000 });
  assert.deepEqual(watchdogTiming(10), { slackMs: 2.5, holdMs: 1000 });
  x.execute(x.r.timeout(t + 1000));
  x.execute(x.r.timeout(t + 2000));
  assert.deepEqual(kinds(x.port.log), ['js', 'set', 'kick', 'js', 'kick', 'js', 'kick'], 'same bytes: no new set');
  assert.equal(x.stats.get('VI_1')!.advert_sent, 3);
});

test('new bytes (a priority change) replace the old ones before the kick', () => {
  const x = rig();
  const t = toMaster(x);
  x.execute(x.r.applyReload({ remove: [], update: [spec({ priority: 150 })] }, t + 10));
  x.port.log.length = 0;
  x.execute(x.r.timeout(x.r.pollTimeout()!));
  assert.deepEqual(kinds(x.port.log), ['js', 'set', 'kick']);
  assert.deepEqual((x.port.log[1] as Extract<Ev, { e: 'set' }>).packets, [encodeAdvert(spec({ priority: 150 }), 150, 1000)[0]!.bytes]);
});

test('unicast peers: one datagram per peer in the record, each to its peer', () => {
  const x = rig([spec({ unicastPeers: ['192.0.2.7', '192.0.2.8'] })]);
  toMaster(x);
  const set = x.port.log.find((e) => e.e === 'set') as Extract<Ev, { e: 'set' }>;
  assert.equal(set.packets.length, 2);
  assert.deepEqual(
    set.sockaddrs.map((b) => Buffer.from(b).toString()),
    ['192.0.2.7', '192.0.2.8'],
  );
  assert.deepEqual(
    set.packets,
    encodeAdvert(spec({ unicastPeers: ['192.0.2.7', '192.0.2.8'] }), 100, 1000).map((e) => e.bytes),
  );
});

test('native sends count in advert_sent exactly once (at the next kick, by collect or at disarm)', () => {
  const x = rig();
  const t = toMaster(x);
  const st = x.stats.get('VI_1')!;
  assert.equal(st.advert_sent, 1);
  x.port.native(0, 3); // the event loop stalled: three native adverts
  x.execute(x.r.timeout(t + 1000)); // it is back: one more from here, and the three are counted
  assert.equal(st.advert_sent, 1 + 3 + 1);
  x.wd.collect(['VI_1']);
  assert.equal(st.advert_sent, 5, 'not again');
  x.port.native(0, 2);
  x.wd.collect(['VI_1']);
  x.wd.collect(['VI_1']);
  assert.equal(st.advert_sent, 7);
  x.port.native(0, 1);
  x.execute(x.r.shutdown(t + 1500)); // disarm counts the last one; the priority-0 advert is the router's
  assert.equal(st.advert_sent, 7 + 1 + 1);
});

test('a higher-priority advert (MASTER -> BACKUP) disarms before anything of the batch is carried out', () => {
  const x = rig();
  const t = toMaster(x);
  x.port.log.length = 0;
  const out = x.execute(x.r.receive('eth0', packet('192.0.2.9', 200), { source: '192.0.2.9', destination: GROUP, ttl: 255, ifindex: 2 }, t + 100));
  assert.ok(out.some((a) => a.kind === 'stateChanged' && a.transition.to === VrrpState.BACKUP));
  // the yield advert it sends as it steps down (split-brain heal) leaves after the disarm and does not re-arm
  assert.deepEqual(kinds(x.port.log), ['disarm', 'js']);
  assert.equal(x.port.armed[0], false);
  // back to MASTER later: armed again, same record
  x.execute(x.r.timeout(x.r.pollTimeout()!));
  assert.equal(x.r.instance('VI_1')!.fsm.state, VrrpState.MASTER);
  assert.deepEqual(kinds(x.port.log), ['disarm', 'js', 'js', 'kick']);
  assert.equal(x.port.armed[0], true);
});

test('shutdown: disarmed before the priority-0 advert leaves', () => {
  const x = rig();
  const t = toMaster(x);
  x.port.log.length = 0;
  x.execute(x.r.shutdown(t + 10));
  assert.deepEqual(
    x.port.log.map((e) => (e.e === 'js' ? `js prio ${e.priority}` : e.e)),
    ['disarm', 'js prio 0'],
  );
});

test('interface down (MASTER -> FAULT): disarmed', () => {
  const x = rig();
  const t = toMaster(x);
  x.port.log.length = 0;
  x.execute(x.r.link(2, 'eth0', false, t + 10));
  assert.equal(x.r.instance('VI_1')!.fsm.state, VrrpState.FAULT);
  assert.equal(kinds(x.port.log)[0], 'disarm');
  assert.equal(x.port.armed[0], false);
});

test('removed by a reload: disarmed before its priority-0 advert, and its record is reused by the next instance', () => {
  const x = rig([spec(), spec({ name: 'VI_2', vrid: 52 })]);
  const t = toMaster(x);
  x.port.log.length = 0;
  x.execute(x.r.applyReload({ remove: ['VI_1'], update: [] }, t + 10));
  assert.deepEqual(
    x.port.log.map((e) => (e.e === 'js' ? `js prio ${e.priority}` : e.e)),
    ['disarm', 'js prio 0'],
  );
  toMaster(x, 'VI_2');
  assert.equal((x.port.log.find((e) => e.e === 'set') as Extract<Ev, { e: 'set' }>).id, 0, 'the freed record');
  assert.equal(x.port.armed[0], true);
});

test('a BACKUP’s own advert (not MASTER after the batch) and AH adverts never arm; close stops everything', () => {
  const x = rig();
  toMaster(x);
  const ah: RouterAction = {
    kind: 'transmit',
    instance: 'VI_1',
    socketKey: 'eth0',
    destination: GROUP,
    bytes: new Uint8Array(40),
    ipHeader: true,
    priority: 100,
  };
  x.port.log.length = 0;
  x.execute([ah]);
  assert.deepEqual(kinds(x.port.log), ['js'], 'AH: not handed to the watchdog');
  const y = rig();
  y.execute(y.r.event('VI_1', { type: 'startup' }, 0));
  y.execute([{ ...ah, ipHeader: false }]); // an advert from a BACKUP (e.g. vrrp_higher_prio_send_advert)
  assert.deepEqual(kinds(y.port.log), ['js']);
  x.wd.close(['VI_1']);
  assert.equal(x.port.closed, true);
  assert.equal(x.port.armed[0], false);
});
