/**
 * KEEPALIVED-MIB::vrrp's tracker tables beyond interfaces and scripts, as keepalived 2.2.7's vrrp_snmp.c serves
 * them: the per-instance tracked file, BFD and process tables (vrrpTrackedFileTable …12, vrrpTrackedBfdTable …17,
 * vrrpTrackedProcessTable …20), the definitions (vrrpFileTable …13, vrrpBfdTable …18, vrrpProcessTable …21) and
 * the sync groups' tracked interface, script, file, BFD and process tables (…14, 15, 16, 19, 22). Pure: built
 * from a MibSource. Indexes are 1-based positions (instance or group, then entry), as snmp_find_element counts.
 */
import type { KeepalivedConfig, TrackRef, VrrpInstanceConfig, VrrpSyncGroupConfig } from '../config/model.js';
import type { TrackerResultSnapshot } from '../runtime/snapshot.js';
import type { Oid } from './agentx.js';
import { truth, VRRP_OID } from './keepalived-mib.js';
import type { MibBuilder } from './mib.js';
import type { MibSource } from './source.js';

/** keepalived's param_match enumeration (vrrp_track.h): none 0, exact 1, initial 2, partial 3. */
const PARAM_MATCH: Readonly<Record<string, number>> = { none: 0, exact: 1, initial: 2, partial: 3 };

/** keepalived's quorum_max when none is configured (UINT_MAX, which the INTEGER column shows as -1). */
const QUORUM_MAX_UNSET = -1;

/** The last tracker results by kind and name. */
function resultsOf(src: MibSource): Map<string, TrackerResultSnapshot> {
  return new Map((src.snapshot.trackers ?? []).map((r) => [`${r.kind}:${r.name}`, r]));
}

/** A tracked definition's weight and reverse flag, as the tracked tables show them (the definition's own). */
interface Def {
  readonly name: string;
  readonly weight: number;
  readonly reverse: boolean;
}

function fileDefs(c: KeepalivedConfig): Def[] {
  return c.trackFiles.map((f) => ({ name: f.name, weight: f.weight, reverse: f.reverse }));
}

function processDefs(c: KeepalivedConfig): Def[] {
  return c.trackProcesses.map((p) => ({ name: p.name, weight: p.weight, reverse: p.reverse }));
}

function bfdDefs(c: KeepalivedConfig): Def[] {
  return c.bfdInstances.map((b) => ({ name: b.name, weight: b.weight, reverse: false }));
}

/** The references of `refs` that name a definition (keepalived drops unknown names with a warning). */
function known(refs: readonly TrackRef[], defs: readonly Def[]): Def[] {
  return refs.flatMap((t) => defs.filter((x) => x.name === t.name).slice(0, 1));
}

/** One tracked table: name (col 2), weight (3), reverse (4) of the definitions each owner tracks. */
function trackedTable(m: MibBuilder, table: number, owners: readonly (readonly Def[])[]): void {
  owners.forEach((defs, i) =>
    defs.forEach((x, k) => {
      const o = (col: number): Oid => [...VRRP_OID, table, 1, col, i + 1, k + 1];
      m.str(o(2), x.name);
      m.int(o(3), x.weight);
      m.int(o(4), truth(x.reverse));
    }),
  );
}

/** vrrpFileTable: name, path, the file's last value, weight, reverse. */
function fileRows(src: MibSource, m: MibBuilder, results: Map<string, TrackerResultSnapshot>): void {
  src.config.trackFiles.forEach((f, i) => {
    const o = (col: number): Oid => [...VRRP_OID, 13, 1, col, i + 1];
    m.str(o(2), f.name);
    m.str(o(3), f.path);
    m.int(o(4), results.get(`file:${f.name}`)?.value ?? 0);
    m.int(o(5), f.weight);
    m.int(o(6), truth(f.reverse));
  });
}

/** vrrpBfdTable: name, up (1) or not (0), weight, reverse. */
function bfdRows(src: MibSource, m: MibBuilder, results: Map<string, TrackerResultSnapshot>): void {
  src.config.bfdInstances.forEach((b, i) => {
    const o = (col: number): Oid => [...VRRP_OID, 18, 1, col, i + 1];
    m.str(o(2), b.name);
    m.int(o(3), results.get(`bfd:${b.name}`)?.ok ? 1 : 0);
    m.int(o(4), b.weight);
    m.int(o(5), truth(false));
  });
}

/** vrrpProcessTable: the definition, its delays in µs, and the running count and quorum state. */
function processRows(src: MibSource, m: MibBuilder, results: Map<string, TrackerResultSnapshot>): void {
  src.config.trackProcesses.forEach((p, i) => {
    const o = (col: number): Oid => [...VRRP_OID, 21, 1, col, i + 1];
    const r = results.get(`process:${p.name}`);
    m.str(o(2), p.name);
    m.str(o(3), p.process);
    m.str(o(4), (p.params ?? []).join(' '));
    m.int(o(5), PARAM_MATCH[p.paramMatch] ?? 0);
    m.int(o(6), p.weight);
    m.int(o(7), truth(p.reverse));
    m.gauge(o(8), p.quorum);
    m.int(o(9), p.quorumMax ?? QUORUM_MAX_UNSET);
    m.gauge(o(10), p.forkDelayMs * 1000);
    m.gauge(o(11), p.terminateDelayMs * 1000);
    // keepalived sets full_command with parameters or a param_match too
    m.int(o(12), truth(p.fullCommand || p.paramMatch !== 'none' || (p.params?.length ?? 0) > 0));
    m.int(o(13), r?.value ?? 0);
    m.int(o(14), truth(r?.ok));
  });
}

/** A sync group's tracked interfaces (…14: name in column 1) and scripts (…15) with their own weights. */
function groupInterfaceScriptRows(src: MibSource, m: MibBuilder, groups: readonly VrrpSyncGroupConfig[]): void {
  groups.forEach((g, i) => {
    g.trackInterface.forEach((t, k) => {
      const o = (col: number): Oid => [...VRRP_OID, 14, 1, col, i + 1, k + 1];
      m.str(o(1), t.name);
      m.int(o(2), t.weight ?? 0);
      m.int(o(3), truth(t.reverse));
    });
    g.trackScript
      .flatMap((t) => {
        const def = src.config.vrrpScripts.find((s) => s.name === t.name);
        return def ? [{ t, weight: t.weight ?? def.weight, reverse: t.weight === undefined ? def.reverse : t.reverse }] : [];
      })
      .forEach(({ t, weight, reverse }, k) => {
        const o = (col: number): Oid => [...VRRP_OID, 15, 1, col, i + 1, k + 1];
        m.str(o(2), t.name);
        m.int(o(3), weight);
        m.int(o(4), truth(reverse));
      });
  });
}

/** The owner lists of one tracker kind: every instance's, then every sync group's. */
function owners(
  c: KeepalivedConfig,
  defs: readonly Def[],
  pick: (x: VrrpInstanceConfig | VrrpSyncGroupConfig) => readonly TrackRef[],
): { readonly instances: Def[][]; readonly groups: Def[][] } {
  return { instances: c.vrrpInstances.map((ic) => known(pick(ic), defs)), groups: c.vrrpSyncGroups.map((g) => known(pick(g), defs)) };
}

/** Every table this module serves. */
export function vrrpTrackerRows(src: MibSource, m: MibBuilder): void {
  const c = src.config;
  const results = resultsOf(src);
  const files = owners(c, fileDefs(c), (x) => x.trackFile);
  const bfds = owners(c, bfdDefs(c), (x) => x.trackBfd);
  const procs = owners(c, processDefs(c), (x) => x.trackProcess);
  trackedTable(m, 12, files.instances);
  fileRows(src, m, results);
  groupInterfaceScriptRows(src, m, c.vrrpSyncGroups);
  trackedTable(m, 16, files.groups);
  trackedTable(m, 17, bfds.instances);
  bfdRows(src, m, results);
  trackedTable(m, 19, bfds.groups);
  trackedTable(m, 20, procs.instances);
  processRows(src, m, results);
  trackedTable(m, 22, procs.groups);
}
