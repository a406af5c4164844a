/**
 * Renders load-balancer state exactly as `ipvsadm -Ln` prints it (ipvsadm 1.31: list_all, print_title,
 * print_service_entry, print_largenum), plus its `--stats` and `--rate` forms: the same header lines, column widths,
 * sort order (services by fwmark, family, protocol, address, port; destinations by family, address, port, with
 * ipvsadm's int-wrapping subtraction), `[addr]:port` for IPv6, `FWM  N`, scheduler flags and `persistent N mask M`.
 * For `keepalived-ts status --lvs`. Pure.
 */
import { parseAddress } from '../core/inet/index.js';
import type { LbCounters, LbDestState, LbServiceState } from './backend.js';

/** Which table: the default one, `--stats` or `--rate`. */
export type ListingFormat = 'default' | 'stats' | 'rate';

/** What the first line reports: the IPVS version (0x010201 = 1.2.1) and connection table size. */
export interface ListingInfo {
  readonly version: number;
  readonly connTabSize: number;
}

const SVC_F = { PERSISTENT: 0x1, ONEPACKET: 0x4, SCHED1: 0x8, SCHED2: 0x10, SCHED3: 0x20 } as const;
const FWD_NAME = ['Masq', 'Local', 'Tunnel', 'Route'];
const METHOD_FWD = { NAT: 0, TUN: 2, DR: 3 } as const;

/** `ipvsadm -Ln` (or `-Ln --stats` / `-Ln --rate`) for the given services. */
export function renderListing(services: readonly LbServiceState[], info: ListingInfo, format: ListingFormat = 'default'): string {
  const v = info.version;
  const lines = [`IP Virtual Server version ${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff} (size=${info.connTabSize})`];
  if (format === 'stats')
    lines.push(
      `${pad('Prot LocalAddress:Port', 33)} ${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((h) => h.padStart(8)).join(' ')}`,
      '  -> RemoteAddress:Port',
    );
  else if (format === 'rate')
    lines.push(
      `${pad('Prot LocalAddress:Port', 33)} ${['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'].map((h) => h.padStart(8)).join(' ')}`,
      '  -> RemoteAddress:Port',
    );
  else lines.push('Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn');
  for (const s of [...services].sort(compareServices)) {
    lines.push(serviceLine(s, format));
    for (const d of [...s.dests].sort(compareDests)) lines.push(destLine(d, format));
  }
  return `${lines.join('\n')}\n`;
}

/** `TCP  192.0.2.1:80`, `SCTP 192.0.2.2:3868`, `UDP  [2001:db8::1]:53`, `FWM  5`, `FWM  5 IPv6` (protocol in 4 columns). */
export function serviceName(s: LbServiceState): string {
  const k = s.key;
  if (k.kind === 'fwmark') return k.family === 6 ? `FWM  ${k.fwmark} IPv6` : `FWM  ${k.fwmark}`;
  return `${k.protocol.padEnd(4)} ${hostPort(k.family, k.address, k.port)}`;
}

function hostPort(family: 4 | 6, address: string, port: number): string {
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function serviceLine(s: LbServiceState, format: ListingFormat): string {
  const name = serviceName(s);
  if (format === 'stats') return `${pad(name, 33)}${statsColumns(s.counters)}`;
  if (format === 'rate') return `${pad(name, 33)}${rateColumns(s.counters).map(largenum).join('')}`;
  let out = `${name} ${s.scheduler}`;
  if (s.flags & (SVC_F.SCHED1 | SVC_F.SCHED2 | SVC_F.SCHED3)) out += ` (${schedFlags(s.scheduler, s.flags)})`;
  if (s.timeoutSec > 0) {
    out += ` persistent ${s.timeoutSec}`;
    if (s.key.family === 4) {
      if (s.netmaskBits !== 32) out += ` mask ${maskText(s.netmaskBits)}`;
    } else if (s.netmaskBits !== 128) out += ` mask ${s.netmaskBits}`;
    if (s.persistenceEngine) out += ` pe ${s.persistenceEngine}`;
  }
  if (s.flags & SVC_F.ONEPACKET) out += ' ops';
  return out;
}

function destLine(d: LbDestState, format: ListingFormat): string {
  const name = pad(hostPort(d.family, d.address, d.port), 28);
  if (format === 'stats') return `  -> ${name}${statsColumns(d.counters)}`;
  if (format === 'rate') {
    const [cps, ppsIn, ppsOut, bpsIn, bpsOut] = rateColumns(d.counters);
    return `  -> ${name} ${String(cps).padStart(8)} ${String(ppsIn).padStart(8)} ${String(ppsOut).padStart(8)}${largenum(bpsIn!)}${largenum(bpsOut!)}`;
  }
  const forward = (d as { forward?: number }).forward ?? METHOD_FWD[d.method];
  return `  -> ${name} ${pad(FWD_NAME[forward] ?? 'Unknown', 7)} ${pad(String(d.weight), 6)} ${pad(String(d.activeConnections), 10)} ${pad(String(d.inactiveConnections), 10)}`;
}

function statsColumns(c: LbCounters): string {
  return [c.connections, c.packetsIn, c.packetsOut, c.bytesIn, c.bytesOut].map(largenum).join('');
}

function rateColumns(c: LbCounters): number[] {
  return [c.cps ?? 0, c.ppsIn ?? 0, c.ppsOut ?? 0, c.bpsIn ?? 0, c.bpsOut ?? 0];
}

/** ipvsadm's print_largenum without --exact: 9 columns, then K/M/G/T with 8 digits. */
export function largenum(i: number): string {
  if (i < 1e8) return String(i).padStart(9);
  if (i < 1e9) return `${String(Math.floor(i / 1e3)).padStart(8)}K`;
  if (i < 1e11) return `${String(Math.floor(i / 1e6)).padStart(8)}M`;
  if (i < 1e14) return `${String(Math.floor(i / 1e9)).padStart(8)}G`;
  return `${String(Math.floor(i / 1e12)).padStart(8)}T`;
}

function schedFlags(sched: string, flags: number): string {
  const names =
    sched === 'sh' ? ['sh-fallback', 'sh-port', 'flag-3'] : sched === 'mh' ? ['mh-fallback', 'mh-port', 'flag-3'] : ['flag-1', 'flag-2', 'flag-3'];
  return [SVC_F.SCHED1, SVC_F.SCHED2, SVC_F.SCHED3].flatMap((bit, i) => (flags & bit ? [names[i]!] : [])).join(',');
}

function maskText(bits: number): string {
  const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((sh) => (m >>> sh) & 0xff).join('.');
}

function pad(s: string, w: number): string {
  return s.padEnd(w);
}

/** ntohl(a) - ntohl(b) as C's int: the subtraction wraps (ipvsadm's comparators do exactly this). */
function wrapDiff(a: number, b: number): number {
  return (a - b) | 0;
}

function addressDiff(family: 4 | 6, a: string, b: string): number {
  const x = parseAddress(family, a);
  const y = parseAddress(family, b);
  if (!x || !y) return 0;
  const dx = new DataView(x.buffer, x.byteOffset, x.byteLength);
  const dy = new DataView(y.buffer, y.byteOffset, y.byteLength);
  for (let i = 0; i < x.length / 4; i++) {
    const r = wrapDiff(dx.getUint32(4 * i), dy.getUint32(4 * i));
    if (r !== 0) return r;
  }
  return 0;
}

const AF = { 4: 2, 6: 10 } as const;
const PROTO = { TCP: 6, UDP: 17, SCTP: 132 } as const;

/** ipvs_cmp_services: fwmark, family, protocol, address, port. */
function compareServices(a: LbServiceState, b: LbServiceState): number {
  const fa = a.key.kind === 'fwmark' ? a.key.fwmark : 0;
  const fb = b.key.kind === 'fwmark' ? b.key.fwmark : 0;
  let r = wrapDiff(fa, fb);
  if (r) return r;
  r = AF[a.key.family] - AF[b.key.family];
  if (r) return r;
  if (a.key.kind !== 'address' || b.key.kind !== 'address') return 0;
  r = PROTO[a.key.protocol] - PROTO[b.key.protocol];
  if (r) return r;
  r = addressDiff(a.key.family, a.key.address, b.key.address);
  return r || a.key.port - b.key.port;
}

/** ipvs_cmp_dests: family, address, port. */
function compareDests(a: LbDestState, b: LbDestState): number {
  const r = AF[a.family] - AF[b.family];
  if (r) return r;
  return addressDiff(a.family, a.address, b.address) || a.port - b.port;
}
