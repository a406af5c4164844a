import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpDialogue, smtpStatus } from '../../../src/probe/smtp-dialogue.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('reply codes as smtp_get_status reads them', () => {
  assert.equal(smtpStatus('220 mx.example.org ESMTP'), 220);
  assert.equal(smtpStatus('250'), 250);
  assert.equal(smtpStatus('220-mx.example.org'), -1);
  assert.equal(smtpStatus('220\r'), -1);
  assert.equal(smtpStatus('2200 x'), -1);
  assert.equal(smtpStatus('ok'), -1);
});

test('the dialogue: 220 → HELO, 250 → QUIT, any line → success', () => {
  const d = new SmtpDialogue('smtpchecker.keepalived.org', '[192.0.2.20]:25');
  assert.deepEqual(d.receive(b('220 mx ')), { kind: 'wait' });
  assert.deepEqual(d.receive(b('ESMTP\r\nignored rest')), { kind: 'send', line: 'HELO smtpchecker.keepalived.org\r\n' });
  assert.deepEqual(d.receive(b('250 hello\r\n')), { kind: 'send', line: 'QUIT\r\n' });
  assert.deepEqual(d.receive(b('221 bye\r\n')), { kind: 'success' });
});

test('failure texts name the server', () => {
  const d = new SmtpDialogue('h', '[192.0.2.20]:25');
  assert.deepEqual(d.receive(b('554 go away\r\n')), { kind: 'failure', text: 'Bad greeting banner from server [192.0.2.20]:25' });
  const e = new SmtpDialogue('h', '[2001:db8::20]:25');
  e.receive(b('220 ok\r\n'));
  assert.deepEqual(e.receive(b('501 bad\r\n')), { kind: 'failure', text: 'Bad HELO response from server [2001:db8::20]:25' });
  assert.equal(e.readFailure(true), 'Read timeout from server [2001:db8::20]:25');
  assert.equal(e.readFailure(false), 'Read failure from server [2001:db8::20]:25');
});
