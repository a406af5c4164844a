/**
 * `vrrp_garp_interval` / `vrrp_gna_interval`: the minimum gap between two gratuitous ARPs (or unsolicited NAs) sent
 * on one interface (keepalived's per-interface garp_delay). With 0 (the default) frames go out at once; otherwise
 * each interface has its own queue drained one frame per interval, across all instances on it.
 */

/** One queued frame: sends it when its turn comes. */
export type FrameSend = () => void;

/** Paces GARP/NA frames per interface and family. */
export class GarpPacer {
  private readonly queues = new Map<string, { frames: FrameSend[]; timer?: NodeJS.Timeout; lastMs: number }>();

  /** @param intervalMs4 vrrp_garp_interval in ms @param intervalMs6 vrrp_gna_interval in ms @param now a clock */
  constructor(
    private readonly intervalMs4: number,
    private readonly intervalMs6: number,
    private readonly now: () => number,
  ) {}

  /** Sends `frame` on `ifindex` now, or as soon as the interface's interval allows. */
  send(ifindex: number, v6: boolean, frame: FrameSend): void {
    const interval = v6 ? this.intervalMs6 : this.intervalMs4;
    if (interval <= 0) {
      frame();
      return;
    }
    const key = `${ifindex}/${v6 ? 6 : 4}`;
    let q = this.queues.get(key);
    if (!q) {
      q = { frames: [], lastMs: -Infinity };
      this.queues.set(key, q);
    }
    q.frames.push(frame);
    this.drain(q, interval);
  }

  private drain(q: { frames: FrameSend[]; timer?: NodeJS.Timeout; lastMs: number }, interval: number): void {
    if (q.timer) return;
    const wait = q.lastMs + interval - this.now();
    if (wait > 0) {
      q.timer = setTimeout(() => {
        q.timer = undefined;
        this.drain(q, interval);
      }, wait);
      return;
    }
    const f = q.frames.shift();
    if (!f) return;
    q.lastMs = this.now();
    f();
    if (q.frames.length) this.drain(q, interval);
  }

  /** Drops everything queued (stop). */
  clear(): void {
    for (const q of this.queues.values()) if (q.timer) clearTimeout(q.timer);
    this.queues.clear();
  }
}
