/**
 * keepalived-ts-rogue (entry: src/cli/rogue.ts): a rogue VRRP advertiser, for operators to test their own pair (and for the netns tests).
 * Sends the invalid and hostile adverts of src/vrrp/rogue.ts from a raw socket (IP_HDRINCL: any source, any TTL)
 * at a chosen rate, then prints what it sent. Needs root (CAP_NET_RAW). Only use it on networks you run.
 *
 *   keepalived-ts-rogue --interface eth0 --vrid 51 --vip 192.0.2.100 --source 192.0.2.66 \
 *       [--version 2|3] [--auth-pass PW] [--auth-type PASS|AH] [--advert-int SECONDS] [--priority 254] [--destination 224.0.0.18]
 *       [--kind flood|truncated,ttl,…] [--rate 10000] [--seconds 5 | --count N] [--pause-ms 1000] [--seed 1] [--json]
 *
 * Each kind in --kind runs in turn for --seconds (or --count packets), then --pause-ms of quiet. --rate 0 sends as
 * fast as the socket takes them. Output: one line per kind (`rogue: KIND: N sent in S s (R/s), E refused by the
 * send queue`), with --json one JSON object per kind instead, including a per-kind breakdown for flood.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RawIpv4Sender } from '../net/raw-ipv4.js';
import { seededRng } from '../core/rng.js';
import { floodKinds, kindApplies, roguePacket, ROGUE_KINDS, type RogueKind, type RogueTarget } from '../vrrp/rogue.js';

/** What one kind's run sent. */
export interface RogueReport {
  readonly kind: RogueKind;
  readonly sent: number;
  /** Packets the kernel's send queue refused (EAGAIN): not on the wire. */
  readonly refused: number;
  readonly seconds: number;
  /** For flood: packets sent per invalid kind. */
  readonly byKind?: Record<string, number>;
}

interface Options {
  readonly ifname: string;
  readonly target: RogueTarget;
  readonly kinds: RogueKind[];
  readonly rate: number;
  readonly seconds: number;
  readonly count?: number;
  readonly pauseMs: number;
  readonly seed: number;
  readonly json: boolean;
}

const USAGE =
  'usage: keepalived-ts-rogue --interface IF --vrid N --vip ADDR[,ADDR…] --source ADDR [--version 2|3] [--auth-pass PW] [--auth-type PASS|AH]\n' +
  '         [--advert-int S] [--priority P] [--destination ADDR] [--kind K[,K…]] [--rate PPS] [--seconds S | --count N]\n' +
  `         [--pause-ms MS] [--seed N] [--json]\nkinds: ${ROGUE_KINDS.join(', ')}`;

/** Parses the command line; an Error with the usage text when it is wrong. */
export function parseRogueArgs(argv: readonly string[]): Options | Error {
  const m = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') flags.add(a);
    else if (a.startsWith('--') && argv[i + 1] !== undefined) m.set(a, argv[++i]!);
    else return new Error(`unexpected argument '${a}'\n${USAGE}`);
  }
  const num = (k: string, d?: number): number | undefined => (m.has(k) ? Number(m.get(k)) : d);
  const ifname = m.get('--interface');
  const vrid = num('--vrid');
  const source = m.get('--source');
  const vips = (m.get('--vip') ?? '').split(',').filter((x) => x !== '');
  if (!ifname || vrid === undefined || !source || !vips.length) return new Error(`--interface, --vrid, --vip and --source are required\n${USAGE}`);
  const version = num('--version', 2);
  if (version !== 2 && version !== 3) return new Error(`--version must be 2 or 3\n${USAGE}`);
  const pw = m.get('--auth-pass');
  const authType = m.get('--auth-type') ?? 'PASS';
  if (authType !== 'PASS' && authType !== 'AH') return new Error(`--auth-type must be PASS or AH\n${USAGE}`);
  const target: RogueTarget = {
    vrid: vrid,
    version,
    vips,
    source,
    ...(pw !== undefined ? { authPass: pw } : {}),
    ...(authType === 'AH' ? { ah: true } : {}),
    ...(m.has('--spoof-pass') ? { spoofPass: m.get('--spoof-pass')! } : {}),
    advertIntervalCs: Math.round((num('--advert-int', 1) ?? 1) * 100),
    priority: num('--priority', 254)!,
    destination: m.get('--destination') ?? '224.0.0.18',
  };
  const kinds = (m.get('--kind') ?? 'flood').split(',') as RogueKind[];
  for (const k of kinds) {
    if (!ROGUE_KINDS.includes(k)) return new Error(`unknown kind '${k}'\n${USAGE}`);
    if (!kindApplies(k, target))
      return new Error(`kind '${k}' does not apply to a VRRPv${version} target${pw === undefined ? ' without --auth-pass' : ''}`);
  }
  const n = [vrid, num('--rate', 10_000)!, num('--seconds', 5)!, num('--pause-ms', 1000)!, num('--seed', 1)!, num('--count', 0)!];
  if (n.some((x) => !Number.isFinite(x) || x < 0)) return new Error(`numbers must be finite and not negative\n${USAGE}`);
  return {
    ifname,
    target,
    kinds,
    rate: num('--rate', 10_000)!,
    seconds: num('--seconds', 5)!,
    ...(m.has('--count') ? { count: num('--count')! } : {}),
    pauseMs: num('--pause-ms', 1000)!,
    seed: num('--seed', 1)!,
    json: flags.has('--json'),
  };
}

/** Sends one kind at the configured rate until its time or count is up. */
async function runKind(tx: RawIpv4Sender, o: Options, kind: RogueKind, rng: () => number): Promise<RogueReport> {
  const dest = o.target.destination ?? '224.0.0.18';
  const kinds = floodKinds(o.target);
  const byKind: Record<string, number> = {};
  let sent = 0;
  let refused = 0;
  let seq = 0;
  // packets are built before the clock starts (64 variants per kind: truncation lengths, random bytes), and go out
  // in batches of up to BATCH with one sendmmsg() each: one sendto() per packet made 4.6-6.1 k/s on a loaded host
  const POOL = 64;
  const BATCH = 256;
  const sub = kind === 'flood' ? kinds : [kind];
  const pools = new Map(sub.map((k) => [k, Array.from({ length: POOL }, (_, i) => roguePacket(k, o.target, i, rng))]));
  const batch: Uint8Array[] = [];
  const batchKinds: RogueKind[] = [];
  const t0 = performance.now();
  const more = (): boolean => (o.count !== undefined ? sent < o.count : performance.now() - t0 < o.seconds * 1000);
  while (more()) {
    // catch up with the rate in batches for up to 20 ms (a CPU-starved sender gets few turns), then yield
    const slice = performance.now();
    let full = false;
    do {
      const due = o.rate === 0 ? sent + BATCH : Math.floor(((performance.now() - t0) / 1000) * o.rate);
      let want = Math.min(due - sent, BATCH);
      if (o.count !== undefined) want = Math.min(want, o.count - sent);
      batch.length = 0;
      batchKinds.length = 0;
      for (let n = 0; n < want; n++) {
        const k = sub[seq % sub.length]!;
        batch.push(pools.get(k)![Math.floor(seq / sub.length) % POOL]!);
        batchKinds.push(k);
        seq++;
      }
      const took = batch.length ? tx.sendBatch(batch, dest) : 0;
      sent += took;
      refused += batch.length - took;
      if (kind === 'flood') for (let n = 0; n < took; n++) byKind[batchKinds[n]!] = (byKind[batchKinds[n]!] ?? 0) + 1;
      full = batch.length === BATCH && took === BATCH;
    } while (full && more() && performance.now() - slice < 20);
    // behind the rate (or the queue is full): go on after other events; else let the clock catch up
    if (full) await new Promise((r) => setImmediate(r));
    else await new Promise((r) => setTimeout(r, 1));
  }
  const seconds = (performance.now() - t0) / 1000;
  return { kind, sent, refused, seconds, ...(kind === 'flood' ? { byKind } : {}) };
}

/** The command: parse, send each kind, print the reports. */
export async function rogueMain(): Promise<void> {
  const o = parseRogueArgs(process.argv.slice(2));
  if (o instanceof Error) {
    console.error(o.message);
    process.exit(2);
  }
  const tx = RawIpv4Sender.open(o.ifname);
  const r = seededRng(o.seed);
  try {
    for (const [i, kind] of o.kinds.entries()) {
      if (i > 0 && o.pauseMs > 0) await sleep(o.pauseMs);
      const rep = await runKind(tx, o, kind, () => r.next());
      if (o.json) console.log(JSON.stringify(rep));
      else
        console.log(
          `rogue: ${kind}: ${rep.sent} sent in ${rep.seconds.toFixed(2)} s (${Math.round(rep.sent / Math.max(rep.seconds, 1e-9))}/s), ${rep.refused} refused by the send queue`,
        );
    }
  } finally {
    tx.close();
  }
}
