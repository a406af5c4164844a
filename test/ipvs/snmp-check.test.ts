/**
 * KEEPALIVED-MIB's check subtree against the oracle, in the UML guest (IPVS): a private snmpd (master agentx, its
 * AgentX socket in a temp directory, 127.0.0.1:1161) and snmptrapd in a director namespace; keepalived 2.2.7 and
 * then keepalived-ts run the same configuration there (checker process only, `-C`) — an address virtual server
 * with quorum, hysteresis 0, a sorry server, inhibit_on_failure and three real servers (one never listens), a
 * fwmark DR virtual server and a virtual_server_group of a range, an address and a fwmark — health-checking node
 * listeners in a real-server namespace behind a bridge. For each daemon: 20 HTTP connections go through the VIP
 * from a client namespace (IPVS NAT, so the statistics columns count something), the whole KEEPALIVED-MIB is walked,
 * a real server's listener stops (the quorum falls, the sorry server goes in), it is walked again, and the
 * daemon stops. Both walks and the notifications at start, on the failure and at shut-down must agree. Before the
 * stop, SNMP SETs of realServerWeight (keepalived's check_snmp_realserver_weight): a weight that brings the quorum
 * back, the sorry server's row, a row that does not exist, 300 and -1 (the first byte), a string, a failed server, a
 * read-only column; the answers, realServerWeight and the IPVS table (`ipvsadm -Ln`) afterwards, after the failed
 * server comes back (it keeps the weight set) and after a reload (the configured weights again) must agree too.
 *
 * Run alone: `scripts/ipvs-vm -t 1800 -- node --test dist/test/ipvs/snmp-check.test.js` (2-8 min with the guest's boot).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inGuest, poll, sh } from './harness.js';
import { Client, Daemon, Listeners, type Impl } from './lvs-daemons.js';
import { traps as snmpTraps } from '../netns/snmp/traps.js';

const tag = `sc${process.pid % 100000}`;
const ns = { rs: `${tag}rs`, dir: `${tag}d`, client: `${tag}c` } as const;
const tmp = mkdtempSync('/tmp/kts-snmpchk-');
const agentx = join(tmp, 'agentx.sock');
const started: ChildProcess[] = [];
let listeners: Listeners | undefined;
let client: Client | undefined;
const daemons: Daemon[] = [];

const ENDPOINTS: readonly (readonly [string, number])[] = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.14', '192.0.2.19'].map(
  (a) => [a, 80] as const,
);
const FAILING: readonly [string, number] = ['192.0.2.11', 80];

before(async () => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: scripts/ipvs-vm -- node --test dist/test/ipvs/snmp-check.test.js');
  sh(`set -e
    modprobe -a ip_vs ip_vs_wrr ip_vs_rr ip_vs_wlc veth bridge
    for n in ${ns.rs} ${ns.dir} ${ns.client}; do ip netns add $n; ip -n $n link set lo up; done
    ip -n ${ns.rs} link add lan type bridge; ip -n ${ns.rs} link set lan up
    ip link add ${tag}p type veth peer name eth0 netns ${ns.dir}
    ip link set ${tag}p netns ${ns.rs}; ip -n ${ns.rs} link set ${tag}p master lan up
    ip -n ${ns.dir} addr add 192.0.2.2/24 dev eth0; ip -n ${ns.dir} link set eth0 up
    ip -n ${ns.dir} addr add 192.0.2.50/32 dev lo
    ip link add ${tag}c type veth peer name eth0 netns ${ns.client}
    ip link set ${tag}c netns ${ns.dir}; ip -n ${ns.dir} addr add 198.51.100.1/24 dev ${tag}c; ip -n ${ns.dir} link set ${tag}c up
    ip -n ${ns.client} addr add 198.51.100.2/24 dev eth0; ip -n ${ns.client} link set eth0 up
    ip -n ${ns.client} route add default via 198.51.100.1
    ip netns exec ${ns.dir} sysctl -qw net.ipv4.ip_forward=1
    for h in ${ENDPOINTS.map(([a]) => a).join(' ')}; do ip -n ${ns.rs} addr add $h/24 dev lan; done
    ip -n ${ns.rs} route add default via 192.0.2.2`);
  listeners = await Listeners.start(ns.rs, 'rs', ENDPOINTS);
  client = await Client.start(ns.client, '192.0.2.50', 80);
  const conf = join(tmp, 'snmpd.conf');
  writeFileSync(
    conf,
    `master agentx\nagentXSocket unix:${agentx}\nagentXPerms 0700 0700\nrocommunity public\nrwcommunity private\ntrap2sink 127.0.0.1:16200 public\n`,
  );
  started.push(
    spawnIn(ns.dir, '/usr/sbin/snmpd', ['-f', '-C', '-c', conf, '-Lf', join(tmp, 'snmpd.log'), '-p', join(tmp, 'snmpd.pid'), 'udp:127.0.0.1:1161']),
  );
  assert.ok(await poll(() => (existsSync(agentx) ? true : undefined), 30000), readText(join(tmp, 'snmpd.log')));
});

after(async () => {
  for (const d of daemons) await d.stop();
  for (const c of started) if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
  await client?.stop();
  await listeners?.stop();
  sh(`for n in ${ns.rs} ${ns.dir} ${ns.client}; do ip netns del $n 2>/dev/null; done; true`);
  rmSync(tmp, { recursive: true, force: true });
});

function spawnIn(n: string, cmd: string, args: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', n, cmd, ...args], { stdio: 'ignore', env: { ...process.env, MIBS: '' } });
}

function readText(p: string): string {
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

/** Starts snmptrapd writing each notification's objects on one line to `file`. */
async function startTrapd(file: string): Promise<ChildProcess> {
  const conf = join(tmp, 'snmptrapd.conf');
  writeFileSync(conf, 'disableAuthorization yes\n');
  const c = spawnIn(ns.dir, '/usr/sbin/snmptrapd', [
    '-f',
    '-C',
    '-c',
    conf,
    '-On',
    '-Lf',
    file,
    '-F',
    'TRAP %v\\n',
    '-p',
    `${file}.pid`,
    'udp:127.0.0.1:16200',
  ]);
  started.push(c);
  assert.ok(await poll(() => (existsSync(`${file}.pid`) ? true : undefined), 30000), 'snmptrapd started');
  return c;
}

async function stopProc(c: ChildProcess): Promise<void> {
  if (!c.pid || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  process.kill(c.pid, 'SIGTERM');
  await gone;
}

/** An snmp tool in the director namespace (bounded: a walk is ~500 round trips through the slow guest). */
const snmp = (tool: string, ...args: string[]): string =>
  execFileSync('ip', ['netns', 'exec', ns.dir, tool, '-v2c', '-c', 'public', '-On', '-r', '2', '-t', '5', '127.0.0.1:1161', ...args], {
    encoding: 'utf8',
    env: { ...process.env, MIBS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
    killSignal: 'SIGKILL',
  });

/** snmpset (community private) of one object: its answer, stdout and stderr, the exit status left out. */
function snmpset(oid: string, type: string, value: string): string {
  try {
    return execFileSync(
      'ip',
      ['netns', 'exec', ns.dir, 'snmpset', '-v2c', '-c', 'private', '-On', '-r', '1', '-t', '5', '127.0.0.1:1161', oid, type, value],
      {
        encoding: 'utf8',
        env: { ...process.env, MIBS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
        killSignal: 'SIGKILL',
      },
    ).trim();
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return `${x.stdout ?? ''}${x.stderr ?? ''}`.trim();
  }
}

/** The director's IPVS table as `service | destination forward weight` lines, sorted (counters left out). */
function ipvsTable(): string[] {
  const out = execFileSync('ip', ['netns', 'exec', ns.dir, 'ipvsadm', '-Ln'], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  const lines: string[] = [];
  let service = '';
  for (const l of out.split('\n')) {
    const m = /^(TCP|UDP|FWM)\s+(\S+)/.exec(l);
    if (m) service = `${m[1]} ${m[2]}`;
    const d = /^\s+->\s+(\S+)\s+(\S+)\s+(\d+)/.exec(l);
    if (d && service) lines.push(`${service} | ${d[1]} ${d[2]} ${d[3]}`);
  }
  return lines.sort();
}

const KEEPALIVED = '.1.3.6.1.4.1.9586.100.5';
const CHECK = `${KEEPALIVED}.3`;

/** snmpwalk of KEEPALIVED-MIB (the checker serves `global` and `check`): `OID = TYPE: value` lines. */
function walk(): string[] {
  const t0 = Date.now();
  const lines = snmp('snmpwalk', KEEPALIVED).split('\n').filter(Boolean);
  console.log(`# snmpwalk: ${lines.length} objects in ${Date.now() - t0} ms`);
  return lines;
}

/**
 * Objects whose values legitimately differ; their OID and type must still match.
 * - the version string names the implementation;
 * - IPVS rates (virtualServerRate… and realServerRate…, their 32-bit columns): the kernel's estimator over 2 s
 *   windows, so they depend on when the walk ran after the traffic;
 * - packet and byte counters: the same 20 connections, but a retransmission or a delayed ACK changes a count.
 *   They are range-checked below instead.
 */
const VARYING: readonly { readonly re: RegExp; readonly why: string }[] = [
  { re: /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.1\.1\.0 /, why: 'version string' },
  { re: /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.3\.3\.1\.(3[2-6])\./, why: 'virtual server rates' },
  { re: /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.3\.4\.1\.(2[2-6])\./, why: 'real server rates' },
  { re: /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.3\.3\.1\.(28|29|30|31|39|40)\./, why: 'virtual server packets and bytes' },
  { re: /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.3\.4\.1\.(18|19|20|21|28|29)\./, why: 'real server packets and bytes' },
  // the kernel's connection table: the first daemon's connections are still in TIME_WAIT (2 min) when the second
  // runs, and IPVS gives a re-added destination back its connections from its trash
  { re: /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.3\.4\.1\.(15|16)\./, why: 'real server active and inactive connections' },
];

function comparable(lines: readonly string[]): string[] {
  return lines.map((l) => (VARYING.some((v) => v.re.test(l)) ? l.replace(/=\s*([A-Za-z0-9-]+):.*$/, '= $1: <masked>') : l));
}

/** The value of `oid` in a walk (text after the type), or undefined. */
function valueOf(lines: readonly string[], oid: string): string | undefined {
  const l = lines.find((x) => x.startsWith(`${oid} = `));
  return l?.replace(/^[^=]+= [A-Za-z0-9-]+: /, '');
}

/** Notifications of the check subtree in a snmptrapd log, without sysUpTime. */
function traps(file: string): string[] {
  return snmpTraps(file).filter((t) => t.includes('OID: .1.3.6.1.4.1.9586.100.5.3.5.0.'));
}

const TCP = (port = 80) => `TCP_CHECK {\n      connect_port ${port}\n      connect_timeout 1\n      retry 0\n      delay_before_retry 1\n    }`;

const CONF = `global_defs {
  router_id snmpchk
  enable_snmp_checker
  enable_traps
  snmp_socket unix:${agentx}
  lvs_timeouts tcp 1000 tcpfin 100 udp 200
}
virtual_server_group G1 {
  192.0.2.60-61 80
  192.0.2.70 80
  fwmark 7
}
virtual_server 192.0.2.50 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  quorum 3
  hysteresis 0
  quorum_up "/bin/true up"
  quorum_down "/bin/true down"
  virtualhost www.example.com
  sorry_server 192.0.2.19 80
  real_server 192.0.2.10 80 {
    weight 2
    notify_up "/bin/true rs-up"
    notify_down "/bin/true rs-down"
    ${TCP()}
  }
  real_server 192.0.2.11 80 {
    weight 1
    inhibit_on_failure
    uthreshold 100
    lthreshold 10
    ${TCP()}
  }
  real_server 192.0.2.13 80 {
    weight 1
    ${TCP()}
  }
}
virtual_server fwmark 5 {
  delay_loop 2
  lb_algo rr
  lb_kind DR
  persistence_timeout 30
  real_server 192.0.2.12 80 {
    weight 3
    ${TCP()}
  }
}
virtual_server group G1 {
  delay_loop 1
  lb_algo wlc
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.14 80 {
    ${TCP()}
  }
}
`;

/** realServerStatus of VS 1's real servers: sorry (1), .10 (2), .11 (3), .13 (4). */
const rsStatus = (i: number) => `${CHECK}.4.1.6.1.${i}`;
/** VS 1 quorum status. */
const quorumStatus = `${CHECK}.3.1.23.1`;

/** realServerWeight of row (vs, rs). */
const rsWeight = (vs: number, rs: number) => `${CHECK}.4.1.7.${vs}.${rs}`;

/** The SETs, in order: [what, OID, type, value]. */
const SETS: readonly (readonly [string, string, string, string])[] = [
  ['.10 to 5: the quorum (3) is met again, the sorry server goes out', rsWeight(1, 2), 'i', '5'],
  ["the sorry server's row", rsWeight(1, 1), 'i', '3'],
  ['a row past the end of the table', rsWeight(3, 9), 'i', '3'],
  ['the group real server to 300', rsWeight(3, 1), 'i', '300'],
  ['a string', rsWeight(2, 1), 's', 'abc'],
  ['.11, failed and inhibited, to 7', rsWeight(1, 3), 'i', '7'],
  ['realServerStatus (read-only)', `${CHECK}.4.1.6.1.2`, 'i', '1'],
  ['the fwmark real server to -1', rsWeight(2, 1), 'i', '-1'],
];

/**
 * A row that does not exist, before the last one: keepalived 2.2.7 answers noError and writes the weight of the
 * next row (check_snmp_realserver's exact lookup takes the first row after the index, and net-snmp passes the
 * rewritten index on to the write handler); ours refuses it (notWritable). Not compared: shown.
 */
const SLIP: readonly [string, string, string] = [rsWeight(1, 9), 'i', '6'];

/** What the SETs did: the answers, then realServerWeight and the IPVS table at three moments. */
interface SetRun {
  readonly answers: string[];
  /** The SLIP SET's answer and realServerWeight of the next row (2.1) after it. */
  readonly slip: { readonly answer: string; readonly next: string };
  readonly afterSet: { readonly weights: string[]; readonly ipvs: string[] };
  readonly afterUp: { readonly weights: string[]; readonly ipvs: string[] };
  readonly afterReload: { readonly weights: string[]; readonly ipvs: string[] };
  readonly traps: string[];
}

interface Run {
  readonly first: string[];
  readonly second: string[];
  readonly start: string[];
  readonly failure: string[];
  readonly sets: SetRun;
  readonly shutdown: string[];
  readonly log: string;
}

/** The realServerWeight column (a walk of it). */
const weights = (): string[] => snmp('snmpwalk', `${CHECK}.4.1.7`).split('\n').filter(Boolean);

/**
 * After the failure (quorum down, the sorry server in): the SETs, then the failed server's listener comes back
 * (it is enabled with the weight set), then a reload (SIGHUP: the configured weights come back).
 */
async function runSets(d: Daemon, tl: string, before: number): Promise<SetRun> {
  const answers = SETS.map(([, oid, type, value]) => snmpset(oid, type, value));
  await sleep(2000);
  const afterSet = { weights: weights(), ipvs: ipvsTable() };
  await listeners!.set('up', [FAILING]);
  const up = await poll(() => (snmp('snmpget', rsStatus(3)).includes('INTEGER: 1') ? true : undefined), 60000, 500);
  assert.ok(up, `${d.impl}: .11 did not come back\n${d.log}`);
  await sleep(2000);
  const afterUp = { weights: weights(), ipvs: ipvsTable() };
  const slip = { answer: snmpset(...SLIP), next: snmp('snmpget', rsWeight(2, 1)).trim() };
  d.reload();
  const reloaded = await poll(() => (snmp('snmpget', rsWeight(1, 2)).includes('INTEGER: 2') ? true : undefined), 60000, 500);
  assert.ok(reloaded, `${d.impl}: the reload did not put weight 2 back\n${d.log}`);
  await sleep(3000);
  const afterReload = { weights: weights(), ipvs: ipvsTable() };
  return { answers, slip, afterSet, afterUp, afterReload, traps: traps(tl).slice(before) };
}

async function runOne(impl: Impl): Promise<Run> {
  const conf = join(tmp, `${impl}.conf`);
  writeFileSync(conf, CONF);
  const tl = join(tmp, `traps-${impl}.log`);
  const trapd = await startTrapd(tl);
  const d = Daemon.start(impl, conf, tmp, ns.dir, ['-C']);
  daemons.push(d);
  const get = (oid: string): string => snmp('snmpget', oid);
  // settled: .13 is down (its only check failed), the others up, and the start notifications are in
  const settled = await poll(
    () => {
      try {
        return get(rsStatus(4)).includes('INTEGER: 2') && get(rsStatus(2)).includes('INTEGER: 1') && traps(tl).length >= 4 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    120000,
    500,
  );
  assert.ok(settled, `${impl} did not settle\n${d.log}\n${traps(tl).join('\n')}`);
  await sleep(3000);
  const start = traps(tl);
  const t = await client!.run(20);
  assert.equal(t.failed, 0, JSON.stringify(t));
  // the counters are read at most every 5 s (keepalived's STATS_REFRESH): wait for a reading after the traffic
  await sleep(6000);
  const first = walk();
  await listeners!.set('down', [FAILING]);
  const fell = await poll(() => (get(quorumStatus).includes('INTEGER: 2') && traps(tl).length >= start.length + 2 ? true : undefined), 60000, 500);
  assert.ok(fell, `${impl}: quorum did not fall\n${d.log}\n${traps(tl).join('\n')}`);
  await sleep(2000);
  const second = walk();
  const failure = traps(tl).slice(start.length);
  const sets = await runSets(d, tl, start.length + failure.length);
  await d.stop();
  await sleep(2000);
  const shutdown = traps(tl).slice(start.length + failure.length + sets.traps.length);
  await stopProc(trapd);
  // the master agent drops the session's registrations when the subagent goes
  assert.ok(await poll(() => (snmp('snmpwalk', CHECK).includes('No Such Object') ? true : undefined), 20000, 500));
  return { first, second, start, failure, sets, shutdown, log: d.log };
}

test('KEEPALIVED-MIB check subtree and its notifications: keepalived-ts = keepalived 2.2.7', async () => {
  const k = await runOne('keepalived');
  const o = await runOne('ours');
  const ctx = `\n--- ours log ---\n${o.log}`;
  // the oracle's walk covers what this test is about: every table, a range member, the sorry server row, counters
  const covered = [
    `${CHECK}.1.1.2.1 = STRING: "G1"`,
    `${CHECK}.2.1.2.1.1 = INTEGER: 1`,
    `${CHECK}.2.1.2.1.2 = INTEGER: 3`,
    `${CHECK}.2.1.2.1.3 = INTEGER: 2`,
    `${CHECK}.3.1.2.2 = INTEGER: 1`,
    `${CHECK}.3.1.2.3 = INTEGER: 3`,
    `${CHECK}.4.1.2.1.1 = INTEGER: 2`,
    `${CHECK}.4.1.6.1.4 = INTEGER: 2`,
    `${CHECK}.7.1.0 = INTEGER: 1000`,
  ];
  for (const c of covered) assert.ok(k.first.includes(c), `oracle walk has ${c}\n${k.first.join('\n')}`);
  assert.ok(k.first.length > 300, k.first.join('\n'));
  assert.deepEqual(comparable(o.first), comparable(k.first), `walks after start differ${ctx}`);
  assert.deepEqual(comparable(o.second), comparable(k.second), `walks after the failure differ${ctx}`);
  // the statistics: 20 connections through VS 1 in each run, spread as wrr spreads them; packets and bytes counted
  for (const r of [k, o]) {
    assert.equal(valueOf(r.first, `${CHECK}.3.1.27.1`), '20', 'virtualServerStatsConns');
    assert.equal(valueOf(r.first, `${CHECK}.3.1.38.1`), '20', 'virtualServerStatsConns64');
    const rsConns = [2, 3].map((i) => Number(valueOf(r.first, `${CHECK}.4.1.14.1.${i}`)));
    // this run's connections are all in TIME_WAIT at the walk (earlier runs' may be too: at most one more run's)
    const inact = [2, 3].map((i) => Number(valueOf(r.first, `${CHECK}.4.1.16.1.${i}`)));
    assert.ok(
      inact.every((n, i) => n >= rsConns[i]! && n <= 2 * rsConns[i]!),
      `inactive ${inact} for conns ${rsConns}`,
    );
    assert.equal(rsConns[0]! + rsConns[1]!, 20, `real server conns ${rsConns}`);
    for (const col of [28, 29, 30, 31]) {
      const v = Number(valueOf(r.first, `${CHECK}.3.1.${col}.1`));
      // ≥ 3 packets and ≥ 40 bytes a connection each way, and no more than 100 packets / 100 kB a connection
      assert.ok(v >= (col < 30 ? 60 : 800) && v <= (col < 30 ? 2000 : 2_000_000), `virtual server column ${col}: ${v}`);
    }
  }
  assert.deepEqual(
    [2, 3].map((i) => valueOf(o.first, `${CHECK}.4.1.14.1.${i}`)),
    [2, 3].map((i) => valueOf(k.first, `${CHECK}.4.1.14.1.${i}`)),
    'the same wrr spread',
  );
  // notifications: the start ones as a set (virtual servers settle in their own time), the rest in order
  assert.ok(k.start.length >= 4, k.start.join('\n'));
  assert.deepEqual([...o.start].sort(), [...k.start].sort(), `start notifications differ${ctx}`);
  assert.equal(k.failure.length, 2, k.failure.join('\n'));
  assert.match(k.failure[0]!, /9586\.100\.5\.3\.5\.0\.1 .*4\.1\.4 = Hex-STRING: C0 00 02 0B/);
  assert.match(k.failure[1]!, /9586\.100\.5\.3\.5\.0\.2 .*3\.1\.23 = INTEGER: 2/);
  assert.deepEqual(o.failure, k.failure, `failure notifications differ${ctx}`);
  // SNMP SET of realServerWeight: the same answers, weights and IPVS tables
  const ks = k.sets;
  const os = o.sets;
  console.log(`# SET answers (keepalived):\n${SETS.map(([what], i) => `#   ${what}: ${ks.answers[i]}`).join('\n')}`);
  assert.match(ks.answers[0]!, /= INTEGER: 5$/, ks.answers[0]);
  assert.deepEqual(os.answers, ks.answers, `SET answers differ${ctx}`);
  for (const [when, kw, ow] of [
    ['after the SETs', ks.afterSet, os.afterSet],
    ['after .11 came back', ks.afterUp, os.afterUp],
    ['after the reload', ks.afterReload, os.afterReload],
  ] as const) {
    console.log(
      `# ${when}: realServerWeight ${kw.weights.map((l) => l.replace(/^.* = INTEGER: /, '')).join(' ')}; ipvsadm:\n${kw.ipvs.map((l) => `#   ${l}`).join('\n')}`,
    );
    assert.deepEqual(ow.weights, kw.weights, `realServerWeight ${when} differs${ctx}`);
    assert.deepEqual(ow.ipvs, kw.ipvs, `IPVS table ${when} differs${ctx}`);
  }
  // the oracle did what the test is about: .10 back in the pool with 5, the sorry server out; 300 → 44; -1 → 255;
  // .11 enabled with 7 when it came back; the configured weights after the reload
  assert.ok(ks.afterSet.ipvs.includes('TCP 192.0.2.50:80 | 192.0.2.10:80 Masq 5'), ks.afterSet.ipvs.join('\n'));
  assert.ok(!ks.afterSet.ipvs.some((l) => l.includes('192.0.2.19:80')), ks.afterSet.ipvs.join('\n'));
  assert.ok(ks.afterSet.weights.includes(`${rsWeight(3, 1)} = INTEGER: 44`), ks.afterSet.weights.join('\n'));
  assert.ok(ks.afterSet.weights.includes(`${rsWeight(2, 1)} = INTEGER: 255`), ks.afterSet.weights.join('\n'));
  assert.ok(ks.afterUp.ipvs.includes('TCP 192.0.2.50:80 | 192.0.2.11:80 Masq 7'), ks.afterUp.ipvs.join('\n'));
  assert.ok(ks.afterReload.weights.includes(`${rsWeight(1, 2)} = INTEGER: 2`), ks.afterReload.weights.join('\n'));
  assert.deepEqual(os.traps, ks.traps, `notifications of the SET phase differ${ctx}`);
  // the one difference, on purpose: a SET of a row that does not exist
  console.log(`# SET of a missing row (${SLIP[0]}): keepalived ${ks.slip.answer} → ${ks.slip.next}; ours ${os.slip.answer} → ${os.slip.next}`);
  assert.equal(ks.slip.answer, `${SLIP[0]} = INTEGER: 6`, 'keepalived accepts it');
  assert.equal(ks.slip.next, `${rsWeight(2, 1)} = INTEGER: 6`, "and writes the next row's weight");
  assert.match(os.slip.answer, /notWritable/, 'ours refuses it');
  assert.equal(os.slip.next, `${rsWeight(2, 1)} = INTEGER: 255`, "ours leaves the next row's weight");
  // at shut-down keepalived sends each virtual server's quorum notification (status 3) and its live servers' ones
  assert.ok(k.shutdown.filter((t) => /3\.1\.23 = INTEGER: 3/.test(t)).length === 3, k.shutdown.join('\n'));
  assert.deepEqual([...o.shutdown].sort(), [...k.shutdown].sort(), `shut-down notifications differ${ctx}`);
  console.log(`# notifications: ${k.start.length} at start, ${k.failure.length} on the failure, ${k.shutdown.length} at shut-down`);
});
