/**
 * An in-memory LbBackend: a faithful model of the IPVS table for tests and benchmarks. It refuses what the kernel
 * refuses, with the errno texts IPVS gives: a service or destination added twice is `EEXIST`, a missing service
 * `ESRCH`, a missing destination `ENOENT`. Every successful or refused call is kept in `ops` (oldest first), so a
 * test can assert that an unchanged reload sent nothing.
 */
import {
  sameServiceKey,
  serviceKeyText,
  type LbBackend,
  type LbCounters,
  type LbDest,
  type LbDestState,
  type LbError,
  type LbGlobals,
  type LbService,
  type LbServiceKey,
  type LbServiceState,
} from './backend.js';

/** One call the backend received. */
export interface MemoryOp {
  readonly op: 'addService' | 'editService' | 'delService' | 'addDest' | 'editDest' | 'delDest' | 'flush' | 'setGlobals';
  /** `[192.0.2.1]:tcp:80` or `[192.0.2.1]:tcp:80 -> [192.0.2.10]:80`. */
  readonly target: string;
  readonly error?: LbError;
}

/** Construction options. */
export interface MemoryBackendOptions {
  /** open() fails with LB_UNAVAILABLE (a kernel without the data plane). */
  readonly unavailable?: boolean;
  /** The name it reports (default `ipvs`): a test may stand it in for either data plane. */
  readonly name?: 'ipvs' | 'nftables';
  /** Simulated latency of each call, ms (default 0: resolves on the next microtask). */
  readonly latencyMs?: number;
}

const ZERO: LbCounters = { connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };

interface Entry {
  service: LbService;
  readonly dests: Map<string, LbDest>;
}

/** The table as a plain map: service text → destination text → weight (`[192.0.2.10]:80` → 1). */
export type TableView = Record<string, Record<string, number>>;

/** An IPVS-like table held in memory. */
export class MemoryBackend implements LbBackend {
  readonly name: 'ipvs' | 'nftables';
  /** Every call, oldest first. */
  readonly ops: MemoryOp[] = [];
  /** The last global settings applied. */
  globals: LbGlobals | undefined;
  private readonly services = new Map<string, Entry>();
  private opened = false;

  constructor(private readonly opts: MemoryBackendOptions = {}) {
    this.name = opts.name ?? 'ipvs';
  }

  async open(): Promise<LbError | undefined> {
    if (this.opts.unavailable) return { code: 'LB_UNAVAILABLE', message: 'Generic netlink family "IPVS" not found' };
    this.opened = true;
    return undefined;
  }

  async addService(s: LbService): Promise<LbError | undefined> {
    const k = keyText(s.key);
    return this.record('addService', k, () => {
      if (this.services.has(k)) return err('LB_EXISTS', 'EEXIST: File exists');
      this.services.set(k, { service: s, dests: new Map() });
      return undefined;
    });
  }

  async editService(s: LbService): Promise<LbError | undefined> {
    const k = keyText(s.key);
    return this.record('editService', k, () => {
      const e = this.services.get(k);
      if (!e) return err('LB_NOT_FOUND', 'ESRCH: No such process');
      e.service = s;
      return undefined;
    });
  }

  async delService(key: LbServiceKey): Promise<LbError | undefined> {
    const k = keyText(key);
    return this.record('delService', k, () => (this.services.delete(k) ? undefined : err('LB_NOT_FOUND', 'ESRCH: No such process')));
  }

  async addDest(key: LbServiceKey, d: LbDest): Promise<LbError | undefined> {
    return this.destOp('addDest', key, d, (e, dk) => {
      if (e.dests.has(dk)) return err('LB_EXISTS', 'EEXIST: File exists');
      e.dests.set(dk, d);
      return undefined;
    });
  }

  async editDest(key: LbServiceKey, d: LbDest): Promise<LbError | undefined> {
    return this.destOp('editDest', key, d, (e, dk) => {
      if (!e.dests.has(dk)) return err('LB_NOT_FOUND', 'ENOENT: No such file or directory');
      e.dests.set(dk, d);
      return undefined;
    });
  }

  async delDest(key: LbServiceKey, d: Pick<LbDest, 'family' | 'address' | 'port'>): Promise<LbError | undefined> {
    return this.destOp('delDest', key, d, (e, dk) => (e.dests.delete(dk) ? undefined : err('LB_NOT_FOUND', 'ENOENT: No such file or directory')));
  }

  async list(): Promise<readonly LbServiceState[] | LbError> {
    await this.delay();
    return [...this.services.values()].map((e) => ({
      ...e.service,
      counters: ZERO,
      dests: [...e.dests.values()].map((d): LbDestState => ({ ...d, activeConnections: 0, inactiveConnections: 0, counters: ZERO })),
    }));
  }

  async setGlobals(g: LbGlobals): Promise<LbError | undefined> {
    return this.record('setGlobals', '', () => {
      this.globals = g;
      return undefined;
    });
  }

  async flush(): Promise<LbError | undefined> {
    return this.record('flush', '', () => {
      this.services.clear();
      return undefined;
    });
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  /** True between open() and close(). */
  get isOpen(): boolean {
    return this.opened;
  }

  /** The table now, synchronously (for assertions). */
  table(): TableView {
    const out: TableView = {};
    for (const [k, e] of this.services) {
      const dests: Record<string, number> = {};
      for (const [dk, d] of e.dests) dests[dk] = d.weight;
      out[k] = dests;
    }
    return out;
  }

  /** The service with this key, if present. */
  service(key: LbServiceKey): LbService | undefined {
    for (const e of this.services.values()) if (sameServiceKey(e.service.key, key)) return e.service;
    return undefined;
  }

  /** The destination `[addr]:port` of the service, if present. */
  dest(key: LbServiceKey, address: string, port: number): LbDest | undefined {
    return this.services.get(keyText(key))?.dests.get(destText({ address, port }));
  }

  private async destOp(
    op: MemoryOp['op'],
    key: LbServiceKey,
    d: Pick<LbDest, 'address' | 'port'>,
    fn: (e: Entry, dk: string) => LbError | undefined,
  ): Promise<LbError | undefined> {
    const k = keyText(key);
    const dk = destText(d);
    return this.record(op, `${k} -> ${dk}`, () => {
      const e = this.services.get(k);
      return e ? fn(e, dk) : err('LB_NOT_FOUND', 'ESRCH: No such process');
    });
  }

  private async record(op: MemoryOp['op'], target: string, fn: () => LbError | undefined): Promise<LbError | undefined> {
    await this.delay();
    const error = fn();
    this.ops.push({ op, target, ...(error ? { error } : {}) });
    return error;
  }

  private delay(): Promise<void> {
    const ms = this.opts.latencyMs ?? 0;
    return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
  }
}

function err(code: LbError['code'], message: string): LbError {
  return { code, message };
}

/** A service key as text, with the family for fwmark services (`FWM 5` and `FWM 5 (IPv6)` differ). */
function keyText(k: LbServiceKey): string {
  return k.kind === 'fwmark' && k.family === 6 ? `${serviceKeyText(k)} (IPv6)` : serviceKeyText(k);
}

/** `[address]:port` of a destination. */
function destText(d: Pick<LbDest, 'address' | 'port'>): string {
  return `[${d.address}]:${d.port}`;
}
