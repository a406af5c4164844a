/**
 * The bundled build (scripts/bundle.mjs, what the `keepalived-ts` bin runs) as a daemon on the real kernel: the
 * supervisor re-executes the bundle for its children, the VRRP child loads its runtime from the bundle's chunks,
 * takes the address as master against keepalived 2.2.7 at a lower priority, and stops cleanly on SIGTERM. Started
 * through the `keepalived-ts` bin with `-n`, the supervisor runs with the detached supervisor's V8 flags and the VRRP
 * child without them (issue 17).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Topology } from '../harness/topology.js';
import { BUNDLED_CLI, Daemons, pidIn, stop, waitFor } from '../harness/daemons.js';
import { defaultV8Flags } from '../../../src/daemon/v8-flags.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const d = Daemons.inTempDir(topo, 'kts-bundle-', BUNDLED_CLI);
/** The `keepalived-ts` bin (a sh wrapper around the bundle), run with this node first in PATH. */
const viaBin = new Daemons(topo, d.dir, `${dirname(BUNDLED_CLI)}/keepalived-ts`);
after(() => {
  topo.destroy();
  d.removeDir();
});

test('the bundle runs the daemon: its VRRP child is the bundle re-executed, preempts keepalived, releases on stop', async () => {
  const k = d.keepalived('a', d.conf('k.conf', 100, 'BACKUP', 3, '192.0.2.191'));
  const o = d.ours('b', d.conf('o.conf', 150, 'BACKUP', 3, '192.0.2.191'));
  try {
    assert.ok((await waitFor(() => d.hasVip('b', '192.0.2.191'), 15_000)) >= 0, `ours holds the VIP\n${o.log()}`);
    assert.equal(d.hasVip('a', '192.0.2.191'), false, 'keepalived backed off');
    const vrrp = pidIn(o.vrrpPidFile)!;
    const argv = readFileSync(`/proc/${vrrp}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes(BUNDLED_CLI) && argv.includes('--ts-child=vrrp'), argv.join(' '));
    await stop(o.child);
    assert.equal(o.child.exitCode, 0, o.log());
    assert.equal(d.hasVip('b', '192.0.2.191'), false, 'released on stop');
    assert.ok((await waitFor(() => d.hasVip('a', '192.0.2.191'), 10_000)) >= 0, 'keepalived took over');
  } finally {
    await stop(o.child);
    await stop(k.child);
  }
});

test('through the bin, a -n start gives the supervisor its V8 flags and the VRRP child its own', async () => {
  const o = viaBin.ours('b', d.conf('bin.conf', 150, 'MASTER', 3, '192.0.2.192'), [], {
    env: { PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
  });
  try {
    assert.ok((await waitFor(() => d.hasVip('b', '192.0.2.192'), 15_000)) >= 0, `ours holds the VIP\n${o.log()}`);
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const supervisor = cmdline(o.child.pid!); // the bin exec'd node: the same process
    const flags = defaultV8Flags('supervisor', {});
    assert.deepEqual(supervisor.slice(1, 1 + flags.length), flags, supervisor.join(' '));
    assert.equal(supervisor[1 + flags.length], BUNDLED_CLI);
    const child = cmdline(pidIn(o.vrrpPidFile)!);
    assert.deepEqual(child.slice(1, child.indexOf(BUNDLED_CLI)), defaultV8Flags('vrrp', {}), child.join(' '));
    await stop(o.child);
    assert.equal(o.child.exitCode, 0, o.log());
  } finally {
    await stop(o.child);
  }
});
