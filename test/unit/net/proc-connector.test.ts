import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenRequest } from '../../../src/net/proc-connector.js';

test("the subscription is keepalived's: NLMSG_DONE carrying a cn_msg for CN_IDX_PROC/CN_VAL_PROC with PROC_CN_MCAST_LISTEN", () => {
  const m = listenRequest(7, 0);
  assert.equal(m.length, 16 + 20 + 4);
  assert.equal(m.readUInt32LE(0), 40); // nlmsg_len
  assert.equal(m.readUInt16LE(4), 3); // NLMSG_DONE
  assert.equal(m.readUInt32LE(8), 7); // seq
  assert.deepEqual([m.readUInt32LE(16), m.readUInt32LE(20)], [1, 1]); // cb_id idx, val
  assert.equal(m.readUInt16LE(32), 4); // cn_msg len
  assert.equal(m.readUInt32LE(36), 1); // PROC_CN_MCAST_LISTEN
});
