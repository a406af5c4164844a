/**
 * `enable_script_security` without `script_user` on a host without a `keepalived_script` user, ours next to
 * keepalived 2.2.7 (lib/notify.c get_default_script_user): the default user cannot be set, so every script that
 * names no user of its own is dropped — a vrrp_script is removed (its trackers ignore it: the instance still
 * becomes MASTER although the script would start failed), a notify script is ignored — while scripts with their own
 * `user root` run. Both daemons must do the same, read from files the scripts write and the VIP, not only from logs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-scrsec-');
after(() => {
  topo.destroy();
  d.removeDir();
});

/** A script that records that it ran (touches ran-TAG) and succeeds. */
function script(tag: string): string {
  const p = join(d.dir, `${tag}.sh`);
  writeFileSync(p, `#!/bin/sh\ntouch ${d.dir}/ran-${tag}\nexit 0\n`, { mode: 0o755 });
  return p;
}

/** The configuration for `who` (ka or ours), VRID `vrid`, VIP `vip`. */
function config(who: string, vrid: number, vip: string): string {
  return d.write(
    `${who}.conf`,
    `global_defs {\n  router_id ${who}\n  enable_script_security\n}\n` +
      `vrrp_script chk {\n  script "${script(`${who}-track`)}"\n  interval 1\n  init_fail\n}\n` +
      `vrrp_script chk_root {\n  script "${script(`${who}-track-root`)}"\n  interval 1\n  user root\n}\n` +
      `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 150\n  advert_int 1\n` +
      `  version 3\n  virtual_ipaddress {\n    ${vip}/32\n  }\n  track_script {\n    chk\n    chk_root\n  }\n` +
      `  notify "${script(`${who}-notify`)}"\n  notify_master "${script(`${who}-notify-root`)}" root\n}\n`,
  );
}

test(
  'enable_script_security without a keepalived_script user: scripts without a user of their own are dropped, as by keepalived 2.2.7',
  { timeout: 90_000 },
  async () => {
    let hasUser = true;
    try {
      execFileSync('id', ['keepalived_script'], { stdio: 'ignore' });
    } catch {
      hasUser = false;
    }
    assert.equal(hasUser, false, 'this test needs a host without a keepalived_script user');
    const runs: [string, RunningDaemon, string][] = [
      ['ka', d.keepalived('a', config('ka', 81, '192.0.2.181')), 'a'],
      ['ours', d.ours('b', config('ours', 82, '192.0.2.182')), 'b'],
    ];
    try {
      for (const [who, r, host] of runs) {
        const vip = who === 'ka' ? '192.0.2.181' : '192.0.2.182';
        const ok = await waitFor(
          () => d.hasVip(host, vip) && existsSync(join(d.dir, `ran-${who}-notify-root`)) && existsSync(join(d.dir, `ran-${who}-track-root`)),
          30_000,
        );
        assert.ok(ok >= 0, `${who}: MASTER, and the scripts with user root ran\n${r.log()}`);
      }
      await new Promise((res) => setTimeout(res, 2500)); // two more script intervals
      for (const [who, r] of runs) {
        const log = r.log();
        assert.equal(existsSync(join(d.dir, `ran-${who}-track`)), false, `${who}: the vrrp_script without a user never ran`);
        assert.equal(existsSync(join(d.dir, `ran-${who}-notify`)), false, `${who}: the notify script without a user never ran`);
        assert.match(log, /Script user 'keepalived_script' does not exist/, who);
        assert.match(log, /Unable to set default user keepalived_script for script/, who);
        assert.match(log, /Unable to set default user for vrrp script chk - removing/, who);
        assert.match(log, new RegExp(`Failed to set default user for notify script ${d.dir}/${who}-notify\\.sh - ignoring`), who);
        assert.match(log, /\(VI_1\) Entering MASTER STATE/, who);
        assert.doesNotMatch(log, /Entering FAULT STATE/, `${who}: the removed init_fail script does not hold the instance down`);
      }
    } finally {
      for (const [, r] of runs) await stop(r.child);
    }
  },
);
