/**
 * One running VRRP instance as the Linux runtime holds it, and its picture for the dumps (keepalived.data/json,
 * control socket). Advert lateness figures live here too.
 */
import type { VrrpInstanceConfig } from '../../config/model.js';
import type { InstanceSnapshot, TimingStats } from '../snapshot.js';
import type { LinkInfo } from '../../net/netlink/route-messages.js';
import type { VrrpSocket } from '../../net/vrrp-socket.js';
import type { VrrpFsm } from '../../vrrp/fsm.js';
import type { VrrpStats } from '../../vrrp/stats.js';

/** One running instance: its state machine and counters live in the router (src/vrrp/router.ts); these are references. */
export interface Running {
  cfg: VrrpInstanceConfig;
  readonly fsm: VrrpFsm;
  readonly stats: VrrpStats;
  readonly link: LinkInfo;
  /** The interface whose carrier the instance follows (the VMAC's parent, else `link`). */
  readonly stateIndex: number;
  /** The configured interface's name (the VMAC's parent when use_vmac). */
  readonly ifname: string;
  /** Undefined while the instance waits for its interface (dynamic_interfaces). */
  readonly socket: VrrpSocket | undefined;
  readonly socketKey: string;
  readonly source: string;
  readonly group: string;
  vipSet: boolean;
  lastTransitionMs: number;
  /** use_vmac_addr / a VIP's use_vmac: the address VMAC each such VIP lives on, by address. */
  addrVmacs?: ReadonlyMap<string, LinkInfo>;
}

/** Running lateness figures in ms. */
export interface Jitter {
  n: number;
  sum: number;
  last: number;
  max: number;
}

/** A zeroed Jitter. */
export const newJitter = (): Jitter => ({ n: 0, sum: 0, last: 0, max: 0 });

/** Adds one lateness sample. */
export function addJitter(j: Jitter, ms: number): void {
  j.n++;
  j.sum += ms;
  j.last = ms;
  if (ms > j.max) j.max = ms;
}

/** An instance's picture for the dumps. */
export function instanceSnapshot(r: Running): InstanceSnapshot {
  const c = r.cfg;
  return {
    name: c.name,
    vrid: c.virtualRouterId,
    version: c.version,
    family: c.family,
    state: r.fsm.state,
    wantState: r.fsm.state,
    ...(c.interface !== undefined || c.vrf === undefined ? { ifname: r.ifname } : { vrf: c.vrf }),
    ...(c.kernelRxBufSize ? { kernelRxBufSize: c.kernelRxBufSize } : {}),
    ...(c.debug ? { debug: c.debug } : {}),
    vmacIfname: r.link.name !== r.ifname ? r.link.name : '',
    basePriority: c.priority,
    effectivePriority: r.fsm.priority,
    masterPriority: 0,
    lastTransitionMs: r.lastTransitionMs,
    advertIntervalSec: c.advertIntervalMs / 1000,
    masterAdvertIntervalSec: r.fsm.masterAdverInterval / 1000,
    garpDelaySec: c.garpMasterDelayMs / 1000,
    garpRefreshSec: c.garpMasterRefreshMs / 1000,
    garpRep: c.garpMasterRepeat,
    garpRefreshRep: c.garpMasterRefreshRepeat,
    garpLowerPrioDelaySec: c.garpLowerPrioDelayMs / 1000,
    garpLowerPrioRep: c.garpLowerPrioRepeat,
    lowerPrioNoAdvert: c.lowerPrioNoAdvert,
    higherPrioSendAdvert: c.higherPrioSendAdvert,
    dontTrackPrimary: c.dontTrackPrimary,
    skipCheckAdvAddr: c.skipCheckAdvAddr,
    strictMode: c.strictMode,
    vipSet: r.vipSet,
    promoteSecondaries: c.promoteSecondaries,
    accept: c.accept,
    nopreempt: c.nopreempt,
    preemptDelaySec: c.preemptDelayMs / 1000,
    smtpAlert: c.smtpAlert ?? false,
    notifyDeleted: !!c.notify.deleted,
    scripts: {},
    vips: c.virtualIpaddress.map((v) => `${v.address}${v.dev ? ` dev ${v.dev}` : ''}${v.label ? ` label ${v.label}` : ''}`),
    evips: c.virtualIpaddressExcluded.map((v) => v.address),
    vroutes: c.virtualRoutes.map((x) => `${x.destination}/${x.prefixLength}${x.gateway ? ` via ${x.gateway}` : ''}${x.dev ? ` dev ${x.dev}` : ''}`),
    vrules: c.virtualRules.map(
      (x) =>
        `${x.from ? `from ${x.from.address}/${x.from.prefixLength} ` : ''}${x.to ? `to ${x.to.address}/${x.to.prefixLength} ` : ''}table ${x.table ?? 254}`,
    ),
    trackInterfaces: c.trackInterface.map((t) => t.name),
    trackScripts: c.trackScript.map((t) => t.name),
    authType: c.authentication?.type === 'PASS' ? 1 : c.authentication?.type === 'AH' ? 2 : 0,
    ...(c.authentication ? { authData: c.authentication.password } : {}),
    srcIp: r.source,
    mcastAddress: r.group,
    stats: { ...r.stats },
  };
}

/** The jitter figures of a snapshot (absent until an advert was sent on a timer). */
export function jitterFields(j: Jitter): Pick<TimingStats, 'advertJitterLastMs' | 'advertJitterMaxMs' | 'advertJitterMeanMs'> {
  return j.n === 0 ? {} : { advertJitterLastMs: j.last, advertJitterMaxMs: j.max, advertJitterMeanMs: j.sum / j.n };
}
