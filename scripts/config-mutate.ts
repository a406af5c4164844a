/**
 * Mutated keepalived configurations, shared by the front end's fuzzer (scripts/fuzz-config.ts) and the check that two
 * builds read configurations alike (scripts/config-same.mjs): an in-memory file system, random token soup, and one to
 * eight mutations of a real configuration (byte flips, deletions, duplications, brace insertions, special tokens,
 * repeated lines, splices of another configuration).
 */
import type { ConfigFs } from '../src/config/preprocess.js';
import type { Rng } from '../src/core/rng.js';

/** A file system holding `files` (absolute paths) and nothing else. */
export function memFs(files: Record<string, string>): ConfigFs {
  return {
    readFile: (p) => files[p],
    listDir: (d) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${d}/`) && !f.slice(d.length + 1).includes('/'))
        .map((f) => f.slice(d.length + 1)),
  };
}

/** Words and pieces of syntax the mutations insert. */
export const SPECIALS = [
  '{',
  '}',
  '{',
  '}',
  '"',
  '#',
  '!',
  '\n',
  '\n',
  '\n',
  ' \\\n',
  '$X',
  '${X}',
  '$X=',
  '$M= \\\n',
  '${_RANDOM}',
  '${_RANDOM 1 9}',
  '${_PWD}',
  '${_HASH}',
  '~SEQ(i, 1, 3)',
  '~SEQx(i, 0x10, 0x12)',
  '~LST(i, a, b)',
  '~LST({a,b},{1,2},3)',
  '~SEQ(',
  '$i',
  '@fuzz ',
  '@^fuzz ',
  'include inc.conf',
  'include *.conf',
  'include keepalived.conf',
  '0',
  '1',
  '255',
  '256',
  '-1',
  '4294967296',
  '0x1f',
  '1e3',
  '192.0.2.1',
  '192.0.2.1/24',
  '2001:db8::1/64',
  '198.51.100.7',
  'dev',
  'eth0',
  'label',
  'é',
  '\t',
  '\\#',
];

/** A random element of `xs`. */
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
const int = (rng: Rng, n: number): number => Math.floor(rng.next() * n);

/** Random words and specials, with line breaks. */
export function soup(rng: Rng, words: readonly string[]): string {
  const n = 1 + int(rng, 200);
  let s = '';
  for (let i = 0; i < n; i++) {
    const w = rng.next() < 0.5 ? pick(rng, SPECIALS) : pick(rng, words);
    s += w + (w.endsWith('\n') ? '' : rng.next() < 0.15 ? '\n' : ' ');
  }
  return s;
}

/** One to eight mutations of a real configuration. */
export function mutate(rng: Rng, text: string, others: readonly string[]): string {
  let s = text;
  for (let k = 1 + int(rng, 8); k > 0; k--) {
    const at = int(rng, s.length + 1);
    const len = 1 + int(rng, 40);
    switch (int(rng, 7)) {
      case 0:
        s = s.slice(0, at) + String.fromCharCode(int(rng, 256)) + s.slice(at + 1);
        break; // byte flip
      case 1:
        s = s.slice(0, at) + s.slice(at + len);
        break; // deletion
      case 2: {
        const from = int(rng, s.length + 1);
        s = s.slice(0, at) + s.slice(from, from + len * 4) + s.slice(at);
        break;
      } // duplication
      case 3:
        s = s.slice(0, at) + pick(rng, ['{', '}', '{ ', ' }', '{\n', '\n}\n']) + s.slice(at);
        break; // brace insertion
      case 4:
        s = s.slice(0, at) + pick(rng, SPECIALS) + s.slice(at);
        break; // special token
      case 5: {
        const lines = s.split('\n');
        const i = int(rng, lines.length);
        lines.splice(i, 0, ...lines.slice(i, i + 1 + int(rng, 10)));
        s = lines.join('\n');
        break;
      }
      default: {
        const o = pick(rng, others);
        const from = int(rng, o.length + 1);
        s = s.slice(0, at) + o.slice(from, from + len * 8) + s.slice(at);
      } // splice
    }
  }
  return s;
}
