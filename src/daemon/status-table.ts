/**
 * The human view of the control socket's `status` answer (`keepalived-ts --status`): a header with the process
 * facts and one row per VRRP instance, then one block per virtual server when the checker child reports them.
 */
import { stateName } from './dump.js';
import type { StatusReport } from './control.js';

/** Pads a table: each row's cells left-aligned to the widest cell of the column. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The human view of `status`: a header, one row per VRRP instance, one row per real server of each virtual server. */
export function renderStatusTable(report: StatusReport, nowMs: number): string {
  const p = report.process;
  const up = Math.max(0, Math.round((nowMs - p.startedMs) / 1000));
  const head = [
    `${p.version}, pid ${p.pid}, up ${up}s, config ${p.configFile}, reloads ${p.reloads}`,
    `event loop lag: last ${p.loopLagLastMs.toFixed(1)} ms, max ${p.loopLagMaxMs.toFixed(1)} ms`,
  ];
  if (p.children?.length) head.push(`children: ${p.children.map((c) => `${c.role} ${c.pid || '(restarting)'}`).join(', ')}`);
  const inst = report.snapshot.instances;
  const parts = [head.join('\n')];
  if (!inst.length) parts.push('no VRRP instances');
  else {
    const rows = [['INSTANCE', 'STATE', 'VRID', 'PRIO', 'IFACE', 'VIPS', 'SINCE', 'RX', 'TX']];
    for (const i of inst) {
      const since = i.lastTransitionMs ? `${Math.max(0, Math.round((nowMs - i.lastTransitionMs) / 1000))}s` : '-';
      rows.push([
        i.name,
        stateName(i.state),
        String(i.vrid),
        i.effectivePriority === i.basePriority ? String(i.basePriority) : `${i.effectivePriority}/${i.basePriority}`,
        i.ifname ?? '-',
        i.vips.map((v) => v.split(' ')[0]).join(',') || '-',
        since,
        String(i.stats.advert_rcvd),
        String(i.stats.advert_sent),
      ]);
    }
    parts.push(table(rows));
  }
  const vs = report.snapshot.virtualServers ?? [];
  if (vs.length) {
    const rows = [['VIRTUAL SERVER', 'QUORUM', 'REAL SERVER', 'WEIGHT', 'STATE', 'LAST CHECK']];
    for (const v of vs) {
      if (!v.realServers.length) rows.push([v.name, v.quorumUp ? 'up' : 'down', '-', '-', '-', '-']);
      for (const r of v.realServers) {
        const addr = r.address.includes(':') ? `[${r.address}]:${r.port}` : `${r.address}:${r.port}`;
        rows.push([v.name, v.quorumUp ? 'up' : 'down', addr, String(r.weight), r.up ? 'UP' : 'DOWN', r.lastCheck ?? '-']);
      }
    }
    parts.push(table(rows));
  }
  return `${parts.join('\n')}\n`;
}
