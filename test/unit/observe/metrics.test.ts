/**
 * /metrics: every series of the keepalived exporters (names, types and label names taken from their collectors'
 * source into test/fixtures/exporters/exporter-metrics.json) is served with the same labels; values follow the
 * snapshot; the event-fed series (transitions with reason, failover duration, jitter, GARP/NA, dual master,
 * checker latency) follow the observer channels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ObserveMetrics } from '../../../src/observe/metrics.js';
import { statusView } from '../../../src/observe/view.js';
import { publish } from '../../../src/core/events.js';
import { bfdSession, PROCESS, snapshot } from './fake.js';

interface FixtureMetric {
  name: string;
  type: string;
  labels: string[];
}
const fixture = JSON.parse(readFileSync(new URL('../../../../test/fixtures/exporters/exporter-metrics.json', import.meta.url), 'utf8')) as {
  sources: { repo: string; metrics: FixtureMetric[] }[];
};
const expected = fixture.sources.flatMap((s) => s.metrics);

/** Parses exposition text: TYPE per name, and every sample's name and label names. */
function parse(text: string): { types: Map<string, string>; samples: { name: string; labels: Record<string, string>; value: number }[] } {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

const view = () => statusView(PROCESS, snapshot(), Date.now());

test('the fixture lists both exporters (mehdy VRRP series, gen2brain LVS series)', () => {
  assert.equal(expected.length, 30);
  assert.ok(expected.some((m) => m.name === 'keepalived_vrrp_state' && m.labels.join() === 'iname,intf,vrid,ip_address'));
  assert.ok(expected.some((m) => m.name === 'keepalived_lvs_rs_conn' && m.labels.join() === 'vip,addr,proto'));
});

test('every exporter metric is served with its type and exactly its label names', async () => {
  const m = new ObserveMetrics(view, { defaultMetrics: false });
  const { types, samples } = parse(await m.render());
  for (const f of expected) {
    assert.equal(types.get(f.name), f.type, `${f.name}: type`);
    const mine = samples.filter((s) => s.name === f.name);
    if (f.name === 'keepalived_script_state') {
      assert.equal(mine.length, 0, 'the script state is not in the snapshot');
      continue;
    }
    assert.ok(mine.length > 0, `${f.name}: no sample`);
    for (const s of mine) assert.deepEqual(Object.keys(s.labels).sort(), [...f.labels].sort(), `${f.name}: labels`);
  }
});

test('exporter values follow the snapshot (state per VIP, counters, LVS as gen2brain labels them)', async () => {
  const { samples } = parse(await new ObserveMetrics(view, { defaultMetrics: false }).render());
  const get = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).map((s) => s.value);
  assert.deepEqual(get('keepalived_up', {}), [1]);
  assert.deepEqual(get('keepalived_vrrp_state', { iname: 'VI_1', intf: 'eth0', vrid: '51', ip_address: '192.0.2.100' }), [2]);
  assert.deepEqual(get('keepalived_vrrp_state', { iname: 'VI_1', intf: 'eth1', ip_address: '192.0.2.101' }), [2], 'a VIP with dev: that interface');
  assert.deepEqual(get('keepalived_vrrp_state', { iname: 'VI_2', ip_address: '2001:db8::100' }), [1]);
  assert.deepEqual(get('keepalived_vrrp_excluded_state', { iname: 'VI_1', ip_address: '198.51.100.7' }), [2]);
  assert.deepEqual(get('keepalived_advertisements_sent_total', { iname: 'VI_1', intf: 'eth0', vrid: '51' }), [120]);
  assert.deepEqual(get('keepalived_become_master_total', { iname: 'VI_1' }), [2]);
  assert.deepEqual(get('keepalived_gratuitous_arp_delay_total', { iname: 'VI_1' }), [5]);
  assert.deepEqual(get('keepalived_script_status', { name: 'chk_nginx' }), [0]);
  assert.deepEqual(get('keepalived_script_status', { name: 'chk_other' }), [1]);
  assert.deepEqual(get('keepalived_lvs_vip_conn', { addr: '192.0.2.100:80', proto: '6' }), [3]);
  assert.deepEqual(get('keepalived_lvs_rs_in_bytes', { vip: '192.0.2.100:80', addr: '198.51.100.1:8080', proto: '6' }), [600]);
  assert.deepEqual(get('keepalived_ts_vrrp_effective_priority', { iname: 'VI_1' }), [130]);
  assert.deepEqual(get('keepalived_ts_vrrp_base_priority', { iname: 'VI_1' }), [150]);
  assert.deepEqual(get('keepalived_ts_real_server_up', { rs: '198.51.100.2:8080' }), [0]);
  assert.deepEqual(get('keepalived_ts_real_server_weight', { rs: '198.51.100.1:8080' }), [1]);
  assert.deepEqual(get('keepalived_ts_event_loop_lag_seconds', { stat: 'max' }), [0.0125]);
});

test('a failing snapshot gives keepalived_up 0 and no instance series', async () => {
  const m = new ObserveMetrics(
    () => {
      throw new Error('gone');
    },
    { defaultMetrics: false },
  );
  const { samples } = parse(await m.render());
  assert.deepEqual(
    samples.filter((s) => s.name === 'keepalived_up').map((s) => s.value),
    [0],
  );
  assert.equal(samples.filter((s) => s.name === 'keepalived_vrrp_state').length, 0);
});

test('event-fed series: transitions with reason, failover duration, GARP/NA, jitter, dual master, checker latency', async () => {
  let now = 5_000_000;
  let state = 1;
  const v = () => {
    const s = snapshot();
    return statusView(PROCESS, { ...s, instances: [{ ...s.instances[0]!, state: state as 1 }] }, now);
  };
  const m = new ObserveMetrics(v, { defaultMetrics: false, now: () => now }).attach();
  try {
    publish('keepalived-ts:vrrp:advert', { instance: 'VI_1', source: '192.0.2.11', priority: 200, localState: 'BACKUP', at: now });
    now += 3_400;
    publish('keepalived-ts:vrrp:transition', {
      instance: 'VI_1',
      vrid: 51,
      family: 4,
      interface: 'eth0',
      from: 'BACKUP',
      to: 'MASTER',
      reason: 'master down timer',
      priority: 150,
      at: now,
    });
    state = 2;
    publish('keepalived-ts:vrrp:garp', { instance: 'VI_1', addresses: ['192.0.2.100', '2001:db8::100'], count: 5, at: now });
    publish('keepalived-ts:vrrp:jitter', { lateMs: 2, at: now });
    publish('keepalived-ts:check:verdict', { vs: '192.0.2.100:80', rs: '198.51.100.1:8080', checker: 'TCP_CHECK', up: true, latencyMs: 3, at: now });
    let p = parse(await m.render()).samples;
    const one = (name: string, labels: Record<string, string> = {}) =>
      p.filter((s) => s.name === name && Object.entries(labels).every(([k, val]) => s.labels[k] === val)).map((s) => s.value);
    assert.deepEqual(one('keepalived_ts_vrrp_transitions_total', { iname: 'VI_1', from: 'BACKUP', to: 'MASTER', reason: 'master down timer' }), [1]);
    assert.deepEqual(one('keepalived_ts_vrrp_failover_duration_seconds_sum', { iname: 'VI_1' }), [3.4]);
    assert.deepEqual(one('keepalived_ts_vrrp_failover_duration_seconds_bucket', { iname: 'VI_1', le: '3' }), [0]);
    assert.deepEqual(one('keepalived_ts_vrrp_failover_duration_seconds_bucket', { iname: 'VI_1', le: '4' }), [1]);
    assert.deepEqual(one('keepalived_ts_vrrp_garp_sent_total', { iname: 'VI_1', kind: 'garp' }), [5]);
    assert.deepEqual(one('keepalived_ts_vrrp_garp_sent_total', { iname: 'VI_1', kind: 'na' }), [5]);
    assert.deepEqual(one('keepalived_ts_vrrp_advert_send_jitter_seconds_count'), [1]);
    assert.deepEqual(one('keepalived_ts_checker_latency_seconds_sum', { checker: 'TCP_CHECK' }), [0.003]);
    assert.deepEqual(one('keepalived_ts_vrrp_dual_master', { iname: 'VI_1' }), [0], 'no peer heard while MASTER yet');
    // a peer advert while MASTER: dual master for 3 advert intervals, then it clears
    publish('keepalived-ts:vrrp:advert', { instance: 'VI_1', source: '192.0.2.11', priority: 100, localState: 'MASTER', at: now });
    now += 2_900;
    p = parse(await m.render()).samples;
    assert.deepEqual(one('keepalived_ts_vrrp_dual_master', { iname: 'VI_1' }), [1]);
    assert.deepEqual(one('keepalived_ts_vrrp_dual_master_adverts_total', { iname: 'VI_1', source: '192.0.2.11' }), [1]);
    now += 200;
    p = parse(await m.render()).samples;
    assert.deepEqual(one('keepalived_ts_vrrp_dual_master', { iname: 'VI_1' }), [0]);
  } finally {
    m.detach();
  }
});

test('two metric sets in one process do not share a registry', async () => {
  const a = new ObserveMetrics(view, { defaultMetrics: true });
  const b = new ObserveMetrics(view, { defaultMetrics: true });
  assert.notEqual(a.registry, b.registry);
  assert.match(await a.render(), /^# HELP process_cpu_user_seconds_total/m);
  assert.match(await b.render(), /keepalived_up 1/);
});

test("BGP series follow the bgp child's events: engine up, route announced/draining per planned prefix, sessions, route changes", async () => {
  const m = new ObserveMetrics(view, { defaultMetrics: false }).attach();
  try {
    const series = async (name: string) =>
      parse(await m.render())
        .samples.filter((s) => s.name === name)
        .map((s) => [Object.values(s.labels).join(','), s.value]);
    assert.deepEqual(await series('keepalived_ts_bgp_engine_up'), [], 'nothing before the bgp child published');
    const routes = [
      { prefix: '203.0.113.10/32', state: 'announced' as const },
      { prefix: '2001:db8::10/128', state: 'withdrawn' as const },
    ];
    const sessions = [
      { peer: '192.0.2.12', peerAs: 65000, state: 'established', advertised: 1 },
      { peer: '2001:db8::c', peerAs: 65000, state: 'active', advertised: 0 },
    ];
    publish('keepalived-ts:bgp:route', { prefix: '203.0.113.10/32', action: 'announce', gracefulShutdown: false, engine: 'gobgp', at: 1 });
    publish('keepalived-ts:bgp:state', { engine: 'gobgp', connected: true, routes, sessions, at: 1 });
    assert.deepEqual(await series('keepalived_ts_bgp_engine_up'), [['gobgp', 1]]);
    assert.deepEqual(await series('keepalived_ts_bgp_route_announced'), [
      ['203.0.113.10/32', 1],
      ['2001:db8::10/128', 0],
    ]);
    assert.deepEqual(await series('keepalived_ts_bgp_session_up'), [
      ['192.0.2.12,65000', 1],
      ['2001:db8::c,65000', 0],
    ]);
    assert.deepEqual(await series('keepalived_ts_bgp_session_advertised_prefixes'), [
      ['192.0.2.12,65000', 1],
      ['2001:db8::c,65000', 0],
    ]);
    // a planned withdrawal with graceful shutdown: draining, then withdrawn; the engine goes away
    publish('keepalived-ts:bgp:route', { prefix: '203.0.113.10/32', action: 'announce', gracefulShutdown: true, engine: 'gobgp', at: 2 });
    publish('keepalived-ts:bgp:state', {
      engine: 'gobgp',
      connected: true,
      routes: [{ ...routes[0]!, state: 'draining' }, routes[1]!],
      sessions,
      at: 2,
    });
    assert.deepEqual(await series('keepalived_ts_bgp_route_draining'), [
      ['203.0.113.10/32', 1],
      ['2001:db8::10/128', 0],
    ]);
    assert.deepEqual((await series('keepalived_ts_bgp_route_announced'))[0], ['203.0.113.10/32', 1], 'still announced while draining');
    publish('keepalived-ts:bgp:route', { prefix: '203.0.113.10/32', action: 'withdraw', gracefulShutdown: false, engine: 'gobgp', at: 3 });
    publish('keepalived-ts:bgp:state', {
      engine: 'gobgp',
      connected: false,
      routes: [{ ...routes[0]!, state: 'withdrawn' }, routes[1]!],
      sessions: [],
      at: 3,
    });
    assert.deepEqual(await series('keepalived_ts_bgp_engine_up'), [['gobgp', 0]]);
    assert.deepEqual((await series('keepalived_ts_bgp_route_announced'))[0], ['203.0.113.10/32', 0]);
    assert.deepEqual(await series('keepalived_ts_bgp_session_up'), []);
    assert.deepEqual(await series('keepalived_ts_bgp_route_changes_total'), [
      ['203.0.113.10/32,announce', 1],
      ['203.0.113.10/32,graceful_shutdown', 1],
      ['203.0.113.10/32,withdraw', 1],
    ]);
  } finally {
    m.detach();
  }
});

test("BFD series follow the bfd child's picture: session up, detection time, intervals, transitions per instance and neighbor", async () => {
  const m = new ObserveMetrics(view, { defaultMetrics: false }).attach();
  try {
    const series = async (name: string) =>
      parse(await m.render())
        .samples.filter((s) => s.name === name)
        .map((s) => [Object.values(s.labels).join(','), s.value]);
    assert.deepEqual(await series('keepalived_ts_bfd_session_up'), [], 'nothing before the bfd child published');
    const v6 = bfdSession({
      name: 'bfd_v6',
      neighbor: '2001:db8::2',
      state: 'Down',
      remoteState: 'Down',
      detectTimeUs: 0,
      upTransitions: 0,
      downTransitions: 0,
    });
    publish('keepalived-ts:bfd:sessions', { sessions: [bfdSession(), v6], at: 1 });
    assert.deepEqual(await series('keepalived_ts_bfd_session_up'), [
      ['bfd_peer,192.0.2.2', 1],
      ['bfd_v6,2001:db8::2', 0],
    ]);
    assert.deepEqual(await series('keepalived_ts_bfd_detect_time_seconds'), [
      ['bfd_peer,192.0.2.2', 0.15],
      ['bfd_v6,2001:db8::2', 0],
    ]);
    assert.deepEqual((await series('keepalived_ts_bfd_tx_interval_seconds'))[0], ['bfd_peer,192.0.2.2', 0.05]);
    assert.deepEqual((await series('keepalived_ts_bfd_rx_interval_seconds'))[0], ['bfd_peer,192.0.2.2', 0.05]);
    assert.deepEqual((await series('keepalived_ts_bfd_state_since_seconds'))[0], ['bfd_peer,192.0.2.2', 1000]);
    assert.deepEqual(await series('keepalived_ts_bfd_transitions_total'), [
      ['bfd_peer,192.0.2.2,up', 2],
      ['bfd_peer,192.0.2.2,down', 1],
      ['bfd_v6,2001:db8::2,up', 0],
      ['bfd_v6,2001:db8::2,down', 0],
    ]);
    assert.match(await m.render(), /^# TYPE keepalived_ts_bfd_transitions_total counter$/m);
    // the session goes down: the next picture replaces the last one
    publish('keepalived-ts:bfd:sessions', { sessions: [bfdSession({ state: 'Down', downTransitions: 2, detectTimeUs: 0 })], at: 2 });
    assert.deepEqual(await series('keepalived_ts_bfd_session_up'), [['bfd_peer,192.0.2.2', 0]]);
    assert.deepEqual(await series('keepalived_ts_bfd_transitions_total'), [
      ['bfd_peer,192.0.2.2,up', 2],
      ['bfd_peer,192.0.2.2,down', 2],
    ]);
    assert.deepEqual(
      m.bfdSessions?.map((s) => s.state),
      ['Down'],
    );
    // a dead bfd child (the supervisor sends an empty picture): no sessions
    publish('keepalived-ts:bfd:sessions', { sessions: [], at: 3 });
    assert.deepEqual(await series('keepalived_ts_bfd_session_up'), []);
  } finally {
    m.detach();
  }
});
