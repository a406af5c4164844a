/**
 * The BFD child's process keywords on a real process (root, one namespace): `bfd_rt_priority`, `bfd_cpu_affinity`
 * and `bfd_process_name` are in force on the BFD child (every thread for the first two) and not on the VRRP child;
 * a reload (SIGHUP) to `bfd_priority` without real-time and without a name gives SCHED_OTHER, that nice value and
 * keepalived's default name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor } from '../harness/daemons.js';
import { bfdInstance } from './peers.js';

/** Policy and priority of a thread as chrt shows them. */
const sched = (tid: number) => execFileSync('chrt', ['-p', String(tid)], { encoding: 'utf8' });
const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
const threads = (pid: number) => readdirSync(`/proc/${pid}/task`).map(Number);
const cpusOf = (pid: number, tid: number) => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1];

test('bfd_rt_priority, bfd_cpu_affinity, bfd_process_name on the BFD child; a reload to bfd_priority', { timeout: 60_000 }, async (t) => {
  const topo = Topology.create({ hosts: ['a'] });
  const d = Daemons.inTempDir(topo, 'kts-bfd-proc-');
  t.after(() => {
    topo.destroy();
    d.removeDir();
  });
  const a = topo.hosts.get('a')!;
  const session =
    bfdInstance('B1', { neighbor: '192.0.2.250', source: a.ipv4, minRx: 100, minTx: 100 }) +
    'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  advert_int 1\n}\n';
  const conf = d.write('ours.conf', `global_defs {\n  bfd_rt_priority 7\n  bfd_cpu_affinity 0\n  bfd_process_name kts_bfd\n}\n${session}`);
  const k = d.ours('a', conf);
  const bfdPidFile = k.pidFile.replace(/\.pid$/, '-bfd.pid');
  assert.ok((await waitFor(() => pidIn(bfdPidFile) !== undefined && pidIn(k.vrrpPidFile) !== undefined, 15_000)) >= 0, k.log());
  const pid = pidIn(bfdPidFile)!;
  assert.ok((await waitFor(() => comm(pid) === 'kts_bfd', 5000)) >= 0, `name ${comm(pid)}\n${k.log()}`);
  for (const tid of threads(pid)) {
    assert.match(sched(tid), /policy: SCHED_RR\|SCHED_RESET_ON_FORK\n.*priority: 7/, `thread ${tid}`);
    assert.equal(cpusOf(pid, tid), '0', `thread ${tid} on CPU 0 only`);
  }
  const vrrp = pidIn(k.vrrpPidFile)!;
  assert.notEqual(comm(vrrp), 'kts_bfd');
  assert.match(sched(vrrp), /priority: 1\n/, 'the VRRP child keeps its own default');
  assert.doesNotMatch(k.log(), /not supported yet/);

  writeFileSync(conf, `global_defs {\n  bfd_priority 5\n}\n${session}`);
  const mark = k.log().length;
  process.kill(pidIn(k.pidFile)!, 'SIGHUP');
  assert.ok((await waitFor(() => comm(pid) === 'keepalived', 15_000)) >= 0, k.log().slice(mark));
  assert.match(sched(pid), /policy: SCHED_OTHER/);
  assert.equal(getPriority(pid), 5, 'bfd_priority: the nice value');
  await stop(k.child);
});
