/** A fake daemon picture for the observe unit tests: two instances, a sync group, one virtual server. */
import {
  defaultInstanceSnapshot,
  zeroStats,
  type BfdSessionStatus,
  type InstanceSnapshot,
  type ProcessInfo,
  type RuntimeSnapshot,
} from '../../../src/runtime/snapshot.js';

/** Process facts at wall time 1_000_000. */
export const PROCESS: ProcessInfo = {
  pid: 4242,
  version: 'Keepalived v2.2.7 (01/16,2022), keepalived-ts v0.1.0',
  configFile: '/etc/keepalived/keepalived.conf',
  startedMs: 1_000_000,
  reloads: 1,
  loopLagMaxMs: 12.5,
  loopLagLastMs: 0.5,
};

/** One instance with the observe tests' defaults (VRRPv3, VRID 51, eth0), overridable. */
export function instance(over: Partial<InstanceSnapshot> & { name: string }): InstanceSnapshot {
  return defaultInstanceSnapshot({ vrid: 51, version: 3, ifname: 'eth0', ...over });
}

/** The picture: VI_1 MASTER (preempted back), VI_2 BACKUP behind 192.0.2.11, one virtual server with two real servers. */
export function snapshot(): RuntimeSnapshot {
  const snap: RuntimeSnapshot = {
    routerId: 'node-a',
    instances: [
      instance({
        name: 'VI_1',
        state: 2,
        basePriority: 150,
        effectivePriority: 130,
        masterPriority: 130,
        masterAddress: '192.0.2.10',
        lastTransitionMs: 1_000_000 + 5_000,
        lastTransitionReason: 'master down timer',
        vips: ['192.0.2.100', '192.0.2.101 dev eth1'],
        evips: ['198.51.100.7'],
        trackInterfaces: ['eth1'],
        trackScripts: ['chk_nginx'],
        trackScriptWeights: [{ name: 'chk_nginx', weight: -20 }],
        stats: { ...zeroStats(), advert_rcvd: 3, advert_sent: 120, become_master: 2, release_master: 1 },
      }),
      instance({
        name: 'VI_2',
        vrid: 52,
        family: 6,
        masterPriority: 200,
        masterAddress: 'fe80::1',
        lastTransitionMs: 1_000_000 + 1_000,
        lastTransitionReason: 'preempted by fe80::1 prio 200',
        priorityOffset: -10,
        effectivePriority: 90,
        vips: ['2001:db8::100'],
      }),
    ],
    syncGroups: [{ name: 'G1', state: 2, members: ['VI_1'] }],
    scripts: [
      { name: 'chk_nginx', ok: false },
      { name: 'chk_other', ok: true },
    ],
    timing: { loopLagMaxMs: 0, loopLagLastMs: 0, advertJitterLastMs: 0.2, advertJitterMaxMs: 3.1, advertJitterMeanMs: 0.4 },
    // the checker runtime's shape (src/runtime/check/runtime.ts), plus IPVS counters as the reader accepts them
    virtualServers: [
      {
        name: '[192.0.2.100]:tcp:80',
        quorum: 1,
        quorumUp: true,
        counters: { inPackets: 10, outPackets: 9, inBytes: 1000, outBytes: 900, conns: 3 },
        realServers: [
          {
            name: '[198.51.100.1]:tcp:8080',
            address: '198.51.100.1',
            port: 8080,
            up: true,
            weight: 1,
            lastResult: 'success',
            lastCheck: 'TCP_CHECK success in 1.3 ms',
            lastCheckLatencyMs: 1.25,
            counters: { inPackets: 6, outPackets: 5, inBytes: 600, outBytes: 500, conns: 2 },
          },
          {
            name: '[198.51.100.2]:tcp:8080',
            address: '198.51.100.2',
            port: 8080,
            up: false,
            weight: 0,
            lastResult: 'failure',
            lastCheck: 'HTTP_GET failure in 4.5 ms',
            lastCheckLatencyMs: 4.5,
          },
        ],
      },
    ] as never,
  };
  return snap;
}

/** A BFD session as the `bfd` child reports it: Up at 50 ms × 3 with 192.0.2.2, since wall ms 1_000_000. */
export function bfdSession(over: Partial<BfdSessionStatus> = {}): BfdSessionStatus {
  return {
    name: 'bfd_peer',
    state: 'Up',
    remoteState: 'Up',
    localDiscr: 0x1234,
    remoteDiscr: 0x5678,
    localDiag: 'No Diagnostic',
    remoteDiag: 'No Diagnostic',
    txIntervalUs: 50_000,
    detectTimeUs: 150_000,
    remoteMinRxUs: 50_000,
    remoteDesiredMinTxUs: 40_000,
    remoteDetectMult: 3,
    pollActive: false,
    clientUp: true,
    packetsIn: 10,
    packetsOut: 11,
    upTransitions: 2,
    downTransitions: 1,
    sinceMs: 12.5,
    neighbor: '192.0.2.2',
    rxIntervalUs: 50_000,
    sinceWallMs: 1_000_000,
    ...over,
  };
}
