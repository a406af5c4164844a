import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/core/log.js';
import type { LinkInfo } from '../../../src/net/netlink/route-messages.js';
import { RtnlError, type Rtnl } from '../../../src/net/netlink/rtnl.js';
import { plannedRemovals, rtnlReleaser } from '../../../src/daemon/release.js';
import { model } from './model.js';

const link = (index: number, name: string): LinkInfo => ({ index, name, flags: 0, up: true });
const LINKS = [link(1, 'lo'), link(2, 'eth0'), link(3, 'eth1'), link(7, 'vrrp.52')];

const CONF = `static_ipaddress {
  192.0.2.200/32 dev eth0
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.150/32
    192.0.2.151/24 dev eth1
    192.0.2.200/32
  }
  virtual_ipaddress_excluded {
    2001:db8::150/128
  }
  virtual_routes {
    198.51.100.0/24 via 192.0.2.254 dev eth0
  }
  virtual_rules {
    from 203.0.113.0/24 table 100
  }
}
vrrp_instance VI_2 {
  interface eth0
  use_vmac
  virtual_router_id 52
  priority 100
  virtual_ipaddress {
    192.0.2.152/32
  }
}
vrrp_instance OWNER {
  interface eth1
  virtual_router_id 53
  priority 255
  virtual_ipaddress {
    192.0.2.153/32
  }
}
`;

/** An rtnetlink stand-in that records deletes; addresses in `absent` fail as the kernel does. */
function fakeRtnl(absent: (ifindex: number, address: string) => boolean = () => false) {
  const calls: string[] = [];
  let dumps = 0;
  const r = {
    listLinks: async () => {
      dumps++;
      return LINKS;
    },
    deleteAddress: async (s: { ifindex: number; address: string; prefixLength: number }) => {
      calls.push(`addr ${s.ifindex} ${s.address}/${s.prefixLength}`);
      if (absent(s.ifindex, s.address)) throw new RtnlError('EADDRNOTAVAIL', 99, undefined, 'delete address');
    },
    deleteRoute: async (s: { destination: string; prefixLength: number; ifindex?: number }) => {
      calls.push(`route ${s.destination}/${s.prefixLength} dev ${s.ifindex}`);
    },
    deleteRule: async (s: { from?: { address: string }; table?: number }) => {
      calls.push(`rule from ${s.from?.address} table ${s.table}`);
    },
  };
  return { rtnl: r as unknown as Rtnl, calls, dumps: () => dumps };
}

test('planned removals: VIPs and eVIPs on their interfaces (and the VMAC), virtual routes and rules; not static entries, not an address owner', async () => {
  const cfg = model(CONF);
  const f = fakeRtnl();
  for (const x of plannedRemovals([cfg], LINKS)) await x.run(f.rtnl);
  assert.deepEqual(f.calls, [
    'addr 2 192.0.2.150/32',
    'addr 3 192.0.2.151/24',
    'addr 2 2001:db8::150/128',
    'rule from 203.0.113.0 table 100',
    'route 198.51.100.0/24 dev 2',
    'addr 2 192.0.2.152/32',
    'addr 7 192.0.2.152/32',
  ]);
});

test('the releaser: planned ahead, one round of deletes at the death; "already gone" is no error and not counted', async () => {
  const cfg = model(CONF);
  const f = fakeRtnl((ifindex) => ifindex === 7); // VI_2's VIP was on eth0, not on the VMAC
  const log = new MemoryLogger();
  const rel = rtnlReleaser(() => f.rtnl, log);
  const set = [cfg];
  await rel.prepare(set);
  assert.equal(f.dumps(), 1);
  assert.equal(await rel.release(set), 6);
  assert.equal(f.dumps(), 1, 'no dump at the death: the plan is used');
  assert.deepEqual(log.records, []);
  assert.equal(await rel.release([model(CONF)]), 6, 'another configuration: planned on the spot');
  assert.equal(f.dumps(), 2);
  assert.equal(await rtnlReleaser(() => undefined, log).release(set), 0, 'no rtnetlink: nothing done, nothing thrown');
});
