/**
 * Maps the configuration model onto what the pure state machine needs (src/vrrp/instance-params.ts): an
 * instance's FSM parameters, its trackers with effective weights (sync-group trackers included), and the PASS
 * bytes on the wire. Pure functions: the reload planner compares their outputs.
 */
import type { KeepalivedConfig, TrackRef, VrrpInstanceConfig } from '../../config/model.js';
import { instanceParams, type TrackerConfig, type VrrpInstanceParams } from '../../vrrp/instance-params.js';
import { VrrpState } from '../../vrrp/types.js';
import type { NotifyState } from '../../notify/notifier.js';

/** The sync group an instance belongs to, if any (the first that lists it, as keepalived). */
export function groupOf(cfg: KeepalivedConfig, name: string) {
  return cfg.vrrpSyncGroups.find((g) => g.group.includes(name));
}

/** An instance's trackers with their effective weights: its own, then its sync group's. */
export function trackerConfigs(cfg: KeepalivedConfig, ic: VrrpInstanceConfig): TrackerConfig[] {
  const out: TrackerConfig[] = [];
  const add = (
    refs: readonly TrackRef[],
    kind: TrackerConfig['kind'],
    declared: (n: string) => { weight: number; reverse: boolean } | undefined,
    forceZero: boolean,
  ): void => {
    for (const t of refs) {
      if (kind === 'interface' && t.name === ic.interface) continue; // keepalived ignores the instance's own interface here
      const d = declared(t.name);
      if (!d) continue; // reported by the config checks
      if (out.some((x) => x.kind === kind && x.name === t.name)) continue; // the instance's own entry wins over its group's
      const weight = forceZero ? 0 : (t.weight ?? d.weight);
      out.push({ kind, name: t.name, weight, reverse: t.weight !== undefined ? t.reverse : d.reverse });
    }
  };
  const script = (n: string) => cfg.vrrpScripts.find((s) => s.name === n);
  const file = (n: string) => cfg.trackFiles.find((s) => s.name === n);
  const proc = (n: string) => cfg.trackProcesses.find((s) => s.name === n);
  const bfd = (n: string) => {
    const b = cfg.bfdInstances.find((s) => s.name === n);
    return b ? { weight: b.weight, reverse: false } : undefined;
  };
  const iface = () => ({ weight: 0, reverse: false });
  add(ic.trackInterface, 'interface', iface, false);
  add(ic.trackScript, 'script', script, false);
  add(ic.trackFile, 'file', file, false);
  add(ic.trackProcess, 'process', proc, false);
  add(ic.trackBfd, 'bfd', bfd, false);
  const src = trackedSource(ic);
  if (src !== undefined) out.push({ kind: 'address', name: src, weight: 0, reverse: false });
  const g = groupOf(cfg, ic.name);
  if (g) {
    // keepalived: a sync group's trackers put every member into FAULT unless sync_group_tracking_weight is set
    const zero = !g.trackingWeight;
    add(g.trackInterface, 'interface', iface, zero);
    add(g.trackScript, 'script', script, zero);
    add(g.trackFile, 'file', file, zero);
    add(g.trackProcess, 'process', proc, zero);
    add(g.trackBfd, 'bfd', bfd, zero);
  }
  return out;
}

/** The state machine's parameters for `ic`, sending from `source`. */
export function fsmParams(cfg: KeepalivedConfig, ic: VrrpInstanceConfig, source: string): VrrpInstanceParams {
  return instanceParams({
    name: ic.name,
    vrid: ic.virtualRouterId,
    family: ic.family,
    version: ic.version,
    priority: ic.priority,
    advertIntervalMs: ic.advertIntervalMs,
    initialState: ic.state,
    nopreempt: ic.nopreempt,
    preemptDelayMs: ic.preemptDelayMs,
    primaryAddress: source,
    vips: ic.virtualIpaddress.map((v) => v.address),
    excludedVips: ic.virtualIpaddressExcluded.map((v) => v.address),
    strict: ic.strictMode,
    lowerPrioNoAdvert: ic.lowerPrioNoAdvert,
    higherPrioSendAdvert: ic.higherPrioSendAdvert,
    yieldAdvert: cfg.globalDefs.vrrpYieldAdvert ?? true,
    downTimerAdverts: ic.downTimerAdverts,
    dontTrackPrimary: ic.dontTrackPrimary,
    unicastPeers: ic.unicastPeers.map((p) => p.address),
    ...(unicastFaultNoPeer(ic) ? { configFault: 'unicast without any peers' } : {}),
    trackers: trackerConfigs(cfg, ic),
    garp: {
      masterDelayMs: ic.garpMasterDelayMs,
      masterRepeat: ic.garpMasterRepeat,
      masterRefreshMs: ic.garpMasterRefreshMs,
      masterRefreshRepeat: ic.garpMasterRefreshRepeat,
      lowerPrioDelayMs: ic.garpLowerPrioDelayMs,
      lowerPrioRepeat: ic.garpLowerPrioRepeat,
      extraIfIntervalMs: ic.garpExtraIf?.intervalMs ?? 0,
    },
  });
}

/**
 * The source address `track_src_ip` watches: the configured unicast_src_ip or mcast_src_ip (keepalived clears the
 * flag when the address is not from the configuration).
 */
export function trackedSource(ic: VrrpInstanceConfig): string | undefined {
  return ic.trackSrcIp ? (ic.unicastSrcIp ?? ic.mcastSrcIp) : undefined;
}

/** `unicast_fault_no_peer` and no unicast peer: keepalived holds the instance in FAULT rather than fall back to multicast. */
export function unicastFaultNoPeer(ic: VrrpInstanceConfig): boolean {
  return ic.unicastFaultNoPeer && ic.unicastPeers.length === 0;
}

/** The `kind:name` keys of an instance's trackers (how tracker results are routed to instances). */
export function trackerIds(params: VrrpInstanceParams): Set<string> {
  return new Set(params.trackers.map((t) => `${t.kind}:${t.name}`));
}

/** An instance's or group's `smtp_alert`, else `smtp_alert_vrrp`, else the global `smtp_alert`. */
export function smtpAlertFor(cfg: KeepalivedConfig, own: boolean | undefined): boolean {
  return own ?? cfg.globalDefs.smtpAlertVrrp ?? cfg.globalDefs.smtpAlert ?? false;
}

/** Notification state names by VRRP state (INIT has none). */
export const NOTIFY_STATE: Partial<Record<number, NotifyState>> = {
  [VrrpState.MASTER]: 'MASTER',
  [VrrpState.BACKUP]: 'BACKUP',
  [VrrpState.FAULT]: 'FAULT',
  [VrrpState.STOP]: 'STOP',
  [VrrpState.DELETED]: 'DELETED',
};

/** The PASS password as keepalived sends it: 8 bytes, NUL padded. */
export function passBytes(password: string): Uint8Array {
  const b = Buffer.alloc(8);
  Buffer.from(password, 'utf8').copy(b, 0, 0, 8);
  return b;
}
