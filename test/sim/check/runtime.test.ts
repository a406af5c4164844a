/**
 * The checker runtime on a virtual clock: a fake timer, scripted probes and the in-memory IPVS table. Checks the
 * table follows the servers within keepalived's bounds, keepalived's log texts, reload by diffing (unchanged:
 * nothing sent; reweighted: one SET_DEST; removed/added servers), stop and lvs_flush_on_stop, IPVS error texts,
 * running without a data plane, and ha_suspend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { seededRng } from '../../../src/core/rng.js';
import { subscribe } from '../../../src/core/events.js';
import { MemoryBackend } from '../../../src/lb/memory.js';
import type { LbDest, LbError, LbNotice, LbService, LbServiceKey } from '../../../src/lb/backend.js';
import type { ProbeReport, ProbeSpec } from '../../../src/probe/index.js';
import { createCheckRuntime, type AddressMonitor, type CheckRuntime, type TimerPort } from '../../../src/runtime/check/runtime.js';
import { NO_DATA_PLANE_TEXT, NO_IPVS_TEXT } from '../../../src/runtime/check/backend-choice.js';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../fixtures/notify/helpers.js';

const WALL0 = Date.UTC(2026, 0, 1);

function model(text: string): KeepalivedConfig {
  const { tree } = parseConfigTree(text, 't.conf');
  const d = new DiagnosticSink();
  const m = buildModel(tree, d);
  assert.deepEqual(
    d.items.filter((x) => x.severity === 'error').map((e) => e.message),
    [],
  );
  return m;
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
};

/** The runtime with a virtual clock and one fake timer. */
class Rig {
  readonly clock = new ManualClock(0);
  readonly log = new MemoryLogger();
  readonly backend: MemoryBackend;
  readonly rt: CheckRuntime;
  private pending: { fn: () => void; at: number } | undefined;
  /** Server address → predicate of virtual time: up? */
  up: (address: string, t: number) => boolean = () => true;
  /** Overrides `up` when set: the whole report of a probe. */
  reply: ((spec: ProbeSpec, t: number) => ProbeReport) | undefined;

  constructor(opts: { unavailable?: boolean; monitor?: AddressMonitor; backend?: MemoryBackend; nft?: MemoryBackend } = {}) {
    this.backend = opts.backend ?? new MemoryBackend(opts.unavailable ? { unavailable: true } : {});
    const timers: TimerPort = {
      set: (fn, ms) => (this.pending = { fn, at: this.clock.now() + ms }),
      clear: (h) => {
        if (this.pending === h) this.pending = undefined;
      },
    };
    this.rt = createCheckRuntime(
      { log: this.log, logDetail: 0, releaseVips: false, dontReleaseVrrp: false, addressMonitoring: false },
      {
        clock: this.clock,
        rng: seededRng(7),
        timers,
        backendFactory: (kind) => (kind === 'nftables' ? (opts.nft ?? this.backend) : this.backend),
        probe: (spec: ProbeSpec) =>
          Promise.resolve<ProbeReport>(
            this.reply
              ? this.reply(spec, this.clock.now())
              : this.up('connection' in spec.check ? spec.check.connection.connectIp : '', this.clock.now())
                ? { kind: 'result', outcome: { ok: true } }
                : { kind: 'result', outcome: { ok: false } },
          ),
        ...(opts.monitor ? { addressMonitor: async () => opts.monitor } : {}),
      },
    );
  }

  /** Runs the timer and probes up to virtual time `t`. */
  async runUntil(t: number): Promise<void> {
    for (;;) {
      await settle();
      const p = this.pending;
      if (!p || p.at > t) break;
      this.pending = undefined;
      this.clock.set(Math.max(p.at, this.clock.now()));
      p.fn();
    }
    this.clock.set(Math.max(t, this.clock.now()));
    await this.rt.idle();
  }

  texts(): string[] {
    return this.log.texts();
  }
}

const VS = '[192.0.2.1]:tcp:80';
const conf = (servers: string, extra = ''): string => `global_defs {\n ${extra}\n}\nvirtual_server 192.0.2.1 80 {
  delay_loop 2
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  ${servers}
}`;
const rs = (last: number, weight = 1, body = ''): string =>
  `real_server 192.0.2.${last} 80 {\n weight ${weight}\n ${body}\n TCP_CHECK {\n connect_timeout 1\n retry 2\n delay_before_retry 1\n warmup 0\n }\n }`;

test('the table follows a failing and recovering server within delay_loop + retry × delay_before_retry', async () => {
  const rig = new Rig();
  const changes: { t: number; rs: string; up: boolean }[] = [];
  const off = subscribe('keepalived-ts:check:realserver', (e) => changes.push({ t: e.at - WALL0, rs: e.rs, up: e.up }));
  try {
    const F = 10_500;
    const B = 30_250;
    rig.up = (a, t) => a !== '192.0.2.12' || t < F || t >= B;
    await rig.rt.start(model(conf(rs(11, 2) + rs(12, 3))));
    await rig.runUntil(1);
    assert.deepEqual(rig.backend.table(), { '[192.0.2.1]:tcp:80': { '[192.0.2.11]:80': 2, '[192.0.2.12]:80': 3 } });
    await rig.runUntil(F - 1);
    assert.equal(changes.filter((c) => c.t > 1).length, 0);
    await rig.runUntil(B - 1);
    const down = changes.find((c) => c.rs === '[192.0.2.12]:tcp:80' && !c.up)!;
    assert.ok(down, 'removed');
    // the first failing probe is at most delay_loop after F; then `retry` retries delay_before_retry apart
    assert.ok(down.t - F >= 2 * 1000 && down.t - F <= 2000 + 2 * 1000, `removed ${down.t - F} ms after the failure`);
    assert.deepEqual(rig.backend.table(), { '[192.0.2.1]:tcp:80': { '[192.0.2.11]:80': 2 } });
    await rig.runUntil(B + 2001);
    const up = changes.find((c) => c.rs === '[192.0.2.12]:tcp:80' && c.up && c.t > B)!;
    assert.ok(up && up.t - B >= 0 && up.t - B <= 2000, `re-added ${up?.t - B} ms after recovery`);
    assert.equal(rig.backend.table()['[192.0.2.1]:tcp:80']!['[192.0.2.12]:80'], 3);
    const t = rig.texts();
    for (const line of [
      `Activating healthchecker for service [192.0.2.12]:tcp:80 for VS ${VS}`,
      'TCP_CHECK on service [192.0.2.12]:tcp:80 failed after 2 retries.',
      `Removing service [192.0.2.12]:tcp:80 from VS ${VS}`,
      'TCP connection to [192.0.2.12]:tcp:80 success.',
      `Adding service [192.0.2.12]:tcp:80 to VS ${VS}`,
    ])
      assert.ok(t.includes(line), `missing log line: ${line}`);
    assert.ok(!t.includes('TCP connection to [192.0.2.12]:tcp:80 failed.'), 'failures are not logged without log_all_failures');
    const snap = rig.rt.snapshot().virtualServers![0]!;
    assert.equal(snap.name, VS);
    assert.deepEqual(
      snap.realServers.map((r) => [r.name, r.up, r.weight, r.lastResult]),
      [
        ['[192.0.2.11]:tcp:80', true, 2, 'success'],
        ['[192.0.2.12]:tcp:80', true, 3, 'success'],
      ],
    );
    await rig.rt.stop();
    assert.deepEqual(rig.backend.table(), {});
  } finally {
    off();
  }
});

test('checker_log_all_failures logs each failure; inhibit_on_failure sets weight 0 instead of removing', async () => {
  const rig = new Rig();
  rig.up = (a, t) => a !== '192.0.2.12' || t < 5000;
  await rig.rt.start(model(conf(rs(11) + rs(12, 4, 'inhibit_on_failure'), 'checker_log_all_failures')));
  await rig.runUntil(15_000);
  const t = rig.texts();
  assert.ok(t.includes('TCP connection to [192.0.2.12]:tcp:80 failed.'));
  assert.ok(t.includes(`Disabling service [192.0.2.12]:tcp:80 of VS ${VS}`));
  assert.deepEqual(rig.backend.table(), { '[192.0.2.1]:tcp:80': { '[192.0.2.11]:80': 1, '[192.0.2.12]:80': 0 } });
  await rig.rt.stop();
});

test('reload: unchanged sends nothing, a new weight is one SET_DEST, removed and added servers, checker state kept', async () => {
  const rig = new Rig();
  rig.up = (a) => a !== '192.0.2.13';
  await rig.rt.start(model(conf(rs(11) + rs(12) + rs(13))));
  await rig.runUntil(10_000);
  assert.deepEqual(rig.backend.table(), { '[192.0.2.1]:tcp:80': { '[192.0.2.11]:80': 1, '[192.0.2.12]:80': 1 } });
  const n0 = rig.backend.ops.length;
  await rig.rt.reload(model(conf(rs(11) + rs(12) + rs(13))));
  await rig.runUntil(10_001);
  assert.deepEqual(rig.backend.ops.slice(n0), [], 'an unchanged reload sends nothing');
  await rig.rt.reload(model(conf(rs(11, 5) + rs(13) + rs(14))));
  await rig.runUntil(10_002);
  assert.deepEqual(
    rig.backend.ops
      .slice(n0)
      .map((o) => `${o.op} ${o.target}${o.error ? ` ${o.error.message}` : ''}`)
      .sort(),
    [
      'addDest [192.0.2.1]:tcp:80 -> [192.0.2.14]:80',
      'delDest [192.0.2.1]:tcp:80 -> [192.0.2.12]:80',
      'editDest [192.0.2.1]:tcp:80 -> [192.0.2.11]:80',
    ],
  );
  assert.deepEqual(rig.backend.table(), { '[192.0.2.1]:tcp:80': { '[192.0.2.11]:80': 5, '[192.0.2.14]:80': 1 } });
  // .13 stayed down across the reload: it is not re-added by the new configuration
  await rig.runUntil(20_000);
  assert.equal(rig.backend.table()['[192.0.2.1]:tcp:80']!['[192.0.2.13]:80'], undefined);
  // a removed virtual server is deleted with its destinations
  await rig.rt.reload(model('virtual_server 192.0.2.2 443 {\n protocol TCP\n real_server 192.0.2.11 443 {\n TCP_CHECK {\n warmup 0\n }\n }\n}'));
  await rig.runUntil(20_001);
  assert.deepEqual(rig.backend.table(), { '[192.0.2.2]:tcp:443': { '[192.0.2.11]:443': 1 } });
  await rig.rt.stop();
  assert.deepEqual(rig.backend.table(), {});
});

test('IPVS refusals are logged with keepalived text; a service found in the kernel is taken over and removed at stop', async () => {
  const backend = new MemoryBackend();
  const key = { kind: 'address', family: 4, protocol: 'TCP', address: '192.0.2.1', port: 80 } as const;
  await backend.addService({ key, scheduler: 'rr', flags: 0, timeoutSec: 0, netmaskBits: 32 });
  await backend.addDest(key, { family: 4, address: '192.0.2.11', port: 80, method: 'NAT', weight: 9, uthreshold: 0, lthreshold: 0 });
  const rig = new Rig({ backend });
  await rig.rt.start(model(conf(rs(11))));
  await rig.runUntil(5000);
  const t = rig.texts();
  assert.ok(t.includes('IPVS cmd IP_VS_SO_SET_ADD(1154) error: Service already exists(17) (192.0.2.1:tcp:80)'), t.join('\n'));
  assert.ok(t.includes('IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Destination already exists(17) (192.0.2.1:tcp:80 -> 192.0.2.11:80)'));
  await rig.rt.stop();
  // keepalived's clear_services removes every configured service at stop, whoever added it (a leak after crash + restart otherwise)
  assert.deepEqual(rig.backend.table(), {}, 'a configured service found at start is ours at stop');
});

test('lvs_flush_on_stop flushes once instead of deleting each server', async () => {
  const rig = new Rig();
  await rig.rt.start(model(conf(rs(11) + rs(12), 'lvs_flush_on_stop')));
  await rig.runUntil(3000);
  const n0 = rig.backend.ops.length;
  await rig.rt.stop();
  assert.deepEqual(
    rig.backend.ops.slice(n0).map((o) => o.op),
    ['flush'],
  );
  assert.deepEqual(rig.backend.table(), {});
});

test('without IPVS the checker half says what is missing and keeps checking', async () => {
  const rig = new Rig({ unavailable: true });
  rig.up = (a, t) => a !== '192.0.2.12' || t < 5000;
  await rig.rt.start(model(conf(rs(11) + rs(12), 'lvs_backend ipvs')));
  await rig.runUntil(20_000);
  const t = rig.texts();
  assert.ok(t.includes(NO_IPVS_TEXT));
  assert.ok(t.some((l) => l.startsWith("IPVS: Can't initialize ipvs")));
  assert.ok(t.includes(`Removing service [192.0.2.12]:tcp:80 from VS ${VS}`));
  assert.ok(rig.rt.stats.probesFinished >= 15, `probes ${rig.rt.stats.probesFinished}`);
  assert.equal(rig.rt.lbBackend, undefined);
  assert.deepEqual(rig.backend.ops, []);
  await rig.rt.stop();
});

test('ha_suspend: checkers wait for the virtual address and suspend when it goes', async () => {
  let emit: ((a: string, p: boolean) => void) | undefined;
  const monitor: AddressMonitor = {
    list: async () => [],
    watch: (fn) => {
      emit = fn;
    },
    close: () => {},
  };
  const rig = new Rig({ monitor });
  await rig.rt.start(model(conf(rs(11)).replace('delay_loop 2', 'delay_loop 2\n ha_suspend')));
  await rig.runUntil(6000);
  assert.ok(rig.texts().includes(`Deactivating healthchecker for service [192.0.2.11]:tcp:80 for VS ${VS}`));
  assert.equal(rig.rt.stats.probesStarted, 0);
  emit!('192.0.2.1', true);
  await rig.runUntil(12_000);
  assert.ok(rig.texts().includes('Netlink reflector reports IP 192.0.2.1 added'));
  assert.ok(rig.texts().includes(`Activating healthchecker for service [192.0.2.11]:tcp:80 for VS ${VS}`));
  assert.ok(rig.rt.stats.probesStarted >= 2);
  emit!('192.0.2.1', false);
  await rig.runUntil(12_001);
  const n = rig.rt.stats.probesStarted;
  await rig.runUntil(20_000);
  assert.ok(rig.texts().includes(`Suspending healthchecker for service [192.0.2.11]:tcp:80 for VS ${VS}`));
  assert.equal(rig.rt.stats.probesStarted, n);
  await rig.rt.stop();
});

test('misc_dynamic weights reach the table as SET_DEST', async () => {
  const rig = new Rig();
  rig.reply = (_spec, t) => ({ kind: 'result', outcome: { ok: true, exitStatus: t < 5000 ? 0 : 9 } });
  await rig.rt.start(
    model(`virtual_server 192.0.2.1 80 {\n delay_loop 2\n protocol TCP
  real_server 192.0.2.11 80 {\n weight 3\n MISC_CHECK {\n misc_path /usr/bin/true\n misc_dynamic\n warmup 0\n }\n }\n}`),
  );
  await rig.runUntil(4000);
  assert.deepEqual(rig.backend.table(), { [VS]: { '[192.0.2.11]:80': 3 } });
  await rig.runUntil(8000);
  assert.deepEqual(rig.backend.table(), { [VS]: { '[192.0.2.11]:80': 7 } });
  assert.ok(rig.texts().includes(`Changing weight from 3 to 7 for active service [192.0.2.11]:tcp:80 of VS ${VS}`));
  await rig.rt.stop();
});

async function until(ok: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

test('notify_down and quorum_down scripts run; RS/VS lines reach lvs_notify_fifo through its reader script', async () => {
  const { dir, cleanup } = tempDir('kts-checkrt-notify-');
  const rig = new Rig();
  try {
    const script = (n: string, body: string): string => {
      const p = join(dir, n);
      writeFileSync(p, `#!/bin/sh\n${body}\n`);
      chmodSync(p, 0o755);
      return p;
    };
    const down = script('down.sh', `echo "$@" >> ${join(dir, 'down.out')}`);
    const qdown = script('qdown.sh', `echo quorum-down >> ${join(dir, 'q.out')}`);
    const reader = script('reader.sh', `exec cat "$1" >> ${join(dir, 'fifo.out')}`);
    rig.up = (a, t) => a !== '192.0.2.12' || t < 5000;
    await rig.rt.start(
      model(`global_defs {\n lvs_notify_fifo ${join(dir, 'lvs.fifo')}\n lvs_notify_fifo_script ${reader}\n}
virtual_server 192.0.2.1 80 {\n delay_loop 2\n protocol TCP\n quorum 2\n quorum_down ${qdown}
 ${rs(11)}
 ${rs(12, 1, `notify_down "${down} rs12"`)}
}`),
    );
    await rig.runUntil(12_000);
    assert.ok(
      await until(
        () =>
          existsSync(join(dir, 'down.out')) &&
          existsSync(join(dir, 'q.out')) &&
          existsSync(join(dir, 'fifo.out')) &&
          readFileSync(join(dir, 'fifo.out'), 'utf8').split('\n').length > 3,
      ),
      'scripts and FIFO lines',
    );
    assert.equal(readFileSync(join(dir, 'down.out'), 'utf8'), 'rs12\n');
    assert.equal(readFileSync(join(dir, 'q.out'), 'utf8'), 'quorum-down\n');
    assert.deepEqual(readFileSync(join(dir, 'fifo.out'), 'utf8').split('\n').filter(Boolean), [
      `VS ${VS} UP`,
      `RS [192.0.2.12]:tcp:80 ${VS} DOWN`,
      `VS ${VS} DOWN`,
    ]);
    assert.ok(rig.texts().includes(`Lost quorum 2-0=2 > 1 for VS ${VS}`));
  } finally {
    await rig.rt.stop();
    cleanup();
  }
});

test('lvs_flush empties the table at start; a group virtual server programs every member with the same servers', async () => {
  const backend = new MemoryBackend();
  const foreign = { kind: 'address', family: 4, protocol: 'UDP', address: '198.51.100.9', port: 53 } as const;
  await backend.addService({ key: foreign, scheduler: 'rr', flags: 0, timeoutSec: 0, netmaskBits: 32 });
  const rig = new Rig({ backend });
  rig.up = (a, t) => a !== '192.0.2.12' || t < 5000;
  await rig.rt.start(
    model(`global_defs {\n lvs_flush\n}
virtual_server_group G {\n 192.0.2.1-2 80\n fwmark 5\n}
virtual_server group G {\n delay_loop 2\n lb_kind DR\n protocol TCP\n ${rs(11)}\n ${rs(12)}\n}`),
  );
  const both = { '[192.0.2.11]:80': 1, '[192.0.2.12]:80': 1 };
  assert.deepEqual(rig.backend.table(), {
    '[192.0.2.1]:tcp:80': both,
    '[192.0.2.2]:tcp:80': both,
    'FWM 5': { '[192.0.2.11]:0': 1, '[192.0.2.12]:0': 1 },
  });
  await rig.runUntil(12_000);
  assert.ok(rig.texts().includes('Removing service [192.0.2.12]:tcp:80 from VS [G]:0'));
  assert.deepEqual(rig.backend.table(), {
    '[192.0.2.1]:tcp:80': { '[192.0.2.11]:80': 1 },
    '[192.0.2.2]:tcp:80': { '[192.0.2.11]:80': 1 },
    'FWM 5': { '[192.0.2.11]:0': 1 },
  });
  await rig.rt.stop();
  assert.deepEqual(rig.backend.table(), {});
});

test('lvs_backend auto takes nftables when the kernel has no IPVS, and says so', async () => {
  const nft = new MemoryBackend({ name: 'nftables' });
  const rig = new Rig({ unavailable: true, nft });
  await rig.rt.start(model(conf(rs(11) + rs(12))));
  await rig.runUntil(3000);
  const t = rig.texts();
  assert.ok(t.some((l) => l.startsWith("IPVS: Can't initialize ipvs")));
  assert.ok(
    t.some((l) => l.startsWith('Load balancer: nftables') && l.includes('chosen by lvs_backend auto because the kernel has no IPVS')),
    t.join('\n'),
  );
  assert.equal(rig.rt.lbBackend, nft);
  assert.equal(Object.keys(nft.table()).length, 1);
  assert.ok(!t.includes(NO_IPVS_TEXT));
});

test('lvs_backend auto with neither IPVS nor nftables keeps checking and says what to do', async () => {
  const rig = new Rig({ unavailable: true });
  await rig.rt.start(model(conf(rs(11))));
  await rig.runUntil(3000);
  assert.ok(rig.texts().includes(NO_DATA_PLANE_TEXT));
  assert.equal(rig.rt.lbBackend, undefined);
  assert.ok(rig.rt.stats.probesFinished >= 1);
});

test('lvs_backend nftables never tries IPVS', async () => {
  const nft = new MemoryBackend({ name: 'nftables' });
  const rig = new Rig({ nft });
  await rig.rt.start(model(conf(rs(11), 'lvs_backend nftables')));
  await rig.runUntil(3000);
  assert.equal(rig.rt.lbBackend, nft);
  assert.deepEqual(rig.backend.ops, []);
  assert.ok(!rig.texts().some((l) => l.startsWith('IPVS:')));
});

test('a data plane that cannot honour an option: an error naming the virtual server; its notices are logged', async () => {
  class Picky extends MemoryBackend {
    private notes: LbNotice[] = [];
    override async addService(s: LbService): Promise<LbError | undefined> {
      this.notes.push({ service: s.key, text: `scheduler ${s.scheduler}: scheduling as wrr instead` });
      return super.addService(s);
    }
    override async addDest(key: LbServiceKey, d: LbDest): Promise<LbError | undefined> {
      if (d.method === 'TUN') return { code: 'LB_UNSUPPORTED', message: 'lb_kind TUN is not supported by nftables' };
      return super.addDest(key, d);
    }
    takeNotices(): readonly LbNotice[] {
      const n = this.notes;
      this.notes = [];
      return n;
    }
  }
  const nft = new Picky({ name: 'nftables' });
  const rig = new Rig({ nft });
  await rig.rt.start(model(conf(rs(11) + rs(12, 1, 'lvs_method TUN'), 'lvs_backend nftables')));
  await rig.runUntil(3000);
  const t = rig.texts();
  assert.ok(t.includes('Load balancer: scheduler wrr: scheduling as wrr instead'), t.join('\n'));
  assert.ok(
    t.includes('Virtual server 192.0.2.1:tcp:80 cannot be served by the nftables data plane: lb_kind TUN is not supported by nftables'),
    t.join('\n'),
  );
  assert.deepEqual(
    Object.values(nft.table()).map((d) => Object.keys(d).length),
    [1],
  );
});

test('MISC_CHECK refused at start-up is removed as keepalived 2.2.7 does: by its user (never existed), or as not found / insecure (after alpha counted it)', async () => {
  const { dir, cleanup } = tempDir('kts-checkrt-misc-');
  try {
    // world-writable (and, when the test is not root, in a directory a non-root user owns): insecure for root
    const insecure = join(dir, 'insecure.sh');
    writeFileSync(insecure, '#!/bin/sh\nexit 0\n');
    chmodSync(insecure, 0o757);
    const server = (last: number, misc: string, alpha: boolean): string =>
      `real_server 192.0.2.${last} 80 {\n ${alpha ? 'alpha' : ''}\n MISC_CHECK {\n ${misc}\n warmup 0\n }\n }`;
    const run = async (servers: string): Promise<{ table: Record<string, number>; texts: string[]; probes: number }> => {
      const rig = new Rig();
      let probes = 0;
      rig.reply = () => (probes++, { kind: 'result', outcome: { ok: true, exitStatus: 0 } });
      await rig.rt.start(
        model(`global_defs {\n enable_script_security\n}\nvirtual_server 192.0.2.1 80 {\n delay_loop 2\n protocol TCP\n ${servers}\n}`),
      );
      await rig.runUntil(10_000);
      const table = rig.backend.table()[VS] ?? {};
      await rig.rt.stop();
      return { table, texts: rig.texts(), probes };
    };
    // insecure with enable_script_security: removed by check_misc_script_security; alpha had already counted it
    const bad = await run(server(11, `misc_path "${insecure} arg"\n user root`, true) + server(12, `misc_path ${insecure}\n user root`, false));
    assert.deepEqual(bad.table, { '[192.0.2.12]:80': 1 }, 'the alpha server stays out for good, the other is in without a checker');
    assert.equal(bad.probes, 0, 'a removed checker never runs');
    assert.equal(bad.texts.filter((t) => t === `Disabling misc script '${insecure}' 'arg' due to insecure`).length, 1, bad.texts.join('\n'));
    assert.equal(bad.texts.filter((t) => t === `Disabling misc script '${insecure}' due to insecure`).length, 1);
    assert.ok(bad.texts.some((t) => t.startsWith('Unsafe permissions found for script')));
    assert.ok(!bad.texts.some((t) => t.startsWith('Activating healthchecker')), 'no checker is activated');
    // not found: the same removal, with its own line
    const missing = await run(
      server(11, 'misc_path /nonexistent-kts/check.sh\n user root', true) + server(12, 'misc_path /usr/bin/true\n user root', true),
    );
    assert.ok(missing.texts.includes("Disabling misc script '/nonexistent-kts/check.sh' since not found/accessible"), missing.texts.join('\n'));
    assert.deepEqual(missing.table, { '[192.0.2.12]:80': 1 }, 'the good alpha checker brings its server up; the removed one keeps 192.0.2.11 down');
    assert.ok(missing.probes >= 1);
    // a user that cannot be set: dropped while the configuration is read, before alpha counts, so the server is up
    const user = await run(server(11, 'misc_path /usr/bin/true\n user nosuchuser-kts', true));
    assert.ok(user.texts.includes("Failed to set uid/gid for misc checker script '/usr/bin/true' - removing"), user.texts.join('\n'));
    assert.ok(!user.texts.some((t) => t.startsWith('Disabling misc script')));
    assert.deepEqual(user.table, { '[192.0.2.11]:80': 1 });
    assert.equal(user.probes, 0);
  } finally {
    cleanup();
  }
});
