/**
 * Value readers for keyword arguments: each checks and converts one token and reports a positioned diagnostic
 * (keepalived's wording where it has one) instead of throwing. `undefined` means "invalid, keep the default".
 */
import { isIP } from 'node:net';
import type { DiagnosticSink, SourcePos } from './diagnostics.js';
import type { Token } from './lexer.js';
import type { ConfNode } from './tree.js';

/** The argument tokens' position for a diagnostic about a missing argument. */
export function missingArgPos(node: ConfNode): SourcePos {
  const k = node.keyword;
  return { ...k.pos, col: k.pos.col + k.text.length };
}

/** An integer in [min, max]. */
export function readInt(node: ConfNode, t: Token | undefined, min: number, max: number, d: DiagnosticSink): number | undefined {
  if (!t) {
    d.missingWord(missingArgPos(node), `${node.keyword.text}: missing value`);
    return undefined;
  }
  if (!/^[-+]?\d+$/.test(t.text)) {
    d.error(t.pos, `${node.keyword.text}: '${t.text}' is not a number`);
    return undefined;
  }
  const n = Number(t.text);
  if (n < min || n > max) {
    d.error(t.pos, `${node.keyword.text}: ${n} is out of range [${min}-${max}]`);
    return undefined;
  }
  return n;
}

/** A decimal number of seconds (keepalived's TIMER), returned in ms, in [minS, maxS]. */
export function readSeconds(node: ConfNode, t: Token | undefined, minS: number, maxS: number, d: DiagnosticSink): number | undefined {
  if (!t) {
    d.missingWord(missingArgPos(node), `${node.keyword.text}: missing value`);
    return undefined;
  }
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t.text)) {
    d.error(t.pos, `${node.keyword.text}: '${t.text}' is not a number of seconds`);
    return undefined;
  }
  const s = Number(t.text);
  if (s < minS || s > maxS) {
    d.error(t.pos, `${node.keyword.text}: ${t.text} is out of range [${minS}-${maxS}]`);
    return undefined;
  }
  return Math.round(s * 1_000_000) / 1000;
}

/** keepalived's <BOOL>: on/off/true/false/yes/no; no argument means true. */
export function readBool(node: ConfNode, t: Token | undefined, d: DiagnosticSink): boolean | undefined {
  if (!t) return true;
  const v = t.text.toLowerCase();
  if (['on', 'true', 'yes'].includes(v)) return true;
  if (['off', 'false', 'no'].includes(v)) return false;
  d.error(t.pos, `${node.keyword.text}: invalid boolean '${t.text}'`);
  return undefined;
}

/** An IP address of either family (or of `family`). */
export function readIp(node: ConfNode, t: Token | undefined, d: DiagnosticSink, family?: 4 | 6): string | undefined {
  if (!t) {
    d.missingWord(missingArgPos(node), `${node.keyword.text}: missing address`);
    return undefined;
  }
  const f = isIP(t.text);
  if (f === 0 || (family && f !== family)) {
    d.error(t.pos, `${node.keyword.text}: invalid ${family ? `IPv${family} ` : ''}address '${t.text}'`);
    return undefined;
  }
  return t.text;
}

/**
 * keepalived's null_strvec: a keyword whose handler reads word `index` (1 = the first argument) that is not there.
 * keepalived prints this and stops (`-t` exits 2); we report it as an error there and go on.
 */
export function missingParameter(node: ConfNode, d: DiagnosticSink, index = 1): void {
  const words = [node.keyword, ...node.args];
  const prev = words[index - 1];
  const pos = prev ? { ...prev.pos, col: prev.pos.col + prev.text.length } : missingArgPos(node);
  d.missingWord(pos, nullStrvecMessage(node.keyword.text, prev?.text, index));
}

/** keepalived's null_strvec text for word `index` (0-based) missing from a line starting `first`, after `prev`. */
export function nullStrvecMessage(first: string, prev: string | undefined, index: number): string {
  return prev !== undefined && index > 0
    ? `*** Configuration line starting \`${first}\` is missing a parameter after keyword \`${prev}\` at word position ${index + 1}`
    : `*** Configuration line starting \`${first}\` is missing a parameter at word position ${index + 1}`;
}

/** Whether `n` has the word its keyword needs, or needs none. */
const hasWord = (n: ConfNode, needsWord: ReadonlySet<string>): boolean => n.args.length > 0 || !needsWord.has(n.keyword.text);

/**
 * Drops the statements of `nodes` whose keyword is in `needsWord` and has no argument, reporting each as keepalived's
 * null_strvec does (its handler reads the first word unchecked).
 */
export function withWords(nodes: readonly ConfNode[], needsWord: ReadonlySet<string>, d: DiagnosticSink): readonly ConfNode[] {
  // `nodes` itself when every statement has its word (the usual case), so most blocks allocate nothing
  let i = 0;
  while (i < nodes.length && hasWord(nodes[i] as ConfNode, needsWord)) i++;
  if (i === nodes.length) return nodes;
  return nodes.filter((n) => {
    if (hasWord(n, needsWord)) return true;
    missingParameter(n, d);
    return false;
  });
}

/**
 * The lines of a value block (`virtual_ipaddress { … }`, `track_script { … }`, `group { … }`, …). keepalived's
 * alloc_value_block reports a word after the keyword other than the `{` and reads the block anyway.
 */
export function valueLines(node: ConfNode, d: DiagnosticSink): readonly ConfNode[] {
  const a = node.args[0];
  if (a) d.keptError(a.pos, `Block ${node.keyword.text} has extra parameters ${a.text} ...`);
  return node.children ?? [];
}
