/**
 * `instance NAME` (keepalived core/main.c): without -p/-r/-c the pid files are /run/keepalived/keepalived_NAME.pid
 * and vrrp_NAME.pid, for keepalived 2.2.7 (the oracle) and for ours; ours puts its control socket next to the main
 * pid file. NAME is unique per run, and the files are gone after each daemon stops.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Topology } from '../harness/topology.js';
import { Daemons, confText, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a'] });
const d = Daemons.inTempDir(topo, 'kts-instance-');
after(() => {
  topo.destroy();
  d.removeDir();
});
const CLI = new URL('../../../src/cli/main.js', import.meta.url).pathname;

const capture = (c: ReturnType<Topology['spawn']>): (() => string) => {
  let out = '';
  c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  c.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return () => out;
};

for (const who of ['keepalived', 'ours'] as const) {
  test(`instance NAME names the pid files in /run/keepalived (${who})`, async () => {
    const name = `kts${process.pid}${who}`;
    const file = d.write(`${who}.conf`, `instance ${name}\n${confText(name, 100, 'BACKUP', 3, '192.0.2.185')}`);
    const env = { ...process.env, TMPDIR: d.dir };
    const child =
      who === 'keepalived'
        ? topo.spawn('a', '/usr/sbin/keepalived', ['-P', '-n', '-l', '-D', '-f', file], { env })
        : topo.spawn('a', process.execPath, [CLI, '-P', '-n', '-l', '-D', '-f', file], { env });
    const log = capture(child);
    const main = `/run/keepalived/keepalived_${name}.pid`;
    const vrrp = `/run/keepalived/vrrp_${name}.pid`;
    try {
      assert.ok((await waitFor(() => /Entering BACKUP STATE/.test(log()), 15000)) >= 0, log());
      assert.equal(readFileSync(main, 'utf8'), `${child.pid}\n`, `${main}\n${log()}`);
      const vrrpPid = Number(readFileSync(vrrp, 'utf8'));
      assert.ok(vrrpPid > 0 && vrrpPid !== child.pid);
      assert.ok(!existsSync(`/run/keepalived/checkers_${name}.pid`), 'no checker child without virtual servers');
      if (who === 'ours') assert.ok(existsSync(`/run/keepalived/keepalived_${name}-ts.sock`), 'control socket next to the pid file');
    } finally {
      await stop(child);
    }
    assert.ok(!existsSync(main) && !existsSync(vrrp), 'pid files removed on exit');
  });
}
