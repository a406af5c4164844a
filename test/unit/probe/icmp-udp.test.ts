import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyIcmp, echoRequest, keepalivedFiller } from '../../../src/probe/icmp-packet.js';
import { udpReplyMismatch } from '../../../src/probe/udp.js';
import { internetChecksum } from '../../../src/core/inet/checksum.js';
import { conn, udpCheck } from '../../fixtures/probe/checks.js';

/** A minimal IPv4 header from src to dst carrying `proto`. */
function ipv4(src: number[], dst: number[], proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h[9] = proto;
  Buffer.from(src).copy(h, 12);
  Buffer.from(dst).copy(h, 16);
  return Buffer.concat([h, payload]);
}

test("keepalived's filler and echo request", () => {
  assert.equal(keepalivedFiller(32).toString('latin1'), 'keepalived check - keepalived ch');
  const e = echoRequest(4, 0x1234, 0);
  assert.equal(e.length, 136);
  assert.deepEqual([...e.subarray(0, 2)], [8, 0]);
  assert.equal(internetChecksum(e), 0);
  assert.equal(echoRequest(6, 1, 0)[0], 128);
});

test('replies and errors are matched to our request', () => {
  const reply = Buffer.from(echoRequest(4, 0x1234, 0));
  reply[0] = 0;
  const pkt = ipv4([192, 0, 2, 20], [192, 0, 2, 10], 1, reply);
  assert.equal(classifyIcmp(4, pkt, '192.0.2.20', '192.0.2.20', 0x1234), 'reply');
  assert.equal(classifyIcmp(4, pkt, '192.0.2.20', '192.0.2.20', 0x4321), 'other');
  assert.equal(classifyIcmp(4, pkt, '192.0.2.21', '192.0.2.20', 0x1234), 'other');
  const quoted = ipv4([192, 0, 2, 10], [192, 0, 2, 99], 1, echoRequest(4, 0x1234, 0).subarray(0, 8));
  const unreach = ipv4([192, 0, 2, 1], [192, 0, 2, 10], 1, Buffer.concat([Buffer.from([3, 1, 0, 0, 0, 0, 0, 0]), quoted]));
  assert.equal(classifyIcmp(4, unreach, '192.0.2.1', '192.0.2.99', 0x1234), 'error');
  assert.equal(classifyIcmp(4, unreach, '192.0.2.1', '192.0.2.98', 0x1234), 'other');
  const r6 = Buffer.from(echoRequest(6, 0x77, 0));
  r6[0] = 129;
  assert.equal(classifyIcmp(6, r6, '2001:db8::20', '2001:db8::20', 0x77), 'reply');
});

test('UDP reply matching: length range, then bytes under the mask', () => {
  const c = udpCheck(conn('192.0.2.20', 7), {
    requireReply: true,
    minReplyLength: 2,
    maxReplyLength: 4,
    reply: { data: [0x12, 0x34], mask: [0x00, 0x0f] },
  });
  assert.equal(udpReplyMismatch(c, Buffer.from([0x12, 0x3f, 0])), false);
  assert.equal(udpReplyMismatch(c, Buffer.from([0x12, 0x44])), true);
  assert.equal(udpReplyMismatch(c, Buffer.from([0x12])), true);
  assert.equal(udpReplyMismatch(c, Buffer.from([0x12, 0x34, 0, 0, 0])), true);
});
