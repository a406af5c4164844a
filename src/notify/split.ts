/**
 * keepalived's command-string splitting for scripts (notify*, vrrp_script `script`, fifo scripts…).
 *
 * Rules (keepalived 2.2.7 `alloc_strvec_quoted_escaped`): words are separated by blanks outside quotes;
 * `'…'` and `"…"` group text into the current word (quotes removed, adjacent text joins the word);
 * backslash escapes are honoured everywhere, also inside quotes: `\a \b \E \f \n \r \t \v`, `\nnn` (1-3 octal
 * digits), `\xHH…` (hex digits), `\cC` (control char), and `\C` = C for anything else.
 */

/** The outcome of splitting: the words, or an error text in keepalived's words. */
export type SplitResult = { readonly ok: true; readonly argv: readonly string[] } | { readonly ok: false; readonly error: string };

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

const isBlank = (c: string): boolean => c === ' ' || c === '\t';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';

/** Decodes the escape whose character (after the backslash) is at `i`; returns the char and the next index. */
function decodeEscape(src: string, i: number): [string, number] {
  const c = src[i]!;
  if (c === 'x' && isHex(src[i + 1])) {
    let v = 0;
    let j = i + 1;
    while (isHex(src[j])) v = ((v << 4) | parseInt(src[j++]!, 16)) & 0xff;
    return [String.fromCharCode(v), j];
  }
  if (c === 'c' && i + 1 < src.length) return [String.fromCharCode(src.charCodeAt(i + 1) & 0x1f), i + 2];
  if (isOctal(c)) {
    let v = 0;
    let j = i;
    for (let n = 0; n < 3 && isOctal(src[j]); n++) v = (v << 3) + (src.charCodeAt(j++) - 48);
    return [String.fromCharCode(v & 0xff), j];
  }
  return [SIMPLE_ESCAPES[c] ?? c, i + 1];
}

/** Splits a script command string into argv with keepalived's quoting and escape rules. */
export function splitCommand(src: string): SplitResult {
  const argv: string[] = [];
  let i = 0;
  while (i < src.length) {
    while (i < src.length && isBlank(src[i]!)) i++;
    if (i >= src.length) break;
    let word = '';
    let quote = '';
    for (;;) {
      if (i >= src.length) {
        if (quote) return { ok: false, error: `String '${src}': missing terminating ${quote}` };
        break;
      }
      const c = src[i]!;
      if (c === '\\') {
        if (i + 1 >= src.length) return { ok: false, error: `Missing escape char at end: '${src}'` };
        const [ch, next] = decodeEscape(src, i + 1);
        word += ch;
        i = next;
      } else if (quote) {
        if (c === quote) quote = '';
        else word += c;
        i++;
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
      } else if (isBlank(c)) {
        break;
      } else {
        word += c;
        i++;
      }
    }
    argv.push(word);
  }
  if (argv.length === 0) return { ok: false, error: 'Unable to parse script' };
  return { ok: true, argv };
}

/** Quotes one word for `/bin/sh` (single quotes; embedded `'` closed and escaped). */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
