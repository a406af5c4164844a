import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  bodyDigest,
  buildHttpRequest,
  extractContentLength,
  extractStatusCode,
  httpFailure,
  parseHttpResponse,
  regexMatches,
} from '../../../src/probe/http-response.js';
import { conn, httpCheck, url } from '../../fixtures/probe/checks.js';

const raw = (s: string): Buffer => Buffer.from(s, 'latin1');

test("the request is keepalived's template: HTTP/1.0, KeepAliveClient, Host ip:port or the virtual host", () => {
  const c = httpCheck(conn('192.0.2.20', 8080), url('/health'));
  assert.equal(buildHttpRequest(c, c.urls[0]!), 'GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 192.0.2.20:8080\r\n\r\n');
  const v = httpCheck(conn('2001:db8::20', 80), url('/', { virtualhost: 'www.example.org' }), { httpProtocol: '1.1' });
  assert.equal(
    buildHttpRequest(v, v.urls[0]!),
    'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.org\r\n\r\n',
  );
  const six = httpCheck(conn('2001:db8::20', 80), url('/'), { httpProtocol: '1.0C' });
  assert.match(buildHttpRequest(six, six.urls[0]!), /Connection: close\r\nHost: \[2001:db8::20\]:80\r\n\r\n$/);
});

test('status code as lib/html.c reads it: three digits between two spaces', () => {
  assert.equal(extractStatusCode('HTTP/1.1 200 OK\r\n'), 200);
  assert.equal(extractStatusCode('HTTP/1.0 404 Not Found\r\n'), 404);
  assert.equal(extractStatusCode('HTTP/1.1 200\r\n'), 0);
  assert.equal(extractStatusCode('HTTP/1.1 20 OK\r\n'), 0);
  assert.equal(extractStatusCode('HTTP/1.1\r\n200 OK'), 0);
  assert.equal(extractStatusCode('HTTP/1.1 2x0 OK'), 0);
});

test('Content-Length is read as written and cuts the body', () => {
  assert.equal(extractContentLength('HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n'), 5);
  assert.equal(extractContentLength('HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\n'), undefined);
  assert.equal(extractContentLength('Content-Length: 5x\r\n'), undefined);
  const r = parseHttpResponse(raw('HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello world'));
  assert.deepEqual(r, { complete: true, statusCode: 200, body: raw('hello') });
  assert.equal(parseHttpResponse(raw('HTTP/1.0 200 OK\r\n')).complete, false);
});

test('digest is the MD5 of the body bytes after the header (genhash)', () => {
  const body = raw('<html>ok</html>\n');
  assert.equal(bodyDigest(body), createHash('md5').update(body).digest('hex'));
  assert.equal(bodyDigest(raw('')), 'd41d8cd98f00b204e9800998ecf8427e');
});

test("failure texts in keepalived's order: no data, status, digest, regex", () => {
  const good = parseHttpResponse(raw('HTTP/1.0 200 OK\r\n\r\nalive and well'));
  const digest = bodyDigest(raw('alive and well'));
  assert.equal(httpFailure(url('/'), good), undefined);
  assert.equal(httpFailure(url('/'), parseHttpResponse(raw(''))), 'Read, no data received from ');
  assert.equal(httpFailure(url('/'), parseHttpResponse(raw('HTTP/1.0 500 Oops\r\n\r\n'))), 'HTTP status code error to');
  assert.equal(httpFailure(url('/', { statusCodes: [[500, 500]] }), parseHttpResponse(raw('HTTP/1.0 500 Oops\r\n\r\n'))), undefined);
  assert.equal(httpFailure(url('/', { digest }), good), undefined);
  assert.equal(httpFailure(url('/', { digest: '0'.repeat(32) }), good), 'MD5 digest error to');
  assert.equal(httpFailure(url('/', { digest: '0'.repeat(32) }), parseHttpResponse(raw('HTTP/1.0 301 X\r\n\r\n'))), 'HTTP status code error to');
  assert.equal(httpFailure(url('/', { regex: 'alive' }), good), undefined);
  assert.equal(httpFailure(url('/', { regex: 'dead' }), good), 'Regex match failed');
  assert.equal(httpFailure(url('/', { regex: 'dead', regexNoMatch: true }), good), undefined);
  assert.equal(httpFailure(url('/', { regex: 'alive', regexNoMatch: true }), good), 'Regex match failed');
});

test('regex options and offsets', () => {
  const body = raw('status: ALIVE\nload: low');
  assert.equal(regexMatches(url('/', { regex: 'alive' }), body), false);
  assert.equal(regexMatches(url('/', { regex: 'alive', regexOptions: ['caseless'] }), body), true);
  assert.equal(regexMatches(url('/', { regex: '^load', regexOptions: ['multiline'] }), body), true);
  assert.equal(regexMatches(url('/', { regex: 'ALIVE', regexMinOffset: 9 }), body), false);
  assert.equal(regexMatches(url('/', { regex: 'ALIVE', regexMinOffset: 8 }), body), true);
  assert.equal(regexMatches(url('/', { regex: 'ALIVE', regexMaxOffset: 8 }), body), false); // regex_max_offset 7
  assert.equal(regexMatches(url('/', { regex: 'ALIVE', regexMaxOffset: 9 }), body), true); // regex_max_offset 8
  assert.equal(regexMatches(url('/', { regex: '(' }), body), false);
});
