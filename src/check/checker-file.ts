/**
 * FILE_CHECK: a real server follows the number in a `track_file` (keepalived 2.2.7 check_file.c and
 * track_file.c `process_update_checker_track_file_status`). Not scheduled: the driver reads the file (as the
 * VRRP side's track_file does) and delivers each new value. The value times the weight (negated with `reverse`)
 * is added to the real server's weight; a result at or below IPVS_WEIGHT_FAULT (INT_MIN) — or, with weight 0,
 * any non-zero value (zero with `reverse`) — puts the checker down.
 */
import type { FileCheck } from '../config/model-lvs.js';
import type { CheckAction, CheckerId } from './actions.js';
import { IPVS_WEIGHT_FAULT } from './format.js';

const INT_MAX = 2147483647;

/** The tracked file a FILE_CHECK names, as the driver knows it. */
export interface TrackedFileInfo {
  /** The `track_file` block's own `weight` and `reverse` (used when the FILE_CHECK sets no weight). */
  readonly weight: number;
  readonly reverse: boolean;
  /** The value read at start-up (keepalived `last_status`); 0 when the file is missing. */
  readonly status: number;
}

/** keepalived's weight_range(): clamps into a C int. */
function weightRange(v: number): number {
  return v < IPVS_WEIGHT_FAULT ? IPVS_WEIGHT_FAULT : v > INT_MAX ? INT_MAX : v;
}

/** The state of one FILE_CHECK of one real server. */
export class FileChecker {
  /** `checker->is_up`; FILE_CHECK never starts in alpha mode and counts as having run. */
  isUp = true;
  /** This checker's part of the real server's effective weight (`cur_weight`). */
  curWeight = 0;
  private last: number;
  private readonly weight: number;
  private readonly mult: 1 | -1;

  /**
   * set_track_file_weights + set_track_file_checkers_down (start-up, not reload): the initial weight part and state.
   * @param file the track_file's weight, reverse flag and value at start-up
   */
  constructor(
    readonly config: FileCheck,
    readonly id: CheckerId,
    file: TrackedFileInfo,
    private readonly names: { readonly rs: string; readonly vs: string },
  ) {
    this.weight = config.weight ?? file.weight;
    this.mult = (config.weight !== undefined ? config.reverse : file.reverse) ? -1 : 1;
    this.last = file.status;
    if (this.weight && this.last) this.curWeight = this.last * this.weight * this.mult;
    if (this.last && (!this.weight || this.last * this.weight * this.mult <= IPVS_WEIGHT_FAULT)) this.isUp = false;
  }

  /** The status a file value gives (update_track_file_status): a weight part, or IPVS_WEIGHT_FAULT. */
  private statusOf(value: number): number {
    if (!this.weight) return (value === 0) !== (this.mult === 1) ? IPVS_WEIGHT_FAULT : 0;
    return weightRange(value * this.weight * this.mult);
  }

  /** A new value was read from the file. Returns the verdict / weight actions (for the virtual server to apply). */
  update(value: number): CheckAction[] {
    if (value === this.last) return [];
    const prev = this.statusOf(this.last);
    const next = this.statusOf(value);
    this.last = value;
    const out: CheckAction[] = [];
    if (prev === next) return out;
    const file = this.config.trackFile;
    const weightAction = (delta: number, announce: boolean): CheckAction => ({
      kind: 'checkerWeight',
      vs: this.names.vs,
      ...this.id,
      delta,
      announce,
    });
    if (next === IPVS_WEIGHT_FAULT) {
      out.push(this.logDetail(`(${this.names.rs}): tracked file ${file} now FAULT state`), this.verdict(false));
      out.push(weightAction(-this.curWeight, false));
      this.curWeight = 0;
    } else if (prev === IPVS_WEIGHT_FAULT) {
      out.push(this.logDetail(`(${this.names.rs}): tracked file ${file} leaving FAULT state`), weightAction(next, false));
      this.curWeight = next;
      out.push(this.verdict(true));
    } else {
      out.push(weightAction(next - prev, true));
      this.curWeight = next;
    }
    return out;
  }

  private logDetail(text: string): CheckAction {
    return { kind: 'log', vs: this.names.vs, record: { level: 'info', text, detail: true } };
  }

  private verdict(alive: boolean): CheckAction {
    const wasUp = this.isUp;
    this.isUp = alive;
    return { kind: alive ? 'checkerUp' : 'checkerDown', vs: this.names.vs, ...this.id, checkerType: 'FILE_CHECK', wasUp, hadRun: true, alpha: false };
  }
}
