/**
 * garp_extra_if / vmac_garp_intvl (instance) and vrrp_garp_extra_if (global_defs): while MASTER, a gratuitous ARP
 * every N seconds for the first VIP on each extra interface — VMACs we made (use_vmac_addr) always, other
 * interfaces only with `all`; never on the instance's own interface. Each configuration runs under keepalived
 * 2.2.7 and under ours at the same time, each in a topology of its own (one host, its own bridge: they cannot hear
 * each other), with tcpdump on the far end of the extra interface; the periodic frames (address, source MAC,
 * spacing) must be the same.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology, capture } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

type Impl = 'keepalived' | 'ours';
const IMPLS = ['keepalived', 'ours'] as const;
const topos = { keepalived: Topology.create({ hosts: ['a'] }), ours: Topology.create({ hosts: ['a'] }) };
const ds = { keepalived: Daemons.inTempDir(topos.keepalived, 'kts-gxif-'), ours: Daemons.inTempDir(topos.ours, 'kts-gxif-') };
after(() => {
  for (const i of IMPLS) {
    topos[i].destroy();
    ds[i].removeDir();
  }
});
const EX0_MAC = { keepalived: topos.keepalived.extraLink('a'), ours: topos.ours.extraLink('a') };

const VRID = 73;
/** How long each daemon runs as MASTER while we listen. */
const LISTEN_MS = 8000;

/** A MASTER (priority 255, one GARP per VIP at the transition, no delayed burst) with `extra` lines. */
function conf(global: string, extra: string, vips: readonly string[]): string {
  return (
    `global_defs {\n  router_id gxif\n${global}}\nvrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id ${VRID}\n` +
    `  priority 255\n  advert_int 1\n  garp_master_repeat 1\n  garp_master_delay 0\n${extra}` +
    `  virtual_ipaddress {\n${vips.map((v) => `    ${v}\n`).join('')}  }\n}\n`
  );
}

interface Garp {
  readonly t: number;
  readonly mac: string;
  readonly ip: string;
}

/**
 * Starts `impl` with the configuration `text` in its topology, listens on ex1 for LISTEN_MS after the start-up
 * (priority 255: MASTER at once), stops the daemon; the GARPs seen.
 */
async function garps(impl: Impl, name: string, text: string): Promise<{ frames: Garp[]; log: string }> {
  const cap = capture(topos[impl], 'a', 'arp', 'ex1');
  await cap.ready;
  const file = ds[impl].write(name, text);
  const r: RunningDaemon = impl === 'ours' ? ds.ours.ours('a', file) : ds.keepalived.keepalived('a', file);
  let lines: string[] = [];
  try {
    assert.ok((await waitFor(() => /Entering MASTER STATE/.test(r.log()), 12000)) >= 0, r.log());
    await sleep(LISTEN_MS);
  } finally {
    await stop(r.child);
    lines = await cap.stop();
  }
  const frames = lines
    .map((l) => /^(\d+\.\d+) (\S+) > ff:ff:ff:ff:ff:ff, .*Request who-has (\S+) \(ff:ff:ff:ff:ff:ff\) tell \3,/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ t: Number(m[1]), mac: m[2]!, ip: m[3]! }));
  return { frames, log: r.log() };
}

/** The same configuration under keepalived 2.2.7 and under ours, at the same time. */
async function both(name: string, text: string): Promise<{ theirs: { frames: Garp[]; log: string }; ours: { frames: Garp[]; log: string } }> {
  const [theirs, ours] = await Promise.all([garps('keepalived', name, text), garps('ours', name, text)]);
  return { theirs, ours };
}

/** The frames after the MASTER transition's burst (which is within the first 0.5 s). */
function periodic(frames: readonly Garp[]): Garp[] {
  const t0 = frames[0]?.t ?? 0;
  return frames.filter((f) => f.t > t0 + 0.5);
}

/** Asserts the periodic frames: all for `ip` from `mac`, spaced by the interval (aligned to adverts: N to N+1 s). */
function assertPeriodic(frames: readonly Garp[], ip: string, mac: string, intervalS: number, what: string): void {
  const p = periodic(frames);
  const show = `${what}\n${frames.map((f) => `${f.t.toFixed(3)} ${f.mac} ${f.ip}`).join('\n')}`;
  // LISTEN_MS / interval rounds, minus the alignment slack
  assert.ok(p.length >= Math.floor(LISTEN_MS / 1000 / (intervalS + 1)) && p.length <= Math.ceil(LISTEN_MS / 1000 / intervalS) + 1, show);
  for (const f of p) assert.deepEqual([f.ip, f.mac], [ip, mac], show);
  const t0 = frames[0]!.t;
  for (const [i, f] of p.entries()) {
    const gap = f.t - (i === 0 ? t0 : p[i - 1]!.t);
    assert.ok(gap > intervalS - 0.1 && gap < intervalS + 1.3, `gap ${gap.toFixed(3)} s\n${show}`);
  }
}

test('vmac_garp_intvl 2 with use_vmac_addr: one GARP every 2-3 s for the first VIP on the address VMAC, as keepalived', async () => {
  const { theirs, ours } = await both(
    'vmac.conf',
    conf('', '  use_vmac_addr\n  vmac_garp_intvl 2\n', ['192.0.2.190/32', '198.51.100.90/24 dev ex0', '198.51.100.91/24 dev ex0']),
  );
  const vmacMac = `00:00:5e:00:01:${VRID.toString(16)}`;
  assertPeriodic(theirs.frames, '198.51.100.90', vmacMac, 2, `keepalived\n${theirs.log}`);
  assertPeriodic(ours.frames, '198.51.100.90', vmacMac, 2, `ours\n${ours.log}`);
  assert.ok(Math.abs(periodic(ours.frames).length - periodic(theirs.frames).length) <= 1);
  // the transition's burst: one GARP for each VIP on the VMAC, from the VMAC's MAC, as keepalived
  const burst = (fs: readonly Garp[]) => fs.filter((f) => f.t <= fs[0]!.t + 0.5).map((f) => `${f.mac} ${f.ip}`);
  assert.deepEqual(burst(ours.frames), burst(theirs.frames));
});

test('vrrp_garp_extra_if 2 all (global_defs): the first VIP on a plain extra interface every 2-3 s, as keepalived', async () => {
  const { theirs, ours } = await both(
    'all.conf',
    conf('  vrrp_garp_extra_if 2 all\n', '', ['192.0.2.191/32', '198.51.100.92/24 dev ex0', '198.51.100.93/24 dev ex0']),
  );
  assertPeriodic(theirs.frames, '198.51.100.92', EX0_MAC.keepalived, 2, `keepalived\n${theirs.log}`);
  assertPeriodic(ours.frames, '198.51.100.92', EX0_MAC.ours, 2, `ours\n${ours.log}`);
  assert.ok(Math.abs(periodic(ours.frames).length - periodic(theirs.frames).length) <= 1);
});

test('garp_extra_if 2 without `all` and no VMAC: no periodic GARP (keepalived turns it off), only the transition burst', async () => {
  const { theirs, ours } = await both('none.conf', conf('', '  garp_extra_if 2\n', ['192.0.2.192/32', '198.51.100.94/24 dev ex0']));
  assert.deepEqual(periodic(theirs.frames), [], theirs.log);
  assert.deepEqual(periodic(ours.frames), [], ours.log);
  assert.deepEqual(
    ours.frames.map((f) => f.ip),
    ['198.51.100.94'],
  );
});
