/**
 * The block tree: statements (a keyword and its arguments, up to the end of the line or a brace) and blocks
 * (`keyword args { … }`). A `{` alone on the next line opens the block of the statement before it, as keepalived
 * accepts. Unbalanced braces are reported with the position of the offending (or unclosed) brace.
 */
import type { DiagnosticSink, SourcePos } from './diagnostics.js';
import { isBrace, type Token } from './lexer.js';
import type { Item } from './preprocess.js';

/** One statement, with its block when it has one. */
export interface ConfNode {
  readonly keyword: Token;
  readonly args: readonly Token[];
  /** Child statements when the statement opened a `{ … }` block. */
  readonly children?: readonly ConfNode[];
  /** Where the block's `{` stood, when there is a block. */
  readonly blockPos?: SourcePos;
}

interface MutableNode {
  keyword: Token;
  args: Token[];
  children?: MutableNode[];
  blockPos?: SourcePos;
}

/** Builds the tree. Never throws; problems go to `diags`. */
export function buildTree(items: readonly Item[], diags: DiagnosticSink): ConfNode[] {
  const root: MutableNode[] = [];
  const stack: { nodes: MutableNode[]; open?: MutableNode }[] = [{ nodes: root }];
  // the statement being read is items[start, i): its tokens stand together (a line break or brace ends it), so it is
  // cut out with one slice when it ends rather than gathered in an array of its own (issue 17, sixth pass)
  let start = -1;
  let lastClosed: MutableNode | undefined; // the statement just ended by a line break (may take a `{` next)

  /** Ends the statement before items[end]; `blockPos`: it opens a block there. */
  const flush = (end: number, blockPos?: SourcePos): MutableNode | undefined => {
    if (start < 0) return undefined;
    const keyword = items[start] as Token;
    const args = items.slice(start + 1, end) as Token[];
    // a block's node is made whole at once: adding properties to an object later allocates them a second store
    const node: MutableNode = blockPos ? { keyword, args, children: [], blockPos } : { keyword, args };
    (stack[stack.length - 1] as { nodes: MutableNode[] }).nodes.push(node);
    start = -1;
    return node;
  };

  for (let i = 0; i < items.length; i++) {
    const it = items[i] as Item;
    if ('eol' in it) {
      const n = flush(i);
      if (n) lastClosed = n;
      continue;
    }
    if (isBrace(it, '{')) {
      const owner = flush(i, it.pos) ?? (lastClosed && !lastClosed.children ? lastClosed : undefined);
      lastClosed = undefined;
      if (!owner) {
        diags.error(it.pos, "Missing keyword before '{'");
        const orphan: MutableNode = { keyword: it, args: [], children: [], blockPos: it.pos };
        stack.push({ nodes: orphan.children as MutableNode[], open: orphan });
        continue;
      }
      if (!owner.children) {
        owner.children = [];
        owner.blockPos = it.pos;
      }
      stack.push({ nodes: owner.children, open: owner });
      continue;
    }
    if (isBrace(it, '}')) {
      flush(i);
      lastClosed = undefined;
      if (stack.length === 1) {
        diags.error(it.pos, "Extra '}' found");
        continue;
      }
      stack.pop();
      continue;
    }
    if (start < 0) start = i;
  }
  flush(items.length);
  for (let i = stack.length - 1; i > 0; i--) {
    const open = stack[i]?.open;
    if (open) diags.error(open.blockPos ?? open.keyword.pos, `Missing '}' for the block '${open.keyword.text}' opened here`);
  }
  return root;
}

/**
 * Splits statements that ran together on one line (`state MASTER interface eth0 priority 150`), which is how a
 * block written on one line arrives. `arity` gives how many arguments a keyword of this block takes (keywords with
 * a variable count are left out and never split after); a statement is cut where, after its keyword's arguments,
 * another keyword of the block follows. A block attached to the run belongs to its last statement.
 */
export function splitRunTogether(nodes: readonly ConfNode[], arity: ReadonlyMap<string, number>): readonly ConfNode[] {
  // `nodes` itself unless a statement is split (the usual case: one statement per line), so most blocks allocate nothing
  let out: ConfNode[] | undefined;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i] as ConfNode;
    let cur: ConfNode = n;
    for (;;) {
      const k = arity.get(cur.keyword.text);
      const next = k === undefined ? undefined : cur.args[k];
      if (k === undefined || !next || next.quoted || !arity.has(next.text)) break;
      out ??= nodes.slice(0, i);
      out.push({ keyword: cur.keyword, args: cur.args.slice(0, k) });
      cur = { ...cur, keyword: next, args: cur.args.slice(k + 1) };
    }
    out?.push(cur);
  }
  return out ?? nodes;
}
