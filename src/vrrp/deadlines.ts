/**
 * The router's agenda: the next deadline of each instance in a binary min-heap, so that the earliest one over
 * thousands of instances is found in O(log n). Entries are replaced lazily: setting a key's deadline pushes a new
 * entry, and entries that no longer match their key's deadline are dropped when they reach the top.
 */

interface Entry<K> {
  readonly at: number;
  readonly seq: number;
  readonly key: K;
}

/** Deadlines (monotonic ms) by key, earliest first; ties in the order they were set. */
export class DeadlineQueue<K> {
  private readonly heap: Entry<K>[] = [];
  private readonly current = new Map<K, number>();
  private seq = 0;

  /** Sets (or with undefined, clears) the deadline of `key`. */
  set(key: K, at: number | undefined): void {
    if (at === undefined) {
      this.current.delete(key);
      return;
    }
    if (this.current.get(key) === at) return;
    this.current.set(key, at);
    this.push({ at, seq: this.seq++, key });
  }

  /** The earliest deadline and its key, or undefined when none is set. */
  peek(): { readonly at: number; readonly key: K } | undefined {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (this.current.get(top.key) === top.at) return top;
      this.pop();
    }
    return undefined;
  }

  private push(e: Entry<K>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(h[i]!, h[parent]!)) break;
      swap(h, i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      swap(h, i, m);
      i = m;
    }
  }
}

/** Swaps two entries (without the temporary array a destructuring swap allocates per call: issue 17). */
function swap<K>(h: Entry<K>[], i: number, j: number): void {
  const t = h[i]!;
  h[i] = h[j]!;
  h[j] = t;
}

function less<K>(a: Entry<K>, b: Entry<K>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
