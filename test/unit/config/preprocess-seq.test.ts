/**
 * Preprocessing: ~SEQ / ~SEQx / ~LST repetition, keepalived's pre-defined definitions (${_RANDOM} from an injected
 * rng, ${_PWD}, ${_INSTANCE}, ${_HASH}, ${_BANG}) and lines that start anew after substitution. Expected texts
 * come from keepalived.conf(5) and lib/parser.c of 2.2.7.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticSink, formatDiagnostic } from '../../../src/config/diagnostics.js';
import { memFs } from '../../../scripts/config-mutate.js';
import { preprocess, type Item, type PreprocessOptions } from '../../../src/config/preprocess.js';
import type { Token } from '../../../src/config/lexer.js';
import { strtol } from '../../../src/config/sequence.js';
import { randomInt, seededRng } from '../../../src/core/rng.js';
import { parseConfigTree } from '../../../src/config/index.js';

interface Run {
  lines: string[];
  tokens: Token[][];
  diags: string[];
}

/** Preprocesses `text` as /etc/k/keepalived.conf; lines are the tokens joined by blanks. */
function run(text: string, opts: Partial<PreprocessOptions> = {}, files: Record<string, string> = {}): Run {
  const diags = new DiagnosticSink();
  const items = preprocess(
    '/etc/k/keepalived.conf',
    { fs: memFs({ '/etc/k/keepalived.conf': text, ...files }), configId: 'node1', rng: seededRng(1), ...opts },
    diags,
  );
  const tokens = lines(items);
  return { lines: tokens.map((l) => l.map((t) => t.text).join(' ')), tokens, diags: diags.items.map(formatDiagnostic) };
}

function lines(items: readonly Item[]): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  for (const it of items) {
    if ('eol' in it) {
      out.push(cur);
      cur = [];
    } else cur.push(it);
  }
  return out;
}

const F = '/etc/k/keepalived.conf';

test('~SEQ(var, start, end) and ~SEQ(var, start, step, end): the rest of the line once per value (keepalived.conf(5))', () => {
  const r = run('~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n~SEQ(n, 10, -4, 0) x$n\n~SEQ(n, 5, 2) down $n\n');
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.lines, [
    'ip_address 10.0.0.1',
    'ip_address 10.0.1.1',
    'ip_address 10.0.2.1',
    'ip_address 10.0.3.1',
    'x10',
    'x6',
    'x2',
    'down 5',
    'down 4',
    'down 3',
    'down 2',
  ]);
});

test('~SEQ(var, end): start is 1 (or -1 for a negative end), the step goes towards end, as parser.c computes it', () => {
  assert.deepEqual(run('~SEQ(i, 3) v $i\n').lines, ['v 1', 'v 2', 'v 3']);
  assert.deepEqual(run('~SEQ(i, -3) v $i\n').lines, ['v -1', 'v -2', 'v -3']);
  assert.deepEqual(run('~SEQ(i, 0) v $i\n').lines, ['v 1', 'v 0']);
  assert.deepEqual(run('~SEQ (i,2)v $i\n').lines, ['v 1', 'v 2'], 'blanks before ( and none after )');
});

test('~SEQx prints lower-case hex; numbers are read as strtol base 0 (0x.. hex, 0.. octal)', () => {
  const r = run('~SEQx(SUBNET, 0x90, 0x10, 0xc0) ip_address fe80::20:${SUBNET}:1\n~SEQ(o, 010, 011) o$o\n~SEQx(h, 144, 16, 192) $h\n');
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.lines, [
    'ip_address fe80::20:90:1',
    'ip_address fe80::20:a0:1',
    'ip_address fe80::20:b0:1',
    'ip_address fe80::20:c0:1',
    'o8',
    'o9',
    '90',
    'a0',
    'b0',
    'c0',
  ]);
  assert.deepEqual(strtol('  -0x1Fz', 0), { value: -31, end: 7 });
  assert.deepEqual(strtol('0x', 0), { value: 0, end: 1 }, '"0x" without hex digits is the number 0');
  assert.deepEqual(strtol('abc', 0), { value: 0, end: 0 }, 'no digits: 0, nothing consumed');
});

test('nested ~SEQ/~LST lines multiply, the outer one slowest (keepalived.conf(5) examples)', () => {
  const seq = run('~SEQx(AD2, 0x90, 0x10, 0xa0) ~SEQx(AD1, 0x12, -1, 0x11) fe81::10:${AD2}:${AD1}\n');
  assert.deepEqual(seq.lines, ['fe81::10:90:12', 'fe81::10:90:11', 'fe81::10:a0:12', 'fe81::10:a0:11']);
  const lst = run('~LST(IP, 1, 2) ~LST(IP1, 5,6,7) 192.169.${IP}.${IP1}\n');
  assert.deepEqual(lst.lines, ['192.169.1.5', '192.169.1.6', '192.169.1.7', '192.169.2.5', '192.169.2.6', '192.169.2.7']);
  const both = run('~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) ~SEQ(IP2,168,2,172) 192.${IP2}.${IP}.${IP1}\n');
  assert.deepEqual(both.diags, []);
  assert.deepEqual(both.lines, [
    '192.168.10.1',
    '192.170.10.1',
    '192.172.10.1',
    '192.168.20.4',
    '192.170.20.4',
    '192.172.20.4',
    '192.168.5.6',
    '192.170.5.6',
    '192.172.5.6',
    '192.168.12.8',
    '192.170.12.8',
    '192.172.12.8',
  ]);
});

test('~LST: several variables per set; missing values are empty; an unbraced value is a set of one', () => {
  const r = run('~LST({a, b, c}, {1, 2}, 3, {4,5,6}) [${a}|${b}|${c}] $a,$c\n~LST(v, x,,y) <${v}>\n');
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.lines, ['[1|2|] 1,', '[3||] 3,', '[4|5|6] 4,6', '<x>', '<>', '<y>']);
});

test('positions: a repeated token keeps its column after the ~SEQ(...), a substituted one points at its $', () => {
  const r = run('vrrp_instance V {\n  virtual_ipaddress {\n    ~SEQ(i, 1, 2) 192.0.2.$i dev ${IF}\n  }\n}\n$IF=eth0\n~SEQ(j, 1, 2) $IF\n');
  const rows = r.tokens.filter((l) => l[0]?.text.startsWith('192.0.2.'));
  assert.equal(rows.length, 2);
  for (const l of rows) {
    assert.deepEqual(
      l.map((t) => [t.text.replace(/\d$/, 'N'), t.pos.line, t.pos.col]),
      [
        ['192.0.2.N', 3, 19],
        ['dev', 3, 30],
        ['${IF}', 3, 34],
      ],
    );
  }
  const eth = r.tokens.filter((l) => l[0]?.text === 'eth0');
  assert.deepEqual(
    eth.map((l) => l[0]?.pos),
    [
      { file: F, line: 7, col: 15 },
      { file: F, line: 7, col: 15 },
    ],
  );
});

test('~SEQ parameters may be definitions; the variable stays defined after the block (as in parser.c)', () => {
  const r = run('$N=3\n$S=2\n~SEQ(i, ${S}, $N) a$i\nafter $i\n');
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.lines, ['a2', 'a3', 'after 3']);
});

test('a line that starts anew after substitution is processed again: @id, a definition, a ~SEQ from a definition', () => {
  const r = run(
    '$P=@node1\n$P router_id mine\n$Q=@node2\n$Q router_id theirs\n~SEQ(i, 1, 2) $V${i}=value$i\nvals $V1 $V2\n$GEN=~SEQ(k, 1, 2) gen $k\n$GEN\n',
  );
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.lines, ['router_id mine', 'vals value1 value2', 'gen 1', 'gen 2']);
});

test('multi-line definitions nest, and a definition line inside one takes effect in order (keepalived.conf(5) $VS/$RS)', () => {
  const text = [
    '$RS= \\',
    'real_server 192.168.${VS_NUM}.${RS_NUM} 80 { \\',
    '  weight 1 # a comment \\',
    '',
    '}',
    '$VS= \\',
    'virtual_server 10.0.${VS_NUM}.4 80 { \\',
    '   \\',
    '  $RS_NUM=1 \\',
    '  $RS \\',
    '  $RS_NUM=2 \\',
    '  $RS \\',
    '}',
    '$VS_NUM=7',
    '$VS',
  ].join('\n');
  const r = run(`${text}\n`);
  assert.deepEqual(r.diags, []);
  // an empty line ends $RS after 'weight 1' (parser.c), so the lone '}' is an ordinary line
  assert.deepEqual(r.lines, [
    '}',
    'virtual_server 10.0.7.4 80 {',
    'real_server 192.168.7.1 80 {',
    'weight 1',
    'real_server 192.168.7.2 80 {',
    'weight 1',
    '}',
  ]);
  const vs = r.tokens[1] as Token[];
  assert.deepEqual(vs[0]?.pos, { file: F, line: 15, col: 1 }, 'lines of a definition point at the $ that used it');
});

test('${_RANDOM}, ${_RANDOM MIN}, ${_RANDOM MIN MAX}, $_RANDOM: drawn from the injected rng, in range', () => {
  const text = 'r ${_RANDOM} ${_RANDOM 30000} ${_RANDOM 5 7} $_RANDOM ${_RANDOM }\n';
  const a = run(text, { rng: seededRng(7) });
  const b = run(text, { rng: seededRng(7) });
  assert.deepEqual(a.diags, []);
  assert.deepEqual(a.lines, b.lines, 'the same seed gives the same configuration');
  const rng = seededRng(7);
  const expected = [randomInt(rng, 0, 32767), randomInt(rng, 30000, 32767), randomInt(rng, 5, 7), randomInt(rng, 0, 32767), randomInt(rng, 0, 32767)];
  assert.equal(a.lines[0], `r ${expected.join(' ')}`);
  const many = run('~SEQ(i, 200) ${_RANDOM 1 3}\n', { rng: seededRng(3) }).lines.map(Number);
  assert.deepEqual([...new Set(many)].sort(), [1, 2, 3], 'every value of a small range occurs, none outside it');
  assert.notDeepEqual(run(text, { rng: seededRng(8) }).lines, a.lines);
});

test('${_RANDOM} oddities are warnings; parameters on a plain definition leave it as written', () => {
  const r = run('$X=x\nr ${_RANDOM 1 2 3} ${_RANDOM 9 9} ${_RANDOM 4 2} ${X 1} ${_RANDOM 1 }\n');
  assert.deepEqual(r.diags, [
    `${F}:2:3: warning: Too many parameters for \${_RANDOM 1 2 3} - using 1 2`,
    `${F}:2:35: warning: \${_RANDOM 4 2}: MIN is greater than MAX - using [2, 4]`,
  ]);
  const [, one, nine, swapped, plain, trailing] = (r.tokens[0] as Token[]).map((t) => t.text);
  assert.ok(one === '1' || one === '2');
  assert.equal(nine, '9');
  assert.ok(['2', '3', '4'].includes(swapped as string));
  assert.equal(plain, '${X 1}');
  assert.equal(trailing, '${_RANDOM 1 }', 'a blank before } with parameters is not a reference (find_definition)');
});

test('${_PWD} is the directory of the file being read; ${_INSTANCE} the config id; both can be overridden', () => {
  const r = run('a ${_PWD} ${_INSTANCE}\ninclude sub/x.conf\n$_INSTANCE=other\nc ${_INSTANCE}\n', {}, { '/etc/k/sub/x.conf': 'b ${_PWD}\n' });
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.lines, ['a /etc/k node1', 'b /etc/k/sub', 'c other']);
});

test('${_HASH} and ${_BANG}: literal in quotes; outside quotes they start a comment, as keepalived -t shows', () => {
  const r = run('notify "/bin/x ${_HASH}1 ${_BANG}2"\npriority 100${_HASH}x\n');
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.lines, ['notify /bin/x #1 !2', 'priority 100']);
});

test('include after @id and with a definition in its path (keepalived checks for include last)', () => {
  const r = run(
    '$D=sub\n@node1 include ${D}/a.conf\n@node2 include ${D}/b.conf\ninclude $D/a.conf\nincluder none.conf\n',
    {},
    { '/etc/k/sub/a.conf': 'from_a\n', '/etc/k/sub/b.conf': 'from_b\n' },
  );
  assert.deepEqual(r.lines, ['from_a']);
  assert.deepEqual(
    r.diags,
    // includer only adds the read check: a missing file is not an error (keepalived 2.2.7 -t exits 0)
    [`${F}:4:1: warning: include '$D/a.conf': no such file`, `${F}:5:1: warning: include 'none.conf': no such file`],
    '$D before / is not a reference in keepalived (only a blank, comma, ) or the end may follow an unbraced name)',
  );
});

test('bad ~SEQ / ~LST specs are positioned errors and produce nothing', () => {
  const cases: [string, string][] = [
    ['~SEQ(i, 0, 0, 3) x', "1:8: error: Invalid ~SEQ values '~SEQ(i, 0, 0, 3)': the step is 0"],
    ['~SEQ(i, 3, 1, 0) x', "1:8: error: Invalid ~SEQ values '~SEQ(i, 3, 1, 0)': the step goes away from the end"],
    ['~SEQx(i, -1, 3) x', "1:9: error: ~SEQx is only valid for positive numbers '~SEQx(i, -1, 3)'"],
    ['  ~SEQ(i 1) x', "1:10: error: Invalid ~SEQ definition '~SEQ(i 1)': expected ',' after the variable"],
    ['~SEQ(, 1) x', "1:6: error: Invalid ~SEQ definition '~SEQ(, 1)': the variable is missing"],
    ['~SEQ(i) x', "1:7: error: Invalid ~SEQ definition '~SEQ(i)': no values"],
    ['~SEQ(i, 1, 2 x', "1:15: error: Invalid ~SEQ definition '~SEQ(i, 1, 2 x': missing ')'"],
    ['~SEQ(i, a) x', "1:9: error: Invalid ~SEQ definition '~SEQ(i, a)': expected ',' or ')' after a number"],
    ['~SEQ(i, 1, 2, 3, 4) x', "1:16: error: Invalid ~SEQ definition '~SEQ(i, 1, 2, 3, 4)': expected ')' after the third number"],
    ['~SEQ(i, 99999999999999999999) x', "1:9: error: Invalid ~SEQ definition '~SEQ(i, 99999999999999999999)': number out of range"],
    ['~SEQUENCE(i, 2) x', "1:5: error: Invalid ~SEQ definition '~SEQUENCE(i, 2)': expected '(' after ~SEQ"],
    ['~LST({a,b},{1,2,3}) x', "1:17: error: ~LST specification has too many values '~LST({a,b},{1,2,3})': 2 variable(s)"],
    ['~LST(i) x', "1:9: error: Invalid ~LST specification '~LST(i)': expected ',' after the variable"],
    ['~LST({a,b}) x', "1:11: error: Invalid ~LST specification '~LST({a,b})': no values"],
    ['~LST(i, a b) x', "1:11: error: Invalid ~LST specification '~LST(i, a b)': unexpected 'b' in the values"],
    ['~LST(i, {1, 2}) x', "1:13: error: ~LST specification has too many values '~LST(i, {1, 2})': 1 variable(s)"],
    ['~LST({i,j}, {1, 2) x', "1:18: error: Invalid ~LST specification '~LST({i,j}, {1, 2)': unexpected ')' in the values"],
    ['~LST i, 1) x', "1:6: error: Invalid ~LST specification '~LST i, 1)': expected '(' after ~LST"],
  ];
  for (const [line, want] of cases) {
    const r = run(`${line}\n`);
    assert.deepEqual(r.lines, [], line);
    assert.deepEqual(r.diags, [`${F}:${want}`], line);
  }
  const nested = run('~SEQ(i, 1, 100) ~SEQ(j, 0, 0, 1) x\n~SEQ(i, 1, 3) "open\n');
  assert.deepEqual(
    nested.diags,
    [`${F}:1:24: error: Invalid ~SEQ values '~SEQ(j, 0, 0, 1)': the step is 0`, `${F}:2:15: error: Unterminated quote`],
    'a problem in a repeated line is reported once',
  );
  const multi = run('$M=a \\\nb\n~SEQ(i, $M) x\n');
  assert.deepEqual(multi.diags, [`${F}:3:8: error: ~SEQ parameter is multiline definition '~SEQ(i, $M)'`]);
});

test('a variable that is not a name is accepted as keepalived does, with a warning that it can never be replaced', () => {
  const r = run('~LST(a-b, 1) v$a-b\n');
  assert.deepEqual(r.lines, ['v$a-b']);
  assert.deepEqual(r.diags, [`${F}:1:1: warning: ~LST variable 'a-b' is not a valid name - $a-b can never be replaced`]);
});

test('bounds: repeated lines are capped with one error; recursive definitions and nesting end in errors, not hangs', () => {
  const capped = run('~SEQ(i, 1000) ~SEQ(j, 1000) x\nafter\n', { maxGeneratedLines: 50 });
  assert.equal(capped.lines.filter((l) => l === 'x').length, 49, '50 lines made, one of them the outer repetition');
  assert.equal(capped.lines.at(-1), 'after');
  assert.deepEqual(capped.diags, [
    `${F}:1:29: error: definitions, ~SEQ and ~LST would produce more than 50 lines or 67108864 characters - the rest are dropped`,
  ]);
  // ten multi-line definitions, each using the one before twice: 2^10 lines at the end, cut at the bound
  const laughs = ['$L0=lol'];
  for (let k = 1; k <= 10; k++) laughs.push(`$L${k}= \\`, `$L${k - 1} \\`, `$L${k - 1}`);
  const bomb = run(`${laughs.join('\n')}\n$L10\n`, { maxGeneratedLines: 300 });
  assert.equal(bomb.lines.length, 301, 'the line that used $L10, then 300 made ones');
  assert.ok(bomb.lines.every((l) => l === 'lol'));
  assert.match(bomb.diags.join('\n'), /would produce more than 300 lines/);
  assert.equal(run(`${laughs.join('\n')}\n$L10\n`).lines.length, 1024, 'the same, unbounded, is exact');
  const self = run('$A=x$A\n$A\n$B=${C}\n$C=y $B\nz $B\nok\n');
  assert.deepEqual(self.lines, ['ok']);
  assert.deepEqual(self.diags, [
    `${F}:2:1: error: Definition 'A' refers to itself - line dropped`,
    `${F}:5:3: error: Definition 'B' refers to itself - line dropped`,
  ]);
  const wide = run(`$M=${'x'.repeat(1100)}\n$L=\${M}\${M}\${M}\${M}\n$K=\${L}\${L}\${L}\${L}\n$K\nok \${L}\n`);
  assert.deepEqual(
    wide.lines.map((l) => l.length),
    [4403],
    'a 4,400-character line is fine, a 17,600-character one is not',
  );
  assert.deepEqual(wide.diags, [`${F}:4:1: error: Definitions expand to more than 16384 characters or 1000 substitutions - line dropped`]);
  // a line of a multi-line definition, or a ~SEQ made by a definition, that uses the definition again
  const multiSelf = run('$M=a \\\n$M $M $M\n$M\n$G=~SEQ(k, 1, 2) $G\n$G\n');
  assert.deepEqual(multiSelf.lines, ['a']);
  assert.deepEqual(multiSelf.diags, [
    `${F}:3:1: error: Definition 'M' refers to itself - line dropped`,
    `${F}:5:1: error: Definition 'G' refers to itself - line dropped`,
  ]);
  const deep = run(`${Array.from({ length: 40 }, (_, k) => `$D${k}=\${D${k + 1}}`).join('\n')}\n$D40=@node1 \${D0}\n\${D0}\n`);
  assert.deepEqual(deep.lines, []);
  assert.deepEqual(deep.diags, [`${F}:42:1: error: Definition 'D0' refers to itself - line dropped`]);
  const chars = run('~SEQ(i, 100) 0123456789\n', { maxGeneratedChars: 500 });
  assert.equal(chars.lines.length, 45, '45 lines of 11 characters, and the repeated line itself');
  assert.deepEqual(chars.diags, [
    `${F}:1:14: error: definitions, ~SEQ and ~LST would produce more than 2000000 lines or 500 characters - the rest are dropped`,
  ]);
});

test('random ~SEQ/~LST soup never throws and stays small', () => {
  const rng = seededRng(77);
  const pieces = [
    '~SEQ',
    '~SEQx',
    '~LST',
    '(',
    ')',
    '{',
    '}',
    ',',
    ' ',
    'i',
    'j',
    '$i',
    '${i}',
    '0',
    '1',
    '3',
    '-1',
    '0x1f',
    '$N',
    '\\',
    '\n',
    '"',
    '#',
    '@node1 ',
    '$N=2\n',
  ];
  for (let n = 0; n < 2000; n++) {
    let s = '';
    const len = 1 + Math.floor(rng.next() * 30);
    for (let k = 0; k < len; k++) s += pieces[Math.floor(rng.next() * pieces.length)] as string;
    const r = run(s, { maxGeneratedLines: 10_000 });
    assert.ok(r.lines.length <= 10_001 + s.split('\n').length, s);
  }
});

test('a multi-line $NAME inside a comment does not expand (keepalived strips the comment first)', () => {
  const text = `$HEALTHCHECK=TCP_CHECK { \\
    connect_timeout 3 \\
}
vrrp_instance VI_1 {
#    $HEALTHCHECK
     ! $HEALTHCHECK
  virtual_router_id 5 # $HEALTHCHECK
  priority 50 ! \${HEALTHCHECK}
}
`;
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf');
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  const vi = tree.find((n) => n.keyword.text === 'vrrp_instance');
  assert.deepEqual(
    vi?.children?.map((c) => [c.keyword.text, ...c.args.map((a) => a.text)]),
    [
      ['virtual_router_id', '5'],
      ['priority', '50'],
    ],
  );
  // outside a comment it still expands
  const used = parseConfigTree(`${text.split('vrrp_instance')[0]}real_server 192.0.2.1 80 {\n  $HEALTHCHECK\n}\n`, 'k.conf');
  assert.deepEqual(used.diagnostics.map(formatDiagnostic), []);
  assert.deepEqual(
    used.tree[0]?.children?.map((c) => c.keyword.text),
    ['TCP_CHECK'],
  );
});
