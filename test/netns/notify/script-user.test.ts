/**
 * `script_user` is the default user of every script, VRRP ones included (keepalived 2.2.7 lib/notify.c
 * get_default_script_user): a vrrp_script and a notify_master script that name no user of their own run as
 * `script_user nobody`, in keepalived and in ours alike. Read from files the scripts write (`id -u`), not from logs.
 * Before the fix, our VRRP runtime left `script_user` out and ran both as root.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor, type RunningDaemon } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-scruser-');
after(() => {
  topo.destroy();
  d.removeDir();
});
chmodSync(d.dir, 0o755); // nobody must reach the scripts
const outDir = join(d.dir, 'out');
mkdirSync(outDir, { mode: 0o777 });
chmodSync(outDir, 0o777);
const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());

/** A script that writes the uid it runs as to out/TAG and succeeds. */
function script(tag: string): string {
  const p = join(d.dir, `${tag}.sh`);
  // written whole, then renamed: the test never reads a file the redirection has only created
  writeFileSync(p, `#!/bin/sh\nid -u > ${outDir}/.${tag}.$$ && mv ${outDir}/.${tag}.$$ ${outDir}/${tag}\nexit 0\n`, { mode: 0o755 });
  return p;
}

/** The configuration for `who` (ka or ours), VRID `vrid`, VIP `vip`. */
function config(who: string, vrid: number, vip: string): string {
  return d.write(
    `${who}.conf`,
    `global_defs {\n  router_id ${who}\n  script_user nobody\n}\n` +
      `vrrp_script chk {\n  script "${script(`${who}-track`)}"\n  interval 1\n}\n` +
      `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 150\n  advert_int 1\n` +
      `  version 3\n  virtual_ipaddress {\n    ${vip}/32\n  }\n  track_script {\n    chk\n  }\n` +
      `  notify_master "${script(`${who}-notify`)}"\n}\n`,
  );
}

const uidOf = (tag: string): number | undefined => {
  const f = join(outDir, tag);
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
};

test('script_user nobody: VRRP track and notify scripts run as nobody, as in keepalived 2.2.7', { timeout: 90_000 }, async () => {
  assert.notEqual(nobody, 0);
  const runs: [string, RunningDaemon][] = [
    ['ka', d.keepalived('a', config('ka', 83, '192.0.2.183'))],
    ['ours', d.ours('b', config('ours', 84, '192.0.2.184'))],
  ];
  try {
    for (const [who, r] of runs) {
      const ok = await waitFor(() => uidOf(`${who}-track`) !== undefined && uidOf(`${who}-notify`) !== undefined, 30_000);
      assert.ok(ok >= 0, `${who}: both scripts ran\n${r.log()}`);
      assert.equal(uidOf(`${who}-track`), nobody, `${who}: the vrrp_script's uid`);
      assert.equal(uidOf(`${who}-notify`), nobody, `${who}: the notify_master script's uid`);
      assert.match(r.log(), /\(VI_1\) Entering MASTER STATE/, who);
    }
  } finally {
    for (const [, r] of runs) await stop(r.child);
  }
});
