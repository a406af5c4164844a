/**
 * keepalived's line repetition specs (lib/parser.c `add_seq`, `add_lst`), parsed without side effects:
 *
 *   ~SEQ(var, start, step, end) rest    ~SEQ(var, start, end) rest    ~SEQ(var, end) rest    ~SEQx(…) (hex output)
 *   ~LST(var, a, b, c) rest             ~LST({v1, v2}, {a1, a2}, {b1, b2}) rest
 *
 * `rest` is processed once per value with `$var` defined. Numbers are read like strtol(3) with base 0 (so `0x10` is
 * hex and `010` octal); `~SEQ` parameters may themselves be definitions (`~SEQ(i, 1, $N)`). The parse follows
 * keepalived's character rules, with one deliberate difference: keepalived skips any one character after the
 * variable of a `~SEQ`; here it must be a `,`.
 */

/** A `~SEQ`/`~SEQx` spec: `count` values from `start` by `step`. */
export interface SeqSpec {
  readonly kind: 'SEQ';
  readonly hex: boolean;
  readonly variables: readonly [string];
  readonly start: number;
  readonly step: number;
  readonly count: number;
  /** Offset of the repeated text in the line. */
  readonly restAt: number;
}

/** A `~LST` spec: one value set (a value per variable, missing ones empty) per repetition. */
export interface LstSpec {
  readonly kind: 'LST';
  readonly variables: readonly string[];
  readonly sets: readonly (readonly string[])[];
  /** Offset of the repeated text in the line. */
  readonly restAt: number;
}

/** A parsed spec, or what is wrong with it and where (an offset in the line). */
export type RepeatParse = { readonly spec: SeqSpec | LstSpec } | { readonly error: string; readonly at: number };

/** Substitutes definitions in a `~SEQ` parameter list; `multiline` when a multi-line definition was used. */
export type ParamExpander = (text: string) => { readonly text: string; readonly multiline: boolean };

/** True when a line is a repetition spec as keepalived decides it (it starts with `~SEQ` or `~LST`). */
export function isRepeatLine(line: string): boolean {
  return line.startsWith('~SEQ') || line.startsWith('~LST');
}

/** Parses the spec at the start of `line` (a line for which isRepeatLine is true). */
export function parseRepeat(line: string, expandParams: ParamExpander): RepeatParse {
  return line.startsWith('~SEQ') ? parseSeq(line, expandParams) : parseLst(line);
}

/** The values of repetition `i` (0-based), one per variable. */
export function repeatValues(spec: SeqSpec | LstSpec, i: number): readonly string[] {
  if (spec.kind === 'LST') return spec.sets[i] as readonly string[];
  const n = spec.start + i * spec.step;
  return [spec.hex ? n.toString(16) : String(n)];
}

/** How many times the rest of the line is processed. */
export function repeatCount(spec: SeqSpec | LstSpec): number {
  return spec.kind === 'SEQ' ? spec.count : spec.sets.length;
}

const BLANK = ' \t';

function skip(s: string, p: number, chars: string): number {
  while (p < s.length && chars.includes(s[p] as string)) p++;
  return p;
}

function until(s: string, p: number, stops: string): number {
  while (p < s.length && !stops.includes(s[p] as string)) p++;
  return p;
}

/** The spec as written, for messages: up to its `)`, or the whole line, at most 80 characters. */
function shown(line: string): string {
  const close = line.indexOf(')');
  const s = close < 0 ? line : line.slice(0, close + 1);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function parseSeq(line: string, expandParams: ParamExpander): RepeatParse {
  let p = 4;
  const hex = line[p] === 'x';
  if (hex) p++;
  const bad = (why: string, at: number): RepeatParse => ({ error: `Invalid ~SEQ definition '${shown(line)}': ${why}`, at });
  p = skip(line, p, BLANK);
  if (line[p] !== '(') return bad("expected '(' after ~SEQ", p);
  p = skip(line, p + 1, BLANK);
  const varAt = p;
  p = until(line, p, ' \t,)');
  const variable = line.slice(varAt, p);
  p = skip(line, p, BLANK);
  if (variable === '') return bad('the variable is missing', varAt);
  if (line[p] !== ',') return bad(line[p] === ')' || p >= line.length ? 'no values' : "expected ',' after the variable", p);
  const paramsAt = p + 1;
  const close = line.indexOf(')', paramsAt);
  if (close < 0) return bad("missing ')'", line.length);
  const params = expandParams(line.slice(paramsAt, close + 1));
  if (params.multiline) return { error: `~SEQ parameter is multiline definition '${shown(line)}'`, at: paramsAt };
  const nums = readNumbers(params.text);
  if ('why' in nums) return bad(nums.why, paramsAt + (params.text === line.slice(paramsAt, close + 1) ? nums.at : 0));
  let start: number;
  let step: number;
  let end: number;
  const [a, b, c] = nums.values as [number, number?, number?];
  if (b === undefined) {
    end = a;
    step = end < 1 ? -1 : 1;
    start = end < 0 ? -1 : 1;
  } else if (c === undefined) {
    start = a;
    end = b;
    step = start <= end ? 1 : -1;
  } else {
    start = a;
    step = b;
    end = c;
    if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) {
      const why = step === 0 ? 'the step is 0' : 'the step goes away from the end';
      return { error: `Invalid ~SEQ values '${shown(line)}': ${why}`, at: paramsAt };
    }
  }
  if (hex && (start < 0 || end < 0)) return { error: `~SEQx is only valid for positive numbers '${shown(line)}'`, at: paramsAt };
  const count = Math.floor((end - start) / step) + 1;
  return { spec: { kind: 'SEQ', hex, variables: [variable], start, step, count, restAt: skip(line, close + 1, BLANK) } };
}

/** One to three numbers separated by `,` and closed by `)`, read like strtol(…, 0). */
function readNumbers(s: string): { values: number[] } | { why: string; at: number } {
  const values: number[] = [];
  let p = 0;
  for (;;) {
    const n = strtol(s, p);
    if (!Number.isSafeInteger(n.value)) return { why: 'number out of range', at: skip(s, p, BLANK) };
    values.push(n.value);
    p = skip(s, n.end, BLANK);
    if (s[p] === ')') return { values };
    if (s[p] !== ',' || values.length === 3)
      return { why: values.length === 3 ? "expected ')' after the third number" : "expected ',' or ')' after a number", at: p };
    p++;
  }
}

/** strtol(3) with base 0: value and end offset; no digits gives 0 and `at` (as strtol leaves endptr). */
export function strtol(s: string, at: number): { value: number; end: number } {
  let p = at;
  while (p < s.length && ' \t\n\v\f\r'.includes(s[p] as string)) p++;
  let sign = 1;
  if (s[p] === '+' || s[p] === '-') {
    if (s[p] === '-') sign = -1;
    p++;
  }
  let base = 10;
  if (s[p] === '0' && (s[p + 1] === 'x' || s[p + 1] === 'X') && /[0-9a-fA-F]/.test(s[p + 2] ?? '')) {
    base = 16;
    p += 2;
  } else if (s[p] === '0') base = 8;
  const digitsAt = p;
  let value = 0;
  for (; p < s.length; p++) {
    const d = parseInt(s[p] as string, base);
    if (Number.isNaN(d)) break;
    value = value * base + d;
  }
  if (p === digitsAt) return { value: 0, end: at };
  return { value: sign * value, end: p };
}

function parseLst(line: string): RepeatParse {
  const bad = (why: string, at: number): RepeatParse => ({ error: `Invalid ~LST specification '${shown(line)}': ${why}`, at });
  let p = skip(line, 4, BLANK);
  if (line[p] !== '(') return bad("expected '(' after ~LST", p);
  p = skip(line, p + 1, BLANK);
  const braced = line[p] === '{';
  if (braced) p = skip(line, p + 1, BLANK);
  const names = readWords(line, p, ' \t,}', (c) => c === (braced ? '}' : ','), Infinity);
  if ('at' in names) return bad(braced ? "expected ',' or '}' in the variable list" : "expected ',' after the variable", names.at);
  const variables = names.words;
  p = names.p;
  if (line[p] === '}') p = skip(line, p + 1, BLANK);
  if (line[p] !== ',') return bad('no values', p);
  p = skip(line, p + 1, BLANK);
  const sets: string[][] = [];
  for (;;) {
    const setBraced = line[p] === '{';
    if (setBraced) p = skip(line, p + 1, BLANK);
    const values = readWords(line, p, ' \t,})', (c) => (setBraced ? c === '}' : c === ',' || c === ')'), variables.length);
    if ('tooMany' in values)
      return { error: `~LST specification has too many values '${shown(line)}': ${variables.length} variable(s)`, at: values.at };
    if ('at' in values) return bad(values.at >= line.length ? "missing ')'" : `unexpected '${line[values.at]}' in the values`, values.at);
    const set = values.words;
    p = values.p;
    while (set.length < variables.length) set.push('');
    sets.push(set);
    if (setBraced && line[p] === '}') p = skip(line, p + 1, BLANK);
    if (line[p] === ')') break;
    if (line[p] !== ',') return bad(p >= line.length ? "missing ')'" : `expected ',' or ')' after a value set`, p);
    p = skip(line, p + 1, BLANK);
  }
  return { spec: { kind: 'LST', variables, sets, restAt: skip(line, p + 1, BLANK) } };
}

/**
 * Words separated by `,` (each up to a blank or one of `stops`), until `ended` accepts the character after one;
 * at most `max` of them. As parser.c's add_lst reads both the variables and each value set.
 */
function readWords(
  line: string,
  p: number,
  stops: string,
  ended: (c: string | undefined) => boolean,
  max: number,
): { words: string[]; p: number } | { at: number; tooMany?: true } {
  const words: string[] = [];
  for (;;) {
    const at = p;
    p = until(line, p, stops);
    words.push(line.slice(at, p));
    p = skip(line, p, BLANK);
    if (ended(line[p])) return { words, p };
    if (line[p] !== ',') return { at: p };
    p = skip(line, p + 1, BLANK);
    if (words.length >= max) return { at: p, tooMany: true };
  }
}
