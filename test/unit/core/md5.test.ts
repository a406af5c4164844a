/** MD5 and HMAC-MD5 of the sans-IO core against node:crypto and the RFC 1321 / RFC 2104 test vectors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { hmacMd5, md5 } from '../../../src/core/inet/md5.js';
import { seededRng } from '../../../src/core/rng.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('md5: RFC 1321 A.5 test suite', () => {
  assert.equal(hex(md5(Buffer.from(''))), 'd41d8cd98f00b204e9800998ecf8427e');
  assert.equal(hex(md5(Buffer.from('abc'))), '900150983cd24fb0d6963f7d28e17f72');
  assert.equal(
    hex(md5(Buffer.from('12345678901234567890123456789012345678901234567890123456789012345678901234567890'))),
    '57edf4a22be3c955ac49da2e2107b67a',
  );
});

test('hmac-md5: RFC 2104 test vectors', () => {
  assert.equal(hex(hmacMd5(Buffer.alloc(16, 0x0b), Buffer.from('Hi There'))), '9294727a3638bb1c13f48ef8158bfc9d');
  assert.equal(hex(hmacMd5(Buffer.from('Jefe'), Buffer.from('what do ya want '), Buffer.from('for nothing?'))), '750c783e6ab0b503eaa86e310a5db738');
});

test('md5 and hmac-md5 agree with node:crypto on every length around the block boundaries', () => {
  const rng = seededRng(15);
  for (let n = 0; n <= 200; n++) {
    const data = Buffer.from(Array.from({ length: n }, () => Math.floor(rng.next() * 256)));
    const key = data.subarray(0, n % 80);
    assert.equal(hex(md5(data)), createHash('md5').update(data).digest('hex'), `md5 length ${n}`);
    // split input: the digest is of the concatenation
    assert.equal(
      hex(hmacMd5(key, data.subarray(0, n >> 1), data.subarray(n >> 1))),
      createHmac('md5', key).update(data).digest('hex'),
      `hmac length ${n}`,
    );
  }
});
