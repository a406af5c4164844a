/**
 * Differential test: real keepalived 2.2.7 (one node, in a namespace of our own) runs notify scripts and writes
 * a notify FIFO through BACKUP(init) → MASTER → STOP. Our Notifier, fed the same transitions with the same
 * configured scripts, must produce the same script argv sequence and the same FIFO lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/log.js';
import { FifoWriter } from '../../../src/notify/fifo.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { ScriptRunner } from '../../../src/notify/script-runner.js';
import { splitCommand } from '../../../src/notify/split.js';
import { tempDir, waitFor, writeScript } from '../../fixtures/notify/helpers.js';
import { Daemons, stop } from '../harness/daemons.js';
import { Topology } from '../harness/topology.js';

function configure(dir: string, rec: string, fifo: string): string {
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(
    conf,
    `global_defs {
  router_id ktsnode
  notify_fifo ${fifo}
  script_user root
  enable_script_security
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
  notify_master "${rec} MASTER_SCRIPT 'x y'"
  notify_backup ${rec}
  notify_stop "${rec} STOP_SCRIPT"
  notify "${rec} GENERIC"
}
`,
  );
  return conf;
}

test('keepalived and our Notifier agree on script argv and FIFO lines', { timeout: 60000 }, async () => {
  const { dir, cleanup } = tempDir();
  chmodSync(dir, 0o755);
  const topo = Topology.create({ hosts: ['n'] });
  let ka: ChildProcess | undefined;
  let reader: ChildProcess | undefined;
  try {
    const kaLog = join(dir, 'ka.args');
    const kaRec = writeScript(dir, 'rec-ka.sh', `IFS='|'; echo "$*" >> ${kaLog}`);
    const kaFifo = join(dir, 'ka.fifo');
    execFileSync('mkfifo', [kaFifo]);
    const kaOut = join(dir, 'ka.out');
    reader = spawn('/bin/sh', ['-c', 'exec cat "$0" > "$1"', kaFifo, kaOut], { stdio: 'ignore' });
    const conf = configure(dir, kaRec, kaFifo);
    ka = new Daemons(topo, dir).keepalived('n', conf).child;
    const kaLines = (): string[] => (existsSync(kaOut) ? readFileSync(kaOut, 'utf8').split('\n').slice(0, -1) : []);
    assert.ok(await waitFor(() => kaLines().some((l) => l.includes('MASTER')), 20000), `keepalived FIFO: ${kaLines().join('|')}`);
    await stop(ka);
    assert.ok(await waitFor(() => kaLines().some((l) => l.includes('STOP')), 5000));
    await waitFor(() => existsSync(kaLog) && readFileSync(kaLog, 'utf8').includes('STOP_SCRIPT'), 3000);

    // Ours, same scripts and transitions.
    const ourLog = join(dir, 'our.args');
    const ourRec = writeScript(dir, 'rec-our.sh', `IFS='|'; echo "$*" >> ${ourLog}`);
    const ourFifo = join(dir, 'our.fifo');
    const ourOut = join(dir, 'our.out');
    const logger = new MemoryLogger();
    const w = new FifoWriter({ path: ourFifo }, { logger });
    assert.ok(w.open());
    const r2 = spawn('/bin/sh', ['-c', 'exec cat "$0" > "$1"', ourFifo, ourOut], { stdio: 'ignore' });
    const sp = (c: string): { argv: readonly string[] } => {
      const s = splitCommand(c);
      assert.ok(s.ok);
      return { argv: s.argv };
    };
    const n = new Notifier({ runner: new ScriptRunner({ logger }), logger, fifos: [w] });
    n.setInstance({
      name: 'VI_1',
      notifyDeleted: false,
      smtpAlert: false,
      scripts: {
        master: sp(`${ourRec} MASTER_SCRIPT 'x y'`),
        backup: sp(ourRec),
        stop: sp(`${ourRec} STOP_SCRIPT`),
        generic: sp(`${ourRec} GENERIC`),
      },
    });
    for (const l of kaLines()) {
      const m = /^INSTANCE "VI_1" (\w+) (\d+)$/.exec(l);
      assert.ok(m, `unexpected keepalived FIFO line ${l}`);
      await n.instanceTransition('VI_1', m[1] as 'MASTER', Number(m[2]));
    }
    assert.ok(await w.flush(2000));
    const ourLines = (): string[] => (existsSync(ourOut) ? readFileSync(ourOut, 'utf8').split('\n').slice(0, -1) : []);
    assert.ok(await waitFor(() => ourLines().length === kaLines().length));
    w.close();
    await stop(r2);
    assert.deepEqual(ourLines(), kaLines());
    assert.deepEqual(
      kaLines().map((l) => l.split(' ')[2]),
      ['BACKUP', 'MASTER', 'STOP'],
    );
    // keepalived starts a transition's scripts concurrently, so compare per-transition sets, in transition order.
    const group = (lines: string[]): string[] => lines.map((l) => l.replace(/^GENERIC\|/, 'GENERIC '));
    const ka2 = group(readFileSync(kaLog, 'utf8').split('\n').slice(0, -1));
    const our2 = group(readFileSync(ourLog, 'utf8').split('\n').slice(0, -1));
    assert.deepEqual([...our2].sort(), [...ka2].sort());
    assert.deepEqual(our2, [
      '',
      'GENERIC INSTANCE|VI_1|BACKUP|100',
      'MASTER_SCRIPT|x y',
      'GENERIC INSTANCE|VI_1|MASTER|100',
      'STOP_SCRIPT',
      'GENERIC INSTANCE|VI_1|STOP|100',
    ]);
  } finally {
    if (ka) await stop(ka, 'SIGKILL');
    if (reader) await stop(reader);
    topo.destroy();
    cleanup();
  }
});
