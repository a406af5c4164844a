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
 * ProcConnector opened in this test process (only a netlink socket to the kernel: no daemon runs outside the test's
 * namespaces), against the values keepalived 2.2.7's own VRRP child showed on this host.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor } from '../harness/daemons.js';
import { socketBuffers } from '../harness/sockets.js';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { ProcConnector } from '../../../src/net/proc-connector.js';
import { processMonitorBuffer } from '../../../src/runtime/vrrp/trackers.js';

/** The configuration model of `text`. */
function parse(text: string) {
  const d = new DiagnosticSink();
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf');
  d.items.push(...diagnostics);
  return buildModel(tree, d);
}

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

test('process_monitor_rcv_bufs(_force): the connector socket sized as keepalived 2.2.7 sizes it', () => {
  // keepalived 2.2.7 (vrrp_track.c open_track_processes → netlink_set_rx_buf_size) asks SO_RCVBUFFORCE or
  // SO_RCVBUF for the configured bytes, and the kernel reports twice that: 6000000 forced for 3000000 (past
  // net.core.rmem_max), 200000 for 100000 — measured from keepalived's own VRRP child on this host. The sizes are read
  // here from ProcConnector opened in this process (a netlink socket to the kernel: no daemon and no traffic leave
  // the test's namespaces), since the kernel serves process events only in the initial network namespace.
  const sized = (buffer?: { bytes: number; force: boolean }): number[] => {
    const c = ProcConnector.open(
      () => {},
      () => {},
      buffer,
    );
    try {
      return socketBuffers(process.pid, '16/11');
    } finally {
      c.close();
    }
  };
  assert.deepEqual(sized({ bytes: 3_000_000, force: true }), [6_000_000]);
  assert.deepEqual(sized({ bytes: 100_000, force: false }), [200_000]);
  const control = sized();
  assert.equal(control.length, 1);
  assert.ok(!control.includes(6_000_000) && !control.includes(200_000), control.join(' '));
  // the keywords reach the connector as those buffers
  const g = (text: string) => processMonitorBuffer(parse(text));
  assert.deepEqual(g(conf('  process_monitor_rcv_bufs 3000000\n  process_monitor_rcv_bufs_force\n')), { bytes: 3_000_000, force: true });
  assert.deepEqual(g(conf('  process_monitor_rcv_bufs 100000\n')), { bytes: 100_000, force: false });
  assert.equal(g(conf('')), undefined);
});
