/**
 * Cross-block checks after the whole file is read, as keepalived does them when it links instances to their
 * trackers and sync groups (vrrp_track.c, vrrp_sync.c, track_file.c): a reference to something not declared is
 * reported at the reference and dropped from the run. Duplicate VRIDs on one interface are errors.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { KeepalivedConfig, TrackRef, VrrpInstanceConfig } from './model.js';

/** Reports dangling track_script / track_file / track_process / track_bfd names, bad sync-group members, duplicate VRIDs. */
export function checkReferences(c: KeepalivedConfig, d: DiagnosticSink): void {
  const scripts = new Set(c.vrrpScripts.map((s) => s.name));
  const files = new Set(c.trackFiles.map((f) => f.name));
  const procs = new Set(c.trackProcesses.map((p) => p.name));
  const bfds = new Set(c.bfdInstances.map((b) => b.name));
  const check = (owner: string, refs: readonly TrackRef[], known: ReadonlySet<string>, what: string): void => {
    for (const r of refs) if (!known.has(r.name)) d.error(r.pos, `(${owner}) ${what} ${r.name} not found, ignoring...`);
  };
  for (const i of c.vrrpInstances) {
    check(i.name, i.trackScript, scripts, 'track script');
    check(i.name, i.trackFile, files, 'track file');
    check(i.name, i.trackProcess, procs, 'track process');
    check(i.name, i.trackBfd, bfds, 'track bfd');
  }
  const instances = new Map(c.vrrpInstances.map((i) => [i.name, i]));
  const inGroup = new Map<string, string>();
  for (const g of c.vrrpSyncGroups) {
    check(g.name, g.trackScript, scripts, 'track script');
    check(g.name, g.trackFile, files, 'track file');
    check(g.name, g.trackProcess, procs, 'track process');
    check(g.name, g.trackBfd, bfds, 'track bfd');
    for (const m of g.group) {
      if (!instances.has(m)) d.error(g.pos, `Virtual router ${m} specified in sync group ${g.name} doesn't exist - ignoring`);
      else if (inGroup.has(m)) d.error(g.pos, `Virtual router ${m} cannot exist in more than one sync group; ignoring ${g.name}`);
      else inGroup.set(m, g.name);
    }
  }
  const vrids = new Map<string, VrrpInstanceConfig>();
  for (const i of c.vrrpInstances) {
    const key = `${i.interface ?? ''}/${i.family}/${i.virtualRouterId}`;
    const other = vrids.get(key);
    if (other) d.error(i.pos, `(${i.name}) VRID ${i.virtualRouterId} is already used by ${other.name} on ${i.interface ?? 'the same interface'}`);
    vrids.set(key, i);
  }
}
