/**
 * Batch receive into reused memory (issue 17): sysio.recvmmsgInto() and a Socket opened with `batch`. UDP on
 * loopback: datagrams arrive in order with their lengths and source sockaddrs, a batch comes back short when the
 * queue empties, a datagram longer than the slot is cut and flagged MSG_TRUNC, and the memory is the same every read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { K, sysio } from '../../../src/net/sysio.js';
import { parseSockaddr, sockaddrIn } from '../../../src/net/sockaddr.js';
import { RecvBatch, RECV_ADDR_SLOT, Socket } from '../../../src/net/socket.js';

function udpPair(): { rx: number; tx: number; to: Buffer; from: number } {
  const rx = sysio.socket(K.AF_INET!, K.SOCK_DGRAM!, 0);
  const tx = sysio.socket(K.AF_INET!, K.SOCK_DGRAM!, 0);
  sysio.bind(rx, sockaddrIn('127.0.0.1', 0));
  sysio.bind(tx, sockaddrIn('127.0.0.1', 0));
  const port = (s: number) => {
    const a = parseSockaddr(sysio.getsockname(s));
    return a.family === 'inet' ? a.port : -1;
  };
  return { rx, tx, to: sockaddrIn('127.0.0.1', port(rx)), from: port(tx) };
}

test('recvmmsgInto reads up to a batch into the caller’s memory and reports lengths, sockaddrs and truncation', () => {
  const { rx, tx, to, from } = udpPair();
  try {
    const b = new RecvBatch(3, 64, 0);
    assert.equal(b.receive(rx), 0, 'nothing queued');
    assert.equal(
      sysio.sendmmsg(
        tx,
        [1, 2, 3, 100].map((n) => Buffer.alloc(n, n)),
        to,
      ),
      4,
    );
    const data = b.data;
    assert.equal(b.receive(rx), 3, 'a full batch');
    assert.deepEqual(
      [0, 1, 2].map((i) => b.length(i)),
      [1, 2, 3],
    );
    for (let i = 0; i < 3; i++) {
      assert.ok(b.data.subarray(b.dataOffset(i), b.dataOffset(i) + b.length(i)).every((x) => x === i + 1));
      const sa = parseSockaddr(b.addrs.subarray(b.addrOffset(i), b.addrOffset(i) + RECV_ADDR_SLOT));
      assert.deepEqual(sa.family === 'inet' ? [sa.address, sa.port] : [], ['127.0.0.1', from]);
      assert.equal(b.flags(i) & K.MSG_TRUNC!, 0);
    }
    assert.equal(b.receive(rx), 1, 'short: the queue is empty');
    assert.equal(b.length(0), 64, 'cut to the slot');
    assert.notEqual(b.flags(0) & K.MSG_TRUNC!, 0);
    assert.equal(b.data, data, 'the same memory');
    assert.equal(b.receive(rx), 0);
  } finally {
    sysio.close(rx);
    sysio.close(tx);
  }
});

test('a batch Socket hands every queued datagram to onBatch, batch by batch, then stops at the short one', () => {
  const { rx, tx } = udpPair();
  sysio.close(rx); // the Socket opens its own
  let sock: Socket | undefined;
  try {
    const calls: number[][] = [];
    sock = Socket.open(
      K.AF_INET!,
      K.SOCK_DGRAM!,
      0,
      {
        onMessage: () => assert.fail('onMessage is not used with batch'),
        maxLength: 32,
        controlLength: 0,
        batch: { size: 2, onBatch: (b, n) => calls.push(Array.from({ length: n }, (_, i) => b.data[b.dataOffset(i)]!)) },
      },
      (fd) => sysio.bind(fd, sockaddrIn('127.0.0.1', 0)),
    );
    const a = parseSockaddr(sysio.getsockname(sock.fd));
    const port = a.family === 'inet' ? a.port : 0;
    assert.equal(
      sysio.sendmmsg(
        tx,
        [7, 8, 9, 10, 11].map((n) => Buffer.from([n])),
        sockaddrIn('127.0.0.1', port),
      ),
      5,
    );
    sock.drain();
    assert.deepEqual(calls, [[7, 8], [9, 10], [11]]);
    sock.drain();
    assert.equal(calls.length, 3, 'nothing more');
  } finally {
    sock?.close();
    sysio.close(tx);
  }
});
