/**
 * `process_monitor_rcv_bufs` and `process_monitor_rcv_bufs_force` against keepalived 2.2.7: the receive buffer of
 * the VRRP child's process events connector socket (NETLINK_CONNECTOR, the socket vrrp_track_process listens on),
 * read from the socket itself (pidfd_getfd + getsockopt SO_RCVBUF, twice the size set). Forced, 3000000 passes
 * net.core.rmem_max; not forced, 100000 does not need to. A run of ours without the keywords is the control: its
 * connector socket is there, with the kernel's default size.
 *
 * The kernel serves process events only in the initial network namespace (elsewhere the subscription fails with
 * ECONNREFUSED: keepalived logs "Failed to set/clear process event listen - errno 111 - Connection refused" and
 * has no socket; a first test checks that ours does the same in a test namespace). So the sizes are read from
 * daemons started in this process's namespace, whose one instance names an interface that does not exist
 * (`dynamic_interfaces`: it waits in FAULT): they open netlink and VRRP sockets but add no address, send no advert
 * and change nothing in the host's network. Each is stopped by PID in a finally. ~40 s.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';
import { socketBuffers } from '../harness/sockets.js';

let topo: Topology;
let d: Daemons;
before(() => {
  topo = Topology.create({ hosts: ['a'] });
  d = Daemons.inTempDir(topo, 'kts-procmon-');
});
after(() => {
  topo?.destroy();
  d?.removeDir();
});

const conf = (globals: string, ifname = 'ktspmabsent0') => `global_defs {
  router_id kts_procmon
  dynamic_interfaces
${globals}}
vrrp_track_process kts_absent {
  process kts_no_such_process
  quorum 1
}
vrrp_instance VI_1 {
  interface ${ifname}
  state BACKUP
  virtual_router_id 81
  priority 100
  advert_int 1
  track_process {
    kts_absent
  }
  virtual_ipaddress {
    192.0.2.181/32
  }
}
`;

/** The connector sockets' SO_RCVBUF in `r`'s VRRP child, once it has one; then stops `r`. */
async function connector(r: RunningDaemon & { vrrpPidFile: string }): Promise<number[]> {
  try {
    let bufs: number[] = [];
    const seen = await waitFor(() => {
      const pid = pidIn(r.vrrpPidFile);
      if (pid === undefined) return false;
      try {
        bufs = socketBuffers(pid, '16/11');
      } catch {
        return false; // the child is starting or gone
      }
      return bufs.length > 0;
    }, 20000);
    assert.ok(seen >= 0, `a process events socket in the VRRP child\n${r.log()}`);
    return bufs;
  } finally {
    await stop(r.child);
  }
}

/** keepalived 2.2.7 in this process's network namespace (`-P`: the VRRP child only), its files in the test directory. */
function keepalivedHere(file: string): RunningDaemon & { vrrpPidFile: string } {
  const tag = `here-${++runs}`;
  const vrrpPidFile = join(d.dir, `${tag}-vrrp.pid`);
  const args = ['-P', '-n', '-l', '-D', '-f', file, '-p', join(d.dir, `${tag}.pid`), '-r', vrrpPidFile, '-c', join(d.dir, `${tag}-chk.pid`)];
  const child = spawn('/usr/sbin/keepalived', args, { stdio: 'pipe', env: { ...process.env, TMPDIR: d.dir } });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return { host: 'here', child, log: () => out, vrrpPidFile };
}
let runs = 0;

test('in a network namespace the subscription is refused: neither daemon keeps a connector socket', async () => {
  const file = d.write('netns.conf', conf('  process_monitor_rcv_bufs 100000\n', 'eth0'));
  for (const r of [d.keepalived('a', file), d.ours('a', file)]) {
    try {
      const refused = 'Failed to set/clear process event listen - errno 111 - Connection refused';
      assert.ok((await waitFor(() => r.log().includes(refused), 20000)) >= 0, r.log());
      assert.deepEqual(socketBuffers(pidIn(r.vrrpPidFile)!, '16/11'), []);
    } finally {
      await stop(r.child);
    }
  }
});

test('process_monitor_rcv_bufs(_force): the connector socket sized as keepalived 2.2.7 sizes it', async () => {
  const forced = d.write('forced.conf', conf('  process_monitor_rcv_bufs 3000000\n  process_monitor_rcv_bufs_force\n'));
  const plain = d.write('plain.conf', conf('  process_monitor_rcv_bufs 100000\n'));
  const theirsForced = await connector(keepalivedHere(forced));
  const oursForced = await connector(d.ours('a', forced, [], { fromHost: true }));
  const theirsPlain = await connector(keepalivedHere(plain));
  const oursPlain = await connector(d.ours('a', plain, [], { fromHost: true }));
  assert.deepEqual(theirsForced, [6000000], 'keepalived: one socket, 2 x 3000000 past rmem_max');
  assert.deepEqual(oursForced, theirsForced);
  assert.deepEqual(theirsPlain, [200000], 'keepalived: 2 x 100000');
  assert.deepEqual(oursPlain, theirsPlain);
  // the control: without the keywords the socket keeps the kernel's default (as keepalived's does)
  const control = await connector(d.ours('a', d.write('none.conf', conf('')), [], { fromHost: true }));
  assert.equal(control.length, 1);
  assert.ok(!control.includes(6000000) && !control.includes(200000), control.join(' '));
});
