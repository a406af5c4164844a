import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shellQuote, splitCommand } from '../../../src/notify/split.js';

function argv(s: string): readonly string[] {
  const r = splitCommand(s);
  assert.ok(r.ok, `split failed for ${s}`);
  return r.argv;
}

test('plain words split on blanks and tabs', () => {
  assert.deepEqual(argv('/etc/keepalived/notify.sh master'), ['/etc/keepalived/notify.sh', 'master']);
  assert.deepEqual(argv('  a\t b   c  '), ['a', 'b', 'c']);
});

test('double and single quotes group words and join adjacent text', () => {
  assert.deepEqual(argv(`/x "hello world" 'a b'`), ['/x', 'hello world', 'a b']);
  assert.deepEqual(argv(`/x pre"mid dle"post`), ['/x', 'premid dlepost']);
  assert.deepEqual(argv(`/x "it's" 'say "hi"'`), ['/x', "it's", 'say "hi"']);
  assert.deepEqual(argv(`/x ""`), ['/x', '']);
});

test('escapes: simple, octal, hex, control, literal', () => {
  assert.deepEqual(argv('/x a\\tb \\n \\E'), ['/x', 'a\tb', '\n', '\x1b']);
  assert.deepEqual(argv('/x \\101\\0102 \\x41\\x4a'), ['/x', 'A\b2', 'AJ']);
  assert.deepEqual(argv('/x \\cA \\q \\ space'), ['/x', '\x01', 'q', ' space']);
  assert.deepEqual(argv('/x "a\\"b" \'c\\\'d\''), ['/x', 'a"b', "c'd"]);
  assert.deepEqual(argv('/x a\\ b'), ['/x', 'a b']);
});

test('errors: unterminated quote, trailing backslash, empty', () => {
  const a = splitCommand('/x "abc');
  assert.equal(a.ok, false);
  assert.match(!a.ok ? a.error : '', /missing terminating "/);
  assert.equal(splitCommand("/x 'abc").ok, false);
  const b = splitCommand('/x abc\\');
  assert.match(!b.ok ? b.error : '', /Missing escape char at end/);
  assert.equal(splitCommand('   ').ok, false);
});

test('shellQuote round-trips through /bin/sh', async () => {
  const { execFileSync } = await import('node:child_process');
  const words = ['plain', 'with space', "it's", '$HOME', '', 'a"b\\c'];
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`]).toString();
  assert.deepEqual(out.split('\n').slice(0, -1), words);
});
