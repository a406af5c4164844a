/**
 * The V8 flags of each process (src/daemon/v8-flags.ts, issue 17) on a real daemon started as a service would be
 * (without `-n`): the detached supervisor runs `--max-semi-space-size=1 --lite-mode --no-expose-wasm`, its VRRP child its own flags
 * (`--no-memory-reducer --v8-pool-size=1`) and not the supervisor's lite mode (its receive path would be 4-10× slower); KEEPALIVED_TS_V8_FLAGS replaces them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Topology } from '../harness/topology.js';
import { BUNDLED_CLI, Daemons, pidIn, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a'] });
const d = Daemons.inTempDir(topo, 'kts-v8flags-', BUNDLED_CLI);
const started: number[] = [];
after(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  topo.destroy();
  d.removeDir();
});

/** The node flags of a process: its argv between the node binary and the script. */
function nodeFlags(pid: number): string[] {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return argv.slice(1, argv.indexOf(BUNDLED_CLI));
}

/** Starts the daemon detached (as a service would); returns the supervisor's and VRRP child's flags, then stops it. */
async function detachedFlags(tag: string, vip: string, env: NodeJS.ProcessEnv = {}): Promise<{ supervisor: string[]; vrrp: string[] }> {
  const o = d.ours('a', d.conf(`${tag}.conf`, 150, 'MASTER', 3, vip), ['-P'], { detach: true, env });
  const fg = o.child;
  const code = await new Promise<number | null>((r) => fg.on('exit', r));
  assert.equal(code, 0, 'the foreground process exits 0 once the detached daemon is ready');
  const sup = pidIn(o.pidFile)!;
  started.push(sup);
  assert.ok((await waitFor(() => d.hasVip('a', vip), 15_000)) >= 0, `${vip} held`);
  const vrrp = pidIn(o.vrrpPidFile)!;
  const flags = { supervisor: nodeFlags(sup), vrrp: nodeFlags(vrrp) };
  process.kill(sup, 'SIGTERM');
  assert.ok((await waitFor(() => !d.hasVip('a', vip), 15_000)) >= 0, `${vip} released on stop`);
  return flags;
}

test('a detached daemon: supervisor in lite mode, the VRRP child with its own flags only', async () => {
  const f = await detachedFlags('def', '192.0.2.201');
  assert.deepEqual(f.supervisor, ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm']);
  // its small young generation is set at run time (CHILD_RUNTIME_V8_FLAGS), not on the command line (sixth pass)
  assert.deepEqual(f.vrrp, ['--no-memory-reducer', '--v8-pool-size=1']);
});

test('KEEPALIVED_TS_V8_FLAGS replaces the defaults of every process', async () => {
  const f = await detachedFlags('env', '192.0.2.202', { KEEPALIVED_TS_V8_FLAGS: '--max-semi-space-size=2' });
  assert.deepEqual(f.supervisor, ['--max-semi-space-size=2']);
  assert.deepEqual(f.vrrp, ['--max-semi-space-size=2']);
});
