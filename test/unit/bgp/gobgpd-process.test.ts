import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gobgpdCommand, gobgpdPidFile, isOurGobgpd, staleGobgpds } from '../../../src/runtime/bgp/gobgpd-process.js';

const s = { gobgpdConfig: '/etc/keepalived/gobgpd.toml', gobgpApi: '127.0.0.1:50051', gobgpdPath: '/usr/bin/gobgpd' };

test('gobgpd runs under setpriv --pdeathsig SIGTERM when setpriv is there, else directly', () => {
  const args = ['-f', '/etc/keepalived/gobgpd.toml', '-t', 'toml', '--api-hosts', '127.0.0.1:50051', '-p', '--pprof-disable'];
  assert.deepEqual(gobgpdCommand(s, true), { file: '/usr/bin/setpriv', args: ['--pdeathsig', 'SIGTERM', '--', '/usr/bin/gobgpd', ...args] });
  assert.deepEqual(gobgpdCommand(s, false), { file: '/usr/bin/gobgpd', args });
});

test('the gobgpd pid file: gobgpd_pid_file, else one per configuration file and API address', () => {
  assert.equal(gobgpdPidFile({ ...s, gobgpdPidFile: '/run/x.pid' }), '/run/x.pid');
  assert.match(gobgpdPidFile(s), /^\/run\/keepalived-ts\/gobgpd-[0-9a-f]{12}\.pid$/);
  assert.equal(gobgpdPidFile(s), gobgpdPidFile({ ...s }));
  assert.notEqual(gobgpdPidFile(s), gobgpdPidFile({ ...s, gobgpApi: '127.0.0.1:50052' }));
  assert.notEqual(gobgpdPidFile(s), gobgpdPidFile({ ...s, gobgpdConfig: '/etc/other.toml' }));
});

test('a process is a stale gobgpd only with exactly our arguments: this test process is not one', () => {
  assert.equal(isOurGobgpd(process.pid, s), false);
  assert.equal(isOurGobgpd(999_999_999, s), false);
  assert.deepEqual(staleGobgpds({ ...s, gobgpdConfig: `/nonexistent/${process.pid}.toml`, gobgpdPidFile: '/nonexistent/x.pid' }), []);
});
