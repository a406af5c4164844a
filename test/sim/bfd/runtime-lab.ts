/**
 * The BFD runtime (src/runtime/bfd/runtime.ts) on loopback UDP for the simulation tier: one session B1 (min_rx =
 * min_tx = 20 ms, multiplier 3) to a peer socket on 127.0.0.2, a ManualClock, an injected timer that the test fires
 * itself, and a fake native transmit watchdog (fake-watchdog.ts) instead of the addon's threads, which would run on
 * real time.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { ManualClock } from '../../../src/core/clock.js';
import { subscribe, type BfdSessionsEvent } from '../../../src/core/events.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { seededRng } from '../../../src/core/rng.js';
import { BfdState, encodeControl, type BfdControlInit } from '../../../src/bfd/packet.js';
import { BfdRuntime } from '../../../src/runtime/bfd/runtime.js';
import { openBfdSender, type BfdSender } from '../../../src/net/bfd-socket.js';
import { FakeTxPort } from './fake-watchdog.js';

/** The session of every lab: B1 to 127.0.0.2 at 20 ms × 3; `globals` go into a global_defs block. */
export function labConfig(globals = ''): string {
  return (
    (globals ? `global_defs {\n${globals}}\n` : '') +
    'bfd_instance B1 {\n neighbor_ip 127.0.0.2\n source_ip 127.0.0.1\n min_rx 20\n min_tx 20\n multiplier 3\n}\n'
  );
}

/** A configuration model from text (no errors allowed). */
export function model(text: string) {
  const d = new DiagnosticSink();
  const { tree } = parseConfigTree(text, 'bfd.conf');
  const cfg = buildModel(tree, d);
  assert.deepEqual(
    d.items.filter((x) => x.severity === 'error'),
    [],
  );
  return cfg;
}

/** A free UDP port on 127.0.0.1 (bound, then released). */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(r));
  return port;
}

/** Waits (real time, at most `ms`) until `cond` holds. */
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * The runtime with one session B1 (min_rx = min_tx = 20 ms, multiplier 3) to a peer socket on 127.0.0.2, a ManualClock
 * and the injected timer; `fire()` runs the one pending timer at its deadline (or at `at`, later: a late timer).
 */
export async function lab(t: TestContext, globals = '') {
  const port = await freePort();
  const cfg = model(labConfig(globals));
  const wd = new FakeTxPort();
  let opened = 0;

  const clock = new ManualClock(1000);
  const rng = seededRng(7);
  const pending = new Set<{ fn: () => void; at: number }>();
  let armed = 0;
  const timers = {
    set: (fn: () => void, ms: number) => {
      armed++;
      const h = { fn, at: clock.now() + ms };
      pending.add(h);
      return h;
    },
    clear: (h: unknown) => void pending.delete(h as { fn: () => void; at: number }),
  };
  /** Fires the one pending timer at its deadline, or at `at` when that is later (a late timer). */
  const fire = (at = 0): number => {
    assert.equal(pending.size, 1, 'one timer for all sessions');
    const [h] = [...pending];
    pending.delete(h!);
    clock.set(Math.max(clock.now(), h!.at, at));
    h!.fn();
    return clock.now();
  };

  const pictures: BfdSessionsEvent[] = [];
  const off = subscribe('keepalived-ts:bfd:sessions', (p) => pictures.push(p));
  const log = new MemoryLogger();
  const rt = new BfdRuntime(
    { log, logDetail: 0, releaseVips: false, dontReleaseVrrp: false, addressMonitoring: false },
    {
      port,
      clock,
      rng: () => rng.next(),
      timers,
      watchdog: () => {
        opened++;
        return wd;
      },
    },
  );
  const peer: Socket = createSocket('udp4');
  t.after(async () => {
    off();
    await rt.stop();
    peer.close();
    sync?.socket.close();
  });
  await new Promise<void>((r) => peer.bind(0, '127.0.0.2', r));
  peer.setTTL(255);

  const session = () => rt.snapshot().bfd![0]!;
  const last = () => pictures.at(-1)!.sessions[0]!;
  /** A Control packet from the peer (discriminator 777, 10 ms × 3), State Down unless `over` says otherwise. */
  const packet = (over: Partial<BfdControlInit>): Uint8Array =>
    encodeControl({
      diag: 0,
      state: BfdState.Down,
      detectMult: 3,
      myDiscr: 777,
      yourDiscr: 0,
      desiredMinTxUs: 10_000,
      requiredMinRxUs: 10_000,
      ...over,
    });
  /** Sends one packet from the peer and waits until the runtime has taken it. */
  const send = async (over: Partial<BfdControlInit>): Promise<void> => {
    const before = session().packetsIn;
    peer.send(packet(over), port, '127.0.0.1');
    await until(() => session().packetsIn > before, 'the packet to be received');
  };

  let sync: BfdSender | undefined;
  /** Sends from a socket on 127.0.0.2 whose sendto() is synchronous: the packet is in our socket's queue when it returns. */
  const sendNow = (over: Partial<BfdControlInit>): void => {
    sync ??= openBfdSender({
      ipv6: false,
      neighbor: '127.0.0.1',
      source: '127.0.0.2',
      ttl: 255,
      firstPort: 49152,
      min: 49152,
      max: 65535,
      dstPort: port,
    });
    assert.equal(sync.send(packet(over)), undefined);
  };
  return { cfg, clock, rt, log, pictures, pending, fire, send, sendNow, session, last, armed: () => armed, wd, opened: () => opened };
}
