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
  const s = src.text;
  const cols = src.cols;
  const at = (i: number): SourcePos => ({
    file: src.file,
    line: src.line,
    col: src.pinned ? src.col : cols ? (cols[Math.min(i, cols.length - 1)] ?? src.col) : src.col + i,
  });
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\v' || c === '\f') {
      i++;
      continue;
    }
    if (c === '#' || c === '!') break; // comment to end of line
    if (c === '{' || c === '}') {
      out.push({ text: c, quoted: false, pos: at(i) });
      i++;
      continue;
    }
    if (c === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) {
        diags.error(at(i), 'Unterminated quote');
        out.push({ text: s.slice(i + 1), quoted: true, pos: at(i) });
        break;
      }
      out.push({ text: s.slice(i + 1, end), quoted: true, pos: at(i) });
      i = end + 1;
      continue;
    }
    const start = i;
    let text = '';
    while (i < s.length) {
      const d = s[i] as string;
      if (d === ' ' || d === '\t' || d === '\r' || d === '\n' || d === '{' || d === '}' || d === '"') break;
      if (d === '#' || d === '!') break;
      if (d === '\\' && (s[i + 1] === '#' || s[i + 1] === '!')) {
        text += s[i + 1];
        i += 2;
        continue;
      }
      if (d === '$' && s[i + 1] === '{') {
        // ${NAME} is one word, not braces
        const close = s.indexOf('}', i + 2);
        if (close > 0) {
          text += s.slice(i, close + 1);
          i = close + 1;
          continue;
        }
      }
      text += d;
      i++;
    }
    out.push({ text, quoted: false, pos: at(start) });
    if (s[i] === '#' || s[i] === '!') break;
  }
  return out;
}
