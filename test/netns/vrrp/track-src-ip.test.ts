/**
 * `track_src_ip`: keepalived's manual says "if the configured src_ip doesn't exist or is removed put the instance
 * into fault state". keepalived 2.2.7 accepts the keyword but never acts on it: keepalived_netlink.c compares the
 * sockaddr holding the configured address with the bare address (inaddr_equal(family, &vrrp->saddr, addr)), which
 * never matches. Ours does what the manual says; the first test pins keepalived 2.2.7's behaviour, so that a
 * change of the oracle shows here.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-tsrc-');
after(() => {
  topo.destroy();
  d.removeDir();
});

const SRC = '192.0.2.50'; // a secondary address of b's eth0
const conf = (prio: number, src: string, peer: string, vip: string, extra: string) =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 54\n  priority ${prio}\n  advert_int 1\n` +
  `  version 3\n  unicast_src_ip ${src}\n  unicast_peer {\n    ${peer}\n  }\n  virtual_ipaddress {\n    ${vip}\n  }\n${extra}}\n`;

/** b (priority 200, track_src_ip on SRC) is MASTER against keepalived in a (100); then `steps` runs. */
async function withPair(tag: string, startB: (file: string) => RunningDaemon, vip: string, steps: (b: RunningDaemon) => Promise<void>) {
  topo.exec('b', ['ip', 'addr', 'add', `${SRC}/24`, 'dev', 'eth0']);
  const b = startB(d.write(`b-${tag}.conf`, conf(200, SRC, '192.0.2.10', vip, '  track_src_ip\n')));
  const k = d.keepalived('a', d.write(`a-${tag}.conf`, conf(100, '192.0.2.10', SRC, vip, '')));
  try {
    assert.ok((await waitFor(() => d.hasVip('b', vip), 15000)) >= 0, `b is MASTER\n${b.log()}`);
    await steps(b);
  } finally {
    await stop(b.child);
    await stop(k.child);
    topo.exec('b', ['ip', 'addr', 'flush', 'dev', 'eth0', 'to', `${SRC}/32`]);
  }
}

test('keepalived 2.2.7 (the oracle): removing the tracked source address changes nothing', async () => {
  await withPair(
    'oracle',
    (f) => d.keepalived('b', f),
    '192.0.2.163',
    async (b) => {
      topo.exec('b', ['ip', 'addr', 'del', `${SRC}/24`, 'dev', 'eth0']);
      await sleep(3000);
      assert.doesNotMatch(b.log(), /FAULT/, b.log());
      assert.ok(d.hasVip('b', '192.0.2.163'), 'still MASTER');
    },
  );
});

test('ours: the source address removed puts the instance in FAULT (keepalived takes over), its return brings it back', async () => {
  const vip = '192.0.2.164';
  await withPair(
    'ours',
    (f) => d.ours('b', f),
    vip,
    async (b) => {
      topo.exec('b', ['ip', 'addr', 'del', `${SRC}/24`, 'dev', 'eth0']);
      assert.ok((await waitFor(() => /\(VI_1\) Entering FAULT STATE/.test(b.log()), 3000)) >= 0, `b faults\n${b.log()}`);
      assert.match(b.log(), /source address 192\.0\.2\.50 removed/);
      assert.ok((await waitFor(() => d.hasVip('a', vip), 6000)) >= 0, 'a takes over');
      assert.ok(!d.hasVip('b', vip));
      topo.exec('b', ['ip', 'addr', 'add', `${SRC}/24`, 'dev', 'eth0']);
      assert.ok((await waitFor(() => d.hasVip('b', vip) && !d.hasVip('a', vip), 8000)) >= 0, `b comes back and preempts\n${b.log()}`);
    },
  );
});
