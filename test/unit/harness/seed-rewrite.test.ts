import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rewriteSeedConfig } from '../../netns/harness/seed-rewrite.js';

const seed = (name: string) => readFileSync(new URL(`../../../../test/fixtures/seed-configs/${name}`, import.meta.url), 'utf8');
const HOSTS = ['192.0.2.10', '192.0.2.11', '192.0.2.12'];

test('vip-node1: interface → eth0, VIP into 192.0.2.0/24 by last octet, multicast group and smtp_server kept', () => {
  const r = rewriteSeedConfig(seed('vip-node1.conf'), { ifname: 'eth0', avoid: HOSTS });
  assert.deepEqual([...r.interfaces], [['ens160', 'eth0']]);
  assert.deepEqual([...r.addresses], [['192.168.1.118', '192.0.2.118']]);
  assert.match(r.text, /^interface eth0$/m);
  assert.match(r.text, /^192\.0\.2\.118$/m);
  assert.match(r.text, /^vrrp_mcast_group4 224\.1\.100\.88$/m);
  assert.match(r.text, /^smtp_server 127\.0\.0\.1$/m);
  assert.match(r.text, /^auth_pass IDDf1j\+yfw==$/m);
  assert.doesNotMatch(r.text, /ens160|192\.168\./);
  // nothing else changed: same lines, same order
  assert.equal(r.text.split('\n').length, seed('vip-node1.conf').split('\n').length);
});

test('dual-master: both instances rewritten, two distinct VIPs', () => {
  const r = rewriteSeedConfig(seed('dual-master-node2.conf'), { ifname: 'eth0', avoid: HOSTS });
  assert.deepEqual(
    [...r.addresses],
    [
      ['192.168.1.118', '192.0.2.118'],
      ['192.168.1.119', '192.0.2.119'],
    ],
  );
  assert.equal(r.text.match(/^interface eth0$/gm)?.length, 2);
});

test('basics: `dev` and `label` follow the interface; comments (with addresses in them) are left as they were', () => {
  const text = seed('basics-node102-master.conf');
  const r = rewriteSeedConfig(text, { ifname: 'eth0', avoid: HOSTS });
  assert.match(r.text, /^ {8}192\.0\.2\.200 dev eth0 label eth0:0$/m);
  assert.match(r.text, /^ {4}interface eth0$/m);
  assert.match(r.text, /^ {3}vrrp_mcast_group4 224\.0\.0\.18$/m);
  assert.match(r.text, /224\.0\.0\.0到239\.255\.255\.255/);
  const comments = (t: string) => t.split('\n').filter((l) => l.trim().startsWith('#'));
  assert.deepEqual(comments(r.text), comments(text));
  assert.doesNotMatch(
    r.text
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n'),
    /eth1|172\.30\./,
  );
});

test('a comment after a value is kept; `#` inside double quotes is not a comment', () => {
  const r = rewriteSeedConfig('vrrp_instance X {\n interface bond0 # uplink 10.0.0.1\n notify "/bin/x 10.1.2.3 #bond0"\n}\n', { ifname: 'eth0' });
  assert.equal(r.text, 'vrrp_instance X {\n interface eth0 # uplink 10.0.0.1\n notify "/bin/x 192.0.2.3 #eth0"\n}\n');
});

test('explicit map entries win; documentation ranges, loopback and multicast are kept', () => {
  const r = rewriteSeedConfig('a 10.0.0.5/24\nb 198.51.100.7\nc 203.0.113.9\nd 127.0.0.1\ne 239.1.1.1\n', {
    ifname: 'eth0',
    map: { '10.0.0.5': '192.0.2.55' },
  });
  assert.equal(r.text, 'a 192.0.2.55/24\nb 198.51.100.7\nc 203.0.113.9\nd 127.0.0.1\ne 239.1.1.1\n');
});

test('collisions are refused: two sources on one target, or a target that is a host address', () => {
  assert.throws(() => rewriteSeedConfig('a 10.0.0.5\nb 10.9.9.5\n', { ifname: 'eth0' }), /10\.9\.9\.5 → 192\.0\.2\.5 collides/);
  assert.throws(() => rewriteSeedConfig('a 10.0.0.10\n', { ifname: 'eth0', avoid: HOSTS }), /collides/);
  assert.throws(() => rewriteSeedConfig('a 10.0.0.300\n', { ifname: 'eth0' }), /not an IPv4 address/);
  // the same source twice is fine
  assert.equal(rewriteSeedConfig('a 10.0.0.5\nb 10.0.0.5\n', { ifname: 'eth0' }).text, 'a 192.0.2.5\nb 192.0.2.5\n');
});

test('IPv6: 2001:db8::/32, loopback and multicast pass; anything else is refused; MAC addresses are not IPv6', () => {
  const ok = 'a 2001:db8::100/64\nb ff02::12\nc ::1\nd 02:00:00:00:00:0a\n';
  assert.equal(rewriteSeedConfig(ok, { ifname: 'eth0' }).text, ok);
  assert.throws(() => rewriteSeedConfig('a fd00::1\n', { ifname: 'eth0' }), /fd00::1 is outside 2001:db8::\/32/);
});

test('an interface name is replaced only as a whole word', () => {
  const r = rewriteSeedConfig('interface eth1\ntrack_interface {\n  eth1 weight 5\n  eth10\n}\n', { ifname: 'eth0' });
  assert.equal(r.text, 'interface eth0\ntrack_interface {\n  eth0 weight 5\n  eth10\n}\n');
});
