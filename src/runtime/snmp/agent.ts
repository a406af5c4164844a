/**
 * The SNMP subagent of one child (keepalived runs one per child): the VRRP child serves KEEPALIVED-MIB's vrrp
 * subtree, VRRP-MIB and VRRPV3-MIB and sends their notifications; the checker child serves the global scalars when
 * enable_snmp_checker is on; the global scalars go with the VRRP child otherwise (vrrp_handles_global_oid).
 * Loaded only when SNMP is enabled (a dynamic import from the daemon). State comes through the daemon's snapshot
 * and configuration, never from runtime objects.
 */
import { networkInterfaces } from 'node:os';
import { readFileSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KeepalivedConfig, SnmpConfig } from '../../config/model.js';
import type { Logger } from '../../core/log.js';
import { subscribe } from '../../core/events.js';
import type { Oid, VarBind } from '../../snmp/agentx.js';
import { GLOBAL_OID, globalRows, VRRP_OID, vrrpRows } from '../../snmp/keepalived-mib.js';
import { MibBuilder } from '../../snmp/mib.js';
import { rfcv2Rows, rfcv3Rows, VRRP_RFC_OID, VRRP_RFCV3_OID } from '../../snmp/rfc-mibs.js';
import type { HostFacts, MibSource } from '../../snmp/source.js';
import { groupNotifications, instanceNotifications, type Notification } from '../../snmp/traps.js';
import { countDrop, dropNotifications, type RfcErrorCounts } from '../../snmp/rfc-errors.js';
import { vrrpTrackerRows } from '../../snmp/vrrp-trackers-mib.js';
import { vrrpRouteRows } from '../../snmp/vrrp-routes-mib.js';
import { planVrrpSet, type PlannedChange } from '../../snmp/vrrp-set.js';
import { planCheckSet, type PlannedWeight } from '../../snmp/check-set.js';
import { planEach } from '../../snmp/set-plan.js';
import { AgentxError } from '../../snmp/agentx.js';
import { inSubtree } from '../../snmp/mib.js';
import type { InstanceChange } from '../port.js';
import type { RuntimeSnapshot } from '../snapshot.js';
import { AgentxSubagent, parseAgentxAddress, type SetHandler, type Subtree } from './subagent.js';
import { addressBytes } from '../../snmp/inet.js';
import { CHECK_OID, checkNotification, checkRows, type CheckCounters } from '../../snmp/check-mib.js';
import { CounterCache } from './counter-cache.js';
import { mergeIpRouteFile } from '../../config/iproute-names.js';

/** What the agent reads, all through functions (the configuration changes on reload). */
export interface SnmpAgentDeps {
  /** The child's role; undefined for a whole daemon in one process (serves everything). */
  readonly role: 'vrrp' | 'check' | undefined;
  readonly settings: SnmpConfig;
  readonly config: () => KeepalivedConfig;
  readonly snapshot: () => RuntimeSnapshot;
  readonly log: Logger;
  readonly version: string;
  /** `-D`: log each notification sent, as keepalived does. */
  readonly logDetail: boolean;
  readonly wallNow: () => number;
  /** SNMP SET's effect on a running instance (the VRRP runtime's setInstance); absent, every SET is notWritable. */
  readonly setInstance?: (instance: string, change: InstanceChange) => string | undefined;
  /**
   * SNMP SET of realServerWeight (the checker runtime's setRealServerWeight: 0-based virtual and real server
   * indexes); absent, the check subtree is notWritable.
   */
  readonly setRealServerWeight?: (vs: number, rs: number, weight: number) => string | undefined;
  /** Host facts (tests inject them). */
  readonly host?: HostFacts;
  /** The checker's IPVS counters (KEEPALIVED-MIB check tables); absent where there is no load balancer. */
  readonly counters?: () => Promise<CheckCounters | undefined>;
}

/** A running agent. */
export interface SnmpAgent {
  close(): void;
}

/** The host as os.networkInterfaces and /sys see it (this network namespace). */
export function linuxHostFacts(): HostFacts {
  let groups: Map<number, string> | undefined;
  const addrs = (name: string, family: 'IPv4' | 'IPv6') => (networkInterfaces()[name] ?? []).filter((a) => a.family === family);
  return {
    ifindex: (name) => {
      try {
        return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    },
    ipv4: (name) => {
      const a = addrs(name, 'IPv4')[0];
      return a ? addressBytes(a.address) : undefined;
    },
    ipv6: (name) => {
      const a = addrs(name, 'IPv6').find((x) => x.address.startsWith('fe80'));
      return a ? addressBytes(a.address) : undefined;
    },
    hwaddr: (name) => {
      const a = (networkInterfaces()[name] ?? [])[0];
      return a ? Buffer.from(a.mac.split(':').map((h) => parseInt(h, 16))) : undefined;
    },
    realPath: (p) => {
      try {
        return realpathSync(p);
      } catch {
        return p;
      }
    },
    ifGroupName: (id) => {
      // keepalived reads the file alone (no built-in names) and shows the number when it names none
      if (!groups) {
        let text: string | undefined;
        try {
          text = readFileSync('/etc/iproute2/group', 'utf8');
        } catch {
          text = undefined;
        }
        groups = new Map([...mergeIpRouteFile(text, new Map(), 0x7fffffff)].map(([name, n]) => [n, name]));
      }
      return groups.get(id);
    },
    nodeName: hostname(),
  };
}

/** The subtrees this child registers (keepalived's snmp_register_mib calls for its role). */
export function subtreesFor(role: SnmpAgentDeps['role'], s: SnmpConfig, checkerRuns: boolean): Subtree[] {
  const out: Subtree[] = [];
  const vrrpSide = role !== 'check';
  const checkSide = role !== 'vrrp';
  const globalHere = checkSide ? s.checker || (role === undefined && s.vrrp) : s.vrrp && (!checkerRuns || !s.checker);
  if (globalHere) out.push({ oid: GLOBAL_OID, descr: 'Keepalived' });
  if (vrrpSide && s.vrrp) out.push({ oid: VRRP_OID, descr: 'KEEPALIVED-VRRP' });
  if (checkSide && s.checker) out.push({ oid: CHECK_OID, descr: 'Healthchecker' });
  if (vrrpSide && s.rfcv2) out.push({ oid: VRRP_RFC_OID, descr: 'VRRP' });
  if (vrrpSide && s.rfcv3) out.push({ oid: VRRP_RFCV3_OID, descr: 'VRRPV3' });
  return out;
}

/** Whether this child starts a subagent at all (vrrp_daemon.c / check_daemon.c conditions). */
export function agentWanted(role: SnmpAgentDeps['role'], s: SnmpConfig): boolean {
  const vrrp = s.vrrp || s.rfcv2 || s.rfcv3;
  return role === 'vrrp' ? vrrp : role === 'check' ? s.checker : vrrp || s.checker;
}

/** Starts the child's subagent; undefined when this child has nothing to serve or the socket name is bad. */
export function startSnmpAgent(d: SnmpAgentDeps): SnmpAgent | undefined {
  if (!agentWanted(d.role, d.settings)) return undefined;
  const address = parseAgentxAddress(d.settings.socket);
  if (address instanceof Error) {
    d.log.log({ level: 'err', text: `${address.message} - SNMP subagent not started` });
    return undefined;
  }
  d.log.log({ level: 'info', text: 'Starting SNMP subagent' });
  const host = d.host ?? linuxHostFacts();
  const startedWallMs = d.wallNow();
  const upSinceMs = new Map<string, number>();
  const rfcErrors = new Map<string, RfcErrorCounts>();
  const source = (): MibSource => ({ config: d.config(), snapshot: d.snapshot(), host, version: d.version, startedWallMs, upSinceMs, rfcErrors });
  const subtrees = subtreesFor(d.role, d.settings, d.config().virtualServers.length > 0);
  const has = (oid: Oid) => subtrees.some((t) => t.oid === oid);
  const counters = new CounterCache(subtrees.some((t) => t.oid === CHECK_OID) ? d.counters : undefined);
  // a walk is one request per object: requests close together share one view (built from the same snapshot), but
  // not one built from IPVS counters that were being re-read (the next request gets the new ones)
  let built: { readonly at: number; readonly view: VarBind[]; readonly reuse: boolean } | undefined;
  const view = (): VarBind[] => {
    const now = d.wallNow();
    if (built?.reuse && now >= built.at && now - built.at < VIEW_REUSE_MS) return built.view;
    const v = build(now);
    built = { at: now, view: v, reuse: !counters.refreshing() };
    return v;
  };
  const build = (now: number): VarBind[] => {
    const src = source();
    const m = new MibBuilder();
    if (has(GLOBAL_OID)) globalRows(src, m);
    if (has(VRRP_OID)) {
      vrrpRows(src, m);
      vrrpTrackerRows(src, m);
      vrrpRouteRows(src, m);
    }
    if (has(CHECK_OID)) checkRows(src, m, counters.get());
    if (has(VRRP_RFC_OID)) rfcv2Rows(src, m, now);
    if (has(VRRP_RFCV3_OID)) rfcv3Rows(src, m, now);
    return m.done();
  };
  // SET: the vrrp subtree's instances (setInstance) and the check subtree's real server weights (setRealServerWeight)
  const setVrrp = has(VRRP_OID) ? d.setInstance : undefined;
  const setWeight = has(CHECK_OID) ? d.setRealServerWeight : undefined;
  type Planned = { readonly vrrp: PlannedChange } | { readonly weight: PlannedWeight };
  let planned: readonly Planned[] = [];
  const planOne = (src: MibSource, vb: VarBind): Planned | number => {
    if (setWeight && inSubtree(vb.oid, CHECK_OID)) {
      const w = planCheckSet(src, vb);
      return typeof w === 'number' ? w : { weight: w };
    }
    if (!setVrrp) return AgentxError.notWritable;
    const c = planVrrpSet(src, vb);
    return typeof c === 'number' ? c : { vrrp: c };
  };
  const commitOne = (p: Planned): void => {
    if ('vrrp' in p) {
      const err = setVrrp!(p.vrrp.instance, p.vrrp.change);
      d.log.log(err ? { level: 'warning', text: `SNMP SET: ${err}` } : { level: 'info', text: p.vrrp.log });
    } else {
      // keepalived logs nothing of its own here: update_svr_wgt's "Changing weight from …" comes from the core
      const err = setWeight!(p.weight.vs, p.weight.rs, p.weight.weight);
      if (err) d.log.log({ level: 'warning', text: `SNMP SET: ${err}` });
    }
  };
  const set: SetHandler | undefined =
    setVrrp || setWeight
      ? {
          test: (vbs) => {
            const src = source();
            const p = planEach(vbs, (vb) => planOne(src, vb));
            planned = p.changes;
            return p;
          },
          commit: () => {
            for (const p of planned) commitOne(p);
            planned = [];
            built = undefined; // a GET after the SET reads the changed instance, not the view built before it
            return 0;
          },
          cleanup: () => {
            planned = [];
          },
        }
      : undefined;
  const agent = new AgentxSubagent({
    ...(set ? { set } : {}),
    address,
    subtrees,
    view,
    log: d.log,
    description: 'Keepalived',
    upTime: () => Math.floor((d.wallNow() - startedWallMs) / 10),
  });
  agent.start();
  const send = (ns: readonly Notification[]) => {
    for (const n of ns) if (agent.notify(n.trapOid, n.varbinds) && d.logDetail) d.log.log({ level: 'info', text: n.detail });
  };
  const unsubs: (() => void)[] = [
    subscribe('keepalived-ts:vrrp:transition', (e) => {
      if (e.from === 'INIT' || !upSinceMs.has(e.instance)) upSinceMs.set(e.instance, e.at);
    }),
  ];
  if (has(CHECK_OID) && d.settings.traps)
    unsubs.push(
      subscribe('keepalived-ts:check:snmptrap', (e) => {
        const n = checkNotification(source(), e);
        if (n) agent.notify(n.trapOid, n.varbinds);
      }),
    );
  if (d.role !== 'check')
    unsubs.push(
      subscribe('keepalived-ts:vrrp:drop', (e) => {
        rfcErrors.set(e.instance, countDrop(rfcErrors.get(e.instance), e.reason));
        if (d.settings.traps) send(dropNotifications(source(), e.instance, e.reason, e.source));
      }),
    );
  if (d.role !== 'check' && d.settings.traps) {
    // every group starts in INIT: its first state (BACKUP, or MASTER) is notified, as keepalived does
    const groupStates = new Map<string, number>(d.config().vrrpSyncGroups.map((g) => [g.name, 0]));
    const seenGroups = () => {
      for (const g of d.snapshot().syncGroups) {
        const before = groupStates.get(g.name);
        groupStates.set(g.name, g.state);
        if (before !== undefined && before !== g.state) send(groupNotifications(source(), g.name, g.state));
      }
    };
    unsubs.push(
      subscribe('keepalived-ts:vrrp:transition', (e) => {
        const src = source();
        const state = STATE_WORDS[e.to] ?? src.snapshot.instances.find((i) => i.name === e.instance)?.state ?? 4;
        send(instanceNotifications(src, e.instance, state, e.reason));
        setImmediate(seenGroups);
      }),
    );
  }
  return {
    close: () => {
      for (const u of unsubs) u();
      agent.close();
    },
  };
}

/** How long a built MIB view answers further requests (a walk's GetNexts come back to back). */
const VIEW_REUSE_MS = 250;

/** Transition event state words → keepalived's state numbers. */
const STATE_WORDS: Readonly<Record<string, number>> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, DELETED: 97, STOP: 98 };
