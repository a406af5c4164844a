/**
 * `vrrp_garp_interval` / `vrrp_gna_interval`: the minimum gap between two gratuitous ARPs (or unsolicited NAs) sent
 * on one interface (keepalived's per-interface garp_delay). With 0 (the default) frames go out at once; otherwise
 * each interface has its own queue drained one frame per interval, across all instances on it. A reload sets new
 * intervals (setIntervals): they apply from the next frame on, queued ones included, as keepalived re-reads its
 * garp_delay on reload.
 */

/** One queued frame: sends it when its turn comes. */
export type FrameSend = () => void;

interface Queue {
  readonly v6: boolean;
  readonly frames: FrameSend[];
  timer?: NodeJS.Timeout;
  lastMs: number;
}

/** Paces GARP/NA frames per interface and family. */
export class GarpPacer {
  private readonly queues = new Map<string, Queue>();

  /** @param intervalMs4 vrrp_garp_interval in ms @param intervalMs6 vrrp_gna_interval in ms @param now a clock */
  constructor(
    private intervalMs4: number,
    private intervalMs6: number,
    private readonly now: () => number,
  ) {}

  /** New intervals (a reload): frames still queued go out at the new pace. */
  setIntervals(intervalMs4: number, intervalMs6: number): void {
    this.intervalMs4 = intervalMs4;
    this.intervalMs6 = intervalMs6;
    for (const q of this.queues.values()) {
      if (q.timer) clearTimeout(q.timer);
      q.timer = undefined;
      this.drain(q);
    }
  }

  /** Sends `frame` on `ifindex` now, or as soon as the interface's interval allows. */
  send(ifindex: number, v6: boolean, frame: FrameSend): void {
    const key = `${ifindex}/${v6 ? 6 : 4}`;
    let q = this.queues.get(key);
    if (this.interval(v6) <= 0 && !q?.frames.length) {
      frame();
      if (q) q.lastMs = this.now();
      return;
    }
    if (!q) {
      q = { v6, frames: [], lastMs: -Infinity };
      this.queues.set(key, q);
    }
    q.frames.push(frame);
    this.drain(q);
  }

  private interval(v6: boolean): number {
    return v6 ? this.intervalMs6 : this.intervalMs4;
  }

  private drain(q: Queue): void {
    if (q.timer) return;
    const wait = q.lastMs + this.interval(q.v6) - this.now();
    if (wait > 0) {
      q.timer = setTimeout(() => {
        q.timer = undefined;
        this.drain(q);
      }, wait);
      return;
    }
    const f = q.frames.shift();
    if (!f) return;
    q.lastMs = this.now();
    f();
    if (q.frames.length) this.drain(q);
  }

  /** Drops everything queued (stop). */
  clear(): void {
    for (const q of this.queues.values()) if (q.timer) clearTimeout(q.timer);
    this.queues.clear();
  }
}
