/**
 * Differential against keepalived 2.2.7 in the same guest: keepalived's checker process programs
 * test/fixtures/ipvs/differential/keepalived.conf (no checkers, so every real server goes in at start), we capture
 * `ipvsadm -S -n`, thresholds and timeouts; keepalived stops; then IpvsBackend programs the same services and the
 * kernel must read the same. The config → service mapping is written out here by hand (the config-driven mapping
 * belongs to the LB runtime); what this proves is that our generic netlink messages leave the kernel in the state
 * keepalived's libipvs leaves it in.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IpvsBackend } from '../../src/lb/ipvs/backend.js';
import type { LbDest, LbService, LbServiceKey } from '../../src/lb/backend.js';
import { inGuest, ipvsadm, poll } from './harness.js';

const root = process.env['KTS_ROOT'] ?? new URL('../../../', import.meta.url).pathname;
const conf = join(root, 'test', 'fixtures', 'ipvs', 'differential', 'keepalived.conf');
const b = new IpvsBackend();
let kad: ChildProcess | undefined;
const tmp = mkdtempSync('/tmp/kts-kad-');

before(async () => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: npm run test:ipvs');
  assert.equal(await b.open(), undefined);
  assert.equal(await b.flush(), undefined);
  assert.equal(await b.setGlobals({ timeouts: { tcpSec: 900, tcpFinSec: 120, udpSec: 300 } }), undefined);
});
after(async () => {
  if (kad?.exitCode === null && kad.pid) process.kill(kad.pid, 'SIGTERM');
  await b.flush();
  await b.setGlobals({ timeouts: { tcpSec: 900, tcpFinSec: 120, udpSec: 300 } });
  await b.close();
  rmSync(tmp, { recursive: true, force: true });
});

const v4 = (address: string, port: number, protocol: 'TCP' | 'UDP' | 'SCTP' = 'TCP'): LbServiceKey => ({
  kind: 'address',
  family: 4,
  protocol,
  address,
  port,
});
const d = (address: string, port: number, method: LbDest['method'], weight: number, more: Partial<LbDest> = {}): LbDest => ({
  family: address.includes(':') ? 6 : 4,
  address,
  port,
  method,
  weight,
  uthreshold: 0,
  lthreshold: 0,
  ...more,
});

/** keepalived.conf, by hand, as the LB runtime will translate it. */
const plan: { svc: LbService; dests: LbDest[] }[] = [
  {
    svc: { key: v4('192.0.2.1', 80), scheduler: 'wrr', flags: 0, timeoutSec: 50, netmaskBits: 24 },
    dests: [d('192.0.2.10', 80, 'NAT', 1), d('192.0.2.11', 8080, 'NAT', 3, { uthreshold: 100, lthreshold: 20 })],
  },
  {
    svc: { key: v4('192.0.2.2', 53, 'UDP'), scheduler: 'sh', flags: 0x04 | 0x08 | 0x10, timeoutSec: 0, netmaskBits: 32 },
    dests: [d('192.0.2.20', 53, 'DR', 2)],
  },
  {
    svc: { key: { kind: 'fwmark', family: 4, fwmark: 5 }, scheduler: 'wlc', flags: 0, timeoutSec: 0, netmaskBits: 32 },
    dests: [
      d('192.0.2.30', 0, 'TUN', 4, { tunnelType: 'ipip' }),
      d('192.0.2.31', 0, 'TUN', 1, { tunnelType: 'gue', tunnelPort: 6080, tunnelChecksum: 'csum' }),
    ],
  },
  {
    svc: {
      key: { kind: 'address', family: 6, protocol: 'TCP', address: '2001:db8::1', port: 443 },
      scheduler: 'lc',
      flags: 0,
      timeoutSec: 300,
      netmaskBits: 64,
    },
    dests: [d('2001:db8::10', 443, 'DR', 1), d('2001:db8::11', 443, 'DR', 0)],
  },
  {
    svc: { key: v4('192.0.2.3', 3868, 'SCTP'), scheduler: 'rr', flags: 0, timeoutSec: 0, netmaskBits: 32 },
    dests: [d('192.0.2.40', 3868, 'TUN', 1, { tunnelType: 'gre' })],
  },
];

interface Snapshot {
  rules: string;
  thresholds: string;
  timeouts: string;
}
const snap = (): Snapshot => ({ rules: ipvsadm('-S', '-n'), thresholds: ipvsadm('-Ln', '--thresholds'), timeouts: ipvsadm('-L', '--timeout') });
const expectedLines = 13; // 5 services + 8 destinations: keepalived is done when all are there
let theirs: Snapshot | undefined;

test('keepalived 2.2.7 (checker process only) programs the differential config', async () => {
  kad = spawn('/usr/sbin/keepalived', ['-C', '-n', '-l', '-f', conf, '-p', join(tmp, 'k.pid'), '-c', join(tmp, 'c.pid'), '-r', join(tmp, 'v.pid')], {
    stdio: 'ignore',
  });
  const s = await poll(
    () => {
      const x = snap();
      return x.rules.split('\n').filter(Boolean).length >= expectedLines ? x : undefined;
    },
    30000,
    300,
  );
  assert.ok(s, `keepalived did not program every service: ${ipvsadm('-S', '-n')}`);
  theirs = snap(); // once more: nothing may still be arriving
  assert.deepEqual(theirs, s);
  process.kill(kad.pid!, 'SIGTERM');
  await once(kad, 'exit');
  assert.equal(await b.flush(), undefined); // keepalived removes its services on exit; be sure either way
  assert.equal(await b.setGlobals({ timeouts: { tcpSec: 900, tcpFinSec: 120, udpSec: 300 } }), undefined);
});

test('IpvsBackend programs the same services: ipvsadm -S -n, --thresholds and --timeout read identically', async () => {
  assert.ok(theirs, 'keepalived run first');
  for (const p of plan) {
    assert.equal(await b.addService(p.svc), undefined);
    for (const x of p.dests) assert.equal(await b.addDest(p.svc.key, x), undefined);
  }
  assert.equal(await b.setGlobals({ timeouts: { tcpSec: 1000, tcpFinSec: 100, udpSec: 200 } }), undefined);
  assert.deepEqual(snap(), theirs);
});
