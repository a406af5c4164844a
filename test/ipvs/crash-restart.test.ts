/**
 * Crash and restart with virtual servers in IPVS (issue 16, in the UML guest): our daemon programs a NAT service with
 * persistence, a DR service with inhibit_on_failure, a fwmark TUN service with a sorry server and an IPv6 service;
 * then the supervisor and both children are SIGKILLed (nothing gets to clean up: the IPVS table stays), a real
 * server fails while no daemon runs, and the daemon is started again on the left-over table. Its settled table must
 * equal, byte for byte (`ipvsadm -S -n`, thresholds, timeouts), the table a fresh start on an empty kernel reaches
 * with the same servers up: nothing duplicated, nothing of the dead daemon's left behind, the failed server gone.
 * A stop (SIGTERM) then leaves the table empty.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inGuest, poll, sh } from './harness.js';
import { Daemon, ipvsState, Listeners } from './lvs-daemons.js';

/** delay_loop 1 + connect_timeout 1 + retry 1 × delay_before_retry 1 = 3 s, and the guest's timer tails. */
const STABLE_MS = 3500;
/** A daemon start is several node starts on the guest's one CPU, slow when the host is loaded. */
const START_DEADLINE_MS = 240000;

const tag = `cr${process.pid % 100000}`;
const ns = { rs: `${tag}rs`, dir: `${tag}d` } as const;
const tmp = mkdtempSync('/tmp/kts-crash-ipvs-');
let listeners: Listeners | undefined;
const daemons: Daemon[] = [];

const ENDPOINTS: readonly (readonly [string, number])[] = [
  ['192.0.2.10', 80],
  ['192.0.2.11', 80],
  ['192.0.2.12', 80],
  ['192.0.2.14', 80],
  ['2001:db8::10', 443],
  ['2001:db8::11', 443],
];

before(async () => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: npm run test:ipvs');
  sh(`set -e
    modprobe -a ip_vs ip_vs_wrr ip_vs_rr ip_vs_wlc ip_vs_sh veth bridge ipip
    for n in ${ns.rs} ${ns.dir}; do ip netns add $n; ip -n $n link set lo up; done
    ip -n ${ns.rs} link add lan type bridge; ip -n ${ns.rs} link set lan up
    ip link add ${tag}p2 type veth peer name eth0 netns ${ns.dir}
    ip link set ${tag}p2 netns ${ns.rs}; ip -n ${ns.rs} link set ${tag}p2 master lan up
    ip -n ${ns.dir} addr add 192.0.2.2/24 dev eth0; ip -n ${ns.dir} addr add 2001:db8::2/64 dev eth0 nodad; ip -n ${ns.dir} link set eth0 up
    for h in 192.0.2.10 192.0.2.11 192.0.2.12 192.0.2.14; do ip -n ${ns.rs} addr add $h/24 dev lan; done
    ip -n ${ns.rs} addr add 2001:db8::10/64 dev lan nodad; ip -n ${ns.rs} addr add 2001:db8::11/64 dev lan nodad`);
  listeners = await Listeners.start(ns.rs, 'rs', ENDPOINTS);
});

after(async () => {
  for (const d of daemons) await d.stop();
  await listeners?.stop();
  sh(`for n in ${ns.rs} ${ns.dir}; do ip netns del $n 2>/dev/null; done; true`);
  rmSync(tmp, { recursive: true, force: true });
});

const CHECK = 'TCP_CHECK {\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n        }';
const rs = (addr: string, port: number, weight: number, more = ''): string =>
  `    real_server ${addr} ${port} {\n        weight ${weight}\n${more}        ${CHECK}\n    }\n`;

const CONFIG = `global_defs {
    router_id kts_crash_ipvs
    lvs_timeouts tcp 1000 tcpfin 100 udp 200
}
virtual_server 192.0.2.50 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    persistence_timeout 30
    protocol TCP
${rs('192.0.2.10', 80, 1)}${rs('192.0.2.11', 80, 3, '        uthreshold 100\n        lthreshold 20\n')}}
virtual_server 192.0.2.51 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
${rs('192.0.2.12', 80, 2, '        inhibit_on_failure\n')}${rs('192.0.2.11', 80, 1)}}
virtual_server fwmark 7 {
    delay_loop 1
    lb_algo wlc
    lb_kind TUN
    sorry_server 192.0.2.19 80
${rs('192.0.2.14', 80, 1)}}
virtual_server 2001:db8::50 443 {
    delay_loop 1
    lb_algo sh
    lb_kind DR
    protocol TCP
${rs('2001:db8::10', 443, 1)}${rs('2001:db8::11', 443, 2)}}
`;

/** The director's IPVS state once it is not empty and has held for STABLE_MS. */
async function settled(deadlineMs: number): Promise<string | undefined> {
  let last = ipvsState(ns.dir);
  let since = Date.now();
  return poll(
    () => {
      const s = ipvsState(ns.dir);
      if (s !== last) {
        last = s;
        since = Date.now();
        return undefined;
      }
      return /^-A /m.test(s) && Date.now() - since >= STABLE_MS ? s : undefined;
    },
    deadlineMs,
    250,
  );
}

/** The pids of our supervisor and its children, from the pid files Daemon.start gives them. */
function pids(): number[] {
  return ['ours.pid', 'ours-c.pid', 'ours-v.pid'].flatMap((f) => {
    try {
      const n = Number(readFileSync(join(tmp, f), 'utf8').trim());
      return n > 0 ? [n] : [];
    } catch {
      return [];
    }
  });
}

test('SIGKILL with services in IPVS, a real server failing meanwhile, restart: the same table as a fresh start, then empty after a stop', async (t) => {
  const conf = join(tmp, 'crash.conf');
  writeFileSync(conf, CONFIG);
  const failing = [['192.0.2.11', 80]] as const;
  // 1. a clean start with every server up
  const first = Daemon.start('ours', conf, tmp, ns.dir, ['-C']);
  daemons.push(first);
  const up = await settled(START_DEADLINE_MS);
  assert.ok(up, `settled after start\n${first.log}`);
  assert.match(up, /-a -t 192\.0\.2\.50:80 -r 192\.0\.2\.11:80 -m -w 3/, up);
  // 2. SIGKILL everything: the table stays as it was
  const killed = pids();
  assert.equal(killed.length, 2, `supervisor and checker child (-C): ${killed.join(' ')}`);
  const exited = new Promise((r) => first.child.once('exit', r));
  for (const p of killed) process.kill(p, 'SIGKILL');
  await exited;
  assert.equal(ipvsState(ns.dir), up, 'nothing cleaned up after SIGKILL');
  // 3. a real server fails while no daemon runs; restart on the left-over table
  await listeners!.set('down', failing);
  const second = Daemon.start('ours', conf, tmp, ns.dir, ['-C']);
  daemons.push(second);
  const afterCrash = await poll(
    async () => {
      const s = await settled(30000);
      return s && !/192\.0\.2\.11:80 -m -w [1-9]|-r 192\.0\.2\.11:80/.test(s) ? s : undefined;
    },
    START_DEADLINE_MS,
    250,
  );
  assert.ok(afterCrash, `settled after the restart without 192.0.2.11\n${ipvsState(ns.dir)}\n${second.log}`);
  assert.doesNotMatch(second.log, /File exists|EEXIST|Unknown error/i, second.log);
  // 4. a stop removes everything; a fresh start with the same servers up reaches the same table
  await second.stop();
  assert.equal(ipvsState(ns.dir).match(/^-[Aa] /gm), null, `empty after a stop\n${ipvsState(ns.dir)}`);
  const fresh = Daemon.start('ours', conf, tmp, ns.dir, ['-C']);
  daemons.push(fresh);
  const clean = await poll(
    async () => {
      const s = await settled(30000);
      return s && !/-r 192\.0\.2\.11:80/.test(s) ? s : undefined;
    },
    START_DEADLINE_MS,
    250,
  );
  assert.ok(clean, `fresh start settled\n${fresh.log}`);
  assert.equal(afterCrash, clean, 'the restart on the left-over table equals a fresh start');
  await fresh.stop();
  assert.equal(ipvsState(ns.dir).match(/^-[Aa] /gm), null, 'empty after the second stop');
  await listeners!.set('up', failing);
  t.diagnostic(`table after restart:\n${afterCrash}`);
});
