/**
 * keepalived's `$NAME` definitions (lib/parser.c `check_definition`, `find_definition`, `replace_param`) and its
 * pre-defined ones: `${_PWD}`, `${_INSTANCE}`, `${_RANDOM [MIN [MAX]]}`, `${_HASH}` (`#`) and `${_BANG}` (`!`).
 *
 * Substitution works on a whole line, as keepalived's does: `${NAME}` anywhere, `$NAME` when followed by a blank,
 * `,`, `)` or the end of the line; the replacement is rescanned, so definitions may use definitions. Undefined names
 * stay as written. A multi-line definition puts its first line in place and hands back the others, to be read as
 * the lines that follow. Every character keeps the column it came from (a substituted one: its `$`), so tokens stay
 * positioned. Unlike keepalived, a definition used inside its own replacement is an error instead of a loop.
 */
import { randomInt, type Rng } from '../core/rng.js';

/**
 * A line being preprocessed, with the source column of each UTF-16 unit: `cols[i]`, or `col0` for every one of a
 * `pinned` line (text from a definition), or else `col0 + i`.
 */
export interface MappedText {
  readonly text: string;
  readonly col0: number;
  readonly cols?: readonly number[];
  readonly pinned?: boolean;
  /**
   * The definitions this line was made by (a line of a multi-line definition, or a substituted line read again):
   * using one of them again in it would never end.
   */
  readonly from?: readonly string[];
}

/** The column of `text[i]` (the last column for the end of the text). */
export function colAt(m: MappedText, i: number): number {
  if (m.pinned) return m.col0;
  if (!m.cols) return m.col0 + i;
  return m.cols[Math.min(i, m.cols.length - 1)] ?? m.col0;
}

/** `text.slice(start, end)` with its columns (and the definitions it came from). */
export function sliceMapped(m: MappedText, start: number, end?: number): MappedText {
  const cols = m.pinned ? { pinned: true } : m.cols ? { cols: m.cols.slice(start, end) } : {};
  return { text: m.text.slice(start, end), col0: colAt(m, start), ...cols, ...(m.from ? { from: m.from } : {}) };
}

/** A definition: plain text (lines separated by `\n`), or one computed at each use. */
export type Definition =
  | { readonly value: string }
  | { readonly compute: (params: readonly number[], warn: (message: string) => void) => string; readonly maxParams: number };

/** What the pre-defined definitions need from the preprocessor. */
export interface BuiltinContext {
  /** `-i/--config-id`. */
  readonly configId: string;
  /** The source of `${_RANDOM}`. */
  readonly rng: Rng;
  /** The directory of the file being read. */
  readonly pwd: () => string;
}

/** A fresh definition table holding keepalived 2.2.7's pre-defined names (a `$NAME=` of the same name overrides). */
export function builtinDefinitions(ctx: BuiltinContext): Map<string, Definition> {
  return new Map<string, Definition>([
    ['_PWD', { compute: () => ctx.pwd(), maxParams: 0 }],
    ['_INSTANCE', { value: ctx.configId }],
    ['_RANDOM', { compute: (params, warn) => random(ctx.rng, params, warn), maxParams: 2 }],
    ['_HASH', { value: '#' }],
    ['_BANG', { value: '!' }],
  ]);
}

/** keepalived's `get_random`: an integer in [MIN, MAX], MIN defaulting to 0 and MAX to 32767. */
function random(rng: Rng, params: readonly number[], warn: (message: string) => void): string {
  const min = params[0] ?? 0;
  const max = params.length > 1 ? (params[1] as number) : 32767;
  if (params.length > 2) warn(`Too many parameters for \${_RANDOM ${params.join(' ')}} - using ${min} ${max}`);
  if (min > max) {
    warn(`\${_RANDOM ${min} ${max}}: MIN is greater than MAX - using [${max}, ${min}]`);
    return String(randomInt(rng, max, min));
  }
  return String(randomInt(rng, min, max));
}

/** The result of substituting a line. */
export interface Expansion {
  readonly line: MappedText;
  /** Further lines from multi-line definitions, in reading order; each is pinned to its `$`. */
  readonly more: readonly MappedText[];
  readonly changed: boolean;
  /** A problem: a recursive or runaway expansion (the line is returned as far as it got). */
  readonly error?: { readonly message: string; readonly col: number };
}

const MAX_SUBSTITUTIONS = 1000;
const MAX_LINE = 16 * 1024; // keepalived reads lines of at most 1024 bytes (MAXBUF) and never makes them longer

/** Substitutes every defined `$NAME` / `${NAME}` / `${NAME params}` in `line`. */
export function expandLine(defs: ReadonlyMap<string, Definition>, line: MappedText, warn: (message: string, col: number) => void): Expansion {
  if (!line.text.includes('$')) return { line, more: [], changed: false };
  // `done` is final; `rest` (the replacement just made, then the rest of the line) is still to be scanned, so each
  // substitution costs the length of `rest`, not of the line
  let done = '';
  const doneCols: number[] = [];
  let rest = line.text;
  const track = !line.pinned; // a pinned line stays pinned: no columns to carry
  let restCols = track ? columns(line) : [];
  let more: MappedText[] = [];
  let count = 0;
  const outer = line.from ?? [];
  const used = new Set<string>();
  // replacements being scanned, innermost last; each ends where `tail` characters of the line are left
  const active: { name: string; tail: number }[] = [];
  const finish = (error?: Expansion['error']): Expansion => {
    for (const c of restCols) doneCols.push(c);
    const cols = track ? { cols: doneCols } : { pinned: true };
    return count === 0
      ? { line, more, changed: false, ...(error ? { error } : {}) }
      : {
          line: { text: done + rest, col0: line.col0, ...cols, from: [...outer, ...used] },
          more,
          changed: true,
          ...(error ? { error } : {}),
        };
  };
  for (let i = rest.indexOf('$'); i >= 0 && i + 1 < rest.length; i = rest.indexOf('$', i)) {
    const ref = matchReference(rest, i);
    const def = ref && defs.get(ref.name);
    if (!ref || !def || (ref.params !== undefined && !('compute' in def && def.maxParams > 0))) {
      i++;
      continue;
    }
    const at = track ? (restCols[i] as number) : line.col0;
    while (active.length > 0 && i >= rest.length - (active[active.length - 1] as { tail: number }).tail) active.pop();
    if (outer.includes(ref.name) || active.some((r) => r.name === ref.name)) {
      return finish({ message: `Definition '${ref.name}' refers to itself - line dropped`, col: at });
    }
    const value = 'value' in def ? def.value : def.compute(parseParams(ref.params), (m) => warn(m, at));
    const nl = value.indexOf('\n');
    const first = nl < 0 ? value : value.slice(0, nl);
    if (nl >= 0) {
      const from = [...outer, ...active.map((r) => r.name), ref.name];
      more = [
        ...value
          .slice(nl + 1)
          .split('\n')
          .map((t) => pinned(t, at, from)),
        ...more,
      ];
    }
    used.add(ref.name);
    done += rest.slice(0, i);
    if (track) {
      for (let k = 0; k < i; k++) doneCols.push(restCols[k] as number);
      const next: number[] = [];
      for (let k = 0; k < first.length; k++) next.push(at);
      for (let k = ref.end; k < restCols.length; k++) next.push(restCols[k] as number);
      restCols = next;
    }
    rest = first + rest.slice(ref.end);
    active.push({ name: ref.name, tail: rest.length - first.length });
    i = 0;
    if (++count > MAX_SUBSTITUTIONS || done.length + rest.length > MAX_LINE) {
      return finish({
        message: `Definitions expand to more than ${MAX_LINE} characters or ${MAX_SUBSTITUTIONS} substitutions - line dropped`,
        col: at,
      });
    }
    if (first.trimStart().startsWith('~')) break; // keepalived stops here; the caller reprocesses a ~SEQ/~LST line
  }
  return finish();
}

/** The column of every character of `m`. */
function columns(m: MappedText): number[] {
  const out: number[] = [];
  for (let k = 0; k < m.text.length; k++) out.push(colAt(m, k));
  return out;
}

/** A line whose every character is at `col` (text from a definition). */
export function pinned(text: string, col: number, from?: readonly string[]): MappedText {
  return { text, col0: col, pinned: true, ...(from ? { from } : {}) };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean => c !== undefined && (c === '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
const isAlnum = (c: string | undefined): boolean => isAlpha(c) || isDigit(c);

/** A reference at `s[i]` (a `$`): its name, its parameter text, and where it ends. keepalived's find_definition rules. */
function matchReference(s: string, i: number): { name: string; params?: string; end: number } | undefined {
  const braces = s[i + 1] === '{';
  const j = i + (braces ? 2 : 1);
  if (!isAlpha(s[j])) return undefined;
  let k = j + 1;
  while (isAlnum(s[k])) k++;
  const name = s.slice(j, k);
  if (!braces) return k === s.length || ' \t,)'.includes(s[k] as string) ? { name, end: k } : undefined;
  let p = k;
  let first = -1;
  let last = -1;
  for (; s[p] === ' ' || isDigit(s[p]); p++)
    if (s[p] !== ' ') {
      if (first < 0) first = p;
      last = p;
    }
  if (s[p] !== '}' || (first >= 0 && last + 1 !== p)) return undefined;
  return first < 0 ? { name, end: p + 1 } : { name, params: s.slice(first, last + 1), end: p + 1 };
}

function parseParams(params: string | undefined): number[] {
  return params === undefined
    ? []
    : params
        .trim()
        .split(/ +/)
        .map((d) => Math.min(Number(d), Number.MAX_SAFE_INTEGER));
}

/** A `$NAME=value` line: the name and the text after `=` (blanks skipped); undefined when the line is not one. */
export function matchDefinition(line: string): { name: string; value: string } | undefined {
  const m = /^\$([A-Za-z_][A-Za-z0-9_]*)=[ \t]*/.exec(line);
  return m ? { name: m[1] as string, value: line.slice(m[0].length) } : undefined;
}

/** Where a comment (`#` or `!` outside double quotes, not after `\\`) starts in `line`; its length when there is none. */
export function commentStart(line: string): number {
  if (!line.includes('#') && !line.includes('!')) return line.length; // most lines: no character-by-character scan
  let quote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quote = !quote;
    else if (c === '\\') i++;
    else if (!quote && (c === '#' || c === '!')) return i;
  }
  return line.length;
}

/**
 * Removes a comment (`#` or `!` outside double quotes, not after `\`) and trailing blanks, as keepalived's
 * `decomment` does before it looks at a line. `continued` is true when the line ends with `\` (a multi-line
 * definition goes on), which keepalived honours even when the `\` stands inside the comment.
 */
export function decomment(line: string): { text: string; continued: boolean } {
  const cut = commentStart(line);
  let text = line.slice(0, cut).trimEnd();
  const continued = text.endsWith('\\') || line.trimEnd().endsWith('\\');
  if (text.endsWith('\\')) text = text.slice(0, -1).trimEnd();
  return { text, continued };
}
