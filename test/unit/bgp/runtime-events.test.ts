import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { model } from '../daemon/model.js';
import { subscribe, type BgpRouteEvent, type BgpStateEvent } from '../../../src/core/events.js';
import { BgpRuntime } from '../../../src/runtime/bgp/runtime.js';
import type { AnnounceDriver } from '../../../src/runtime/bgp/driver.js';
import type { AnnounceAction } from '../../../src/bgp/announcer.js';

/** A driver that records the actions and reports one session. */
class FakeDriver implements AnnounceDriver {
  readonly engine = 'gobgp';
  readonly applied: string[] = [];
  onReconnect: () => void = () => {};
  async start(): Promise<void> {}
  async apply(a: AnnounceAction): Promise<void> {
    this.applied.push(`${a.kind} ${a.route.prefix}`);
  }
  async sessions() {
    return [{ peer: '192.0.2.12', peerAs: 65000, state: 'established', advertised: this.applied.length % 2 }];
  }
  connected(): boolean {
    return true;
  }
  async close(): Promise<void> {}
}

const log = { log: () => {} };

test('the bgp runtime publishes each route change and its whole picture when it changes (planned prefixes withdrawn until held)', async () => {
  const states: BgpStateEvent[] = [];
  const routes: BgpRouteEvent[] = [];
  const offs = [subscribe('keepalived-ts:bgp:state', (e) => states.push(e)), subscribe('keepalived-ts:bgp:route', (e) => routes.push(e))];
  const driver = new FakeDriver();
  const rt = new BgpRuntime({ log, logDetail: 0, releaseVips: false, dontReleaseVrrp: false, addressMonitoring: false }, async () => driver);
  try {
    await rt.start(
      model(
        'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.100/24\n    192.0.2.101/24\n  }\n  bgp_announce master\n}\n',
      ),
    );
    assert.deepEqual(
      states.at(-1)?.routes,
      [
        { prefix: '192.0.2.100/32', state: 'withdrawn' },
        { prefix: '192.0.2.101/32', state: 'withdrawn' },
      ],
      'planned, not held',
    );
    const n = states.length;
    rt.setFacts({ instances: new Map([['VI_1', 'MASTER']]), quorum: new Map() });
    for (let i = 0; i < 20 && routes.length < 2; i++) await tick();
    assert.deepEqual(driver.applied, ['announce 192.0.2.100/32', 'announce 192.0.2.101/32']);
    assert.deepEqual(
      routes.map((r) => `${r.action} ${r.prefix} ${r.gracefulShutdown}`),
      ['announce 192.0.2.100/32 false', 'announce 192.0.2.101/32 false'],
    );
    assert.ok(states.length > n);
    await rt.pollSessions();
    const last = states.at(-1)!;
    assert.deepEqual(last.sessions, [{ peer: '192.0.2.12', peerAs: 65000, state: 'established', advertised: 0 }]);
    assert.equal(last.connected, true);
    const count = states.length;
    await rt.pollSessions();
    assert.equal(states.length, count, 'nothing changed: nothing published');
  } finally {
    await rt.stop();
    for (const off of offs) off();
  }
});
