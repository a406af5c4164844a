/**
 * The BFD Control packet codec (RFC 5880 section 4.1) and the reception checks of section 6.8.6: every field
 * round-trips at its bit position, a hand-assembled packet decodes, and each discard rule has its own reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BfdState, decodeControl, diagName, encodeControl, type BfdControlInit } from '../../../src/bfd/packet.js';

const base: BfdControlInit = {
  diag: 0,
  state: BfdState.Down,
  detectMult: 3,
  myDiscr: 0x11223344,
  yourDiscr: 0,
  desiredMinTxUs: 1_000_000,
  requiredMinRxUs: 10_000,
};

test('encodes the fields at RFC 5880 bit positions', () => {
  const b = encodeControl({ ...base, diag: 3, state: BfdState.Up, poll: true, yourDiscr: 0xa0b0c0d0, demand: true, requiredMinEchoRxUs: 7 });
  assert.deepEqual(
    [...b],
    [0x23, 0xe2, 3, 24, 0x11, 0x22, 0x33, 0x44, 0xa0, 0xb0, 0xc0, 0xd0, 0x00, 0x0f, 0x42, 0x40, 0x00, 0x00, 0x27, 0x10, 0, 0, 0, 7],
  );
});

test('round-trips every flag and field', () => {
  for (const state of [BfdState.AdminDown, BfdState.Down, BfdState.Init, BfdState.Up]) {
    for (const [poll, final] of [
      [false, false],
      [true, false],
      [false, true],
    ] as const) {
      const init = { ...base, state, poll, final, yourDiscr: state >= BfdState.Init ? 99 : 0, controlPlaneIndependent: true, diag: 8 };
      const r = decodeControl(encodeControl(init));
      assert.ok(r.ok, JSON.stringify(r));
      const p = r.packet;
      assert.equal(p.state, state);
      assert.equal(p.poll, poll);
      assert.equal(p.final, final);
      assert.equal(p.controlPlaneIndependent, true);
      assert.equal(p.diag, 8);
      assert.equal(p.myDiscr, 0x11223344);
      assert.equal(p.desiredMinTxUs, 1_000_000);
      assert.equal(p.requiredMinRxUs, 10_000);
      assert.equal(p.length, 24);
    }
  }
});

test('decodes a packet with trailing bytes beyond Length (Length ≤ payload)', () => {
  const b = new Uint8Array(30);
  b.set(encodeControl(base));
  const r = decodeControl(b);
  assert.ok(r.ok);
});

test('each section 6.8.6 rule discards with its reason', () => {
  const cases: Array<[string, (b: Uint8Array) => Uint8Array]> = [
    ['too-short', (b) => b.subarray(0, 23)],
    ['version', (b) => ((b[0] = (2 << 5) | (b[0]! & 31)), b)],
    ['length-mismatch', (b) => ((b[3] = 28), b)],
    ['length-mismatch', (b) => ((b[3] = 20), b)],
    ['length-mismatch', (b) => ((b[1] = b[1]! | 0x04), b)], // A bit: at least 26 bytes
    ['detect-mult-zero', (b) => ((b[2] = 0), b)],
    ['multipoint', (b) => ((b[1] = b[1]! | 0x01), b)],
    ['my-discr-zero', (b) => (b.fill(0, 4, 8), b)],
    ['your-discr-zero', (b) => ((b[1] = (BfdState.Up << 6) | (b[1]! & 63)), b)],
    ['your-discr-zero', (b) => ((b[1] = (BfdState.Init << 6) | (b[1]! & 63)), b)],
    ['poll-and-final', (b) => ((b[1] = b[1]! | 0x30), b)],
    ['bad-diag', (b) => ((b[0] = (1 << 5) | 9), b)],
  ];
  for (const [reason, mutate] of cases) {
    const r = decodeControl(mutate(encodeControl(base)));
    assert.equal(r.ok, false, reason);
    if (!r.ok) assert.equal(r.reason, reason);
  }
  // Your Discriminator 0 is fine in Down and AdminDown
  assert.ok(decodeControl(encodeControl({ ...base, state: BfdState.AdminDown })).ok);
  assert.ok(decodeControl(encodeControl(base)).ok);
});

test("diagnostic texts are keepalived's", () => {
  assert.equal(diagName(1), 'Control Detection Time Expired');
  assert.equal(diagName(3), 'Neighbor Signaled Session Down');
  assert.equal(diagName(31), 'Unknown');
});
