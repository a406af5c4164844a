/**
 * NftBackend without a kernel: a fake nft records the scripts. One transaction per event-loop turn; a failed one
 * leaves the model as it was (the next change is rendered against what the kernel still holds); refusals name
 * the option; notices are returned once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LbDest, LbService, LbServiceKey } from '../../../src/lb/backend.js';
import { NftBackend, type NftExec } from '../../../src/lb/nft/backend.js';

const key: LbServiceKey = { kind: 'address', family: 4, protocol: 'TCP', address: '203.0.113.10', port: 80 };
const svc = (scheduler = 'wrr'): LbService => ({ key, scheduler, flags: 0, timeoutSec: 0, netmaskBits: 32 });
const rs = (last: number, weight = 1, extra: Partial<LbDest> = {}): LbDest => ({
  family: 4,
  address: `192.0.2.${last}`,
  port: 8080,
  method: 'NAT',
  weight,
  uthreshold: 0,
  lthreshold: 0,
  ...extra,
});

/** A fake nft: records `-f` scripts, fails the next one when asked, echoes a handle for new scheduling rules. */
function fakeNft() {
  const scripts: string[] = [];
  let failNext = false;
  const exec: NftExec = async (args, stdin) => {
    if (args[0] === 'list' || args.includes('list'))
      return { code: args.includes('ids') ? 1 : 0, stdout: '{"nftables": []}', stderr: 'No such file or directory' };
    scripts.push(stdin ?? '');
    if (failNext) {
      failNext = false;
      return { code: 1, stdout: '', stderr: 'Error: Could not process rule: No such file or directory\nadd element x\n  ^^^' };
    }
    const stdout = (stdin ?? '')
      .split('\n')
      .filter((l) => /^add rule .* map @sched_\d+$/.test(l))
      .map((l) => `${l} # handle 42`)
      .join('\n');
    return { code: 0, stdout, stderr: '' };
  };
  return {
    exec,
    scripts,
    failOnce: () => {
      failNext = true;
    },
  };
}

test('calls of one turn are one transaction; the modulus of a new rule is final; a later weight change replaces it by handle', async () => {
  const f = fakeNft();
  const lb = new NftBackend({ exec: f.exec });
  assert.equal(await lb.open(), undefined);
  f.scripts.length = 0;
  assert.deepEqual(await Promise.all([lb.addService(svc()), lb.addDest(key, rs(11, 1)), lb.addDest(key, rs(12, 2))]), [
    undefined,
    undefined,
    undefined,
  ]);
  assert.equal(f.scripts.length, 1);
  assert.match(f.scripts[0]!, /^add rule inet keepalived_ts_lb vs_1 ct mark 0 ct mark set numgen inc mod 3 map @sched_1$/m);
  assert.match(f.scripts[0]!, /^add element inet keepalived_ts_lb sched_1 \{ 0 : 2, 1-2 : 3 \}$/m);
  assert.equal(await lb.editDest(key, rs(12, 3)), undefined);
  assert.deepEqual(f.scripts[1]!.trim().split('\n'), [
    'delete element inet keepalived_ts_lb ids { 3 }',
    'add element inet keepalived_ts_lb ids { 3 comment "d 3 1 4 192.0.2.12 8080 NAT 3 0 0" }',
    'delete element inet keepalived_ts_lb sched_1 { 1-2 }',
    'add element inet keepalived_ts_lb sched_1 { 1-3 : 3 }',
    'replace rule inet keepalived_ts_lb vs_1 handle 42 ct mark 0 ct mark set numgen inc mod 4 map @sched_1',
  ]);
});

test('a failed transaction fails every call in it and leaves the model: the retry renders the same change', async () => {
  const f = fakeNft();
  const lb = new NftBackend({ exec: f.exec });
  await lb.open();
  await Promise.all([lb.addService(svc('rr')), lb.addDest(key, rs(11))]);
  f.failOnce();
  const [a, b] = await Promise.all([lb.addDest(key, rs(12)), lb.addDest(key, rs(13))]);
  assert.equal(a?.code, 'LB_KERNEL');
  assert.equal(a?.message, 'nft: Error: Could not process rule: No such file or directory: add element x');
  assert.deepEqual(b, a);
  const failed = f.scripts.at(-1)!;
  assert.equal(await lb.addDest(key, rs(12)), undefined);
  assert.match(f.scripts.at(-1)!, /sched_1 \{ 1 : \d+ \}/, 'the slot added again, as the kernel never got it');
  assert.ok(failed.includes('192.0.2.13') && !f.scripts.at(-1)!.includes('192.0.2.13'));
  const list = await lb.list();
  assert.ok(Array.isArray(list) && list[0]!.dests.length === 2);
});

test('refusals name the option; EEXIST/ENOENT as IPVS words them; notices are handed out once', async () => {
  const f = fakeNft();
  const lb = new NftBackend({ exec: f.exec });
  await lb.open();
  assert.equal(await lb.addService(svc('lblc')), undefined);
  assert.deepEqual(
    lb.takeNotices().map((n) => n.text),
    [
      '[203.0.113.10]:tcp:80: scheduler lblc: locality-based least-connection needs live per-server connection counts, which nftables cannot compare; scheduling as dh instead',
    ],
  );
  assert.deepEqual(lb.takeNotices(), []);
  assert.equal((await lb.addService(svc()))?.code, 'LB_EXISTS');
  assert.equal((await lb.delDest(key, rs(99)))?.code, 'LB_NOT_FOUND');
  const refused = async (d: LbDest) => (await lb.addDest(key, d))?.message;
  assert.match((await refused(rs(11, 1, { method: 'TUN' })))!, /lvs_method TUN/);
  assert.match((await refused(rs(11, 1, { lthreshold: 2 })))!, /lthreshold/);
  assert.equal((await lb.addDest(key, rs(11, 1, { method: 'DR' })))?.code, 'LB_UNAVAILABLE', 'DR without a link source');
  assert.equal(await lb.addDest(key, rs(11)), undefined);
  assert.match((await refused(rs(12, 1, { method: 'DR' })))!, /lvs_method DR mixed with NAT in one virtual server/);
  assert.match((await lb.addService({ ...svc(), key: { ...key, port: 81 }, persistenceEngine: 'sip' }))!.message, /persistence_engine sip/);
  assert.match((await lb.addService({ ...svc('nonesuch'), key: { ...key, port: 82 } }))!.message, /lvs_sched nonesuch/);
  assert.match((await lb.setGlobals({ timeouts: { tcpSec: 900 } }))!.message, /^lvs_timeouts/);
  assert.equal(await lb.setGlobals({}), undefined);
});
