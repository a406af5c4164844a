import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-opts-');
after(() => {
  topo.destroy();
  d.removeDir();
});
const CLI = new URL('../../../src/cli/main.js', import.meta.url).pathname;

const inst = (vrid: number, vip: string, extra = '') =>
  `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id ${vrid}\n` +
  `  priority 200\n  advert_int 1\n  version 3\n  virtual_ipaddress {\n    ${vip}\n  }\n${extra}}\n`;

test('unicast_ttl sets the TTL of unicast adverts; promote_secondaries sets the interface sysctl', async () => {
  const td = topo.spawn('b', 'tcpdump', ['-i', 'eth0', '-n', '-v', '-l', 'proto', '112']);
  let out = '';
  td.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  await sleep(1000);
  topo.exec('a', ['sysctl', '-qw', 'net.ipv4.conf.eth0.promote_secondaries=0']);
  const o = d.ours(
    'a',
    d.write('opt-ttl.conf', inst(81, '192.0.2.181', '  unicast_peer {\n    192.0.2.11\n  }\n  unicast_ttl 10\n  promote_secondaries\n')),
  );
  try {
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.181'), 8000)) >= 0, o.log());
    assert.ok((await waitFor(() => /ttl 10,[^\n]*proto VRRP/.test(out), 3000)) >= 0, out);
    assert.doesNotMatch(out, /ttl 255,[^\n]*proto VRRP/);
    assert.equal(topo.exec('a', ['cat', '/proc/sys/net/ipv4/conf/eth0/promote_secondaries']).trim(), '1');
  } finally {
    await stop(o.child);
    await stop(td, 'SIGINT');
  }
});

test('vrrp_startup_delay holds the instances back; -V (--dont-release-vrrp) leaves the VIP in place at exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-optv-'));
  const file = join(dir, 'k.conf');
  writeFileSync(file, `global_defs {\n  vrrp_startup_delay 2\n}\n${inst(82, '192.0.2.182')}`);
  const child = topo.spawn('a', process.execPath, [
    CLI,
    '-n',
    '-l',
    '-V',
    '-f',
    file,
    '-p',
    join(dir, 'p'),
    '-r',
    join(dir, 'r'),
    '--control-socket=none',
  ]);
  let log = '';
  child.stdout?.on('data', (b: Buffer) => {
    log += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    log += b.toString();
  });
  try {
    assert.ok((await waitFor(() => log.includes('Delaying startup for 2 seconds'), 5000)) >= 0, log);
    const t0 = Date.now();
    assert.ok((await waitFor(() => /\(VI_1\) Entering BACKUP STATE \(init\)/.test(log), 6000)) >= 0, log);
    assert.ok(Date.now() - t0 >= 1800, `instances started ${Date.now() - t0} ms after the delay notice`);
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.182'), 8000)) >= 0, log);
    await stop(child);
    assert.ok(d.hasVip('a', '192.0.2.182'), '-V: the VIP stays after exit');
  } finally {
    await stop(child);
    try {
      topo.exec('a', ['ip', 'addr', 'del', '192.0.2.182/32', 'dev', 'eth0']);
    } catch {
      /* not there */
    }
  }
});
