/**
 * BFD_CHECK: a real server follows a `bfd_instance` (keepalived 2.2.7 check_bfd.c `bfd_check_handle_event`).
 * Not scheduled: the BFD child's session events reach the checker, and each one is the checker's verdict — Up
 * when the session is Up, Down otherwise. Like every checker it starts down in alpha mode, up otherwise; an event
 * that matches the checker's state is dropped once the checker has run. A BFD_CHECK has no weight of its own (the
 * bfd_instance's `weight` is for VRRP's track_bfd): it only puts its real server out of and back into the pool.
 */
import type { BfdCheck } from '../config/model-lvs.js';
import type { CheckAction, CheckerId } from './actions.js';

/** The state of one BFD_CHECK of one real server. */
export class BfdChecker {
  /** `checker->is_up`: down from the start in alpha mode (validate_check_config). */
  isUp: boolean;
  /** `checker->has_run`: a BFD event has reached it. */
  hasRun = false;
  /** A BFD_CHECK adds nothing to its real server's weight. */
  readonly curWeight = 0;

  /** @param config the resolved checker @param id where it sits @param names FMT_RS and FMT_VS for its log lines */
  constructor(
    readonly config: BfdCheck,
    readonly id: CheckerId,
    private readonly names: { readonly rs: string; readonly vs: string },
  ) {
    this.isUp = !config.alpha;
  }

  /**
   * A BFD event for this checker's bfd_instance: the session is Up (`up`) or went down. Returns the log line and
   * the verdict for the virtual server to apply (update_svr_checker_state), or nothing when it changes nothing.
   */
  update(up: boolean): CheckAction[] {
    if (up === this.isUp && this.hasRun) return [];
    const name = this.config.name;
    const text = `BFD check of [${name}] RS(${this.names.rs}) is ${up ? 'UP' : 'DOWN'}`;
    const wasUp = this.isUp;
    const hadRun = this.hasRun;
    this.isUp = up;
    this.hasRun = true;
    return [
      { kind: 'log', vs: this.names.vs, record: { level: 'info', text } },
      {
        kind: up ? 'checkerUp' : 'checkerDown',
        vs: this.names.vs,
        ...this.id,
        checkerType: 'BFD_CHECK',
        wasUp,
        hadRun,
        alpha: this.config.alpha,
        mail: { body: `=> BFD CHECK ${name} ${up ? 'succeeded' : 'failed'} on service <=`, onlyOnChange: true },
      },
    ];
  }
}
