/** genhash's command line (keepalived check_genhash.c) and lib/utils.c dump_buffer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpBuffer, parseGenhashArgs } from '../../../src/cli/genhash.js';

test('genhash options: short, long, =value, clustered flags, mandatory server/port/url', () => {
  assert.deepEqual(
    parseGenhashArgs(['-vS', '-s', '192.0.2.1', '-p80', '--url=/x', '-V', 'www.example.org', '-P', '1.0c', '-t', '3', '-m', '5']).opts,
    {
      ssl: true,
      sni: false,
      protocol: '1.0C',
      verbose: true,
      server: '192.0.2.1',
      port: 80,
      url: '/x',
      virtualhost: 'www.example.org',
      timeoutSec: 3,
      fwmark: 5,
    },
  );
  assert.deepEqual(parseGenhashArgs(['-s', '192.0.2.1', '-p', '80']), { errors: [] });
  assert.deepEqual(parseGenhashArgs(['-s', 'example.org', '-p', '80', '-u', '/']).errors, ['server should be an IP, not example.org']);
  assert.deepEqual(parseGenhashArgs(['-s', '192.0.2.1', '-p', '0', '-u', '/']).errors, ["invalid port number '0'"]);
  assert.deepEqual(parseGenhashArgs(['-s', '192.0.2.1', '-p', '80', '-u', '/', '-P', '2']).errors, ["invalid HTTP protocol version '2'"]);
  assert.deepEqual(parseGenhashArgs(['-x']).errors, ['Unknown option -x']);
  assert.deepEqual(parseGenhashArgs(['-s']).errors, ['Missing parameter for option -s']);
  assert.deepEqual(parseGenhashArgs(['-s', '192.0.2.1', '-p', '80', '-u', '/', 'extra']).errors, ['Unexpected argument(s): extra']);
  assert.equal(parseGenhashArgs(['-h', '-s', '192.0.2.1', '-p', '80', '-u', '/']).opts, undefined);
});

test('dump_buffer layout: decimal offsets, two groups of 8, printable text, padded last line as keepalived pads it', () => {
  assert.equal(
    dumpBuffer(Buffer.from('HTTP/1.0 200 OK\r\nab')),
    '0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.\n' +
      `0016  0a 61 62${' '.repeat(15)} -${' '.repeat(24)}   .ab${' '.repeat(13)}\n`,
  ); // keepalived prints the ' -' in the padding too
});
