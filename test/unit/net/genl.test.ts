import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Genl, GENL_ID_CTRL, CTRL_CMD, decodeFamily } from '../../../src/net/netlink/genl.js';
import { NLM_F } from '../../../src/net/netlink/codec.js';
import { IpvsBackend, IPVS_MISSING_TEXT } from '../../../src/lb/ipvs/backend.js';

test('the controller resolves itself ("nlctrl" is family 0x10) and answers ENOENT for an unknown name', async () => {
  const g = Genl.open();
  assert.ok(g instanceof Genl);
  try {
    const f = await g.resolveFamily('nlctrl');
    assert.ok(!('code' in f));
    assert.equal(f.id, GENL_ID_CTRL);
    assert.ok(f.groups.has('notify'));
    const e = await g.resolveFamily('ktsnofamily');
    assert.ok('code' in e);
    assert.deepEqual([e.code, e.errno], ['ENOENT', 2]);
    // a dump of every family ends with NLMSG_DONE and includes the controller
    const r = await g.request(GENL_ID_CTRL, CTRL_CMD.GETFAMILY, 1, [], 'list families', NLM_F.DUMP);
    assert.ok(r.ok);
    assert.ok(r.messages.map(decodeFamily).some((x) => x?.name === 'nlctrl'));
  } finally {
    g.close();
  }
});

// On a kernel without IPVS (this development host) open() must say so plainly; where the kernel has IPVS, the
// ipvs tier (UML guest) covers open().
const hasIpvs =
  existsSync('/proc/net/ip_vs') ||
  (existsSync('/proc/modules') && readFileSync('/proc/modules', 'utf8').includes('ip_vs')) ||
  existsSync(`/lib/modules/${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}/kernel/net/netfilter/ipvs/ip_vs.ko`);
test(
  'IpvsBackend.open() on a kernel without IPVS: LB_UNAVAILABLE with a plain message, and every call says not open',
  { skip: hasIpvs ? 'this kernel has IPVS: the ipvs tier tests open()' : false },
  async () => {
    const b = new IpvsBackend();
    assert.deepEqual(await b.open(), { code: 'LB_UNAVAILABLE', message: IPVS_MISSING_TEXT });
    assert.equal((await b.flush())?.code, 'LB_UNAVAILABLE');
    await b.close();
  },
);
