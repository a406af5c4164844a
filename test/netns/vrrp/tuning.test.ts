/**
 * VRRP tuning keywords against keepalived 2.2.7 on the same configuration in the same namespace: vmac_prefix names
 * the VMAC, kernel_rx_buf_size sizes the VRRP receive socket, vrrp_netlink_cmd_rcv_bufs and
 * vrrp_netlink_monitor_rcv_bufs(_force) size the VRRP child's rtnetlink sockets (the forced size passes
 * net.core.rmem_max), and log_unknown_vrids logs host b's VRID 62 adverts heard on the VMAC. The buffer sizes are read
 * from the VRRP child's own sockets (pidfd_getfd + getsockopt SO_RCVBUF, which reports twice the size set); a run of
 * ours without the keywords is the control (none of the sizes appear, no VRID line).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';
import { socketBuffers } from '../harness/sockets.js';

let topo: Topology;
let d: Daemons;
before(() => {
  topo = Topology.create({ hosts: ['a', 'b'] });
  d = Daemons.inTempDir(topo, 'kts-tuning-');
});
after(() => {
  topo?.destroy();
  d?.removeDir();
});

const TUNING = `global_defs {
  vmac_prefix kt
  log_unknown_vrids
  vrrp_netlink_cmd_rcv_bufs 300000
  vrrp_netlink_monitor_rcv_bufs 5000000
  vrrp_netlink_monitor_rcv_bufs_force
}
`;
const INSTANCE = (extra: string) => `vrrp_instance VI_1 {
  interface eth0
  state BACKUP
  virtual_router_id 61
  priority 100
  advert_int 1
  use_vmac
${extra}  virtual_ipaddress {
    192.0.2.161/32
  }
}
`;

/** SO_RCVBUF of the VRRP child's rtnetlink (16/0) and VRRP (2/112) sockets. */
function buffers(vrrpPidFile: string): { netlink: number[]; vrrp: number[] } {
  const pid = readFileSync(vrrpPidFile, 'utf8').trim();
  return { netlink: socketBuffers(pid, '16/0'), vrrp: socketBuffers(pid, '2/112') };
}

const unknownLine = /Unknown VRID\(62\) received on interface\(kt\.61\)\. ignoring\.\.\./;

/** Runs `r` in host a until its VMAC and its unknown-VRID line (if `expectLine`) show; returns what it set. */
async function observe(r: RunningDaemon & { vrrpPidFile: string }, vmac: string, expectLine: boolean) {
  try {
    assert.ok((await waitFor(() => topo.exec('a', ['ip', '-br', 'link']).includes(`${vmac}@eth0`), 20000)) >= 0, `VMAC ${vmac}\n${r.log()}`);
    if (expectLine) assert.ok((await waitFor(() => unknownLine.test(r.log()), 10000)) >= 0, `unknown VRID line\n${r.log()}`);
    else await new Promise((res) => setTimeout(res, 3000)); // b advertises every second: 3 adverts heard, no line
    return { ...buffers(r.vrrpPidFile), line: unknownLine.test(r.log()) };
  } finally {
    await stop(r.child);
  }
}

test('vmac_prefix, kernel_rx_buf_size, vrrp_netlink_*_rcv_bufs(_force), log_unknown_vrids: as keepalived 2.2.7', async () => {
  // host b: VRID 62, heard by host a's VRID 61 instance
  const peer = d.write(
    'b.conf',
    INSTANCE('').replace('virtual_router_id 61', 'virtual_router_id 62').replace('  use_vmac\n', '').replace('.161', '.162'),
  );
  const b = d.keepalived('b', peer);
  try {
    const file = d.write('a.conf', TUNING + INSTANCE('  kernel_rx_buf_size 50000\n'));
    const theirs = await observe(d.keepalived('a', file), 'kt.61', true);
    const ours = await observe(d.ours('a', file), 'kt.61', true);
    // keepalived: its receive socket 2 x 50000 (its send socket has SO_RCVBUF 0, the kernel's minimum 2304)
    assert.deepEqual(theirs.vrrp, [2304, 100000]);
    assert.deepEqual(ours.vrrp, [100000], 'one socket sends and receives');
    for (const x of [theirs, ours]) {
      assert.ok(x.netlink.includes(600000), `cmd socket 2 x 300000: ${x.netlink.join(' ')}`);
      assert.ok(x.netlink.includes(10000000), `monitor socket forced to 2 x 5000000 past rmem_max: ${x.netlink.join(' ')}`);
    }
    // the control: ours without the keywords (VMAC named vrrp.61, default buffers, no VRID line)
    const plain = await observe(d.ours('a', d.write('a-plain.conf', INSTANCE(''))), 'vrrp.61', false);
    assert.equal(plain.line, false);
    assert.ok(!plain.vrrp.includes(100000), plain.vrrp.join(' '));
    assert.ok(!plain.netlink.includes(600000) && !plain.netlink.includes(10000000), plain.netlink.join(' '));
  } finally {
    await stop(b.child);
  }
});
