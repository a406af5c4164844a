/**
 * Two directors with VRRP in front of two real servers (root), both running `keepalived-ts -f` with a sync group
 * (the client-side gateway + service VIP, and the real servers' gateway) and the same NAT virtual_server on
 * nftables. A client in another subnet requests through the VIP in a loop (a new connection every 20 ms); the
 * master director is stopped (SIGTERM) and the failed requests during the move are counted and reported.
 *
 *   client 198.51.100.2 ── brc ── d1 .3 / d2 .4 (eth1; VIPs 198.51.100.1, 203.0.113.10)
 *                                  d1 192.0.2.3 / d2 192.0.2.4 (eth0; VIP 192.0.2.1) ── brs ── rs1 .11, rs2 .12
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip } from '../harness/topology.js';
import { stop, waitFor } from '../harness/daemons.js';
import { spawnOurs } from '../harness/file-daemon.js';
import { VIP4 } from './lb-topology.js';

const p = `ktv${process.pid % 100000}`;
const NS = { cli: `${p}c`, d1: `${p}d1`, d2: `${p}d2`, rs1: `${p}r1`, rs2: `${p}r2`, sw: `${p}s` } as const;
type Host = keyof typeof NS;
const children = new Set<ChildProcess>();
const dir = mkdtempSync(join(tmpdir(), 'kts-lbv-'));

function destroy(): void {
  for (const c of children)
    try {
      if (c.pid) process.kill(c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  for (const x of Object.values(NS)) {
    try {
      for (const pid of ip(['netns', 'pids', x]).split(/\s+/).filter(Boolean).map(Number))
        if (pid !== process.pid)
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
    } catch {
      /* no namespace */
    }
    try {
      ip(['netns', 'del', x]);
    } catch {
      /* not there */
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', destroy);
after(destroy);

const sh = (h: Host, cmd: string) =>
  execFileSync('ip', ['netns', 'exec', NS[h], 'sh', '-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
function run(h: Host, cmd: string, args: readonly string[]): ChildProcess {
  const c = spawn('ip', ['netns', 'exec', NS[h], cmd, ...args], { stdio: 'pipe', env: { ...process.env, TMPDIR: dir } });
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

function build(): void {
  for (const x of Object.values(NS)) {
    ip(['netns', 'add', x]);
    ip(['-n', x, 'link', 'set', 'lo', 'up']);
  }
  for (const b of ['brc', 'brs']) {
    ip(['-n', NS.sw, 'link', 'add', b, 'type', 'bridge']);
    ip(['-n', NS.sw, 'link', 'set', b, 'up']);
  }
  const port = (h: Host, br: string, name: string, ifname: string, addr: string, mac: string) => {
    ip(['-n', NS.sw, 'link', 'add', name, 'type', 'veth', 'peer', 'name', ifname, 'netns', NS[h]]);
    ip(['-n', NS.sw, 'link', 'set', name, 'master', br, 'up']);
    ip(['-n', NS[h], 'link', 'set', ifname, 'address', mac]);
    ip(['-n', NS[h], 'addr', 'add', addr, 'dev', ifname]);
    ip(['-n', NS[h], 'link', 'set', ifname, 'up']);
  };
  port('cli', 'brc', 'pc', 'eth0', '198.51.100.2/24', '02:00:00:00:02:02');
  port('d1', 'brc', 'p1c', 'eth1', '198.51.100.3/24', '02:00:00:00:02:03');
  port('d2', 'brc', 'p2c', 'eth1', '198.51.100.4/24', '02:00:00:00:02:04');
  port('d1', 'brs', 'p1s', 'eth0', '192.0.2.3/24', '02:00:00:00:01:03');
  port('d2', 'brs', 'p2s', 'eth0', '192.0.2.4/24', '02:00:00:00:01:04');
  port('rs1', 'brs', 'pr1', 'eth0', '192.0.2.11/24', '02:00:00:00:01:11');
  port('rs2', 'brs', 'pr2', 'eth0', '192.0.2.12/24', '02:00:00:00:01:12');
  for (const d of ['d1', 'd2'] as const) sh(d, 'sysctl -qw net.ipv4.ip_forward=1');
  ip(['-n', NS.cli, 'route', 'add', 'default', 'via', '198.51.100.1']);
  for (const r of ['rs1', 'rs2'] as const) {
    ip(['-n', NS[r], 'route', 'add', 'default', 'via', '192.0.2.1']);
    run(r, process.execPath, ['-e', `require('http').createServer((q,s)=>s.end(${JSON.stringify(r)})).listen(8080,'0.0.0.0')`]);
  }
}

const conf = (name: string, state: string, prio: number) => `global_defs {
  router_id ${name}
}
vrrp_sync_group G {
  group {
    VI_EXT
    VI_INT
  }
}
vrrp_instance VI_EXT {
  state ${state}
  interface eth1
  virtual_router_id 51
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    198.51.100.1/24
    ${VIP4}/32
  }
}
vrrp_instance VI_INT {
  state ${state}
  interface eth0
  virtual_router_id 52
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    192.0.2.1/24
  }
}
virtual_server ${VIP4} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.11 8080 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 192.0.2.12 8080 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

/** Starts our daemon in a director; its output is collected. */
function director(h: 'd1' | 'd2', state: string, prio: number): { child: ChildProcess; log: () => string } {
  const file = join(dir, `${h}.conf`);
  writeFileSync(file, conf(h, state, prio));
  const { child, log } = spawnOurs((cmd, args) => run(h, cmd, args), dir, h, file);
  return { child, log };
}

/**
 * A request loop in the client for `ms`: a new connection every `everyMs` (timeout 1 s); each line of the result is
 * `startMs ok|fail answer` with startMs on the wall clock.
 */
function requestLoop(ms: number, everyMs = 20): Promise<{ t: number; ok: boolean; who: string }[]> {
  const code =
    `const http=require('http');const end=Date.now()+${ms};const out=[];let open=0;` +
    `const tick=()=>{if(Date.now()>=end){const w=()=>open?setTimeout(w,50):console.log(JSON.stringify(out));w();return;}` +
    `const t=Date.now();open++;const q=http.get({host:${JSON.stringify(VIP4)},port:80,agent:false,timeout:1000},(s)=>{let b='';s.on('data',(d)=>b+=d);s.on('end',()=>{open--;out.push([t,1,b]);});});` +
    `q.on('timeout',()=>q.destroy(new Error('timeout')));q.on('error',(e)=>{open--;out.push([t,0,e.code||e.message]);});setTimeout(tick,${everyMs});};tick();`;
  const c = run('cli', process.execPath, ['-e', code]);
  let out = '';
  c.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve) =>
    c.on('exit', () => {
      resolve((JSON.parse(out.trim() || '[]') as [number, number, string][]).map(([t, ok, who]) => ({ t, ok: ok === 1, who })));
    }),
  );
}

const hasAddr = (h: Host, a: string) => sh(h, 'ip -4 addr').includes(` ${a}/`);

test("two directors: the master is stopped, the VIPs move, the client's loop goes on; failed requests counted and bounded", async () => {
  build();
  const d1 = director('d1', 'MASTER', 150);
  const d2 = director('d2', 'BACKUP', 100);
  assert.ok((await waitFor(() => hasAddr('d1', '198.51.100.1') && hasAddr('d1', '192.0.2.1'), 45_000)) >= 0, d1.log());
  assert.ok(
    (await waitFor(() => (d1.log() + d2.log()).split('Load balancer: nftables').length === 3, 30_000)) >= 0,
    'both checker children on nftables',
  );
  assert.ok((await waitFor(() => /Entering BACKUP STATE/.test(d2.log()), 30_000)) >= 0, d2.log());
  // both directors' tables hold both real servers; the client reaches both through d1
  const warm = await requestLoop(600);
  assert.ok(warm.length > 10 && warm.every((r) => r.ok), JSON.stringify(warm.filter((r) => !r.ok)));
  assert.deepEqual([...new Set(warm.map((r) => r.who))].sort(), ['rs1', 'rs2']);

  const loop = requestLoop(7500);
  await new Promise((r) => setTimeout(r, 3000)); // the client's node starts slowly under load
  const stopAt = Date.now();
  await stop(d1.child);
  const stoppedIn = Date.now() - stopAt;
  const results = await loop;
  assert.ok(hasAddr('d2', '198.51.100.1') && hasAddr('d2', '192.0.2.1') && hasAddr('d2', VIP4), 'the VIPs moved to d2');
  assert.equal(hasAddr('d1', '198.51.100.1'), false);
  assert.match(d2.log(), /\(VI_EXT\) Entering MASTER STATE/);
  const failed = results.filter((r) => !r.ok);
  const before = results.filter((r) => r.t < stopAt);
  const afterMove = results.filter((r) => r.t >= stopAt);
  const lastFail = failed.length ? Math.max(...failed.map((r) => r.t)) - stopAt : 0;
  const reasons = [...new Set(failed.map((r) => r.who))].join(', ');
  console.log(
    `# director failover: ${results.length} requests, ${failed.length} failed (${reasons || 'none'}), ` +
      `failures from ${failed.length ? Math.min(...failed.map((r) => r.t)) - stopAt : 0} to ${lastFail} ms after SIGTERM (d1 exited in ${stoppedIn} ms)`,
  );
  assert.ok(before.length > 10 && before.every((r) => r.ok), `no failure before the stop (${before.length} requests)`);
  // d2 takes over after its Skew_Time ((256 - 100) / 256 = 0.61 s) once d1's priority-0 advert arrives; a
  // request started up to 1 s (its timeout) before then may fail too, plus 0.5 s for d1's own stop
  assert.ok(lastFail <= 610 + 1000 + 500, `last failure ${lastFail} ms after the stop`);
  const tail = afterMove.filter((r) => r.t - stopAt > 2110);
  assert.ok(tail.length > 20 && tail.every((r) => r.ok), 'every request after the move succeeds');
  assert.deepEqual([...new Set(tail.map((r) => r.who))].sort(), ['rs1', 'rs2'], 'd2 balances over both real servers');
  await stop(d2.child);
  assert.doesNotMatch(sh('d2', 'nft list tables'), /keepalived_ts/);
});
