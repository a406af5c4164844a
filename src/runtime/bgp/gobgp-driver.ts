/**
 * The GoBGP engine: gobgpd driven over its gRPC API (service `apipb.GobgpApi`). The API definitions are read at
 * run time from `gobgp_proto_dir` (Debian's golang-github-osrg-gobgp-dev), never copied: @grpc/proto-loader makes
 * the client, protobufjs encodes the `google.protobuf.Any` path attributes.
 *
 * A route is AddPath'ed into the global table as ORIGIN IGP, NEXT_HOP (0.0.0.0 / :: for `next_hop self`: gobgpd
 * puts its own session address), MED and COMMUNITIES (plus GRACEFUL_SHUTDOWN 65535:0 while draining), and
 * DeletePath'ed by the uuid AddPath returned. A health poll (GetBgp) notices a restarted gobgpd and asks the
 * runtime to announce everything again. With `gobgpd_config`, gobgpd is our child process (restarted when it dies;
 * stopped with us, even when we are killed; an orphan of an earlier run stopped first: gobgpd-process.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { AnnounceAction } from '../../bgp/announcer.js';
import type { AnnouncedRoute } from '../../bgp/plan.js';
import type { Logger } from '../../core/log.js';
import { GRACEFUL_SHUTDOWN_COMMUNITY, type BgpAnnounceConfig } from '../../config/model-bgp.js';
import type { AnnounceDriver, BgpSessionInfo } from './driver.js';
import { gobgpdCommand, removeGobgpdPidFile, stopStaleGobgpds, writeGobgpdPidFile } from './gobgpd-process.js';

/** How often gobgpd's health is polled (ms). */
const POLL_MS = 1000;

/** Deadline of one API call (ms). */
const CALL_MS = 3000;

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;

/** The unary and streaming calls we use, as @grpc/proto-loader builds them (snake_case fields). */
interface GobgpClient extends grpc.Client {
  AddPath(req: object, opts: grpc.CallOptions, cb: Callback<{ uuid: Buffer }>): void;
  DeletePath(req: object, opts: grpc.CallOptions, cb: Callback<object>): void;
  GetBgp(req: object, opts: grpc.CallOptions, cb: Callback<{ global?: { asn?: number } }>): void;
  ListPeer(req: object, opts: grpc.CallOptions): grpc.ClientReadableStream<{ peer?: PeerMessage }>;
}

interface PeerMessage {
  conf?: { neighbor_address?: string; peer_asn?: number };
  state?: { session_state?: string; neighbor_address?: string; peer_asn?: number };
  afi_safis?: { state?: { advertised?: number; family?: { afi?: string } } }[];
}

/** The attribute types we encode, loaded from attribute.proto. */
interface AttrTypes {
  readonly root: protobuf.Root;
}

/** `{ type_url, value }` for one apipb message. */
function any(t: AttrTypes, name: string, value: object): { type_url: string; value: Buffer } {
  const type = t.root.lookupType(`apipb.${name}`);
  return { type_url: `type.googleapis.com/apipb.${name}`, value: Buffer.from(type.encode(type.fromObject(value)).finish()) };
}

/** The apipb.Path for a route. */
export function pathFor(t: AttrTypes, r: AnnouncedRoute, settings: Pick<BgpAnnounceConfig, 'nextHop'>, gracefulShutdown: boolean): object {
  const family = { afi: r.family === 4 ? 'AFI_IP' : 'AFI_IP6', safi: 'SAFI_UNICAST' };
  const nlri = any(t, 'IPAddressPrefix', { prefix_len: r.family === 4 ? 32 : 128, prefix: r.address });
  const nextHop = settings.nextHop === 'self' ? (r.family === 4 ? '0.0.0.0' : '::') : settings.nextHop;
  const communities = [...r.communities, ...(gracefulShutdown ? [GRACEFUL_SHUTDOWN_COMMUNITY] : [])];
  const pattrs = [
    any(t, 'OriginAttribute', { origin: 0 }),
    r.family === 4
      ? any(t, 'NextHopAttribute', { next_hop: nextHop })
      : any(t, 'MpReachNLRIAttribute', { family: { afi: 2, safi: 1 }, next_hops: [nextHop], nlris: [nlri] }),
    ...(r.med !== undefined ? [any(t, 'MultiExitDiscAttribute', { med: r.med })] : []),
    ...(communities.length > 0 ? [any(t, 'CommunitiesAttribute', { communities })] : []),
  ];
  return { nlri, pattrs, family };
}

/** Loads the client constructor and the attribute types from the proto directory. */
export function loadGobgpApi(dir: string): { Client: grpc.ServiceClientConstructor; types: AttrTypes } {
  const opts = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [dir] };
  const def = protoLoader.loadSync(['gobgp.proto', 'attribute.proto'], opts);
  const pkg = grpc.loadPackageDefinition(def) as unknown as { apipb: { GobgpApi: grpc.ServiceClientConstructor } };
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : join(dir, target));
  root.loadSync(['gobgp.proto', 'attribute.proto'], { keepCase: true });
  return { Client: pkg.apipb.GobgpApi, types: { root } };
}

/** The gobgpd driver. */
export class GobgpDriver implements AnnounceDriver {
  readonly engine = 'gobgp';
  private client: GobgpClient | undefined;
  private types: AttrTypes | undefined;
  /** uuid of each prefix's current path. */
  private readonly uuids = new Map<string, Buffer>();
  private up = false;
  private poll: ReturnType<typeof setInterval> | undefined;
  private child: ChildProcess | undefined;
  private closing = false;
  /** Called when gobgpd answers again after it did not (restarted): the runtime announces everything again. */
  onReconnect: () => void = () => {};

  constructor(
    private readonly settings: BgpAnnounceConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    try {
      const { Client, types } = loadGobgpApi(this.settings.gobgpProtoDir);
      this.types = types;
      this.client = new Client(this.settings.gobgpApi, grpc.credentials.createInsecure()) as unknown as GobgpClient;
    } catch (e) {
      this.log.log({ level: 'err', text: `BGP: cannot load GoBGP's API from ${this.settings.gobgpProtoDir}: ${(e as Error).message}` });
      return;
    }
    if (this.settings.gobgpdConfig) {
      await stopStaleGobgpds(this.settings, this.log);
      this.spawnGobgpd();
    }
    this.poll = setInterval(() => void this.check(), POLL_MS);
    await this.check();
  }

  /** Starts gobgpd with the configured file and API address; restarts it when it dies. */
  private spawnGobgpd(): void {
    const { file, args } = gobgpdCommand(this.settings);
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    this.child = child;
    child.on('error', (e) => this.log.log({ level: 'err', text: `BGP: cannot start ${this.settings.gobgpdPath}: ${e.message}` }));
    if (child.pid) writeGobgpdPidFile(this.settings, child.pid, this.log);
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (child.pid) removeGobgpdPidFile(this.settings, child.pid);
      if (this.closing) return;
      this.log.log({ level: 'warning', text: `BGP: gobgpd (pid ${child.pid}) exited (${signal ?? code}) - restarting in 1 s` });
      setTimeout(() => !this.closing && this.spawnGobgpd(), 1000).unref();
    });
    if (child.pid) this.log.log({ level: 'info', text: `BGP: started gobgpd, pid ${child.pid}, API ${this.settings.gobgpApi}` });
  }

  private call<T>(method: 'AddPath' | 'DeletePath' | 'GetBgp', req: object): Promise<T> {
    const c = this.client;
    if (!c) return Promise.reject(new Error('no GoBGP client'));
    return new Promise((resolve, reject) => {
      (c[method] as (r: object, o: grpc.CallOptions, cb: Callback<T>) => void).call(c, req, { deadline: Date.now() + CALL_MS }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /** Health poll: a gobgpd that answers again gets every route again. */
  private async check(): Promise<void> {
    let ok = false;
    try {
      const r = await this.call<{ global?: { asn?: number } }>('GetBgp', {});
      ok = (r.global?.asn ?? 0) > 0;
    } catch {
      ok = false;
    }
    if (ok === this.up) return;
    this.up = ok;
    this.log.log({ level: ok ? 'info' : 'warning', text: `BGP: gobgpd at ${this.settings.gobgpApi} ${ok ? 'is ready' : 'does not answer'}` });
    if (ok) {
      this.uuids.clear();
      this.onReconnect();
    }
  }

  async apply(a: AnnounceAction): Promise<void> {
    if (!this.types || !this.client) return;
    const prefix = a.route.prefix;
    try {
      if (a.kind === 'announce') {
        const r = await this.call<{ uuid: Buffer }>('AddPath', {
          table_type: 'GLOBAL',
          path: pathFor(this.types, a.route, this.settings, a.gracefulShutdown),
        });
        this.uuids.set(prefix, r.uuid);
        this.log.log({ level: 'info', text: `BGP: announced ${prefix}${a.gracefulShutdown ? ' with GRACEFUL_SHUTDOWN' : ''}` });
      } else {
        const uuid = this.uuids.get(prefix);
        const path = pathFor(this.types, a.route, this.settings, false);
        await this.call(
          'DeletePath',
          uuid ? { table_type: 'GLOBAL', uuid } : { table_type: 'GLOBAL', family: (path as { family: object }).family, path },
        );
        this.uuids.delete(prefix);
        this.log.log({ level: 'info', text: `BGP: withdrew ${prefix}` });
      }
    } catch (e) {
      this.log.log({ level: 'err', text: `BGP: ${a.kind} ${prefix} failed: ${(e as Error).message}` });
    }
  }

  sessions(): Promise<readonly BgpSessionInfo[]> {
    const c = this.client;
    if (!c || !this.up) return Promise.resolve([]);
    return new Promise((resolve) => {
      const out: BgpSessionInfo[] = [];
      const s = c.ListPeer({ address: '', enableAdvertised: true, enable_advertised: true }, { deadline: Date.now() + CALL_MS });
      s.on('data', (m: { peer?: PeerMessage }) => {
        const p = m.peer;
        if (!p) return;
        const advertised = (p.afi_safis ?? []).reduce((n, x) => n + (x.state?.advertised ?? 0), 0);
        out.push({
          peer: p.state?.neighbor_address || p.conf?.neighbor_address || '',
          peerAs: p.state?.peer_asn || p.conf?.peer_asn || 0,
          state: (p.state?.session_state ?? 'UNKNOWN').toLowerCase(),
          advertised,
        });
      });
      s.on('error', () => resolve(out));
      s.on('end', () => resolve(out));
    });
  }

  connected(): boolean {
    return this.up;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.poll) clearInterval(this.poll);
    this.client?.close();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
