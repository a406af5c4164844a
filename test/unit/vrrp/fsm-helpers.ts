/** Helpers for the FSM unit tests (not a test file). */
import { VrrpFsm } from '../../../src/vrrp/fsm.js';
import type { VrrpAction } from '../../../src/vrrp/actions.js';
import { instanceParams, type VrrpInstanceParamsInput } from '../../../src/vrrp/instance-params.js';
import type { VrrpAdvert } from '../../../src/vrrp/types.js';

/** A fresh FSM for VI_1 / VRID 51 / 192.0.2.1 with the given overrides. */
export function fsm(over: Partial<VrrpInstanceParamsInput> = {}): VrrpFsm {
  return new VrrpFsm(instanceParams({ name: 'VI_1', vrid: 51, primaryAddress: '192.0.2.1', vips: ['192.0.2.100'], ...over }));
}

/** An accepted advert with the given priority (and v3 interval in cs). */
export function advert(priority: number, over: Partial<VrrpAdvert> = {}): VrrpAdvert {
  return { version: 2, type: 1, vrid: 51, priority, family: 4, addresses: ['192.0.2.100'], advertIntervalCs: 100, authType: 0, checksum: 0, ...over };
}

/** Log texts among `actions`. */
export function logs(actions: readonly VrrpAction[]): string[] {
  return actions.flatMap((a) => (a.kind === 'log' ? [a.record.text] : []));
}

/** The kinds of `actions`, in order, without log lines. */
export function kinds(actions: readonly VrrpAction[]): string[] {
  return actions.filter((a) => a.kind !== 'log').map((a) => a.kind);
}

/** Drives `f` to MASTER (startup + timeout) and returns the time it did. */
export function toMaster(f: VrrpFsm): number {
  f.handle({ type: 'startup' }, 0);
  const t = f.pollTimeout()!;
  f.handleTimeout(t);
  return t;
}
