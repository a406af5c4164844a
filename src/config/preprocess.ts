/**
 * keepalived.conf preprocessing, line by line in keepalived's order (lib/parser.c `read_line`): an `@id` / `@^id`
 * prefix is checked, then a `$NAME=value` definition (multi-line with a trailing `\`) is stored, then a `~SEQ` /
 * `~LST` line is repeated (see sequence.ts), then definitions are substituted (see definitions.ts) — a line that
 * then starts anew (`@`, `$`, `~SEQ`, `~LST`) goes round again — and finally an `include` (with globs, relative to
 * the including file) is followed or the line is tokenized.
 * Output: a stream of tokens and line breaks, every token carrying the file:line:col it came from (a token produced
 * by a substitution points at the `$` that produced it; a repeated one at its place after the `~SEQ(…)`).
 */
import { dirname, isAbsolute, join, resolve, basename } from 'node:path';
import { systemRng, type Rng } from '../core/rng.js';
import {
  builtinDefinitions,
  colAt,
  commentStart,
  decomment,
  expandLine,
  matchDefinition,
  sliceMapped,
  type Definition,
  type MappedText,
} from './definitions.js';
import type { DiagnosticSink, SourcePos } from './diagnostics.js';
import { tokenizeInto, type SourceLine, type Token } from './lexer.js';
import type { Mutable } from './model.js';
import { INCLUDE_CHECK, INCLUDE_CHECK_ALL, includeCheckBits } from './parse-process.js';
import { isRepeatLine, parseRepeat, repeatCount, repeatValues, type LstSpec, type SeqSpec } from './sequence.js';

/** A token, or the end of a logical line (statements end there). */
export type Item = Token | { readonly eol: true };

/** The end of a logical line: one shared object (it carries nothing; a large configuration has tens of thousands). */
export const EOL: Item = Object.freeze({ eol: true });

/** File access, injected so tests are hermetic. */
export interface ConfigFs {
  /** File contents, or undefined when it cannot be read. */
  readFile(path: string): string | undefined;
  /** Names in a directory (empty when missing). */
  listDir(path: string): string[];
}

/** Options for preprocessing. */
export interface PreprocessOptions {
  readonly fs: ConfigFs;
  /** `-i/--config-id` (default: the host name up to the first dot). */
  readonly configId?: string;
  /** The source of `${_RANDOM}` (default: the platform's). */
  readonly rng?: Rng;
  /** How many lines definitions and `~SEQ`/`~LST` may produce in one load (default MAX_GENERATED_LINES). */
  readonly maxGeneratedLines?: number;
  /** How many characters those lines may hold in all (default MAX_GENERATED_CHARS). */
  readonly maxGeneratedChars?: number;
}

/**
 * The default bound on lines produced by definitions and `~SEQ`/`~LST` in one load (each repetition and each line
 * of a multi-line definition counts), so that `~SEQ(i, 1000000000)` or definitions nested ten deep end in an error
 * rather than exhaust memory. keepalived has none; the largest example in its man page
 * (`~SEQ(IF,0,7) ~SEQ(NUM,0,31) ~SEQ(ID,1,254) $VI4`) makes about 1.1 million lines, inside this.
 */
export const MAX_GENERATED_LINES = 2_000_000;

/** The default bound on the text of those lines: 64 MiB (the man page's example makes about 30 MiB). */
export const MAX_GENERATED_CHARS = 64 * 1024 * 1024;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_DEPTH = 32;

/** Preprocesses `path` and everything it includes. Never throws. */
export function preprocess(path: string, opts: PreprocessOptions, diags: DiagnosticSink): Item[] {
  const stack: string[] = [];
  const defs = builtinDefinitions({ configId: opts.configId ?? '', rng: opts.rng ?? systemRng(), pwd: () => dirname(stack[stack.length - 1] ?? '') });
  const state: State = {
    opts,
    diags: once(diags),
    defs,
    stack,
    out: [],
    line: { text: '', file: '', line: 0, col: 0, cols: undefined, pinned: false },
    generated: 0,
    generatedChars: 0,
    overBudget: false,
    includeCheck: 0,
  };
  const text = opts.fs.readFile(path);
  if (text === undefined) {
    diags.error({ file: path, line: 0, col: 0 }, `Configuration file '${path}' could not be read`);
    return [];
  }
  processFile(state, resolve(path), path, text);
  return state.out;
}

interface State {
  readonly opts: PreprocessOptions;
  /** Reports each diagnostic once (a repeated line would repeat its problems). */
  readonly diags: DiagnosticSink;
  readonly defs: Map<string, Definition>;
  /** Absolute paths of the files being read, innermost last. */
  readonly stack: string[];
  readonly out: Item[];
  /** The line being tokenized: one object, refilled for each line (the lexer reads it only while it runs). */
  readonly line: Mutable<SourceLine>;
  /** Lines, and their characters, produced by definitions and ~SEQ/~LST so far (past a bound, no more are). */
  generated: number;
  generatedChars: number;
  overBudget: boolean;
  /** global_defs `include_check`'s bits in force (lib/parser.c: saved when a file is opened, restored when it ends). */
  includeCheck: number;
}

/** The file and line a logical line came from (a made line: the line that made it). */
interface Where {
  readonly file: string;
  readonly line: number;
}

/** The physical lines of the file being read (a multi-line definition reads on). */
interface Reader {
  readonly lines: readonly string[];
  n: number;
}

/** `diags`, passing on a diagnostic only the first time its severity, position and message are seen. */
function once(diags: DiagnosticSink): DiagnosticSink {
  const seen = new Set<string>();
  type Kind = 'error' | 'warning' | 'keptError' | 'reloadRefusingWarning' | 'missingWord' | 'fatal' | 'includeError';
  const report = (severity: Kind, pos: SourcePos, message: string): void => {
    const key = `${severity}\0${pos.file}\0${pos.line}\0${pos.col}\0${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    diags[severity](pos, message);
  };
  return {
    items: diags.items,
    get hasErrors() {
      return diags.hasErrors;
    },
    error: (pos, message) => report('error', pos, message),
    warning: (pos, message) => report('warning', pos, message),
    keptError: (pos, message) => report('keptError', pos, message),
    reloadRefusingWarning: (pos, message) => report('reloadRefusingWarning', pos, message),
    missingWord: (pos, message) => report('missingWord', pos, message),
    fatal: (pos, message) => report('fatal', pos, message),
    includeError: (pos, message) => report('includeError', pos, message),
  };
}

const at = (w: Where, m: MappedText, i: number): SourcePos => ({ file: w.file, line: w.line, col: colAt(m, i) });

function processFile(st: State, absPath: string, shownPath: string, text: string): void {
  const savedCheck = st.includeCheck;
  st.stack.push(absPath);
  const reader: Reader = { lines: text.split('\n'), n: 0 };
  for (; reader.n < reader.lines.length; reader.n++) {
    const raw = withoutCr(reader.lines[reader.n] as string);
    const body = raw.trim();
    if (body === '') continue;
    const col0 = raw.search(NOT_BLANK) + 1; // trim's blanks are \s's
    if (isPlain(body)) emitPlain(st, body, col0, shownPath, reader.n + 1);
    else processLine(st, { text: body, col0 }, { file: shownPath, line: reader.n + 1 }, 0, reader);
  }
  st.stack.pop();
  st.includeCheck = savedCheck;
}

const NOT_BLANK = /\S/;

/**
 * Whether processLine would only cut a comment off this (trimmed) line and tokenize it: no `@`, `$` or `~` first
 * (conditional, definition, repetition), no `$` anywhere (nothing to substitute), not an include. Most lines of a
 * large configuration are such lines; emitPlain reads them without processLine's objects (issue 17, sixth pass).
 */
function isPlain(body: string): boolean {
  const c = body[0];
  return c !== '@' && c !== '$' && c !== '~' && !body.includes('$') && !body.startsWith('include');
}

/** processLine's comment cut and emit for a line isPlain accepts (the first character of `body` at column `col0`). */
function emitPlain(st: State, body: string, col0: number, file: string, line: number): void {
  const cut = commentStart(body);
  const text = cut < body.length ? body.slice(0, cut).trimEnd() : body;
  if (text === '') return;
  const src = st.line;
  src.text = text;
  src.file = file;
  src.line = line;
  src.col = col0;
  src.cols = undefined;
  src.pinned = false;
  tokenizeInto(st.out, src, st.diags);
  st.out.push(EOL);
}

/** `line` without a trailing carriage return (a file with CRLF line ends). */
function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** One logical line, read from a file (`reader` set) or made by a definition or a repetition. */
function processLine(st: State, line: MappedText, where: Where, depth: number, reader?: Reader): void {
  if (depth > MAX_DEPTH) {
    st.diags.error(at(where, line, 0), `definitions, ~SEQ and ~LST nested more than ${MAX_DEPTH} deep - line dropped`);
    return;
  }
  if (depth > 0 && !withinBudget(st, line, where)) return;
  const lead = line.text.length - line.text.trimStart().length;
  if (lead > 0 || line.text.endsWith(' ') || line.text.endsWith('\t')) line = sliceMapped(line, lead, lead + line.text.trim().length);
  if (line.text === '') return;
  if (line.text.startsWith('@')) {
    const kept = conditional(st, line);
    if (!kept) return;
    line = kept;
  }
  const def = line.text.startsWith('$') ? matchDefinition(line.text) : undefined;
  if (def) {
    define(st, def.name, def.value, reader);
    return;
  }
  if (isRepeatLine(line.text)) {
    repeat(st, line, where, depth);
    return;
  }
  // keepalived strips the comment before substituting: a $NAME in a comment never expands
  const cut = commentStart(line.text);
  if (cut < line.text.length) {
    line = sliceMapped(line, 0, line.text.slice(0, cut).trimEnd().length);
    if (line.text === '') return;
  }
  if (!line.text.includes('$')) {
    emit(st, line, where); // nothing to substitute (expandLine would hand the line back unchanged)
    return;
  }
  const x = expandLine(st.defs, line, (message, col) => st.diags.warning({ ...where, col }, message));
  if (x.error) {
    st.diags.error({ ...where, col: x.error.col }, x.error.message);
    return;
  }
  if (x.changed && /^(@|\$|~SEQ|~LST)/.test(x.line.text.trimStart())) processLine(st, x.line, where, depth + 1);
  else emit(st, x.line, where);
  for (const next of x.more) processLine(st, next, where, depth + 1);
}

/** Counts a made line; false (and one error, the first time) once either bound is passed. */
function withinBudget(st: State, line: MappedText, where: Where): boolean {
  if (st.overBudget) return false;
  const lines = st.opts.maxGeneratedLines ?? MAX_GENERATED_LINES;
  const chars = st.opts.maxGeneratedChars ?? MAX_GENERATED_CHARS;
  st.generatedChars += line.text.length + 1;
  if (++st.generated <= lines && st.generatedChars <= chars) return true;
  st.overBudget = true;
  st.diags.error(
    at(where, line, 0),
    `definitions, ~SEQ and ~LST would produce more than ${lines} lines or ${chars} characters - the rest are dropped`,
  );
  return false;
}

/** An `@id` / `@^id` line: the rest of it when it applies to this config id, else undefined (keepalived's rule). */
function conditional(st: State, line: MappedText): MappedText | undefined {
  const t = line.text;
  const reverse = t[1] === '^';
  const from = reverse ? 2 : 1;
  const blank = t.slice(from).search(/[ \t]/);
  if (blank < 0) return undefined;
  const matches = st.opts.configId !== undefined && t.slice(from, from + blank) === st.opts.configId;
  if (matches === reverse) return undefined;
  return sliceMapped(line, t.length - t.slice(from + blank).trimStart().length);
}

/** Stores `$NAME=value`; a value ending in `\` goes on over the next lines (an empty line ends it, as in keepalived). */
function define(st: State, name: string, value: string, reader: Reader | undefined): void {
  const first = decomment(value);
  const parts = first.text === '' ? [] : [first.text];
  for (let more = first.continued && reader !== undefined; more && reader && reader.n + 1 < reader.lines.length;) {
    const raw = withoutCr(reader.lines[++reader.n] as string);
    if (raw === '') break;
    const l = decomment(raw.trim());
    if (l.text !== '') parts.push(l.text);
    more = l.continued || l.text === '';
  }
  st.defs.set(name, { value: parts.join('\n') });
}

/** A `~SEQ`/`~LST` line: the rest of it once per value, with the variable(s) defined. */
function repeat(st: State, line: MappedText, where: Where, depth: number): void {
  const parsed = parseRepeat(line.text, (params) => {
    const x = expandLine(st.defs, { text: params, col0: 0 }, () => undefined);
    return { text: x.line.text, multiline: x.more.length > 0 };
  });
  if ('error' in parsed) {
    st.diags.error(at(where, line, parsed.at), parsed.error);
    return;
  }
  const spec: SeqSpec | LstSpec = parsed.spec;
  for (const v of spec.variables) {
    if (!NAME.test(v)) st.diags.warning(at(where, line, 0), `~${spec.kind} variable '${v}' is not a valid name - $${v} can never be replaced`);
  }
  const rest = sliceMapped(line, spec.restAt);
  for (let i = 0, n = repeatCount(spec); i < n && !st.overBudget; i++) {
    const values = repeatValues(spec, i);
    spec.variables.forEach((v, k) => st.defs.set(v, { value: values[k] ?? '' }));
    processLine(st, rest, where, depth + 1);
  }
}

/** The end of a line's journey: an include is followed, anything else becomes tokens and a line break. */
function emit(st: State, line: MappedText, where: Where): void {
  if (line.text.startsWith('include') && emitInclude(st, line, where)) return;
  const src = st.line;
  src.text = line.text;
  src.file = where.file;
  src.line = where.line;
  src.col = line.col0;
  src.cols = line.cols;
  src.pinned = line.pinned === true;
  tokenizeInto(st.out, src, st.diags);
  st.out.push(EOL);
}

/** An `include` line: followed, and true. An `include_check` line: its bits take effect (false: it is a statement too). */
function emitInclude(st: State, line: MappedText, where: Where): boolean {
  const inc = /^include([rmwba]?)[ \t]+/.exec(line.text);
  if (inc) {
    const spec = decomment(line.text.slice(inc[0].length)).text.trim();
    include(st, where.file, spec, at(where, line, 0), INCLUDE_TYPES[inc[1] as string] as number);
    return true;
  }
  // include_check takes effect where keepalived reads it, for the includes after it (parse-process.ts reports its words)
  const ic = /^include_check(?:[ \t]+(.*))?$/.exec(line.text);
  if (ic)
    st.includeCheck = includeCheckBits(
      decomment(ic[1] ?? '')
        .text.trim()
        .split(/[ \t]+/)
        .filter(Boolean),
      st.includeCheck,
      () => {},
    );
  return false;
}

/** keepalived's include variants: the include checks each adds to `include_check`'s (lib/parser.c check_include). */
const INCLUDE_TYPES: Readonly<Record<string, number>> = {
  '': 0,
  r: INCLUDE_CHECK.read,
  m: INCLUDE_CHECK.read | INCLUDE_CHECK.match,
  w: INCLUDE_CHECK.read | INCLUDE_CHECK.match | INCLUDE_CHECK.wildcard_match,
  b: INCLUDE_CHECK.read | INCLUDE_CHECK.brace_match,
  a: INCLUDE_CHECK_ALL,
};

/**
 * `include PATTERN` (and keepalived's `includer`/`includem`/`includew`/`includeb`/`includea`). A pattern that matches
 * nothing is an error when the check it fails is in force — `include_check` or the variant's: `match` for a name
 * without wildcards, `brace_match` for one with braces, `wildcard_match` for a wildcard — else a warning.
 */
function include(st: State, fromShown: string, pattern: string, pos: SourcePos, type: number): void {
  const spec = pattern.replace(/^"(.*)"$/, '$1');
  const base = dirname(st.stack[st.stack.length - 1] as string);
  const abs = isAbsolute(spec) ? spec : join(base, spec);
  const files = expandGlob(st.opts.fs, abs);
  if (files.length === 0) {
    const wild = /[*?[]/.test(spec);
    const need = wild ? INCLUDE_CHECK.wildcard_match : spec.includes('{') ? INCLUDE_CHECK.brace_match : INCLUDE_CHECK.match;
    // keepalived only warns (and `-t` passes); a named file that is missing still makes a reload keep the running
    // configuration (refusesReload): the new one is likely incomplete. A pattern may rightly match nothing.
    // failing include_check: keepalived stops after reading the files (KEEPALIVED_EXIT_NO_CONFIG, `-t` exits 6)
    const severity = (st.includeCheck | type) & need ? 'includeError' : need === INCLUDE_CHECK.match ? 'reloadRefusingWarning' : 'warning';
    st.diags[severity](pos, `include '${spec}': no such file`);
    return;
  }
  for (const f of files) {
    if (st.stack.includes(f)) {
      st.diags.error(pos, `include cycle: '${f}' includes itself (${[...st.stack.map((p) => basename(p)), basename(f)].join(' -> ')})`);
      continue;
    }
    if (st.stack.length >= MAX_DEPTH) {
      st.diags.error(pos, `includes nested more than ${MAX_DEPTH} deep`);
      continue;
    }
    const text = st.opts.fs.readFile(f);
    if (text === undefined) {
      st.diags.error(pos, `include '${f}' could not be read`);
      continue;
    }
    processFile(st, f, isAbsolute(spec) ? f : join(dirname(fromShown), f.slice(base.length + 1)), text);
  }
}

/** Expands `*`, `?` and `[...]` in any path component, and csh braces `{a,b}`; sorted like glob(3). */
export function expandGlob(fs: ConfigFs, pattern: string): string[] {
  const brace = /\{([^{}]*)\}/.exec(pattern);
  if (brace) {
    const alts = (brace[1] as string).split(',');
    return alts.flatMap((a) => expandGlob(fs, pattern.slice(0, brace.index) + a + pattern.slice(brace.index + brace[0].length)));
  }
  if (!/[*?[]/.test(pattern)) return fs.readFile(pattern) !== undefined ? [pattern] : [];
  const parts = pattern.split('/');
  let current = [parts[0] === '' ? '/' : (parts[0] as string)];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '') continue;
    const next: string[] = [];
    for (const dir of current) {
      if (!/[*?[]/.test(part)) {
        next.push(join(dir, part));
        continue;
      }
      const re = globRegex(part);
      for (const name of fs.listDir(dir).sort()) if (re.test(name) && !(name.startsWith('.') && !part.startsWith('.'))) next.push(join(dir, name));
    }
    current = next;
  }
  return current.filter((p) => fs.readFile(p) !== undefined);
}

function globRegex(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = part.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      re += `[${part
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
