/**
 * The human `keepalived-ts status`: a header, one line per VRRP instance (state, effective/base priority, the
 * master, how long and why, advert interval, sync group, VIPs, tracked objects), then each virtual server with its
 * real servers (health, weight, last check result, latency), then BGP announcement (engine, each planned route with
 * its condition and state, the engine's sessions), then the BFD sessions (neighbor, local/remote state, negotiated
 * intervals, detection time, up/down transitions, time in state). Colour only when asked (the CLI asks on a TTY).
 */
import type { BgpSnapshot } from '../runtime/snapshot.js';
import type { BfdSessionView, InstanceView, StatusView } from './view.js';

/** Rendering options. */
export interface RenderOptions {
  /** ANSI colours (only on a terminal). */
  readonly colour: boolean;
  /** "now" for durations, wall-clock ms. */
  readonly nowMs: number;
}

const ANSI = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;

/** A duration in the largest sensible units (`45s`, `3m12s`, `2h05m`, `3d04h`). */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** Pads cells to column widths (widths measured without colour codes). */
function table(rows: readonly (readonly string[])[]): string[] {
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => plain(r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell + ' '.repeat(widths[c]! - plain(cell).length))
      .join('  ')
      .trimEnd(),
  );
}

/** Renders the view as text. */
export function renderStatus(v: StatusView, o: RenderOptions): string {
  const paint = (code: number, s: string) => (o.colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const stateColour = (s: string) => paint(s === 'MASTER' ? ANSI.green : s === 'FAULT' ? ANSI.red : s === 'BACKUP' ? ANSI.cyan : ANSI.yellow, s);
  const p = v.process;
  const lines = [
    `${paint(ANSI.bold, p.version)}, pid ${p.pid}, up ${humanDuration(o.nowMs - p.startedMs)}, config ${p.configFile}, reloads ${p.reloads}` +
      (v.routerId ? `, router_id ${v.routerId}` : ''),
    `event loop lag: last ${p.loopLagLastMs.toFixed(1)} ms, max ${p.loopLagMaxMs.toFixed(1)} ms` +
      (v.timing?.advertJitterMaxMs !== undefined
        ? `; advert jitter: mean ${v.timing.advertJitterMeanMs!.toFixed(2)} ms, max ${v.timing.advertJitterMaxMs.toFixed(2)} ms`
        : ''),
  ];
  if (!v.instances.length) lines.push('no VRRP instances');
  else {
    const rows = [['INSTANCE', 'STATE', 'PRIO', 'MASTER', 'SINCE', 'WHY', 'ADVERT', 'GROUP', 'VIPS', 'TRACKING']];
    for (const i of v.instances) rows.push(instanceRow(i, o.nowMs, stateColour));
    lines.push('', ...table(rows));
  }
  for (const vs of v.virtualServers) {
    const up = vs.realServers.filter((r) => r.up).length;
    lines.push(
      '',
      `virtual server ${paint(ANSI.bold, vs.name)} ${vs.protocol}, quorum ${vs.quorumUp ? paint(ANSI.green, 'up') : paint(ANSI.red, 'down')}, ${up}/${vs.realServers.length} real servers up`,
    );
    if (!vs.realServers.length) continue;
    const rows = [['  REAL SERVER', 'HEALTH', 'WEIGHT', 'LAST RESULT', 'LATENCY']];
    for (const r of vs.realServers) {
      const health = r.drained ? paint(ANSI.yellow, 'draining') : r.up ? paint(ANSI.green, 'up') : paint(ANSI.red, 'down');
      const weight = r.configuredWeight !== undefined && r.configuredWeight !== r.weight ? `${r.weight}/${r.configuredWeight}` : String(r.weight);
      rows.push([`  ${r.address}`, health, weight, r.lastResult ?? '-', r.latencyMs !== undefined ? `${r.latencyMs.toFixed(1)} ms` : '-']);
    }
    lines.push(...table(rows));
  }
  if (v.bgp) lines.push('', ...bgpLines(v.bgp, paint));
  if (v.bfd?.length) lines.push('', ...bfdLines(v.bfd, o.nowMs, paint));
  return `${lines.join('\n')}\n`;
}

/** The BGP section: the engine, the planned routes with their state, the sessions. */
function bgpLines(b: BgpSnapshot, paint: (code: number, s: string) => string): string[] {
  const held = new Map(b.routes.map((r) => [r.prefix, r.state]));
  const out = [`BGP engine ${b.engine}: ${b.connected ? paint(ANSI.green, 'answers') : paint(ANSI.red, 'does not answer')}`];
  const rows = [['  ROUTE', 'INSTANCE', 'WHEN', 'STATE']];
  for (const p of b.planned) {
    const st = held.get(p.prefix) ?? 'withdrawn';
    rows.push([`  ${p.prefix}`, p.instance, p.when, paint(st === 'announced' ? ANSI.green : st === 'draining' ? ANSI.yellow : ANSI.dim, st)]);
  }
  if (b.planned.length) out.push(...table(rows));
  if (b.sessions.length) {
    const srows = [['  PEER', 'AS', 'SESSION', 'ADVERTISED']];
    for (const s of b.sessions) {
      srows.push([`  ${s.peer}`, String(s.peerAs), paint(s.state === 'established' ? ANSI.green : ANSI.red, s.state), String(s.advertised ?? '-')]);
    }
    out.push(...table(srows));
  }
  return out;
}

/** The BFD section: one row per session. */
function bfdLines(sessions: readonly BfdSessionView[], nowMs: number, paint: (code: number, s: string) => string): string[] {
  const colour = (st: string) => paint(st === 'Up' ? ANSI.green : st === 'AdminDown' ? ANSI.dim : st === 'Init' ? ANSI.yellow : ANSI.red, st);
  const ms = (x: number) => `${Number(x.toFixed(3))} ms`;
  const rows = [['BFD SESSION', 'NEIGHBOR', 'STATE', 'REMOTE', 'DIAG', 'TX', 'RX', 'DETECT', 'UP/DOWN', 'SINCE']];
  for (const s of sessions) {
    rows.push([
      s.name,
      s.neighbor,
      colour(s.state),
      colour(s.remoteState),
      s.localDiag || '-',
      ms(s.txIntervalMs),
      ms(s.rxIntervalMs),
      s.detectTimeMs ? ms(s.detectTimeMs) : '-',
      `${s.upTransitions}/${s.downTransitions}`,
      s.sinceMs ? humanDuration(nowMs - s.sinceMs) : '-',
    ]);
  }
  return table(rows);
}

function instanceRow(i: InstanceView, nowMs: number, stateColour: (s: string) => string): string[] {
  const prio = i.effectivePriority === i.basePriority ? String(i.basePriority) : `${i.effectivePriority}/${i.basePriority}`;
  const master = i.state === 'MASTER' ? 'self' : i.masterAddress ? `${i.masterAddress} prio ${i.masterPriority}` : '-';
  return [
    i.name,
    stateColour(i.state),
    i.priorityOffset ? `${prio} (offset ${i.priorityOffset > 0 ? '+' : ''}${i.priorityOffset})` : prio,
    master,
    i.sinceMs ? humanDuration(nowMs - i.sinceMs) : '-',
    i.reason ?? '-',
    `${i.advertIntervalSec}s`,
    i.syncGroup ?? '-',
    i.vips.join(',') || '-',
    i.tracked.join(', ') || '-',
  ];
}
