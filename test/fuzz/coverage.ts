/**
 * Coverage feedback for the fuzz loop from V8's precise block coverage (node:inspector
 * Profiler.startPreciseCoverage with detailed, counted ranges), in the thread that runs the target.
 *
 * A feature is a (script, block range, hit-count bucket) triple of the code under test (URLs containing
 * `/dist/src/`), as AFL buckets edge counts. takePreciseCoverage() returns the counts since the previous call and
 * resets them, so each call attributes exactly one input's execution.
 */
import { Session } from 'node:inspector';

/** Hit counts bucketed as AFL does: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. */
export function bucket(n: number): number {
  if (n <= 3) return n;
  if (n < 8) return 4;
  if (n < 16) return 5;
  if (n < 32) return 6;
  if (n < 128) return 7;
  return 8;
}

interface Range {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly count: number;
}
interface ScriptCoverage {
  readonly url: string;
  readonly functions: readonly { readonly ranges: readonly Range[] }[];
}

/** Precise coverage of this thread's isolate. */
export class Coverage {
  private readonly session = new Session();
  private readonly scriptIds = new Map<string, number>();

  constructor(private readonly filter: (url: string) => boolean = (u) => u.includes('/dist/src/')) {
    this.session.connect();
    this.call('Profiler.enable');
    this.call('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  private call(method: string, params?: object): unknown {
    let out: unknown;
    let error: Error | null = null;
    let done = false;
    this.session.post(method, params, (err, res) => {
      error = err;
      out = res;
      done = true;
    });
    if (!done) throw new Error(`inspector ${method} did not answer synchronously`);
    const e = error as Error | null; // assigned in the callback, which TypeScript does not follow
    if (e) throw e;
    return out;
  }

  /** The features executed since the last call, as numbers (script index, range and bucket packed). */
  take(): number[] {
    const r = this.call('Profiler.takePreciseCoverage') as { result: readonly ScriptCoverage[] };
    const out: number[] = [];
    for (const s of r.result) {
      if (!this.filter(s.url)) continue;
      let id = this.scriptIds.get(s.url);
      if (id === undefined) {
        id = this.scriptIds.size + 1;
        this.scriptIds.set(s.url, id);
      }
      for (const f of s.functions)
        for (const rg of f.ranges) {
          if (rg.count === 0) continue;
          // script (10 bits) · start offset (24 bits) · bucket (4 bits); the end offset is implied by the start within a script
          out.push((id * 2 ** 24 + rg.startOffset) * 16 + bucket(rg.count));
        }
    }
    return out;
  }

  /** Stops collecting. */
  close(): void {
    this.call('Profiler.stopPreciseCoverage');
    this.session.disconnect();
  }
}
