/**
 * vrrp_sync_group semantics (keepalived vrrp_sync.c): a member may become MASTER only when every member
 * wants MASTER; then all are forced MASTER. A member leaving MASTER forces the others to BACKUP; a member
 * in FAULT forces all into FAULT. Group notifies are emitted once per group transition.
 */
import type { VrrpAction } from './actions.js';
import type { VrrpEvent, VrrpFsm } from './fsm.js';
import { VrrpState, type VrrpStateValue } from './types.js';

/** A sync group: routes member events through the group rules and returns one flat action list. */
export class SyncGroup {
  private groupState: VrrpStateValue = VrrpState.INIT;

  /** @param name group name, e.g. "SG1" @param members the member state machines */
  constructor(
    readonly name: string,
    readonly members: readonly VrrpFsm[],
  ) {
    for (const m of members) m.syncGate = (fsm) => this.canGotoMaster(fsm);
  }

  /** The group's last reported state. */
  get state(): VrrpStateValue {
    return this.groupState;
  }

  /** True when every other member also wants MASTER (or already is). */
  canGotoMaster(fsm: VrrpFsm): boolean {
    return this.members.every((m) => m === fsm || m.state === VrrpState.MASTER || m.wantMaster);
  }

  /** Earliest deadline across all members. */
  pollTimeout(): number | undefined {
    let min: number | undefined;
    for (const m of this.members) {
      const d = m.pollTimeout();
      if (d !== undefined && (min === undefined || d < min)) min = d;
    }
    return min;
  }

  /** Feeds `event` to `member` (by name), then applies the group rules. */
  handle(member: string, event: VrrpEvent, now: number): VrrpAction[] {
    const fsm = this.members.find((m) => m.name === member);
    if (fsm === undefined) throw new RangeError(`${member} is not a member of sync group ${this.name}`);
    return this.follow(fsm, fsm.handle(event, now), now);
  }

  /** Feeds an event to every member (startup, shutdown, timeouts), then applies the group rules. */
  handleAll(event: VrrpEvent, now: number): VrrpAction[] {
    const out: VrrpAction[] = [];
    for (const m of this.members) out.push(...this.follow(m, m.handle(event, now), now));
    return out;
  }

  private follow(origin: VrrpFsm, actions: VrrpAction[], now: number): VrrpAction[] {
    const out = [...actions];
    const moved = actions.some((a) => a.kind === 'stateChanged');
    if (origin.wantMaster && this.members.every((m) => m.state === VrrpState.MASTER || m.wantMaster)) {
      out.push(this.log(`VRRP_Group(${this.name}) Syncing instances to MASTER state`));
      for (const m of this.members) out.push(...m.forceMaster(now));
    } else if (moved || this.members.some((m) => m.state === VrrpState.FAULT && !m.ownFault)) {
      // Also when nothing moved: the last member with a fault of its own may have lost it while staying in FAULT
      // (the group's fault), e.g. two members on one link that comes back; the group fault must then be lifted.
      this.propagate(origin, now, out);
    }
    this.reportGroupState(out);
    return out;
  }

  private propagate(origin: VrrpFsm, now: number, out: VrrpAction[]): void {
    const faulty = this.members.filter((m) => m.ownFault);
    if (faulty.length > 0) {
      for (const m of this.members) {
        if (m.ownFault || m.state === VrrpState.FAULT) continue;
        out.push(this.log(`VRRP_Group(${this.name}): Syncing ${m.name} to FAULT state`));
        out.push(...m.setGroupFault(true, now));
      }
      return;
    }
    if (this.members.some((m) => m.state === VrrpState.FAULT)) {
      for (const m of this.members) out.push(...m.setGroupFault(false, now));
      return;
    }
    if (origin.state === VrrpState.MASTER) {
      if (this.members.some((m) => m.state !== VrrpState.MASTER)) {
        out.push(this.log(`VRRP_Group(${this.name}) Syncing instances to MASTER state`));
        for (const m of this.members) out.push(...m.forceMaster(now));
      }
    } else if (origin.state === VrrpState.BACKUP && this.members.some((m) => m.state === VrrpState.MASTER)) {
      out.push(this.log(`VRRP_Group(${this.name}) Syncing instances to BACKUP state`));
      for (const m of this.members) out.push(...m.forceBackup(now));
    }
  }

  private reportGroupState(out: VrrpAction[]): void {
    const states = this.members.map((m) => m.state);
    let s: VrrpStateValue | undefined;
    if (states.includes(VrrpState.FAULT)) s = VrrpState.FAULT;
    else if (states.every((x) => x === VrrpState.MASTER)) s = VrrpState.MASTER;
    else if (states.every((x) => x === VrrpState.BACKUP)) s = VrrpState.BACKUP;
    else if (states.every((x) => x === VrrpState.STOP)) s = VrrpState.STOP;
    if (s === undefined || s === this.groupState) return;
    this.groupState = s;
    out.push({ kind: 'groupNotify', group: this.name, state: s });
  }

  private log(text: string): VrrpAction {
    return { kind: 'log', instance: this.name, record: { level: 'info', text } };
  }
}
