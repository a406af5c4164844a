/**
 * Tracker declarations: `track_file` (and its old name `vrrp_track_file`), `vrrp_track_process`, `track_group`
 * and `bfd_instance`, with keepalived 2.2.7's defaults, ranges and texts (trackers/track_file.c,
 * vrrp/vrrp_parser.c, bfd/bfd_parser.c).
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { BfdInstanceConfig, Mutable, TrackFileConfig, TrackGroupConfig, TrackProcessConfig } from './model.js';
import type { ConfNode } from './tree.js';
import { readIp, readInt, readSeconds, missingArgPos, missingParameter, valueLines } from './values.js';

/** `weight W [reverse]` of a tracker block; undefined when invalid (keepalived then uses its fallback). */
function readWeight(c: ConfNode, what: string, d: DiagnosticSink): { weight: number; reverse: boolean } | undefined {
  if (!c.args[0]) {
    d.keptError(c.keyword.pos, `No weight specified for ${what.replace('_', ' ')} - ignoring`);
    return undefined;
  }
  const w = readInt(c, c.args[0], -254, 254, d);
  if (w === undefined) return undefined;
  const opt = c.args[1];
  if (opt && opt.text !== 'reverse') d.error(opt.pos, `${what} unknown weight option ${opt.text}`);
  return { weight: w, reverse: opt?.text === 'reverse' };
}

/** Parses `track_file NAME { … }` / `vrrp_track_file NAME { … }`. */
export function parseTrackFile(node: ConfNode, d: DiagnosticSink): TrackFileConfig | undefined {
  const name = node.args[0]?.text;
  if (!name) {
    d.error(missingArgPos(node), `${node.keyword.text} without a name`);
    return undefined;
  }
  if (node.keyword.text === 'vrrp_track_file') d.warning(node.keyword.pos, 'vrrp_track_file is deprecated - please use track_file');
  const r: Mutable<Partial<TrackFileConfig>> = { weight: 1, reverse: false };
  for (const c of node.children ?? []) {
    switch (c.keyword.text) {
      case 'file':
        if (r.path) d.error(c.keyword.pos, `File already set for track file ${name} - ignoring ${c.args[0]?.text ?? ''}`);
        else if (c.args[0]) r.path = c.args[0].text;
        else d.error(missingArgPos(c), `No file specified for track file ${name}`);
        break;
      case 'weight': {
        const w = readWeight(c, `track_file ${name}`, d);
        if (w) Object.assign(r, w);
        break;
      }
      case 'init_file': {
        let value = 0,
          overwrite = false;
        for (const t of c.args) {
          if (/^-?\d/.test(t.text)) {
            if (!/^-?\d+$/.test(t.text)) {
              d.error(t.pos, `Track file ${name} init value ${t.text} is invalid`);
              continue;
            }
            value = Number(t.text);
            if (value < -254 || value > 254) d.warning(t.pos, `Track file ${name} init value ${value} is outside sensible range [-254, 254]`);
          } else if (t.text === 'overwrite') overwrite = true;
          else d.error(t.pos, `Unknown track file init option ${t.text}`);
        }
        r.init = { value, overwrite };
        break;
      }
      default:
        d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
    }
  }
  if (!r.path) {
    d.error(node.keyword.pos, `No file set for track_file ${name} - ignoring`);
    return undefined;
  }
  return { name, pos: node.keyword.pos, path: r.path, weight: r.weight ?? 1, reverse: r.reverse ?? false, ...(r.init ? { init: r.init } : {}) };
}

/** Parses `vrrp_track_process NAME { … }`. */
export function parseTrackProcess(node: ConfNode, d: DiagnosticSink): TrackProcessConfig | undefined {
  const name = node.args[0]?.text;
  if (!name) {
    d.error(missingArgPos(node), 'vrrp_track_process without a name');
    return undefined;
  }
  const r: Mutable<Partial<TrackProcessConfig>> = {
    paramMatch: 'none',
    fullCommand: false,
    weight: 0,
    reverse: false,
    quorum: 1,
    forkDelayMs: 0,
    terminateDelayMs: 0,
  };
  let weightSet = false;
  for (const c of node.children ?? []) {
    const a0 = c.args[0];
    switch (c.keyword.text) {
      case 'process':
        if (!a0) {
          missingParameter(c, d);
          break;
        }
        if (r.process !== undefined) {
          d.error(c.keyword.pos, `Process already set for track process ${name} - ignoring`);
          break;
        }
        if (!a0) {
          d.error(missingArgPos(c), `No process specified for track process ${name}`);
          break;
        }
        r.process = a0.text;
        if (c.args.length > 1) {
          r.params = c.args.slice(1).map((t) => t.text);
          if (r.paramMatch === 'none') r.paramMatch = 'exact';
        }
        break;
      case 'param_match':
        if (!a0 || a0.text === 'exact') r.paramMatch = 'exact';
        else if (a0.text === 'initial' || a0.text === 'partial') r.paramMatch = a0.text;
        else {
          d.error(a0.pos, `Invalid param_match type ${a0.text} - ignoring`);
          break;
        }
        r.fullCommand = true;
        break;
      case 'weight': {
        if (weightSet) {
          d.error(c.keyword.pos, `Weight already set for track process ${name} - ignoring ${a0?.text ?? ''}`);
          break;
        }
        const w = readWeight(c, `vrrp_track_process ${name}`, d);
        if (w) {
          Object.assign(r, w);
          weightSet = true;
        }
        break;
      }
      case 'quorum': {
        const q = readInt(c, a0, 1, 65535, d);
        if (q === undefined) break;
        if (r.quorumMax !== undefined && q > r.quorumMax) {
          d.error(a0!.pos, 'Quorum is greater than quorum_max - ignoring');
          break;
        }
        r.quorum = q;
        break;
      }
      case 'quorum_max': {
        const q = readInt(c, a0, 0, 65535, d);
        if (q === undefined) break;
        if (q < (r.quorum ?? 1) && q !== 0) {
          d.error(a0!.pos, 'quorum_max is less than quorum - ignoring');
          break;
        }
        r.quorumMax = q;
        if (q === 0) r.quorum = 0;
        break;
      }
      case 'delay':
      case 'terminate_delay':
      case 'fork_delay': {
        const ms = readSeconds(c, a0, 0.000001, 3600, d);
        if (ms === undefined) break;
        if (c.keyword.text !== 'fork_delay') r.terminateDelayMs = ms;
        if (c.keyword.text !== 'terminate_delay') r.forkDelayMs = ms;
        break;
      }
      case 'full_command':
        r.fullCommand = true;
        break;
      default:
        d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
    }
  }
  if (r.process === undefined) {
    d.error(node.keyword.pos, `track process '${name}' process name not specified`);
    return undefined;
  }
  return {
    name,
    pos: node.keyword.pos,
    process: r.process,
    ...(r.params ? { params: r.params } : {}),
    paramMatch: r.paramMatch ?? 'none',
    fullCommand: r.fullCommand ?? false,
    weight: r.weight ?? 0,
    reverse: r.reverse ?? false,
    quorum: r.quorum ?? 1,
    ...(r.quorumMax !== undefined ? { quorumMax: r.quorumMax } : {}),
    forkDelayMs: r.forkDelayMs ?? 0,
    terminateDelayMs: r.terminateDelayMs ?? 0,
  };
}

/** Parses `track_group NAME { group { IF … } }`. */
export function parseTrackGroup(node: ConfNode, d: DiagnosticSink): TrackGroupConfig | undefined {
  const name = node.args[0]?.text;
  if (!name) {
    d.error(missingArgPos(node), 'track_group without a name');
    return undefined;
  }
  const interfaces: string[] = [];
  for (const c of node.children ?? []) {
    if (c.keyword.text === 'group') {
      const lines = valueLines(c, d);
      if (!lines.length) d.keptError(c.keyword.pos, `Warning - track group ${name} has empty group block`);
      interfaces.push(...lines.flatMap((x) => [x.keyword.text, ...x.args.map((t) => t.text)]));
    } else d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
  }
  return { name, pos: node.keyword.pos, interfaces };
}

/** Parses `bfd_instance NAME { … }` (run by the `bfd` child: src/runtime/bfd). */
export function parseBfdInstance(node: ConfNode, d: DiagnosticSink): BfdInstanceConfig | undefined {
  const name = node.args[0]?.text;
  if (!name) {
    d.error(missingArgPos(node), 'bfd_instance without a name');
    return undefined;
  }
  if (name.length > 31) {
    d.error(node.args[0]!.pos, `BFD instance name ${name} too long (maximum 31 characters) - ignoring`);
    return undefined;
  }
  const r: Mutable<Partial<BfdInstanceConfig>> = { minRxMs: 10, minTxMs: 10, idleTxMs: 1000, multiplier: 5, passive: false, weight: 0 };
  for (const c of node.children ?? []) {
    const a0 = c.args[0];
    switch (c.keyword.text) {
      case 'neighbor_ip':
      case 'neighbour_ip':
        r.neighbor = readIp(c, a0, d);
        break;
      case 'source_ip':
        r.source = readIp(c, a0, d);
        break;
      case 'min_rx':
        r.minRxMs = readInt(c, a0, 1, 4294967, d) ?? r.minRxMs;
        break;
      case 'min_tx':
        r.minTxMs = readInt(c, a0, 1, 4294967, d) ?? r.minTxMs;
        break;
      case 'idle_tx':
        r.idleTxMs = readInt(c, a0, 1000, 4294967, d) ?? r.idleTxMs;
        break;
      case 'multiplier':
        r.multiplier = readInt(c, a0, 1, 255, d) ?? r.multiplier;
        break;
      case 'passive':
        r.passive = true;
        break;
      case 'ttl':
      case 'hoplimit':
        r.ttl = readInt(c, a0, 1, 255, d);
        break;
      case 'max_hops':
        r.maxHops = readInt(c, a0, -1, 255, d);
        break;
      case 'weight':
        r.weight = readInt(c, a0, -253, 253, d) ?? 0;
        break;
      case 'vrrp':
      case 'checker':
        break;
      default:
        d.keptError(c.keyword.pos, `Unknown keyword '${c.keyword.text}'`);
    }
  }
  if (!r.neighbor) {
    d.error(node.keyword.pos, `No neighbor_ip specified for bfd_instance ${name} - ignoring`);
    return undefined;
  }
  return {
    name,
    pos: node.keyword.pos,
    neighbor: r.neighbor,
    ...(r.source ? { source: r.source } : {}),
    minRxMs: r.minRxMs ?? 10,
    minTxMs: r.minTxMs ?? 10,
    idleTxMs: r.idleTxMs ?? 1000,
    multiplier: r.multiplier ?? 5,
    passive: r.passive ?? false,
    ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
    ...(r.maxHops !== undefined ? { maxHops: r.maxHops } : {}),
    weight: r.weight ?? 0,
  };
}
