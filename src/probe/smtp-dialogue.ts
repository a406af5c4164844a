/**
 * The pure SMTP_CHECK dialogue (keepalived check_smtp.c `smtp_engine_thread`): read the greeting, which must be
 * 220; send `HELO <helo_name>`; read the answer, which must be 250; send `QUIT`; read one more line (any), and
 * the server is up. Bytes in, lines out; the driver (smtp.ts) owns the socket.
 *
 * keepalived's line reading is kept: each read step starts with an empty buffer and ends at the first newline;
 * what followed that newline in the same read is dropped, and the code is the first three characters, followed
 * by a space or nothing (so `220-…` continuation lines and `220\r` are not a 220).
 */

/** smtp_get_status: the reply code of a line (without its newline), or -1. */
export function smtpStatus(line: string): number {
  const m = /^[ \t\n\v\f\r]*[+-]?[0-9]+/.exec(line);
  if (!m || m[0].length !== 3) return -1;
  const next = line.charAt(3);
  if (next !== '' && next !== ' ') return -1;
  return Number.parseInt(m[0], 10);
}

/** Where the dialogue is. */
type Phase = 'banner' | 'helo' | 'quit' | 'done';

/** What the dialogue wants next. */
export type SmtpStep =
  | { readonly kind: 'wait' }
  | { readonly kind: 'send'; readonly line: string }
  | { readonly kind: 'success' }
  | { readonly kind: 'failure'; readonly text: string };

/** keepalived's SMTP_CHECK conversation with one server (`server` = `[ip]:port` for the failure texts). */
export class SmtpDialogue {
  private phase: Phase = 'banner';
  private buf = '';

  /** @param heloName the HELO argument @param server FMT_SMTP_RS, e.g. `[192.0.2.1]:25` */
  constructor(
    private readonly heloName: string,
    private readonly server: string,
  ) {}

  /** One read's worth of bytes (a `data` event). */
  receive(chunk: Buffer): SmtpStep {
    if (this.phase === 'done') return { kind: 'wait' };
    this.buf += chunk.toString('latin1');
    const nl = this.buf.indexOf('\n');
    if (nl < 0) return { kind: 'wait' };
    const line = this.buf.slice(0, nl);
    this.buf = '';
    switch (this.phase) {
      case 'banner':
        if (smtpStatus(line) !== 220) return this.fail('Bad greeting banner from server');
        this.phase = 'helo';
        return { kind: 'send', line: `HELO ${this.heloName}\r\n` };
      case 'helo':
        if (smtpStatus(line) !== 250) return this.fail('Bad HELO response from server');
        this.phase = 'quit';
        return { kind: 'send', line: 'QUIT\r\n' };
      case 'quit':
        this.phase = 'done';
        return { kind: 'success' };
    }
  }

  /** The text for a read that failed or timed out now. */
  readFailure(timedOut: boolean): string {
    return `${timedOut ? 'Read timeout from' : 'Read failure from'} server ${this.server}`;
  }

  private fail(text: string): SmtpStep {
    this.phase = 'done';
    return { kind: 'failure', text: `${text} ${this.server}` };
  }
}
