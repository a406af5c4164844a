/**
 * global_defs process keywords on real processes (root, one namespace; issue 15):
 * - `process_name`, `vrrp_process_name`, `checker_process_name` in /proc/PID/comm of the parent and each child;
 * - `vrrp_cpu_affinity` / `checker_cpu_affinity` on every thread (Cpus_allowed_list), `checker_rt_priority` on
 *   every checker thread (SCHED_RR), the parent untouched;
 * - `umask` in /proc/PID/status of the parent and both children;
 * - `config_save_dir`: the parent's copy of what it read;
 * - `reload_check_config`: a bad configuration fails `-t` in another process, its report in the log file, the
 *   running configuration stays (no "Reloading ..."); `reload_file` exists while the check runs and is gone after;
 * - `reload_time_file`: a time written into the file schedules a reload at that second; the file is deleted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, pidIn, stop, waitFor } from '../harness/daemons.js';

const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
const threads = (pid: number) => readdirSync(`/proc/${pid}/task`).map(Number);
const statusField = (path: string, field: string) => new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(readFileSync(path, 'utf8'))?.[1];
/** Fields 40 (rt_priority) and 41 (policy) of a thread's stat (proc(5)). */
function sched(pid: number, tid: number): [number, number] {
  const t = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return [Number(f[37]), Number(f[38])];
}
const SCHED_RR = 2;

test(
  'process names, CPU affinity, checker_rt_priority, umask, config_save_dir, reload_check_config + reload_file, reload_time_file',
  { timeout: 120_000 },
  async (t) => {
    const topo = Topology.create({ hosts: ['a'] });
    const d = Daemons.inTempDir(topo, 'kts-proc-kw-');
    t.after(() => {
      topo.destroy();
      d.removeDir();
    });
    const checkLog = join(d.dir, 'check.log');
    const reloadFile = join(d.dir, 'kts.reload');
    const timeFile = join(d.dir, 'reload.time');
    const saveDir = join(d.dir, 'saved');
    const body =
      'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  advert_int 1\n}\n' +
      'virtual_server 192.0.2.100 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  delay_loop 5\n' +
      '  real_server 192.0.2.200 80 {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n';
    const globals = (extra: string) =>
      `global_defs {\n  process_name kts_main\n  vrrp_process_name kts_vrrp\n  checker_process_name kts_chk\n  vrrp_cpu_affinity 0\n` +
      `  checker_cpu_affinity 0\n  checker_rt_priority 3\n  umask 027\n  reload_check_config ${checkLog}\n  reload_file ${reloadFile}\n` +
      `  reload_time_file ${timeFile}\n  config_save_dir ${saveDir}\n  lvs_backend nftables\n${extra}}\n`;
    const conf = d.write('ours.conf', globals('') + body);
    const k = d.ours('a', conf);
    const chkPidFile = k.pidFile.replace(/\.pid$/, '-chk.pid');
    assert.ok((await waitFor(() => pidIn(chkPidFile) !== undefined && pidIn(k.vrrpPidFile) !== undefined, 20_000)) >= 0, k.log());
    const [main, vrrp, chk] = [pidIn(k.pidFile)!, pidIn(k.vrrpPidFile)!, pidIn(chkPidFile)!];
    assert.ok((await waitFor(() => comm(vrrp) === 'kts_vrrp' && comm(chk) === 'kts_chk' && comm(main) === 'kts_main', 10_000)) >= 0, k.log());
    assert.ok((await waitFor(() => /Entering BACKUP STATE|Entering MASTER STATE/.test(k.log()), 15_000)) >= 0, k.log());

    for (const tid of threads(vrrp)) assert.equal(statusField(`/proc/${vrrp}/task/${tid}/status`, 'Cpus_allowed_list'), '0', `vrrp thread ${tid}`);
    for (const tid of threads(chk)) assert.equal(statusField(`/proc/${chk}/task/${tid}/status`, 'Cpus_allowed_list'), '0', `checker thread ${tid}`);
    // every thread there at an apply; one Node starts later (libuv's pool) has SCHED_RESET_ON_FORK's normal policy until the next
    assert.deepEqual(sched(chk, chk), [3, SCHED_RR], 'checker main thread: SCHED_RR 3');
    assert.notEqual(statusField(`/proc/${main}/status`, 'Cpus_allowed_list'), '0', 'the parent keeps every CPU');
    assert.notEqual(sched(main, main)[1], SCHED_RR, 'the parent is not real-time');
    for (const pid of [main, vrrp, chk]) assert.equal(statusField(`/proc/${pid}/status`, 'Umask'), '0027', `umask of ${comm(pid)}`);
    const copy = join(saveDir, `keepalived.conf.${main}.0`);
    assert.ok(existsSync(copy), `config_save_dir copy ${copy}`);
    assert.equal(readFileSync(copy, 'utf8'), `# ${conf}\n${readFileSync(conf, 'utf8')}`);
    assert.doesNotMatch(k.log(), /not supported yet/);

    // reload_check_config: a configuration with an error is refused by -t in another process; the reload file exists meanwhile
    writeFileSync(conf, `${globals('')}${body}vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 300\n}\n`);
    let mark = k.log().length;
    process.kill(main, 'SIGHUP');
    assert.ok((await waitFor(() => existsSync(reloadFile), 3000)) >= 0, 'the reload file exists while the check runs');
    assert.ok((await waitFor(() => k.log().slice(mark).includes('New config failed validation'), 40_000)) >= 0, k.log().slice(mark));
    assert.match(k.log().slice(mark), new RegExp(`New config failed validation, see ${checkLog} for details`));
    assert.doesNotMatch(k.log().slice(mark), /Reloading \.\.\./);
    assert.match(readFileSync(checkLog, 'utf8'), /virtual_router_id/, 'the -t report went to the log file');
    assert.equal(existsSync(reloadFile), false, 'the reload file is removed after the check');

    // a good configuration passes the check and reloads: a new process name for the parent
    writeFileSync(conf, globals('').replace('kts_main', 'kts_main2') + body);
    mark = k.log().length;
    process.kill(main, 'SIGHUP');
    assert.ok((await waitFor(() => comm(main) === 'kts_main2', 40_000)) >= 0, k.log().slice(mark));
    assert.match(k.log().slice(mark), /Reloading \.\.\./);
    assert.ok((await waitFor(() => !existsSync(reloadFile), 20_000)) >= 0, 'the reload file is removed once the children re-read');
    assert.ok(existsSync(join(saveDir, `keepalived.conf.${main}.1`)), 'a copy per read');
    for (const tid of threads(chk)) assert.deepEqual(sched(chk, tid), [3, SCHED_RR], `checker thread ${tid} after the reload: SCHED_RR 3`);

    // reload_time_file: the second two seconds ahead (local time, HH:MM:SS)
    mark = k.log().length;
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2000);
    const p = (n: number) => String(n).padStart(2, '0');
    const written = Date.now();
    writeFileSync(timeFile, `${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}\n`);
    assert.ok((await waitFor(() => /Scheduling reload for/.test(k.log().slice(mark)), 5000)) >= 0, k.log().slice(mark));
    assert.ok((await waitFor(() => /Reloading \.\.\./.test(k.log().slice(mark)), 20_000)) >= 0, k.log().slice(mark));
    const took = Date.now() - written;
    // due at `at` (2-3 s after writing); the check runs first (-t in a new Node process)
    assert.ok(took >= at.getTime() - written - 50, `not before the time (${took} ms)`);
    assert.ok(took < at.getTime() - written + 15_000, `reloaded ${took} ms after writing`);
    assert.equal(existsSync(timeFile), false, 'the time file is deleted when the reload is due');
    await stop(k.child);
  },
);
