/**
 * `vrrp_garp_interval` / `vrrp_gna_interval`: the minimum gap between two gratuitous ARPs (or unsolicited NAs) sent
 * on one interface (keepalived's per-interface garp_delay). With 0 (the default) frames go out at once; otherwise
 * each interface has its own queue drained one frame per interval, across all instances on it. A reload sets new
 * intervals (setIntervals): they apply from the next frame on, queued ones included, as keepalived re-reads its
 * garp_delay on reload.
 *
 * `garp_group` (setGroups): the interfaces of one group share a single queue per family, paced by the group's
 * garp_interval / gna_interval (an interval the group does not set is 0 there: keepalived gives a group member no
 * global default), as keepalived's interfaces share one garp_delay.
 */

import type { GarpGroupConfig } from '../../config/model.js';

/** The pacing of a garp_group, for the interfaces in it. */
export interface PacingGroup {
  /** Names the shared queue. */
  readonly id: string;
  readonly garpMs: number;
  readonly gnaMs: number;
}

/** The interface name → garp_group lookup for setGroups (the groups in configuration order, numbered from 1). */
export function pacingGroups(groups: readonly GarpGroupConfig[]): (key: number | string) => PacingGroup | undefined {
  const byName = new Map<string, PacingGroup>();
  groups.forEach((g, i) => {
    const p: PacingGroup = { id: String(i + 1), garpMs: g.garpIntervalMs ?? 0, gnaMs: g.gnaIntervalMs ?? 0 };
    for (const itf of g.interfaces) byName.set(itf.name, p);
  });
  return (key) => (typeof key === 'string' ? byName.get(key) : undefined);
}

/** One queued frame: sends it when its turn comes. */
export type FrameSend = () => void;

interface Queue {
  readonly v6: boolean;
  readonly group?: PacingGroup;
  readonly frames: FrameSend[];
  timer?: NodeJS.Timeout;
  lastMs: number;
}

/** Paces GARP/NA frames per interface and family. */
export class GarpPacer {
  private readonly queues = new Map<string, Queue>();
  private groupOf: (key: number | string) => PacingGroup | undefined = () => undefined;

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

  /**
   * The garp_group of each interface (undefined: its own queue at the global intervals). Frames already queued keep
   * their queue; later ones follow the new grouping.
   */
  setGroups(groupOf: (key: number | string) => PacingGroup | undefined): void {
    this.groupOf = groupOf;
  }

  /** Sends `frame` on interface `ifindex` (an index or a name) now, or as soon as its interval allows. */
  send(ifindex: number | string, v6: boolean, frame: FrameSend): void {
    const group = this.groupOf(ifindex);
    const key = `${group ? `group ${group.id}` : ifindex}/${v6 ? 6 : 4}`;
    let q = this.queues.get(key);
    if (q && q.group !== group && !q.frames.length) {
      this.queues.delete(key); // regrouped by a reload
      q = undefined;
    }
    if (this.interval(v6, group) <= 0 && !q?.frames.length) {
      frame();
      if (q) q.lastMs = this.now();
      return;
    }
    if (!q) {
      q = { v6, frames: [], lastMs: -Infinity, ...(group ? { group } : {}) };
      this.queues.set(key, q);
    }
    q.frames.push(frame);
    this.drain(q);
  }

  private interval(v6: boolean, group?: PacingGroup): number {
    if (group) return v6 ? group.gnaMs : group.garpMs;
    return v6 ? this.intervalMs6 : this.intervalMs4;
  }

  private drain(q: Queue): void {
    if (q.timer) return;
    const wait = q.lastMs + this.interval(q.v6, q.group) - this.now();
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
