/**
 * Differential test: keepalived 2.2.7 and our ScriptTrackerDriver track the same vrrp_script (same flag file,
 * rise 2 / fall 2, timeout 1 s) through success → failure → success → hang (timeouts) → success; the
 * sequences of `Script …` / `VRRP_Script(…)` log lines must be identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../../src/core/clock.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { ScriptTrackerDriver } from '../../../src/track/script-driver.js';
import { tempDir, waitFor, writeScript } from '../../fixtures/notify/helpers.js';
import { Daemons, stop } from '../harness/daemons.js';
import { Topology } from '../harness/topology.js';

test('track script log texts and rise/fall match keepalived', { timeout: 90000 }, async () => {
  const { dir, cleanup } = tempDir();
  chmodSync(dir, 0o755);
  const topo = Topology.create({ hosts: ['t'] });
  let ka: ChildProcess | undefined;
  const ours = new MemoryLogger();
  let driver: ScriptTrackerDriver | undefined;
  try {
    const flag = join(dir, 'flag');
    // write the flag atomically: a script reading it between truncate and write would see '' and exit 1
    const setFlag = (v: string): void => {
      writeFileSync(`${flag}.tmp`, v);
      renameSync(`${flag}.tmp`, flag);
    };
    setFlag('0');
    const chk = writeScript(dir, 'chk.sh', `v=$(cat ${flag}); [ "$v" = hang ] && exec sleep 10; exit $v`);
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(
      conf,
      `global_defs {
  router_id ktstrack
  script_user root
  enable_script_security
}
vrrp_script chk {
  script "${chk}"
  interval 1
  timeout 1
  rise 2
  fall 2
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 100
  advert_int 1
  virtual_ipaddress {
    198.51.100.100/24
  }
  track_script {
    chk
  }
}
`,
    );
    const kaLines: string[] = [];
    ka = new Daemons(topo, dir).keepalived('t', conf).child;
    const collect = (d: Buffer): void => {
      for (const l of d.toString().split('\n')) {
        const m = /(Script `chk`.*|VRRP_Script\(chk\).*)$/.exec(l);
        if (m) kaLines.push(m[1]!.trim());
      }
    };
    ka.stdout!.on('data', collect);
    ka.stderr!.on('data', collect);
    driver = new ScriptTrackerDriver({
      script: { argv: [chk] },
      clock: systemClock(),
      logger: ours,
      onUpdate: () => {},
      track: { name: 'chk', intervalMs: 1000, timeoutMs: 1000, rise: 2, fall: 2, initFail: false },
    });
    driver.start();
    const both = (text: string, n: number): Promise<boolean> =>
      waitFor(() => kaLines.filter((l) => l === text).length >= n && ours.texts().filter((l) => l === text).length >= n, 15000);
    assert.ok(await both('VRRP_Script(chk) succeeded', 1), `ka: ${kaLines.join(' | ')}`);
    setFlag('1');
    assert.ok(await both('VRRP_Script(chk) failed (exited with status 1)', 1), `ka: ${kaLines.join(' | ')}`);
    setFlag('0');
    assert.ok(await both('VRRP_Script(chk) succeeded', 2), `ka: ${kaLines.join(' | ')}`);
    setFlag('hang');
    assert.ok(await both('VRRP_Script(chk) timed_out', 1), `ka: ${kaLines.join(' | ')} ours: ${ours.texts().join(' | ')}`);
    setFlag('0');
    assert.ok(await both('VRRP_Script(chk) succeeded', 3), `ka: ${kaLines.join(' | ')}`);
    assert.deepEqual(ours.texts(), kaLines);
    if (process.env['KTS_VERBOSE']) console.log(kaLines.join('\n'));
  } finally {
    driver?.stop();
    if (ka) await stop(ka, 'SIGKILL');
    topo.destroy();
    cleanup();
  }
});
