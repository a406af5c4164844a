/**
 * `lvs_sync_daemon` through the daemons in the UML guest, keepalived 2.2.7 beside ours as peer and oracle; the
 * kernel's own list (`ipvsadm -L --daemon`, per namespace) is what is compared.
 * - Bound to a vrrp_instance (VI_1): the daemon follows the instance — a backup daemon while BACKUP, a master
 *   daemon (the backup one stopped) once MASTER, back to backup when preempted, nothing after stop; keepalived's
 *   list in the same state reads the same.
 * - Bound to no instance: the checker runs a master and a backup daemon from start to stop, as keepalived's does.
 * Two namespaces on a veth pair; everything started and stopped by PID.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inGuest, poll, sh } from './harness.js';
import { Daemon, nsExec, type Impl } from './lvs-daemons.js';

const tag = `sd${process.pid % 100000}`;
const ns = { ours: `${tag}o`, keepalived: `${tag}k` } as const;
const tmp = mkdtempSync('/tmp/kts-syncd-');
const daemons: Daemon[] = [];

before(() => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: npm run test:ipvs');
  sh(`set -e
    modprobe -a ip_vs veth
    for n in ${ns.ours} ${ns.keepalived}; do ip netns add $n; ip -n $n link set lo up; done
    ip -n ${ns.ours} link add eth0 type veth peer name eth0 netns ${ns.keepalived}
    ip -n ${ns.ours} addr add 192.0.2.2/24 dev eth0; ip -n ${ns.ours} link set eth0 up
    ip -n ${ns.keepalived} addr add 192.0.2.3/24 dev eth0; ip -n ${ns.keepalived} link set eth0 up`);
});

after(async () => {
  for (const d of daemons) await d.stop();
  sh(`for n in ${ns.ours} ${ns.keepalived}; do ip netns del $n 2>/dev/null; done; true`);
  rmSync(tmp, { recursive: true, force: true });
});

const daemonsIn = (n: string): string => nsExec(n, ['ipvsadm', '-L', '--daemon']);
const SYNCD = 'lvs_sync_daemon eth0 VI_1 maxlen 1400 port 8850 ttl 2 group 224.0.0.82';
const MASTER = 'master sync daemon (mcast=eth0, syncid=51, maxlen=1400, group=224.0.0.82, port=8850, ttl=2)\n';
const BACKUP = 'backup sync daemon (mcast=eth0, syncid=51, maxlen=1400, group=224.0.0.82, port=8850, ttl=2)\n';

function vrrpConf(name: string, prio: number, syncd = SYNCD): string {
  const f = join(tmp, name);
  writeFileSync(
    f,
    `global_defs {\n  router_id ${name}\n  ${syncd}\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority ${prio}\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`,
  );
  return f;
}

function start(impl: Impl, conf: string, n: string, extra: string[] = []): Daemon {
  const dir = mkdtempSync(join(tmp, `${impl}-`));
  const d = Daemon.start(impl, conf, dir, n, extra);
  daemons.push(d);
  return d;
}

/** Waits until `n`'s daemon list reads `want`; fails with what it read. */
async function expectDaemons(n: string, want: string, ms: number, what: string): Promise<void> {
  let last = '';
  const ok = await poll(() => ((last = daemonsIn(n)) === want ? true : undefined), ms, 250);
  assert.ok(ok, `${what}: ${n} has\n${last}\nwanted\n${want}`);
}

test('lvs_sync_daemon bound to VI_1: backup daemon while BACKUP, master daemon while MASTER, as keepalived 2.2.7', { timeout: 300_000 }, async () => {
  // keepalived (priority 200) is MASTER first; ours (100) joins as BACKUP
  const k = start('keepalived', vrrpConf('k.conf', 200), ns.keepalived, ['-P']);
  await expectDaemons(ns.keepalived, MASTER, 30_000, 'keepalived as MASTER');
  const o = start('ours', vrrpConf('o.conf', 100), ns.ours, ['-P']);
  await expectDaemons(ns.ours, BACKUP, 60_000, 'ours as BACKUP');
  // keepalived stops: ours takes over, its backup daemon replaced by a master daemon
  await k.stop();
  assert.equal(daemonsIn(ns.keepalived), '', 'keepalived stopped its daemon');
  await expectDaemons(ns.ours, MASTER, 30_000, 'ours as MASTER');
  // keepalived comes back with the higher priority and preempts: ours back to a backup daemon
  const k2 = start('keepalived', vrrpConf('k.conf', 200), ns.keepalived, ['-P']);
  await expectDaemons(ns.keepalived, MASTER, 30_000, 'keepalived preempting');
  await expectDaemons(ns.ours, BACKUP, 30_000, 'ours preempted');
  // stop: no daemon left behind
  await o.stop();
  assert.equal(daemonsIn(ns.ours), '', `ours left a daemon:\n${o.log}`);
  await k2.stop();
});

test('lvs_sync_daemon without an instance: the checker runs master and backup daemons, as keepalived 2.2.7', { timeout: 300_000 }, async () => {
  const conf = (name: string): string => {
    const f = join(tmp, name);
    writeFileSync(
      f,
      `global_defs {\n  router_id ${name}\n  lvs_sync_daemon eth0 id 7\n}\nvirtual_server 192.0.2.50 80 {\n  delay_loop 5\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 192.0.2.9 80 {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n`,
    );
    return f;
  };
  const both =
    'master sync daemon (mcast=eth0, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n' +
    'backup sync daemon (mcast=eth0, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n';
  const k = start('keepalived', conf('kc.conf'), ns.keepalived, ['-C']);
  const o = start('ours', conf('oc.conf'), ns.ours, ['-C']);
  let kept = '';
  assert.ok(await poll(() => ((kept = daemonsIn(ns.keepalived)).split('\n').length === 3 ? true : undefined), 30_000, 250), `keepalived: ${kept}`);
  await expectDaemons(ns.ours, kept, 60_000, "ours as keepalived's");
  assert.equal(kept.replace(/maxlen=\d+/g, 'maxlen=1472'), both);
  await o.stop();
  await k.stop();
  assert.equal(daemonsIn(ns.ours), '', `ours left a daemon:\n${o.log}`);
  assert.equal(daemonsIn(ns.keepalived), '');
});
