/**
 * A virtual server's quorum (keepalived 2.2.7 ipwrapper.c `update_quorum_state`, `perform_quorum_state`,
 * `do_vs_notifies`). The quorum is met while the live real servers' weights add up to `quorum`; `hysteresis`
 * widens the band: it is gained at quorum + hysteresis and lost below quorum - hysteresis (or at 0).
 * Losing it puts the sorry server in, in place of the remaining live servers; gaining it takes it out again.
 */
import type { VirtualServerConfig } from '../config/model-lvs.js';
import { realWeight, vsFifoText } from './format.js';
import { ipvsDest, snmpTrap, type ActionSink, type Dest, type RealServer } from './real-server.js';

/** The parts of a virtual server the quorum logic reads and changes. */
export interface QuorumContext extends ActionSink {
  readonly config: VirtualServerConfig;
  readonly realServers: readonly RealServer[];
  readonly sorry: Dest | undefined;
  /** `vs->quorum_state_up`. */
  quorumStateUp: boolean;
}

/** weigh_live_realservers: the sum of the live real servers' IPVS weights. */
export function weighLiveRealservers(vs: QuorumContext): number {
  let sum = 0;
  for (const rs of vs.realServers) if (rs.alive) sum += realWeight(rs.effectiveWeight);
  return sum;
}

/** Emits an info log line. */
export function logInfo(sink: ActionSink, text: string): void {
  sink.out.push({ kind: 'log', vs: sink.vsName, record: { level: 'info', text } });
}

/** True when real servers may be changed in IPVS now: the quorum is up, or no sorry server stands in. */
export function poolInUse(vs: QuorumContext): boolean {
  return vs.quorumStateUp || !vs.sorry || !vs.sorry.alive;
}

/** perform_quorum_state: adds the live real servers to the pool, or removes them from it. */
function performQuorumState(vs: QuorumContext, add: boolean): void {
  logInfo(vs, `${add ? 'Adding alive servers to' : 'Removing alive servers from'} the pool for VS ${vs.vsName}`);
  for (const rs of vs.realServers) if (rs.alive) ipvsDest(add ? 'add' : 'del', rs, vs);
}

/** update_quorum_state: gains or loses the quorum (with its logs, sorry server swap and notifies). */
export function updateQuorumState(vs: QuorumContext, init: boolean): void {
  const { quorum, hysteresis } = vs.config;
  const weightSum = weighLiveRealservers(vs);
  const threshold = quorum + (vs.quorumStateUp ? -1 : 1) * hysteresis;
  const sorry = vs.sorry;
  if (!vs.quorumStateUp && weightSum >= threshold) {
    vs.quorumStateUp = true;
    logInfo(vs, `Gained quorum ${quorum}+${hysteresis}=${threshold} <= ${weightSum} for VS ${vs.vsName}`);
    if (sorry?.alive) {
      logInfo(vs, `${sorry.inhibit ? 'Disabling' : 'Removing'} sorry server ${sorry.name} from VS ${vs.vsName}`);
      ipvsDest('del', sorry, vs);
      sorry.alive = false;
      performQuorumState(vs, true);
    }
    doVsNotifies(vs, init, threshold, weightSum, false);
  } else if ((vs.quorumStateUp && (!weightSum || weightSum < threshold)) || (init && !vs.quorumStateUp && sorry && !sorry.alive)) {
    vs.quorumStateUp = false;
    logInfo(vs, `${init ? 'Starting with quorum down' : 'Lost quorum'} ${quorum}-${hysteresis}=${threshold} > ${weightSum} for VS ${vs.vsName}`);
    if (sorry && !sorry.alive) {
      logInfo(vs, `${sorry.inhibit ? 'Enabling' : 'Adding'} sorry server ${sorry.name} to VS ${vs.vsName}`);
      performQuorumState(vs, false);
      ipvsDest('add', sorry, vs);
      sorry.alive = true;
    }
    doVsNotifies(vs, init, threshold, weightSum, false);
  }
}

/** do_vs_notifies: SNMP notification, then quorum_up/quorum_down script, FIFO line, mail (stopping: only with `omega`). */
export function doVsNotifies(vs: QuorumContext, init: boolean, threshold: number, weightSum: number, stopping: boolean): void {
  snmpTrap(vs, undefined, stopping);
  if (stopping && !vs.config.omega) return;
  const up = vs.quorumStateUp;
  const script = up ? vs.config.quorumUp : vs.config.quorumDown;
  if (script) {
    vs.out.push({
      kind: 'notifyScript',
      vs: vs.vsName,
      owner: `vs:${vs.vsName}`,
      which: up ? 'quorum_up' : 'quorum_down',
      script,
      stopping,
    });
  }
  vs.out.push({ kind: 'fifoLine', vs: vs.vsName, line: vsFifoText(vs.vsName, up) });
  if (vs.config.smtpAlert) {
    const what = up ? (init ? 'Starting with quorum up' : 'Gained quorum') : init ? 'Starting with quorum down' : 'Lost quorum';
    const body = stopping ? '=> Shutting down <=' : `=> ${what} ${vs.config.quorum}+${vs.config.hysteresis}=${threshold} <= ${weightSum} <=`;
    vs.out.push({ kind: 'smtpAlert', vs: vs.vsName, up, body });
  }
}
