/**
 * The load-balancer lab (root): a director between a client subnet and a server LAN, two real servers answering
 * HTTP (TCP 8080) and UDP (8053) with their own name, over IPv4 and IPv6.
 *
 *   client 198.51.100.2 / 2001:db8:2::2 ── eth1 director eth0 ── bridge ── rs1 192.0.2.11 / 2001:db8:1::11
 *          (routes 203.0.113.0/24 and       198.51.100.1       192.0.2.1      rs2 192.0.2.12 / 2001:db8:1::12
 *           2001:db8:3::/64 via director)                                     (default routes via the director;
 *                                                                              VIPs on lo for DR)
 * VIPs: 203.0.113.10 and 2001:db8:3::10. Names are unique per process; everything is deleted on every exit path.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { ip } from '../harness/topology.js';

export const VIP4 = '203.0.113.10';
export const VIP6 = '2001:db8:3::10';
export const RS = { rs1: { v4: '192.0.2.11', v6: '2001:db8:1::11' }, rs2: { v4: '192.0.2.12', v6: '2001:db8:1::12' } } as const;

let counter = 0;
const live = new Set<LbLab>();
process.on('exit', () => {
  for (const l of [...live]) l.destroy();
});

/** The lab's namespaces and servers. */
export class LbLab {
  readonly ns: Record<'dir' | 'cli' | 'rs1' | 'rs2' | 'sw', string>;
  private readonly children = new Set<ChildProcess>();

  constructor() {
    const p = `ktl${process.pid % 100000}${counter++}`;
    this.ns = { dir: `${p}d`, cli: `${p}c`, rs1: `${p}r1`, rs2: `${p}r2`, sw: `${p}s` };
    live.add(this);
    try {
      this.build();
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private build(): void {
    const n = this.ns;
    for (const x of Object.values(n)) ip(['netns', 'add', x]);
    for (const x of Object.values(n)) {
      this.sh(x, 'sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0');
      ip(['-n', x, 'link', 'set', 'lo', 'up']);
    }
    this.sh(n.dir, 'sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1');
    ip(['-n', n.sw, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', n.sw, 'link', 'set', 'br0', 'up']);
    const lan = (host: string, port: string, mac: string, v4: string, v6: string) => {
      ip(['-n', n.sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host]);
      ip(['-n', n.sw, 'link', 'set', port, 'master', 'br0', 'up']);
      ip(['-n', host, 'link', 'set', 'eth0', 'address', mac]);
      ip(['-n', host, 'addr', 'add', `${v4}/24`, 'dev', 'eth0']);
      ip(['-n', host, 'addr', 'add', `${v6}/64`, 'dev', 'eth0', 'nodad']);
      ip(['-n', host, 'link', 'set', 'eth0', 'up']);
    };
    lan(n.dir, 'pd', '02:00:00:00:01:01', '192.0.2.1', '2001:db8:1::1');
    lan(n.rs1, 'p1', '02:00:00:00:01:11', RS.rs1.v4, RS.rs1.v6);
    lan(n.rs2, 'p2', '02:00:00:00:01:12', RS.rs2.v4, RS.rs2.v6);
    for (const r of [n.rs1, n.rs2]) {
      ip(['-n', r, 'route', 'add', 'default', 'via', '192.0.2.1']);
      ip(['-n', r, '-6', 'route', 'add', 'default', 'via', '2001:db8:1::1']);
      ip(['-n', r, 'addr', 'add', `${VIP4}/32`, 'dev', 'lo']);
      ip(['-n', r, 'addr', 'add', `${VIP6}/128`, 'dev', 'lo', 'nodad']);
    }
    ip(['-n', n.cli, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', n.dir]);
    ip(['-n', n.cli, 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0']);
    ip(['-n', n.cli, 'addr', 'add', '2001:db8:2::2/64', 'dev', 'eth0', 'nodad']);
    ip(['-n', n.cli, 'link', 'set', 'eth0', 'up']);
    ip(['-n', n.dir, 'addr', 'add', '198.51.100.1/24', 'dev', 'eth1']);
    ip(['-n', n.dir, 'addr', 'add', '2001:db8:2::1/64', 'dev', 'eth1', 'nodad']);
    ip(['-n', n.dir, 'link', 'set', 'eth1', 'up']);
    ip(['-n', n.cli, 'route', 'add', 'default', 'via', '198.51.100.1']);
    ip(['-n', n.cli, '-6', 'route', 'add', 'default', 'via', '2001:db8:2::1']);
    for (const r of ['rs1', 'rs2'] as const) {
      const code =
        `const n=${JSON.stringify(r)};require('http').createServer({keepAliveTimeout:60000},(q,s)=>s.end(n)).listen(8080,'::');` +
        `const u=require('dgram').createSocket({type:'udp6'});u.on('message',(m,a)=>u.send(n,a.port,a.address));u.bind(8053,'::')`;
      this.spawn(r, process.execPath, ['-e', code]);
    }
  }

  /** Runs a shell command in a namespace; stdout. */
  sh(netns: string, cmd: string): string {
    return execFileSync('ip', ['netns', 'exec', netns, 'sh', '-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Starts a process in one of the lab's hosts (killed by PID on destroy). */
  spawn(host: keyof LbLab['ns'], cmd: string, args: readonly string[]): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', this.ns[host], cmd, ...args], { stdio: 'pipe' });
    this.children.add(c);
    c.on('exit', () => this.children.delete(c));
    return c;
  }

  /** argv prefix running nft in the director. */
  nftArgv(): string[] {
    return ['ip', 'netns', 'exec', this.ns.dir, 'nft'];
  }

  /**
   * `count` requests from the client, each on a new connection (HTTP) or socket (UDP), one at a time:
   * how many each server answered and how many failed (timeout 2 s).
   */
  async requests(target: string, count: number, proto: 'http' | 'udp' = 'http', port = proto === 'http' ? 80 : 53): Promise<Record<string, number>> {
    const code =
      proto === 'http'
        ? `const http=require('http');const r={failed:0};let i=0;const one=()=>{if(i++>=${count}){console.log(JSON.stringify(r));return;}` +
          `const q=http.get({host:${JSON.stringify(target)},port:${port},agent:false,timeout:2000},(s)=>{let b='';s.on('data',(d)=>b+=d);s.on('end',()=>{r[b]=(r[b]||0)+1;one();});});` +
          `q.on('timeout',()=>q.destroy(new Error('t')));q.on('error',()=>{r.failed++;one();});};one();`
        : `const dgram=require('dgram');const r={failed:0};let i=0;const one=()=>{if(i++>=${count}){console.log(JSON.stringify(r));return;}` +
          `const u=dgram.createSocket(${JSON.stringify(target.includes(':') ? 'udp6' : 'udp4')});const t=setTimeout(()=>{r.failed++;u.close();one();},2000);` +
          `u.on('message',(m)=>{clearTimeout(t);r[m]=(r[m]||0)+1;u.close();one();});u.send('x',${port},${JSON.stringify(target)});};one();`;
    const c = this.spawn('cli', process.execPath, ['-e', code]);
    let out = '';
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await new Promise((r) => c.on('exit', r));
    return JSON.parse(out.trim() || '{"failed":-1}') as Record<string, number>;
  }

  /**
   * A client holding one keep-alive HTTP connection: `ask()` sends a request on it and resolves with the
   * answering server (or 'failed'); `end()` closes it.
   */
  heldConnection(target: string, port = 80): { ask: () => Promise<string>; end: () => void } {
    const code =
      `const http=require('http');const a=new http.Agent({keepAlive:true,maxSockets:1});` +
      `require('readline').createInterface({input:process.stdin}).on('line',()=>{const q=http.get({host:${JSON.stringify(target)},port:${port},agent:a,timeout:2000},` +
      `(s)=>{let b='';s.on('data',(d)=>b+=d);s.on('end',()=>console.log(b+' '+q.reusedSocket));});q.on('timeout',()=>q.destroy());q.on('error',()=>console.log('failed'));});`;
    const c = this.spawn('cli', process.execPath, ['-e', code]);
    let buf = '';
    const waiting: ((l: string) => void)[] = [];
    c.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        waiting.shift()?.(l);
      }
    });
    return {
      ask: () =>
        new Promise((r) => {
          waiting.push(r);
          c.stdin!.write('go\n');
        }),
      end: () => {
        c.stdin!.end();
      },
    };
  }

  /** Kills the servers by PID and deletes the namespaces. Idempotent. */
  destroy(): void {
    if (!live.delete(this)) return;
    for (const c of this.children)
      try {
        if (c.pid) process.kill(c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    for (const x of Object.values(this.ns)) {
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
  }
}
