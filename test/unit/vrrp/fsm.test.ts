/** Unit tests of the VRRP state machine's individual rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VrrpState } from '../../../src/vrrp/types.js';
import { VrrpProtocolError } from '../../../src/vrrp/fsm.js';
import { masterDownInterval, skewTime } from '../../../src/vrrp/timers.js';
import { advert, fsm, kinds, logs, toMaster } from './fsm-helpers.js';

test('timers: v2 skew is (256-prio)/256 s, v3 skew scales with Master_Adver_Interval', () => {
  assert.equal(skewTime(2, 150, 1000), 414.062);
  assert.equal(skewTime(2, 100, 5000), 609.375);
  assert.equal(skewTime(3, 100, 500), 304.687);
  assert.equal(masterDownInterval(2, 150, 1000, 3), 3414.062);
  assert.equal(masterDownInterval(3, 100, 500, 3), 1804.687);
});

test('startup: BACKUP (init) with a full Master_Down_Interval; stale VIPs removed first', () => {
  const f = fsm({ priority: 150, initialState: 'MASTER' });
  const out = f.handle({ type: 'startup' }, 1000);
  assert.equal(f.state, VrrpState.BACKUP);
  assert.deepEqual(logs(out), ['(VI_1) removing VIPs.', '(VI_1) Entering BACKUP STATE (init)']);
  assert.deepEqual(kinds(out), ['removeVips', 'stateChanged', 'notify']);
  assert.equal(f.pollTimeout(), 4414.062);
  assert.throws(() => f.handle({ type: 'startup' }, 1001), VrrpProtocolError);
});

test('startup: address owner with state MASTER becomes MASTER at once; advert is sent before VIPs and GARP', () => {
  const f = fsm({ priority: 255 });
  const out = f.handle({ type: 'startup' }, 0);
  assert.equal(f.state, VrrpState.MASTER);
  assert.deepEqual(kinds(out), ['stateChanged', 'sendAdvert', 'addVips', 'sendGarp', 'notify']);
  assert.equal(f.counters.becomeMaster, 1);
  assert.equal(f.pollTimeout(), 1000);
});

test('master down: timeout log is detail; MASTER sends adverts every advert_int and a second GARP burst after garp_master_delay', () => {
  const f = fsm({
    garp: { masterDelayMs: 2000, masterRepeat: 5, masterRefreshMs: 0, masterRefreshRepeat: 1, lowerPrioDelayMs: 0, lowerPrioRepeat: 0 },
  });
  f.handle({ type: 'startup' }, 0);
  const out = f.handleTimeout(3609.375);
  const timeout = out.find((a) => a.kind === 'log' && a.record.text === '(VI_1) Receive advertisement timeout');
  assert.ok(timeout && timeout.kind === 'log' && timeout.record.detail === true);
  assert.deepEqual(
    logs(out).filter((t) => !t.includes('timeout')),
    ['(VI_1) Entering MASTER STATE', '(VI_1) setting VIPs.'],
  );
  const garps: [number, string][] = [];
  for (let i = 0; i < 4; i++) {
    const t = f.pollTimeout()!;
    for (const a of f.handleTimeout(t)) if (a.kind === 'sendGarp' || a.kind === 'sendAdvert') garps.push([t, a.kind]);
  }
  assert.deepEqual(garps, [
    [4609.375, 'sendAdvert'],
    [5609.375, 'sendGarp'],
    [5609.375, 'sendAdvert'],
    [6609.375, 'sendAdvert'],
    [7609.375, 'sendAdvert'],
  ]);
});

test('backup: lower-priority advert is discarded and does not reset the down timer', () => {
  const f = fsm({ priority: 100 });
  f.handle({ type: 'startup' }, 0);
  const out = f.handle({ type: 'advert', advert: advert(90), source: '192.0.2.9' }, 1000);
  assert.deepEqual(logs(out), ['(VI_1) received lower priority (90) advert from 192.0.2.9 - discarding']);
  assert.equal(f.pollTimeout(), 3609.375);
  f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.9' }, 2000);
  assert.equal(f.pollTimeout(), 5609.375, 'equal priority counts as higher in BACKUP');
});

test('backup: priority 0 advert shortens the down timer to Skew_Time', () => {
  const f = fsm({ priority: 200 });
  f.handle({ type: 'startup' }, 0);
  const out = f.handle({ type: 'advert', advert: advert(0), source: '192.0.2.9' }, 1000);
  assert.deepEqual(logs(out), ['(VI_1) Backup received priority 0 advertisement']);
  assert.equal(f.pollTimeout(), 1000 + 218.75);
  assert.equal(f.counters.priZeroRcvd, 1);
});

test("backup v3: adopts the master's advertised interval for Master_Down_Interval", () => {
  const f = fsm({ version: 3, priority: 100, advertIntervalMs: 1000 });
  f.handle({ type: 'startup' }, 0);
  const out = f.handle({ type: 'advert', advert: advert(200, { version: 3, advertIntervalCs: 50 }), source: '192.0.2.9' }, 100);
  assert.deepEqual(logs(out), ['(VI_1) advertisement interval updated from 1000ms to 500ms by master']);
  assert.equal(f.masterAdverInterval, 500);
  assert.equal(f.pollTimeout(), 100 + 1804.687);
});

test('master: higher priority ⇒ BACKUP, VIPs removed, no priority 0 sent', () => {
  const f = fsm({ priority: 100, yieldAdvert: false }); // keepalived's default: no advert when yielding
  toMaster(f);
  const out = f.handle({ type: 'advert', advert: advert(150), source: '192.0.2.2' }, 5000);
  assert.equal(f.state, VrrpState.BACKUP);
  assert.deepEqual(logs(out), [
    '(VI_1) Master received advert from 192.0.2.2 with higher priority 150, ours 100',
    '(VI_1) Entering BACKUP STATE',
    '(VI_1) removing VIPs.',
  ]);
  assert.deepEqual(kinds(out), ['stateChanged', 'removeVips', 'notify']);
  assert.equal(f.counters.releaseMaster, 1);
});

test('master: higher_prio_send_advert sends one advert before stepping down', () => {
  const f = fsm({ priority: 100, higherPrioSendAdvert: true });
  toMaster(f);
  const out = f.handle({ type: 'advert', advert: advert(150), source: '192.0.2.2' }, 5000);
  assert.deepEqual(kinds(out), ['sendAdvert', 'stateChanged', 'removeVips', 'notify']);
});

test('master: by default one advert with our priority goes out as we yield (the winner learns of the split)', () => {
  const f = fsm({ priority: 100 });
  toMaster(f);
  const out = f.handle({ type: 'advert', advert: advert(150), source: '192.0.2.2' }, 5000);
  assert.deepEqual(kinds(out), ['sendAdvert', 'stateChanged', 'removeVips', 'notify']);
  const tx = out[0];
  assert.ok(tx?.kind === 'sendAdvert' && tx.priority === 100);
  assert.equal(f.state, VrrpState.BACKUP);
  const strict = fsm({ priority: 100, strict: true });
  toMaster(strict);
  assert.deepEqual(
    kinds(strict.handle({ type: 'advert', advert: advert(150), source: '192.0.2.2' }, 5000)),
    ['sendAdvert', 'stateChanged', 'removeVips', 'notify'],
    'also with vrrp_strict: an RFC 5798 master accepts a lower-priority advert silently',
  );
});

test("master: the old master's yield advert right after we took over re-announces the VIPs but notifies nothing", () => {
  const f = fsm({ priority: 150 });
  const t = toMaster(f);
  const yielded = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, t + 1);
  assert.deepEqual(kinds(yielded), ['sendAdvert', 'sendGarp']);
  const rival = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.3' }, t + 60_000);
  assert.deepEqual(kinds(rival), ['sendAdvert', 'sendGarp', 'notifyMasterRxLowerPri'], 'a rival master long after is notified');
});

test('master: equal priority — higher source address wins, lower source address loses', () => {
  const f = fsm({ priority: 100 });
  toMaster(f);
  const lower = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.0' }, 5000);
  assert.equal(f.state, VrrpState.MASTER);
  assert.deepEqual(logs(lower), ['(VI_1) Received advert from 192.0.2.0 with lower priority 100, ours 100, forcing new election']);
  const higher = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.10' }, 5100);
  assert.equal(f.state, VrrpState.BACKUP);
  assert.equal(logs(higher)[0], '(VI_1) Master received advert from 192.0.2.10 with same priority 100 but higher IP address than ours');
});

test('master: lower priority ⇒ re-advert, GARP and notify_master_rx_lower_pri; lower_prio_no_advert drops the suffix and the advert', () => {
  const f = fsm({ priority: 150, garpOnSplitBrainHeal: false });
  toMaster(f);
  const out = f.handle({ type: 'advert', advert: advert(90), source: '192.0.2.2' }, 5000);
  assert.deepEqual(kinds(out), ['sendAdvert', 'sendGarp', 'notifyMasterRxLowerPri']);
  const g = out.find((a) => a.kind === 'sendGarp');
  assert.ok(g && g.kind === 'sendGarp' && g.reason === 'lower-prio' && g.count === 5);
  const quiet = fsm({
    priority: 150,
    lowerPrioNoAdvert: true,
    garpOnSplitBrainHeal: false,
    garp: { masterDelayMs: 0, masterRepeat: 5, masterRefreshMs: 0, masterRefreshRepeat: 1, lowerPrioDelayMs: 0, lowerPrioRepeat: 0 },
  });
  toMaster(quiet);
  const q = quiet.handle({ type: 'advert', advert: advert(90), source: '192.0.2.2' }, 5000);
  assert.deepEqual(logs(q), ['(VI_1) Received advert from 192.0.2.2 with lower priority 90, ours 150']);
  assert.deepEqual(kinds(q), ['notifyMasterRxLowerPri']);
});

test('master: a competing master is answered with a full GARP burst once per rival (split-brain heal)', () => {
  const f = fsm({ priority: 150, strict: true });
  toMaster(f);
  const first = f.handle({ type: 'advert', advert: advert(90), source: '192.0.2.2' }, 5000);
  assert.deepEqual(
    first.filter((a) => a.kind === 'sendGarp').map((a) => a.kind === 'sendGarp' && a.reason),
    ['split-brain'],
  );
  const again = f.handle({ type: 'advert', advert: advert(90), source: '192.0.2.2' }, 6000);
  assert.deepEqual(
    again.filter((a) => a.kind === 'sendGarp'),
    [],
    'strict: garp_lower_prio_repeat is 0',
  );
});

test('master: priority 0 advert ⇒ send an advert at once and stay MASTER', () => {
  const f = fsm({ priority: 150 });
  toMaster(f);
  const out = f.handle({ type: 'advert', advert: advert(0), source: '192.0.2.2' }, 5000);
  assert.equal(f.state, VrrpState.MASTER);
  assert.deepEqual(kinds(out), ['sendAdvert']);
  assert.deepEqual(logs(out), ['(VI_1) Master received priority 0 message']);
});

test('master: two address owners ⇒ CONFIGURATION ERROR, local priority reduced to 254, remote wins', () => {
  const f = fsm({ priority: 255 });
  f.handle({ type: 'startup' }, 0);
  const out = f.handle({ type: 'advert', advert: advert(255), source: '192.0.2.9' }, 100);
  assert.equal(
    logs(out)[0],
    '(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority',
  );
  assert.equal(f.priority, 254);
  assert.equal(f.state, VrrpState.BACKUP);
});

test('shutdown: MASTER sends priority 0 and removes VIPs; STOP notify carries the effective priority', () => {
  const f = fsm({ priority: 100 });
  toMaster(f);
  const out = f.handle({ type: 'shutdown' }, 9000);
  assert.equal(f.state, VrrpState.STOP);
  assert.deepEqual(logs(out), ['(VI_1) sent 0 priority', '(VI_1) removing VIPs.']);
  assert.deepEqual(kinds(out), ['sendAdvert', 'removeVips', 'stateChanged', 'notify']);
  const adv = out[0];
  assert.ok(adv && adv.kind === 'sendAdvert' && adv.priority === 0);
  assert.equal(f.pollTimeout(), undefined);
  assert.equal(f.counters.priZeroSent, 1);
});

test('fault: own interface down from MASTER ⇒ FAULT, priority 0 advert, VIPs removed; adverts ignored; recovery ⇒ BACKUP (no GARP: multicast)', () => {
  const f = fsm({ priority: 100 });
  toMaster(f);
  const out = f.handle({ type: 'interface', up: false }, 5000);
  assert.equal(f.state, VrrpState.FAULT);
  assert.deepEqual(logs(out), ['(VI_1) Entering FAULT STATE', '(VI_1) sent 0 priority', '(VI_1) removing VIPs.']);
  assert.deepEqual(f.handle({ type: 'advert', advert: advert(200), source: '192.0.2.2' }, 5100), []);
  const back = f.handle({ type: 'interface', up: true }, 6000);
  assert.equal(f.state, VrrpState.BACKUP);
  assert.deepEqual(logs(back), ['(VI_1) Entering BACKUP STATE']);
  assert.equal(fsm({ dontTrackPrimary: true }).handle({ type: 'interface', up: false }, 0).length, 0);
});

test('fault: a failing weight-0 tracker at startup ⇒ FAULT (init)', () => {
  const f = fsm({ trackers: [{ kind: 'script', name: 'chk', weight: 0, reverse: false }] });
  f.handle({ type: 'tracker', result: { kind: 'script', name: 'chk', ok: false } }, 0);
  const out = f.handle({ type: 'startup' }, 0);
  assert.deepEqual(logs(out), ['(VI_1) Entering FAULT STATE (init)']);
  const ok = f.handle({ type: 'tracker', result: { kind: 'script', name: 'chk', ok: true } }, 100);
  assert.equal(f.state, VrrpState.BACKUP);
  assert.ok(logs(ok).includes('(VI_1) Entering BACKUP STATE'));
  const bad = f.handle({ type: 'tracker', result: { kind: 'script', name: 'chk', ok: false } }, 200);
  assert.deepEqual(logs(bad), ['(VI_1): entering FAULT state due to script chk', '(VI_1) Entering FAULT STATE']);
});

test('preempt_delay: lower-priority adverts are accepted until the delay ends, then discarded', () => {
  const f = fsm({ priority: 150, preemptDelayMs: 2500 });
  f.handle({ type: 'startup' }, 0);
  const first = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, 1000);
  assert.deepEqual(logs(first), ['(VI_1) start preempt delay (2.500000)']);
  assert.equal(f.pollTimeout(), 1000 + 3414.062);
  f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, 3000);
  assert.equal(f.pollTimeout(), 3000 + 3414.062);
  const late = f.handle({ type: 'advert', advert: advert(100), source: '192.0.2.2' }, 4000);
  assert.deepEqual(logs(late), ['(VI_1) received lower priority (100) advert from 192.0.2.2 - discarding']);
  assert.equal(f.pollTimeout(), 3000 + 3414.062);
});

test('nopreempt: a higher-priority backup keeps accepting a lower-priority master', () => {
  const f = fsm({ priority: 200, nopreempt: true });
  f.handle({ type: 'startup' }, 0);
  f.handle({ type: 'advert', advert: advert(50), source: '192.0.2.2' }, 1000);
  assert.equal(f.pollTimeout(), 1000 + 3000 + 218.75);
  assert.equal(fsm({ priority: 200, nopreempt: true, initialState: 'MASTER' }).params.nopreempt, false, 'cleared with state MASTER');
});

test('tracking: weight changes the effective priority and logs it; priority affects the next advert', () => {
  const f = fsm({ priority: 150, trackers: [{ kind: 'script', name: 'chk', weight: -60, reverse: false }] });
  toMaster(f);
  const out = f.handle({ type: 'tracker', result: { kind: 'script', name: 'chk', ok: false } }, 5000);
  assert.deepEqual(logs(out), ['(VI_1) Changing effective priority from 150 to 90']);
  assert.deepEqual(kinds(out), ['priorityChanged']);
  const tick = f.handleTimeout(f.pollTimeout()!);
  const adv = tick.find((a) => a.kind === 'sendAdvert');
  assert.ok(adv && adv.kind === 'sendAdvert' && adv.priority === 90);
});

test('garp_master_refresh: a refresh burst rides on the first advert after the refresh interval', () => {
  const f = fsm({
    priority: 100,
    garp: { masterDelayMs: 0, masterRepeat: 5, masterRefreshMs: 2500, masterRefreshRepeat: 2, lowerPrioDelayMs: 0, lowerPrioRepeat: 0 },
  });
  const t0 = toMaster(f);
  const refresh: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t = f.pollTimeout()!;
    for (const a of f.handleTimeout(t)) if (a.kind === 'sendGarp' && a.reason === 'refresh' && a.count === 2) refresh.push(t - t0);
  }
  assert.deepEqual(refresh, [3000, 6000]);
});

test('reload: MASTER keeps its state, adds new VIPs (with GARP) and removes dropped ones', () => {
  const f = fsm({ priority: 100, vips: ['192.0.2.100', '192.0.2.101'] });
  toMaster(f);
  const next = { ...f.params, vips: ['192.0.2.101', '192.0.2.102'] };
  const out = f.handle({ type: 'update', params: next }, 5000);
  assert.equal(f.state, VrrpState.MASTER);
  const rm = out.find((a) => a.kind === 'removeVips');
  const add = out.find((a) => a.kind === 'addVips');
  assert.ok(rm && rm.kind === 'removeVips' && rm.vips.join() === '192.0.2.100');
  assert.ok(add && add.kind === 'addVips' && add.vips.join() === '192.0.2.102');
  assert.ok(out.some((a) => a.kind === 'sendGarp' && a.reason === 'reload' && a.addresses.join() === '192.0.2.102'));
});

test('unicast peers are carried on every advert action', () => {
  const f = fsm({ priority: 255, unicastPeers: ['192.0.2.2', '192.0.2.3'] });
  const out = f.handle({ type: 'startup' }, 0);
  const adv = out.find((a) => a.kind === 'sendAdvert');
  assert.ok(adv && adv.kind === 'sendAdvert');
  assert.deepEqual(adv.unicastPeers, ['192.0.2.2', '192.0.2.3']);
});

test('keepalived-named stats are bumped when supplied', async () => {
  const { createStats } = await import('../../../src/vrrp/stats.js');
  const { VrrpFsm } = await import('../../../src/vrrp/fsm.js');
  const { instanceParams } = await import('../../../src/vrrp/instance-params.js');
  const stats = createStats();
  const f = new VrrpFsm(instanceParams({ name: 'VI_1', vrid: 1, primaryAddress: '192.0.2.1', priority: 255, vips: ['192.0.2.100'] }), stats);
  f.handle({ type: 'startup' }, 0);
  f.handleTimeout(1000);
  f.handle({ type: 'shutdown' }, 1500);
  assert.equal(stats.become_master, 1);
  assert.equal(stats.release_master, 1);
  assert.equal(stats.advert_sent, 3);
  assert.equal(stats.pri_zero_sent, 1);
});

test('configFault (unicast_fault_no_peer without peers): FAULT at startup, even as address owner; trackers and links cannot lift it', () => {
  const f = fsm({ priority: 255, initialState: 'MASTER', configFault: 'unicast without any peers' });
  const out = f.handle({ type: 'startup' }, 0);
  assert.equal(f.state, VrrpState.FAULT);
  assert.deepEqual(kinds(out), ['stateChanged'], 'no advert, no VIPs');
  assert.equal(f.pollTimeout(), undefined, 'no timer: no advert is ever sent');
  f.handle({ type: 'interface', up: false }, 100);
  f.handle({ type: 'interface', up: true }, 200);
  assert.equal(f.state, VrrpState.FAULT);
  // a reload that adds a peer (configFault gone) lets it out
  const g = fsm({ priority: 100, configFault: 'unicast without any peers' });
  g.handle({ type: 'startup' }, 0);
  const { configFault: _gone, ...rest } = g.params;
  g.handle({ type: 'update', params: { ...rest, unicastPeers: ['192.0.2.2'] } }, 500);
  assert.equal(g.state, VrrpState.BACKUP);
});
