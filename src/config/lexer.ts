/**
 * keepalived.conf lexer: one logical line in, tokens with positions out.
 *
 * keepalived's rules (lib/parser.c): `#` and `!` start a comment anywhere outside double quotes (`\#`, `\!` are
 * literal); tokens are separated by blanks; a double-quoted token keeps its blanks and loses its quotes; `{` and `}`
 * are tokens of their own wherever they stand, so one-line blocks (`global_defs { router_id X }`) work.
 */
import type { DiagnosticSink, SourcePos } from './diagnostics.js';

/** One token with the position of its first character. */
export interface Token {
  readonly text: string;
  /** True for a "…" token (never a brace or keyword even if its text looks like one). */
  readonly quoted: boolean;
  readonly pos: SourcePos;
}

/** A physical line of a file after include expansion (text plus where it came from). */
export interface SourceLine {
  readonly text: string;
  readonly file: string;
  readonly line: number;
  /** Column of text[0] in the original line (1 unless the line was cut by a preprocessor). */
  readonly col: number;
  /** Column of each text[i], when substitutions moved text around (a substituted character has its `$`'s). */
  readonly cols?: readonly number[];
  /** Every token is at `col` (the whole line came from a definition). */
  readonly pinned?: boolean;
}

/** True for the brace tokens. */
export function isBrace(t: Token, which?: '{' | '}'): boolean {
  return !t.quoted && (which ? t.text === which : t.text === '{' || t.text === '}');
}

/** Splits one line into tokens; reports an unterminated quote. Never throws. */
export function tokenizeLine(src: SourceLine, diags: DiagnosticSink): Token[] {
  const out: Token[] = [];
  tokenizeInto(out, src, diags);
  return out;
}

/** The position of `src.text[i]`. */
function posAt(src: SourceLine, i: number): SourcePos {
  const cols = src.cols;
  return {
    file: src.file,
    line: src.line,
    col: src.pinned ? src.col : cols ? (cols[Math.min(i, cols.length - 1)] ?? src.col) : src.col + i,
  };
}

// Character codes the lexer looks at. It compares codes rather than one-character strings and cuts a word out of
// the line with one slice instead of appending character by character: the lexer runs once per token of the largest
// configurations (issue 17, sixth pass), and each appended character was a string of its own for the GC to collect.
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const VT = 0x0b;
const FF = 0x0c;
const CR = 0x0d;
const QUOTE = 0x22;
const HASH = 0x23;
const BANG = 0x21;
const DOLLAR = 0x24;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/** {@link tokenizeLine}, appending the tokens to `out` (the preprocessor's item stream). */
export function tokenizeInto(out: { push(t: Token): number }, src: SourceLine, diags: DiagnosticSink): void {
  const s = src.text;
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === SPACE || c === TAB || c === CR || c === LF || c === VT || c === FF) {
      i++;
      continue;
    }
    if (c === HASH || c === BANG) return; // comment to end of line
    if (c === OPEN || c === CLOSE) {
      out.push({ text: c === OPEN ? '{' : '}', quoted: false, pos: posAt(src, i) });
      i++;
      continue;
    }
    if (c === QUOTE) {
      const end = s.indexOf('"', i + 1);
      if (end < 0) {
        diags.error(posAt(src, i), 'Unterminated quote');
        out.push({ text: s.slice(i + 1), quoted: true, pos: posAt(src, i) });
        return;
      }
      out.push({ text: s.slice(i + 1, end), quoted: true, pos: posAt(src, i) });
      i = end + 1;
      continue;
    }
    // a word: up to a blank, brace, quote or comment; `\#` and `\!` stand for `#` and `!`, and `${NAME}` is one word
    // even with braces (or blanks) inside. `text` holds what came before the last escape; `from` where the rest starts.
    const start = i;
    let text = '';
    let from = i;
    while (i < n) {
      const d = s.charCodeAt(i);
      if (d === SPACE || d === TAB || d === CR || d === LF || d === OPEN || d === CLOSE || d === QUOTE || d === HASH || d === BANG) break;
      if (d === BACKSLASH && i + 1 < n && (s.charCodeAt(i + 1) === HASH || s.charCodeAt(i + 1) === BANG)) {
        text += s.slice(from, i) + s[i + 1];
        i += 2;
        from = i;
        continue;
      }
      if (d === DOLLAR && i + 1 < n && s.charCodeAt(i + 1) === OPEN) {
        const close = s.indexOf('}', i + 2);
        if (close >= 0) {
          i = close + 1;
          continue;
        }
      }
      i++;
    }
    out.push({ text: from === start ? s.slice(start, i) : text + s.slice(from, i), quoted: false, pos: posAt(src, start) });
    if (i < n && (s.charCodeAt(i) === HASH || s.charCodeAt(i) === BANG)) return;
  }
}
