/**
 * Differential through the daemons: keepalived 2.2.7 and keepalived-ts run side by side in the guest, each in a
 * director namespace of its own (IPVS tables are per namespace), both on the same configuration, both health
 * checking the same real servers (node listeners in one namespace behind a bridge). For each configuration the
 * kernel state — `ipvsadm -S -n`, `-Ln --thresholds`, `-L --timeout` — must read identically
 *   (a) after start, (b) after real servers fail (their listeners stop), (c) after they recover, and
 *   (d) after a reload (SIGHUP) that adds, removes and reweights.
 * keepalived leads: a phase is over for it when its state changed and then stayed unchanged for STABLE_MS
 * (longer than delay_loop + connect_timeout + retry × delay_before_retry); ours must then reach the same state
 * before a deadline. Configurations: the seed LVS-TUN director (interfaces and addresses rewritten, checker
 * timings made small) and one covering every lb_kind, fwmark, a group, IPv6, persistence, a sorry server,
 * inhibit_on_failure and quorum.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inGuest, poll, sh } from './harness.js';
import { Daemon, ipvsState, Listeners, seedLvsConfig, type Impl } from './lvs-daemons.js';
import { rewriteSeedConfig } from '../netns/harness/seed-rewrite.js';

/** delay_loop 1 + connect_timeout 1 + retry 1 × delay_before_retry 1 = 3 s, and the guest's timer tails. */
const STABLE_MS = 3500;
/** How long ours may take to reach keepalived's state (a daemon start is several node starts in the guest). */
const START_DEADLINE_MS = 90000;
const PHASE_DEADLINE_MS = 20000;

const tag = `dd${process.pid % 100000}`;
const ns = { rs: `${tag}rs`, keepalived: `${tag}k`, ours: `${tag}o` } as const;
const tmp = mkdtempSync('/tmp/kts-ddiff-');
let listeners: Listeners | undefined;
const daemons: Daemon[] = [];

const V4 = (n: number): readonly [string, number] => [`192.0.2.${n}`, 80];
const ENDPOINTS: readonly (readonly [string, number])[] = [
  ...[10, 11, 12, 13, 14, 15, 16, 17, 18, 92, 93, 94].map(V4),
  ['2001:db8::10', 443],
  ['2001:db8::11', 443],
];

before(async () => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: npm run test:ipvs');
  sh(`set -e
    modprobe -a ip_vs ip_vs_wrr ip_vs_rr ip_vs_wlc ip_vs_lc ip_vs_sh veth bridge ipip
    for n in ${ns.rs} ${ns.keepalived} ${ns.ours}; do ip netns add $n; ip -n $n link set lo up; done
    ip -n ${ns.rs} link add lan type bridge; ip -n ${ns.rs} link set lan up
    i=2
    for d in ${ns.keepalived} ${ns.ours}; do
      ip link add ${tag}p$i type veth peer name eth0 netns $d
      ip link set ${tag}p$i netns ${ns.rs}; ip -n ${ns.rs} link set ${tag}p$i master lan up
      ip -n $d addr add 192.0.2.$i/24 dev eth0; ip -n $d addr add 2001:db8::$i/64 dev eth0 nodad; ip -n $d link set eth0 up
      i=$((i+1))
    done
    for h in ${ENDPOINTS.filter(([a]) => !a.includes(':'))
      .map(([a]) => a)
      .join(' ')}; do ip -n ${ns.rs} addr add $h/24 dev lan; done
    ip -n ${ns.rs} addr add 2001:db8::10/64 dev lan nodad; ip -n ${ns.rs} addr add 2001:db8::11/64 dev lan nodad`);
  listeners = await Listeners.start(ns.rs, 'rs', ENDPOINTS);
});

after(async () => {
  for (const d of daemons) await d.stop();
  await listeners?.stop();
  sh(`for n in ${ns.rs} ${ns.keepalived} ${ns.ours}; do ip netns del $n 2>/dev/null; done; true`);
  rmSync(tmp, { recursive: true, force: true });
});

const CHECK = 'TCP_CHECK {\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n        }';
const rs = (addr: string, port: number, weight: number, more = ''): string =>
  `    real_server ${addr} ${port} {\n        weight ${weight}\n${more}        ${CHECK}\n    }\n`;

/** Every lb_kind, fwmark, a group, IPv6, persistence, a sorry server, inhibit_on_failure, quorum. */
function cover(reloaded: boolean): string {
  return `global_defs {
    router_id kts_daemon_diff
    lvs_timeouts tcp 1000 tcpfin 100 udp 200
}
virtual_server_group G1 {
    192.0.2.60-62 80
}
virtual_server 192.0.2.50 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    persistence_timeout 30
    persistence_granularity 255.255.255.0
    protocol TCP
${reloaded ? rs('192.0.2.11', 80, 5) + rs('192.0.2.17', 80, 2) : rs('192.0.2.10', 80, 1) + rs('192.0.2.11', 80, 3, '        uthreshold 100\n        lthreshold 20\n')}}
${
  reloaded
    ? `virtual_server 192.0.2.52 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
${rs('192.0.2.18', 80, 1)}}`
    : `virtual_server 192.0.2.51 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
${rs('192.0.2.12', 80, 2, '        inhibit_on_failure\n')}${rs('192.0.2.13', 80, 1)}}`
}
virtual_server fwmark 7 {
    delay_loop 1
    lb_algo wlc
    lb_kind TUN
    sorry_server 192.0.2.19 80
${rs('192.0.2.14', 80, 1)}}
virtual_server group G1 {
    delay_loop 1
    lb_algo lc
    lb_kind DR
    protocol TCP
    quorum 2
${rs('192.0.2.15', 80, 1)}${rs('192.0.2.16', 80, 1)}}
virtual_server 2001:db8::50 443 {
    delay_loop 1
    lb_algo sh
    lb_kind DR
    persistence_timeout 120
    protocol TCP
${rs('2001:db8::10', 443, 1)}${rs('2001:db8::11', 443, reloaded ? 4 : 1)}}
`;
}

/** The seed LVS-TUN director with interfaces/addresses rewritten and checker timings made small. */
function seed(reloaded: boolean): string {
  let t = seedLvsConfig('lvs-tun-dr01-master.conf', (x) => rewriteSeedConfig(x, { ifname: 'eth0' }).text);
  if (reloaded) {
    // reweight .92, remove .93, add .94
    t = t.replace(/(real_server 192\.0\.2\.92 80 \{\s*weight) 1/, '$1 3').replace('real_server 192.0.2.93 80', 'real_server 192.0.2.94 80');
  }
  return t;
}

interface Phase {
  readonly name: string;
  readonly act: (ds: readonly Daemon[]) => Promise<void>;
}

/** keepalived's state once it changed from `prev` and then held for STABLE_MS. */
async function settled(prev: string | undefined, deadlineMs: number): Promise<string | undefined> {
  let last = ipvsState(ns.keepalived);
  let since = Date.now();
  return poll(
    () => {
      const s = ipvsState(ns.keepalived);
      if (s !== last) {
        last = s;
        since = Date.now();
        return undefined;
      }
      return s !== prev && !/^# thresholds/.test(s) && Date.now() - since >= STABLE_MS ? s : undefined;
    },
    deadlineMs,
    250,
  );
}

/** Runs both daemons through the phases; returns every disagreement (empty when ours matched each time). */
async function differential(name: string, text: (reloaded: boolean) => string, failing: readonly (readonly [string, number])[]): Promise<string[]> {
  const confs = { keepalived: join(tmp, `${name}-k.conf`), ours: join(tmp, `${name}-o.conf`) };
  for (const f of Object.values(confs)) writeFileSync(f, text(false));
  const ds = (['keepalived', 'ours'] as Impl[]).map((impl) => {
    const d = Daemon.start(impl, confs[impl], tmp, ns[impl], ['-C']);
    daemons.push(d);
    return d;
  });
  const phases: Phase[] = [
    { name: 'start', act: async () => {} },
    { name: 'real servers fail', act: async () => listeners!.set('down', failing) },
    { name: 'real servers recover', act: async () => listeners!.set('up', failing) },
    {
      name: 'reload (add, remove, reweight)',
      act: async (xs) => {
        for (const f of Object.values(confs)) writeFileSync(f, text(true));
        for (const d of xs) d.reload();
      },
    },
  ];
  const problems: string[] = [];
  let prev: string | undefined;
  for (const [i, p] of phases.entries()) {
    await p.act(ds);
    const theirs = await settled(prev, i === 0 ? START_DEADLINE_MS : 30000);
    if (theirs === undefined) {
      problems.push(`${name}/${p.name}: keepalived did not settle:\n${ipvsState(ns.keepalived)}`);
      break;
    }
    const ours = await poll(
      () => {
        const s = ipvsState(ns.ours);
        return s === theirs ? s : undefined;
      },
      i === 0 ? START_DEADLINE_MS : PHASE_DEADLINE_MS,
      250,
    );
    const now = ipvsState(ns.ours);
    if (ours === undefined || now !== theirs) {
      problems.push(`${name}/${p.name}: ours differs\n--- keepalived\n${theirs}--- ours\n${now}`);
    }
    prev = theirs;
  }
  for (const d of ds) await d.stop();
  if (problems.length) problems.push(`--- our log (${name})\n${ds[1]!.log}`);
  return problems;
}

test('seed LVS-TUN director: keepalived and ours program the same IPVS state at start, on failure, recovery and reload', async () => {
  const problems = await differential('seed', seed, [V4(93)]);
  assert.deepEqual(problems, []);
});

test('every lb_kind, fwmark, group, IPv6, persistence, sorry server, inhibit_on_failure, quorum: the same IPVS state in each phase', async () => {
  const problems = await differential('cover', cover, [V4(11), V4(12), V4(14), V4(15), ['2001:db8::11', 443]]);
  assert.deepEqual(problems, []);
});
