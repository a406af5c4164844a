/** Unit tests of vrrp_sync_group rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncGroup } from '../../../src/vrrp/sync-group.js';
import { VrrpState } from '../../../src/vrrp/types.js';
import { fsm, logs } from './fsm-helpers.js';

function group() {
  const a = fsm({ name: 'VI_1', vrid: 51, priority: 150 });
  const b = fsm({ name: 'VI_2', vrid: 52, priority: 100 });
  const g = new SyncGroup('SG1', [a, b]);
  const start = g.handleAll({ type: 'startup' }, 0);
  return { a, b, g, start };
}

test('startup notifies the group once; a member whose timer expires first waits for the others', () => {
  const { a, b, g, start } = group();
  assert.deepEqual(
    start.filter((x) => x.kind === 'groupNotify'),
    [{ kind: 'groupNotify', group: 'SG1', state: VrrpState.BACKUP }],
  );
  const first = g.handle('VI_1', { type: 'timeout' }, a.pollTimeout()!);
  assert.equal(a.state, VrrpState.BACKUP);
  assert.equal(a.wantMaster, true);
  assert.deepEqual(logs(first), ['(VI_1) Receive advertisement timeout']);
  const second = g.handle('VI_2', { type: 'timeout' }, b.pollTimeout()!);
  assert.equal(a.state, VrrpState.MASTER);
  assert.equal(b.state, VrrpState.MASTER);
  assert.ok(logs(second).includes('VRRP_Group(SG1) Syncing instances to MASTER state'));
  assert.deepEqual(
    second.filter((x) => x.kind === 'groupNotify'),
    [{ kind: 'groupNotify', group: 'SG1', state: VrrpState.MASTER }],
  );
});

test('an accepted advert clears wantMaster, so the group does not go MASTER', () => {
  const { a, b, g } = group();
  g.handle('VI_1', { type: 'timeout' }, a.pollTimeout()!);
  g.handle(
    'VI_1',
    {
      type: 'advert',
      advert: {
        version: 2,
        type: 1,
        vrid: 51,
        priority: 200,
        family: 4,
        addresses: ['192.0.2.100'],
        advertIntervalCs: 100,
        authType: 0,
        checksum: 0,
      },
      source: '192.0.2.9',
    },
    3500,
  );
  assert.equal(a.wantMaster, false);
  g.handle('VI_2', { type: 'timeout' }, b.pollTimeout()!);
  assert.equal(b.state, VrrpState.BACKUP);
  assert.equal(b.wantMaster, true);
});

test('a member leaving MASTER forces the others to BACKUP; a member fault forces all to FAULT and recovery releases them', () => {
  const { a, b, g } = group();
  g.handle('VI_1', { type: 'timeout' }, a.pollTimeout()!);
  g.handle('VI_2', { type: 'timeout' }, b.pollTimeout()!);
  const down = g.handle(
    'VI_2',
    {
      type: 'advert',
      advert: {
        version: 2,
        type: 1,
        vrid: 52,
        priority: 200,
        family: 4,
        addresses: ['192.0.2.100'],
        advertIntervalCs: 100,
        authType: 0,
        checksum: 0,
      },
      source: '192.0.2.9',
    },
    5000,
  );
  assert.equal(a.state, VrrpState.BACKUP);
  assert.ok(logs(down).includes('VRRP_Group(SG1) Syncing instances to BACKUP state'));
  const fault = g.handle('VI_1', { type: 'interface', up: false }, 6000);
  assert.equal(a.state, VrrpState.FAULT);
  assert.equal(b.state, VrrpState.FAULT);
  assert.ok(logs(fault).includes('VRRP_Group(SG1): Syncing VI_2 to FAULT state'));
  assert.equal(fault.filter((x) => x.kind === 'groupNotify').length, 1);
  g.handle('VI_1', { type: 'interface', up: true }, 7000);
  assert.equal(a.state, VrrpState.BACKUP);
  assert.equal(b.state, VrrpState.BACKUP);
});
