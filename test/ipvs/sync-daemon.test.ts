/**
 * Sync daemons over IPVS_CMD_NEW/DEL/GET_DAEMON in the UML guest; `ipvsadm -L --daemon` is the oracle. A file of
 * its own, with a bounded test: the kernel starts and stops sync threads here, and a stall must fail this test only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IpvsBackend } from '../../src/lb/ipvs/backend.js';
import { inGuest, ipvsadm } from './harness.js';

const b = new IpvsBackend();
before(async () => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: npm run test:ipvs');
  assert.equal(await b.open(), undefined);
});
after(async () => {
  await b.stopSyncDaemon('master');
  await b.stopSyncDaemon('backup');
  await b.close();
});

test('sync daemons: master and backup with options, replaced on a second start, stopped', { timeout: 90_000 }, async () => {
  assert.equal(await b.setGlobals({ syncDaemon: { state: 'master', ifname: 'lo', syncId: 7 } }), undefined);
  assert.equal(
    await b.setGlobals({ syncDaemon: { state: 'master', ifname: 'lo', syncId: 8, maxlen: 1400, port: 8850, ttl: 3, group: '224.0.0.82' } }),
    undefined,
  );
  assert.equal(await b.setGlobals({ syncDaemon: { state: 'backup', ifname: 'lo', syncId: 9 } }), undefined);
  assert.equal(
    ipvsadm('-L', '--daemon'),
    'master sync daemon (mcast=lo, syncid=8, maxlen=1400, group=224.0.0.82, port=8850, ttl=3)\n' +
      'backup sync daemon (mcast=lo, syncid=9, maxlen=65507, group=224.0.0.81, port=8848, ttl=1)\n',
  );
  const d = await b.daemons();
  assert.ok(Array.isArray(d));
  assert.deepEqual(
    d.map((x) => [x.state, x.ifname, x.syncId, x.maxlen, x.group, x.port, x.ttl]),
    [
      ['master', 'lo', 8, 1400, '224.0.0.82', 8850, 3],
      ['backup', 'lo', 9, 65507, '224.0.0.81', 8848, 1],
    ],
  );
  assert.equal(await b.stopSyncDaemon('master'), undefined);
  assert.equal(await b.stopSyncDaemon('backup'), undefined);
  assert.equal(ipvsadm('-L', '--daemon'), '');
});
