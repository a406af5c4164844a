/**
 * keepalived.conf preprocessing: `include` (with globs, relative to the including file), `@id` / `@^id` conditional
 * lines, `$NAME=value` definitions (also multi-line with a trailing `\`) and `$NAME` / `${NAME}` substitution.
 * Output: a stream of tokens and line breaks, every token carrying the file:line:col it came from (a token produced
 * by a substitution points at the `$` that produced it).
 *
 * Not yet: `~SEQ`/`~LST` line repetition (reported as a warning), `${_RANDOM}`.
 */
import { dirname, isAbsolute, join, resolve, basename } from 'node:path';
import type { DiagnosticSink, SourcePos } from './diagnostics.js';
import { tokenizeLine, type Token } from './lexer.js';

/** A token, or the end of a logical line (statements end there). */
export type Item = Token | { readonly eol: true };

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
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_DEPTH = 32;

/** Preprocesses `path` and everything it includes. Never throws. */
export function preprocess(path: string, opts: PreprocessOptions, diags: DiagnosticSink): Item[] {
  const state: State = { opts, diags, defs: new Map(), stack: [], out: [] };
  state.defs.set('_INSTANCE', opts.configId ?? '');
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
  readonly diags: DiagnosticSink;
  readonly defs: Map<string, string>;
  readonly stack: string[];
  readonly out: Item[];
}

function processFile(st: State, absPath: string, shownPath: string, text: string): void {
  st.stack.push(absPath);
  st.defs.set('_PWD', dirname(absPath));
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let raw = (lines[n] as string).replace(/\r$/, '');
    const lead = raw.length - raw.trimStart().length;
    raw = raw.trim();
    if (raw === '') continue;
    const pos: SourcePos = { file: shownPath, line: n + 1, col: lead + 1 };
    // include is recognised before @ and $ processing, as keepalived does
    const inc = /^include\s+(.+)$/.exec(raw);
    if (inc) { include(st, absPath, shownPath, (inc[1] as string).replace(/\s+[#!].*$/, '').trim(), pos); continue; }
    let body = raw;
    let col = pos.col;
    if (body.startsWith('@')) {
      const m = /^@(\^?)(\S+)\s*(.*)$/.exec(body);
      if (!m) continue;
      const wanted = m[2] as string;
      const matches = st.opts.configId !== undefined && st.opts.configId === wanted;
      if ((m[1] === '^') === matches) continue;
      col += body.length - (m[3] as string).length;
      body = m[3] as string;
      if (body === '') continue;
    }
    if (body.startsWith('$')) {
      const def = /^\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(body);
      if (def) {
        let value = (def[2] as string).trim();
        while (value.endsWith('\\') && n + 1 < lines.length) {
          value = `${value.slice(0, -1).trimEnd()}\n${(lines[++n] as string).trim()}`;
        }
        if (value.endsWith('\\')) value = value.slice(0, -1).trimEnd();
        st.defs.set(def[1] as string, value);
        continue;
      }
    }
    if (/^~(SEQ|SEQx|LST)\(/.test(body)) {
      st.diags.warning({ ...pos, col }, `${body.slice(0, body.indexOf('('))} is not supported yet - line ignored`);
      continue;
    }
    emitLine(st, body, { ...pos, col }, 0);
  }
  st.stack.pop();
  if (st.stack.length) st.defs.set('_PWD', dirname(st.stack[st.stack.length - 1] as string));
}

/** Tokenizes one logical line, substituting definitions token by token. */
function emitLine(st: State, text: string, pos: SourcePos, depth: number): void {
  const tokens = tokenizeLine({ text, file: pos.file, line: pos.line, col: pos.col }, st.diags);
  for (const t of tokens) {
    if (!t.text.includes('$') || depth > MAX_DEPTH) { st.out.push(t); continue; }
    const expanded = substitute(st, t.text, depth);
    if (expanded === t.text || t.quoted) { st.out.push({ ...t, text: expanded }); continue; }
    // an expansion may hold several words, braces, or several lines (a multi-line definition)
    const parts = expanded.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) st.out.push({ eol: true });
      for (const sub of tokenizeLine({ text: part, file: t.pos.file, line: t.pos.line, col: t.pos.col }, st.diags)) {
        st.out.push({ ...sub, pos: t.pos });
      }
    });
  }
  st.out.push({ eol: true });
}

/** Replaces `${NAME}` anywhere and `$NAME` at a word end; undefined names stay as written. */
function substitute(st: State, s: string, depth: number): string {
  let out = s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)$/g, (whole, a?: string, b?: string) => {
    const name = (a ?? b) as string;
    if (name === '_HASH') return '#';
    if (name === '_BANG') return '!';
    const v = st.defs.get(name);
    return v === undefined ? whole : v;
  });
  if (out !== s && out.includes('$') && depth < MAX_DEPTH) out = substitute(st, out, depth + 1);
  return out;
}

function include(st: State, fromAbs: string, fromShown: string, pattern: string, pos: SourcePos): void {
  const spec = pattern.replace(/^"(.*)"$/, '$1');
  const base = dirname(fromAbs);
  const abs = isAbsolute(spec) ? spec : join(base, spec);
  const files = expandGlob(st.opts.fs, abs);
  if (files.length === 0) {
    st.diags.warning(pos, `include '${spec}': no such file`);
    return;
  }
  for (const f of files) {
    if (st.stack.includes(f)) {
      st.diags.error(pos, `include cycle: '${f}' includes itself (${[...st.stack.map((p) => basename(p)), basename(f)].join(' -> ')})`);
      continue;
    }
    if (st.stack.length >= MAX_DEPTH) { st.diags.error(pos, `includes nested more than ${MAX_DEPTH} deep`); continue; }
    const text = st.opts.fs.readFile(f);
    if (text === undefined) { st.diags.error(pos, `include '${f}' could not be read`); continue; }
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
  let current = [parts[0] === '' ? '/' : parts[0] as string];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '') continue;
    const next: string[] = [];
    for (const dir of current) {
      if (!/[*?[]/.test(part)) { next.push(join(dir, part)); continue; }
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
      if (end < 0) { re += '\\['; continue; }
      re += `[${part.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** True if `s` is a valid definition name. */
export function isDefinitionName(s: string): boolean {
  return NAME.test(s);
}
