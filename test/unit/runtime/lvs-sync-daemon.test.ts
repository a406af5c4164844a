/** The sync daemon's command order (keepalived ipvs_syncd_master/backup) and the lvs_sync_daemon configuration texts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/core/log.js';
import type { LbError, LbGlobals } from '../../../src/lb/backend.js';
import { LvsSyncDaemon, type SyncState } from '../../../src/runtime/lvs-sync-daemon.js';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';

class FakeIpvs {
  readonly calls: string[] = [];
  failStart = false;
  async setGlobals(g: LbGlobals): Promise<LbError | undefined> {
    const d = g.syncDaemon!;
    this.calls.push(`start ${d.state} ${d.ifname} ${d.syncId} ${d.maxlen ?? '-'} ${d.port ?? '-'} ${d.ttl ?? '-'} ${d.group ?? '-'}`);
    return this.failStart ? { code: 'LB_KERNEL', message: 'ENODEV: No such device' } : undefined;
  }
  async stopSyncDaemon(state: SyncState): Promise<LbError | undefined> {
    this.calls.push(`stop ${state}`);
    return undefined;
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
}

const pos = { file: 'k.conf', line: 1, col: 1 };

test('bound to an instance: backup, then master replaces backup, then back; close stops what runs', async () => {
  const ipvs = new FakeIpvs();
  const s = new LvsSyncDaemon({ ifname: 'eth0', instance: 'VI_1', syncId: 51, port: 8850, pos }, ipvs, new MemoryLogger());
  await s.start('backup');
  await s.becomeMaster();
  await s.leaveMaster();
  await s.close();
  assert.deepEqual(ipvs.calls, [
    'start backup eth0 51 - 8850 - -',
    'stop backup',
    'start master eth0 51 - 8850 - -',
    'stop master',
    'start backup eth0 51 - 8850 - -',
    'stop backup',
    'close',
  ]);
});

test('a daemon the kernel refused is logged and not stopped later', async () => {
  const ipvs = new FakeIpvs();
  ipvs.failStart = true;
  const log = new MemoryLogger();
  const s = new LvsSyncDaemon({ ifname: 'nope0', syncId: 0, pos }, ipvs, log);
  await s.start('master');
  await s.close();
  assert.deepEqual(ipvs.calls, ['start master nope0 0 - - - -', 'close']);
  assert.deepEqual(
    log.records.map((r) => r.text),
    ['IPVS: cannot start the master sync daemon on nope0: ENODEV: No such device'],
  );
});

function load(text: string) {
  const fs = { readFile: (p: string) => (p === 's.conf' ? text : undefined), listDir: () => [] };
  const r = loadConfig('s.conf', { fs, configId: 'x' });
  return { syncd: r.config.globalDefs.lvsSyncDaemon, msgs: r.diagnostics.map(formatDiagnostic) };
}
const inst = (name: string, vrid: number, more = '') =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n priority 100\n${more}}\n`;

test('lvs_sync_daemon: options, sync id from the VRID, the old forms, keepalived’s texts', () => {
  const full = load(`global_defs {\n lvs_sync_daemon eth0 VI_1 maxlen 1400 port 8850 ttl 3 group ff02::1:2\n}\n${inst('VI_1', 9)}`);
  assert.deepEqual(full.msgs, []);
  assert.deepEqual(full.syncd, {
    ifname: 'eth0',
    pos: { file: 's.conf', line: 2, col: 2 },
    instance: 'VI_1',
    maxlen: 1400,
    port: 8850,
    ttl: 3,
    group: 'ff02::1:2',
    syncId: 9,
  });
  assert.equal(load('global_defs {\n lvs_sync_daemon eth0\n}\n').syncd?.syncId, 0);
  const old = load(`global_defs {\n lvs_sync_daemon eth0 VI_1 12\n}\n${inst('VI_1', 9)}`);
  assert.deepEqual(old.msgs, ['s.conf:2:28: warning: Please use keyword "id" before lvs_sync_daemon SYNCID']);
  assert.equal(old.syncd?.syncId, 12);
  assert.deepEqual(load(`global_defs {\n lvs_sync_daemon eth0 inst VI_1 id 300 maxlen 0 ttl\n}\n${inst('VI_1', 9)}`).msgs, [
    's.conf:2:36: warning: Invalid syncid (300) - defaulting to vrid',
    's.conf:2:47: warning: Invalid lvs_sync_daemon maxlen (0) - ignoring',
    's.conf:2:49: warning: No value specified for lvs_sync_daemon ttl - ignoring',
  ]);
  assert.deepEqual(load('global_defs {\n lvs_sync_daemon eth0 inst VI_9\n}\n'), {
    syncd: undefined,
    msgs: ['s.conf:2:2: warning: Unable to find vrrp instance VI_9 for lvs_syncd - clearing lvs_syncd config'],
  });
  assert.deepEqual(load('global_defs {\n lvs_sync_daemon a_very_long_ifname\n}\n').msgs, [
    "s.conf:2:18: warning: lvs_sync_daemon interface name 'a_very_long_ifname' too long - ignoring",
  ]);
  const twice = load(`global_defs {\n lvs_sync_daemon eth0 VI_1\n lvs_sync_daemon eth1\n}\n${inst('VI_1', 9, ' lvs_sync_daemon_interface eth2\n')}`);
  assert.equal(twice.syncd?.ifname, 'eth0');
  assert.deepEqual(twice.msgs, [
    's.conf:3:2: warning: lvs_sync_daemon has already been specified as eth0 VI_1 - ignoring',
    's.conf:9:2: warning: (VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.',
    's.conf:9:2: warning:         Please use global lvs_sync_daemon',
    's.conf:9:2: warning: (VI_1) lvs_sync_daemon_interface has already been specified as eth0 - ignoring',
  ]);
  const dep = load(inst('VI_7', 7, ' lvs_sync_daemon_interface eth3\n'));
  assert.deepEqual(dep.syncd, { ifname: 'eth3', instance: 'VI_7', pos: { file: 's.conf', line: 5, col: 2 }, syncId: 7 });
});
