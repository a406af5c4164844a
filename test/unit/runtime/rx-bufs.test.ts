/**
 * The VRRP sockets' SO_RCVBUF (kernel_rx_buf_size, vrrp_rx_bufs_policy, vrrp_rx_bufs_multiplier) and the netlink
 * sockets' receive buffers (*_netlink_*_rcv_bufs(_force)), as keepalived 2.2.7 computes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vrrpAdvertLength, vrrpRxBufSize, type RxBufMember } from '../../../src/runtime/vrrp/rx-bufs.js';
import { netlinkReceiveBuffer } from '../../../src/runtime/netlink-bufs.js';
import type { VirtualAddress } from '../../../src/config/model.js';

const vip = (address: string, family: 4 | 6 = 4) =>
  ({ address, family, prefixLength: 32, noDad: false, pos: { file: 'k', line: 1, col: 1 } }) as VirtualAddress;
const v2 = (n: number, extra: Partial<RxBufMember['ic']> = {}): RxBufMember['ic'] => ({
  family: 4,
  version: 2,
  virtualIpaddress: Array.from({ length: n }, (_, i) => vip(`192.0.2.${100 + i}`)),
  ...extra,
});

test("vrrp_adv_len: IPv4 header + VRRP header + v2's 8 auth bytes + 4 per VIP; AH adds 24; IPv6 has no IP header", () => {
  assert.equal(vrrpAdvertLength(v2(1)), 20 + 8 + 8 + 4);
  assert.equal(vrrpAdvertLength(v2(3)), 20 + 8 + 8 + 12);
  assert.equal(vrrpAdvertLength(v2(2, { authentication: { type: 'AH', password: 'x' } })), 20 + 24 + 8 + 8 + 8);
  assert.equal(vrrpAdvertLength({ ...v2(2), version: 3 }), 20 + 8 + 8);
  assert.equal(vrrpAdvertLength({ family: 6, version: 3, virtualIpaddress: [vip('fe80::1', 6), vip('2001:db8::1', 6)] }), 8 + 32);
});

test('the socket buffer: per instance kernel_rx_buf_size, else the policy (size, ADVERT or MTU x multiplier), summed', () => {
  const a: RxBufMember = { ic: v2(1), mtu: 1500 };
  const b: RxBufMember = { ic: v2(2, { kernelRxBufSize: 10000 }), mtu: 1500 };
  assert.equal(vrrpRxBufSize([a], {}), 0, 'no policy, no kernel_rx_buf_size: the kernel default');
  assert.equal(vrrpRxBufSize([a, b], {}), 10000);
  assert.equal(vrrpRxBufSize([a, b], { vrrpRxBufsPolicy: { mtu: false, advert: false, size: 4096 } }), 4096 + 10000);
  assert.equal(vrrpRxBufSize([a, b], { vrrpRxBufsPolicy: { mtu: false, advert: true } }), 3 * 40 + 10000);
  assert.equal(vrrpRxBufSize([a, b], { vrrpRxBufsPolicy: { mtu: true, advert: false }, vrrpRxBufsMultiplier: 5 }), 5 * 1500 + 10000);
  assert.equal(vrrpRxBufSize([{ ic: v2(1) }], { vrrpRxBufsPolicy: { mtu: true, advert: false } }), 0, 'MTU unknown: nothing');
  assert.equal(vrrpRxBufSize([{ ic: v2(1, { kernelRxBufSize: 0x7fffffff }) }, b], {}), 0x7fffffff, 'capped at INT_MAX');
});

test('netlink buffers: unset keeps our defaults; a size of 0 is keepalived 64 KiB; _force is carried', () => {
  assert.equal(netlinkReceiveBuffer(undefined), undefined);
  assert.deepEqual(netlinkReceiveBuffer({ size: 0, force: true }), { bytes: 65536, force: true });
  assert.deepEqual(netlinkReceiveBuffer({ size: 300000, force: false }), { bytes: 300000, force: false });
});
