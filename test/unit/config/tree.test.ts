import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { formatDiagnostic, loadConfigTree, parseConfigTree, type ConfNode } from '../../../src/config/index.js';
import type { ConfigFs } from '../../../src/config/preprocess.js';
import { seededRng } from '../../../src/core/rng.js';

const dir = new URL('../../../../test/fixtures/seed-configs/', import.meta.url).pathname;
const seeds = readdirSync(dir).filter((f) => f.endsWith('.conf'));

/** A tiny in-memory file system. */
function memFs(files: Record<string, string>): ConfigFs {
  return {
    readFile: (p) => files[p],
    listDir: (d) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${d.replace(/\/$/, '')}/`) && !f.slice(d.length + 1).includes('/'))
        .map((f) => f.slice(d.replace(/\/$/, '').length + 1)),
  };
}

const find = (nodes: readonly ConfNode[], kw: string) => nodes.find((n) => n.keyword.text === kw);

test('every seed configuration builds a tree without errors', () => {
  assert.ok(seeds.length >= 10);
  for (const f of seeds) {
    const { tree, diagnostics } = loadConfigTree(dir + f);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), [], f);
    assert.ok(find(tree, 'vrrp_instance'), `${f} has a vrrp_instance`);
  }
});

test('one-line blocks (minimal-lb01-master.conf) nest like multi-line ones', () => {
  const { tree } = loadConfigTree(`${dir}minimal-lb01-master.conf`);
  const vi = find(tree, 'vrrp_instance') as ConfNode;
  assert.equal(vi.args[0]?.text, 'VI_1');
  const kids = (vi.children ?? []).map((n) => [n.keyword.text, ...n.args.map((a) => a.text)].join(' '));
  assert.deepEqual(kids, ['state MASTER interface eth0 virtual_router_id 51 priority 150 advert_int 1 authentication', 'virtual_ipaddress']);
  // keepalived sees a one-line statement's words as one line; the block parser keeps positions exact
  const vip = find(vi.children ?? [], 'virtual_ipaddress') as ConfNode;
  assert.equal(vip.children?.[0]?.keyword.text, '10.0.0.3/24');
  assert.deepEqual(vip.children?.[0]?.keyword.pos, { file: `${dir}minimal-lb01-master.conf`, line: 2, col: vip.children?.[0]?.keyword.pos.col });
});

test('comments: # and ! anywhere outside quotes, \\# literal, quoted strings keep blanks', () => {
  const { tree, diagnostics } = parseConfigTree('global_defs { # c\n router_id "a b#c" ! x\n x \\#y\n}\n', 'k.conf');
  assert.deepEqual(diagnostics, []);
  const g = (find(tree, 'global_defs') as ConfNode).children ?? [];
  assert.equal(g[0]?.args[0]?.text, 'a b#c');
  assert.equal(g[0]?.args.length, 1);
  assert.equal(g[1]?.args[0]?.text, '#y');
});

test('{ on its own line opens the block of the statement before it', () => {
  const { tree, diagnostics } = parseConfigTree('vrrp_instance VI_1\n{\n  state BACKUP\n}\n', 'k.conf');
  assert.deepEqual(diagnostics, []);
  assert.equal((find(tree, 'vrrp_instance') as ConfNode).children?.[0]?.keyword.text, 'state');
});

test('unbalanced braces are errors with exact positions', () => {
  const extra = parseConfigTree('global_defs {\n}\n  }\n', 'k.conf').diagnostics.map(formatDiagnostic);
  assert.deepEqual(extra, ["k.conf:3:3: error: Extra '}' found"]);
  const missing = parseConfigTree('vrrp_instance VI_1 {\n  state MASTER\n', 'k.conf').diagnostics.map(formatDiagnostic);
  assert.deepEqual(missing, ["k.conf:1:20: error: Missing '}' for the block 'vrrp_instance' opened here"]);
  const quote = parseConfigTree('router_id "abc\n', 'k.conf').diagnostics.map(formatDiagnostic);
  assert.deepEqual(quote, ['k.conf:1:11: error: Unterminated quote']);
});

test('include with globs and braces, relative to the including file; cycles and missing files reported', () => {
  const fs = memFs({
    '/etc/k/keepalived.conf': 'include conf.d/*.conf\ninclude "x/{a,b}.inc"\ninclude missing.conf\n',
    '/etc/k/conf.d/10-a.conf': 'vrrp_instance A {\n}\n',
    '/etc/k/conf.d/20-b.conf': 'vrrp_instance B {\n}\ninclude ../keepalived.conf\n',
    '/etc/k/x/a.inc': 'static_ipaddress {\n}\n',
    '/etc/k/x/b.inc': 'static_routes {\n}\n',
  });
  const { tree, diagnostics } = loadConfigTree('/etc/k/keepalived.conf', { fs });
  assert.deepEqual(
    tree.map((n) => `${n.keyword.text}${n.args[0] ? ` ${n.args[0].text}` : ''}`),
    ['vrrp_instance A', 'vrrp_instance B', 'static_ipaddress', 'static_routes'],
  );
  assert.deepEqual(tree[1]?.keyword.pos, { file: '/etc/k/conf.d/20-b.conf', line: 1, col: 1 });
  const msgs = diagnostics.map(formatDiagnostic);
  assert.ok(
    msgs.some((m) => m.startsWith('/etc/k/conf.d/20-b.conf:3:1: error: include cycle')),
    msgs.join('\n'),
  );
  assert.ok(msgs.includes("/etc/k/keepalived.conf:3:1: warning: include 'missing.conf': no such file"), msgs.join('\n'));
});

test('@id / @^id lines and $NAME definitions (single and multi-line) with substitution at the use site', () => {
  const text =
    '$IF=eth7\n$BLOCK=virtual_ipaddress { \\\n 192.0.2.1 \\\n}\n@node1 router_id ONE\n@^node1 router_id OTHER\nvrrp_instance V {\n interface $IF\n ${BLOCK}\n}\n';
  const one = parseConfigTree(text, 'k.conf', { configId: 'node1' });
  assert.deepEqual(one.diagnostics, []);
  assert.deepEqual(
    one.tree.map((n) => n.args[0]?.text),
    ['ONE', 'V'],
  );
  const vi = one.tree[1] as ConfNode;
  assert.equal(vi.children?.[0]?.args[0]?.text, 'eth7');
  assert.deepEqual(vi.children?.[0]?.args[0]?.pos, { file: 'k.conf', line: 8, col: 12 });
  assert.equal(vi.children?.[1]?.keyword.text, 'virtual_ipaddress');
  assert.equal(vi.children?.[1]?.children?.[0]?.keyword.text, '192.0.2.1');
  const other = parseConfigTree(text, 'k.conf', { configId: 'node2' });
  assert.equal(other.tree[0]?.args[0]?.text, 'OTHER');
});

test('the front end never throws on random or mutated input', () => {
  const rng = seededRng(2026);
  const corpus = seeds.map((f) => readFileSync(dir + f, 'utf8'));
  const alphabet = ['{', '}', '"', '#', '!', '$', '${', '@', '\\', '\n', ' ', 'include x', 'vrrp_instance', 'a', '~SEQ(', 'é'];
  for (let i = 0; i < 3000; i++) {
    let s = corpus[i % corpus.length] as string;
    const edits = 1 + Math.floor(rng.next() * 8);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rng.next() * (s.length + 1));
      const piece = alphabet[Math.floor(rng.next() * alphabet.length)] as string;
      s = rng.next() < 0.5 ? s.slice(0, at) + piece + s.slice(at) : s.slice(0, at) + s.slice(at + 1 + Math.floor(rng.next() * 5));
    }
    const r = parseConfigTree(s, 'fuzz.conf');
    assert.ok(Array.isArray(r.tree));
  }
});
