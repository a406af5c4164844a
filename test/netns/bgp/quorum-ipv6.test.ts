import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { Topology } from '../harness/topology.js';
import { Daemons, stop, waitFor } from '../harness/daemons.js';
import { controlRequest } from '../../../src/daemon/control.js';
import { getUnix } from '../observe/http.js';
import { gobgpConf, hopOf, neighbor, paths, startCollector } from './gobgp-collector.js';
import { announcedWhileHeld, holds } from './held.js';

/**
 * Node a (our daemon and its gobgpd, AS 65001) peers with the collector c (gobgpd, AS 65000) over IPv4 and over
 * IPv6; r is a real server. VI_Q announces 203.0.113.30/32 while the virtual server on that address has quorum
 * (`bgp_announce quorum`, TCP_CHECK of r:8080, nftables data plane); VI_6 announces 2001:db8:ffff::30/128 while
 * MASTER (MP-BGP IPv6 unicast over the IPv6 session). The metrics (HTTP endpoint on a UNIX socket) and `status`
 * follow.
 */
const topo = Topology.create({ hosts: ['a', 'c', 'r'] });
const d = Daemons.inTempDir(topo, 'kts-bgp-q6-');
const after_: (() => Promise<void>)[] = [];
after(async () => {
  for (const f of after_) await f();
  topo.destroy();
  d.removeDir();
});

const [A, C, R] = [topo.host('a'), topo.host('c'), topo.host('r')];
const V4 = '203.0.113.30/32';
const V6 = '2001:db8:ffff::30/128';
const HTTP = `${d.dir}/a-http.sock`;
const peersOfA = neighbor(C.ipv4, 65000, 3, 'ipv4-unicast') + neighbor(C.ipv6, 65000, 3, 'ipv6-unicast');
const conf = `global_defs {\n  lvs_backend nftables\n}
bgp_announce {\n  engine gobgp\n  gobgpd_config ${d.write('a-gobgpd.toml', gobgpConf(65001, A.ipv4, peersOfA))}\n  gobgpd_pid_file ${d.dir}/a-gobgpd.pid\n}
vrrp_instance VI_Q {\n  state BACKUP\n  interface eth0\n  virtual_router_id 81\n  priority 100\n  advert_int 1\n  version 3
  virtual_ipaddress {\n    203.0.113.30/32 dev lo\n  }\n  bgp_announce quorum\n}
vrrp_instance VI_6 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 82\n  priority 100\n  advert_int 1\n  version 3
  virtual_ipaddress {\n    2001:db8:ffff::30/128 dev lo\n  }\n  bgp_announce master\n}
virtual_server 203.0.113.30 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP
  real_server ${R.ipv4} 8080 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 2\n      delay_before_retry 1\n    }\n  }\n}\n`;

/** A TCP listener on r:8080 (the real server's service). */
function realServer(): ChildProcess {
  const c = topo.spawn('r', process.execPath, ['-e', `require('net').createServer((s) => s.end()).listen(8080, '0.0.0.0')`]);
  after_.push(() => stop(c));
  return c;
}

/** One metric sample's value from the exposition text (undefined when absent). */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}
const metrics = async () => (await getUnix(HTTP, '/metrics')).body;

test('bgp_announce quorum: the route follows the virtual server quorum at the collector; IPv6 /128 over an IPv6 session with next-hop self; metrics and status follow', async (t) => {
  const v6Peers = neighbor(A.ipv6, 65001, 3, 'ipv6-unicast');
  const collector = startCollector(topo, d, 'c', 'c.toml', gobgpConf(65000, C.ipv4, neighbor(A.ipv4, 65001, 3, 'ipv4-unicast') + v6Peers));
  after_.push(() => stop(collector));
  let rs = realServer();
  const a = d.ours('a', d.write('a.conf', conf), [`--http=${HTTP}`]);
  after_.push(() => stop(a.child));

  // healthy real server: quorum up, announced; the /128 too once VI_6 is MASTER, next hop = a's IPv6 address
  assert.ok((await waitFor(() => paths(topo, 'c', V4).length === 1, 45_000)) >= 0, a.log());
  const v6 = await announcedWhileHeld(
    () => paths(topo, 'c', V6).length === 1,
    () => holds(topo, 'a', '2001:db8:ffff::30'),
    30_000,
  );
  assert.ok(v6.ms >= 0, `${JSON.stringify(paths(topo, 'c', V6))}\n${a.log()}`);
  assert.equal(v6.early, false, 'the /128 at the collector before VI_6 held it');
  assert.equal(hopOf(paths(topo, 'c', V4)[0]!), A.ipv4);
  assert.equal(hopOf(paths(topo, 'c', V6)[0]!), A.ipv6, JSON.stringify(paths(topo, 'c', V6)));
  // the metrics (served by the VRRP child, fed by the bgp child through the supervisor)
  let m = '';
  const metricsShow = async (pred: (text: string) => boolean, ms: number) => {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      m = await metrics().catch(() => '');
      if (pred(m)) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  };
  assert.ok(
    await metricsShow(
      (x) =>
        sample(x, 'keepalived_ts_bgp_route_announced', `prefix="${V4}"`) === 1 &&
        sample(x, 'keepalived_ts_bgp_route_announced', `prefix="${V6}"`) === 1 &&
        sample(x, 'keepalived_ts_bgp_session_up', `peer="${C.ipv4}",peer_as="65000"`) === 1 &&
        sample(x, 'keepalived_ts_bgp_session_up', `peer="${C.ipv6}",peer_as="65000"`) === 1,
      10_000,
    ),
    m
      .split('\n')
      .filter((l) => l.includes('bgp'))
      .join('\n'),
  );
  assert.equal(sample(m, 'keepalived_ts_bgp_engine_up', 'engine="gobgp"'), 1);
  // status: both sessions established, both routes announced
  const st = await controlRequest(a.controlSocket, 'status');
  const bgp = st.ok ? st.status?.snapshot.bgp : undefined;
  assert.deepEqual(bgp?.routes.map((r) => r.prefix).sort(), [V6, V4].sort());
  assert.deepEqual(bgp?.sessions.map((s) => `${s.peer} ${s.state}`).sort(), [`${C.ipv4} established`, `${C.ipv6} established`]);

  // the real server stops answering: its TCP_CHECK fails (delay_loop 1, connect_timeout 1) and fails its 2 retries
  // 1 s apart, quorum lost, withdrawn: no sooner than 2 s after the stop (the first failure can come at once), no
  // later than 1 + 2 s plus the relay to the collector (3 s slack for a loaded host)
  assert.equal(paths(topo, 'c', V4).length, 1, 'announced before the real server stops');
  const t0 = Date.now();
  await stop(rs);
  assert.ok((await waitFor(() => paths(topo, 'c', V4).length === 0, 20_000)) >= 0, a.log().split('\n').slice(-20).join('\n'));
  const lostMs = Date.now() - t0;
  assert.ok(lostMs >= 1800 && lostMs <= 6000, `withdrawn ${lostMs} ms after the real server stopped (retry 2 × 1 s, delay_loop 1 s)`);
  t.diagnostic(`quorum lost: withdrawn at the collector ${lostMs} ms after the real server stopped`);
  assert.equal(paths(topo, 'c', V6).length, 1, 'the /128 (bgp_announce master) stays');
  assert.ok(await metricsShow((x) => sample(x, 'keepalived_ts_bgp_route_announced', `prefix="${V4}"`) === 0, 5000));
  assert.ok((sample(m, 'keepalived_ts_bgp_route_changes_total', `prefix="${V4}",action="withdraw"`) ?? 0) >= 1);

  // no quorum, no route: it stays withdrawn while the real server is down
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(paths(topo, 'c', V4).length, 0, 'announced again without quorum');
  // it answers again: quorum back (at the next check, delay_loop 1 s), announced again
  const t1 = Date.now();
  rs = realServer();
  assert.ok((await waitFor(() => paths(topo, 'c', V4).length === 1, 20_000)) >= 0, a.log().split('\n').slice(-20).join('\n'));
  const backMs = Date.now() - t1;
  assert.ok(backMs <= 6000, `announced ${backMs} ms after the real server came back`);
  t.diagnostic(`quorum back: announced at the collector ${backMs} ms after the real server started`);
  assert.ok(await metricsShow((x) => sample(x, 'keepalived_ts_bgp_route_announced', `prefix="${V4}"`) === 1, 5000));

  await stop(a.child);
  assert.ok((await waitFor(() => paths(topo, 'c', V4).length === 0 && paths(topo, 'c', V6).length === 0, 10_000)) >= 0);
});
