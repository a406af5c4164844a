/**
 * `enable_dbus`: keepalived 2.2.7's DBus service (vrrp/vrrp_dbus.c) in the VRRP child. On the system bus
 * (DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket) it owns `dbus_service_name` (default
 * org.keepalived.Vrrp1) and serves the object /org/keepalived/Vrrp1/Vrrp (PrintData, PrintStats, PrintStatsClear,
 * ReloadConfig; signals VrrpStarted, VrrpReloaded, VrrpStopped) and one object per instance,
 * /org/keepalived/Vrrp1/Instance/IFNAME/VRID/IPv4|IPv6 (SendGarp; properties Name and State; signal
 * VrrpStatusChange each time the instance's notifies go out). Messages are answered here, not by the library's
 * object layer, so that the answers are GDBus's: the same introspection, the same error names and texts, and
 * keepalived's property values (Name is `(s)` though its XML says `s`).
 *
 * Loaded with a dynamic import, only when enable_dbus is set: a daemon without it never loads the DBus library.
 */
import { readFileSync } from 'node:fs';
import { Message, MessageFlag, MessageType, Variant, systemBus, type MessageBus } from '@jellybrick/dbus-next';
import { eventChannel, type VrrpNotifyEvent } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import {
  DEFAULT_SERVICE_NAME,
  INSTANCE_INTERFACE,
  METHODS,
  NOTIFY_STATE_NUMBER,
  PROPERTIES,
  VRRP_INTERFACE,
  instanceObjectPath,
  introspectXml,
  isObjectPath,
  stateWord,
  vrrpObjectPath,
  type DbusInstance,
  type PathScope,
} from './objects.js';

/** What the service asks the daemon for. */
export interface DbusSources {
  readonly log: Logger;
  /** The running instances, their states now. */
  instances(): readonly DbusInstance[];
  /** PrintData: keepalived.data written (as SIGUSR1). */
  printData(): void;
  /** PrintStats / PrintStatsClear: keepalived.stats written (as SIGUSR2), then cleared. */
  printStats(clear: boolean): void;
  /** ReloadConfig: the daemon reloads (keepalived signals its parent: SIGHUP). */
  reload(): void;
  /** SendGarp: one gratuitous ARP / NA for each VIP of the instance, if its VIPs are set. */
  sendGarp(instance: string): void;
}

/** Where the service runs: its bus name and the names its paths carry. */
export interface DbusSettings extends PathScope {
  readonly serviceName?: string;
}

const ERR_UNKNOWN_METHOD = 'org.freedesktop.DBus.Error.UnknownMethod';
const ERR_INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs';
const PROPS = 'org.freedesktop.DBus.Properties';
const INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable';
const PEER = 'org.freedesktop.DBus.Peer';
/** RequestName replies that mean the name is ours. */
const OWNED = new Set([1, 4]);

/** The machine id Peer.GetMachineId answers (GDBus reads the same files). */
function machineId(): string {
  for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      // next
    }
  }
  return '';
}

/** One exported object: which interface it has, and the instance it stands for. */
interface Exported {
  readonly iface: string;
  /** The instance's name (keepalived keys its objects by it); undefined for the Vrrp object. */
  readonly instance?: string;
}

/** keepalived's DBus service for one VRRP child. */
export class VrrpDbusService {
  private bus: MessageBus | undefined;
  /** Object path → object, in registration order (introspection lists children in it). */
  private readonly objects = new Map<string, Exported>();
  private connected = false;
  private readonly scope: PathScope;
  private readonly serviceName: string;
  private readonly onNotify = (m: unknown): void => this.statusChange(m as VrrpNotifyEvent);

  constructor(
    settings: DbusSettings,
    private readonly sources: DbusSources,
  ) {
    this.scope = {
      ...(settings.netNamespace !== undefined ? { netNamespace: settings.netNamespace } : {}),
      ...(settings.instanceName !== undefined ? { instanceName: settings.instanceName } : {}),
    };
    this.serviceName = settings.serviceName ?? DEFAULT_SERVICE_NAME;
  }

  private info(text: string): void {
    this.sources.log.log({ level: 'info', text });
  }

  /**
   * Connects and, once the bus answered, exports the objects, says VrrpStarted and each instance's state (as
   * keepalived's on_bus_acquired), then asks for the name. Resolves when that is done or has failed (logged).
   */
  async start(): Promise<void> {
    eventChannel('keepalived-ts:vrrp:notify').subscribe(this.onNotify);
    let bus: MessageBus;
    try {
      bus = systemBus();
    } catch (e) {
      this.info(`Lost the name ${this.serviceName} on the session bus (${(e as Error).message})`);
      return;
    }
    this.bus = bus;
    // the library emits 'error' (a refused connection, a failed handshake) without declaring it
    const events = bus as unknown as NodeJS.EventEmitter;
    const up = await new Promise<boolean>((resolve) => {
      bus.once('connect', () => resolve(true));
      events.once('error', (e: unknown) => {
        this.info(`DBus: ${(e as Error)?.message ?? String(e)}`);
        resolve(false);
      });
    });
    events.on('error', (e: unknown) => this.info(`DBus: ${(e as Error)?.message ?? String(e)}`));
    if (this.bus !== bus) return bus.disconnect(); // closed meanwhile
    if (!up) return this.lost();
    bus.addMethodHandler((msg) => this.handle(msg));
    this.connected = true;
    this.info(`Acquired DBus bus ${this.serviceName}`);
    this.register(vrrpObjectPath(this.scope), { iface: VRRP_INTERFACE }, 'VRRP object');
    const instances = this.sources.instances();
    if (instances.length > 0) {
      for (const i of instances) this.register(instanceObjectPath(this.scope, i), { iface: INSTANCE_INTERFACE, instance: i.name }, 'DBus object');
      this.signal(vrrpObjectPath(this.scope), VRRP_INTERFACE, 'VrrpStarted');
      for (const i of instances) this.signal(instanceObjectPath(this.scope, i), INSTANCE_INTERFACE, 'VrrpStatusChange', 'u', [i.state]);
    }
    try {
      const reply = await bus.requestName(this.serviceName, 0);
      if (this.bus !== bus) return;
      if (OWNED.has(reply)) this.info(`Acquired the name ${this.serviceName} on the session bus`);
      else this.lost();
    } catch (e) {
      this.info(`DBus: ${(e as Error)?.message ?? String(e)}`);
      this.lost();
    }
  }

  /** The name could not be had (or the bus went away): keepalived's on_name_lost drops every object. */
  private lost(): void {
    this.info(`Lost the name ${this.serviceName} on the session bus`);
    this.objects.clear();
    this.connected = false;
  }

  /** Exports one object (GDBus refuses an invalid path: keepalived logs it and goes on). */
  private register(path: string, o: Exported, what: string): void {
    if (!isObjectPath(path)) {
      this.info(`Registering ${what} on ${path} failed: Object path '${path}' is invalid`);
      return;
    }
    if (!this.objects.has(path)) this.objects.set(path, o);
  }

  /**
   * After a reload (keepalived's dbus_reload): an object for each instance that has none at its path, none for
   * instances that went away, then VrrpReloaded.
   */
  reload(): void {
    if (!this.connected) return;
    const now = new Map(this.sources.instances().map((i) => [instanceObjectPath(this.scope, i), i.name]));
    for (const [path, o] of [...this.objects]) {
      if (o.instance === undefined) continue;
      const name = now.get(path);
      if (name === undefined) {
        this.objects.delete(path);
        this.info(`Deleted DBus object for instance ${o.instance}`);
      } else if (name !== o.instance) this.objects.set(path, { iface: INSTANCE_INTERFACE, instance: name });
    }
    for (const [path, name] of now) this.register(path, { iface: INSTANCE_INTERFACE, instance: name }, 'DBus object');
    this.signal(vrrpObjectPath(this.scope), VRRP_INTERFACE, 'VrrpReloaded');
  }

  /** At stop (keepalived's dbus_stop): objects removed, VrrpStopped, the name released, disconnected. */
  async close(): Promise<void> {
    eventChannel('keepalived-ts:vrrp:notify').unsubscribe(this.onNotify);
    const bus = this.bus;
    this.bus = undefined;
    if (!bus) return;
    const was = this.connected;
    this.objects.clear();
    if (was) {
      this.signal(vrrpObjectPath(this.scope), VRRP_INTERFACE, 'VrrpStopped', '', [], bus);
      await bus.releaseName(this.serviceName).catch(() => 0);
    }
    this.connected = false;
    bus.disconnect();
    this.info('Released DBus');
  }

  /** An instance's notifies went out: VrrpStatusChange with the state they carried. */
  private statusChange(e: VrrpNotifyEvent): void {
    const state = NOTIFY_STATE_NUMBER[e.state];
    if (state === undefined) return;
    this.signal(
      instanceObjectPath(this.scope, { ifname: e.interface, vrid: e.vrid, family: e.family }),
      INSTANCE_INTERFACE,
      'VrrpStatusChange',
      'u',
      [state],
    );
  }

  private signal(path: string, iface: string, name: string, signature = '', body: unknown[] = [], bus = this.bus): void {
    if (!bus || !this.connected || !isObjectPath(path)) return;
    try {
      bus.send(Message.newSignal(path, iface, name, signature, body));
    } catch (e) {
      this.info(`Emitting DBus signal ${iface}.${name} on ${path} failed: ${(e as Error).message}`);
    }
  }

  /* Method calls ------------------------------------------------------------------------------------------ */

  /** Answers a method call as GDBus would for keepalived's objects; true: answered (always, for calls to us). */
  private handle(msg: Message): boolean {
    if (msg.type !== MessageType.METHOD_CALL) return false;
    const reply = this.answer(msg);
    if (!(msg.flags & MessageFlag.NO_REPLY_EXPECTED)) this.bus?.send(reply);
    return true;
  }

  private answer(msg: Message): Message {
    const { path, interface: iface, member, signature: sig } = msg;
    const o = this.objects.get(path);
    const noIface = (i: string): Message => Message.newError(msg, ERR_UNKNOWN_METHOD, `No such interface “${i}” on object at path ${path}`);
    // GDBus answers Introspect and Peer on any path, an object there or not
    if (iface === INTROSPECTABLE && member === 'Introspect' && sig === '')
      return Message.newMethodReturn(msg, 's', [introspectXml(path, o?.iface, this.objects.keys())]);
    if (iface === PEER && sig === '' && (member === 'Ping' || member === 'GetMachineId'))
      return member === 'Ping' ? Message.newMethodReturn(msg) : Message.newMethodReturn(msg, 's', [machineId()]);
    if (!o) return Message.newError(msg, ERR_UNKNOWN_METHOD, `Object does not exist at path “${path}”`);
    if (iface === PROPS) return this.properties(msg, o) ?? noIface(PROPS);
    if (iface !== o.iface) return noIface(iface);
    if (!METHODS[o.iface]!.includes(member)) return Message.newError(msg, ERR_UNKNOWN_METHOD, `No such method “${member}”`);
    if (sig !== '') return Message.newError(msg, ERR_INVALID_ARGS, `Type of message, “(${sig})”, does not match expected type “()”`);
    if (member === 'ReloadConfig') {
      // keepalived replies first, then signals its parent
      setImmediate(() => this.sources.reload());
      return Message.newMethodReturn(msg);
    }
    if (member === 'SendGarp') {
      const i = this.instanceAt(path);
      if (!i) return Message.newError(msg, ERR_INVALID_ARGS, `Instance '${this.ids(path)}' not found`);
      this.info(`Sending garps on ${i.name} on DBus request`);
      this.sources.sendGarp(i.name);
      return Message.newMethodReturn(msg);
    }
    if (member === 'PrintData') {
      this.info('Printing VRRP data on DBus request');
      this.sources.printData();
    } else if (member === 'PrintStats') {
      this.info('Printing VRRP stats on DBus request');
      this.sources.printStats(false);
    } else {
      this.info('Printing and clearing VRRP stats on DBus request');
      this.sources.printStats(true);
    }
    return Message.newMethodReturn(msg);
  }

  /** org.freedesktop.DBus.Properties; undefined when the call is not one of its methods (GDBus: no such interface). */
  private properties(msg: Message, o: Exported): Message | undefined {
    const [ifaceArg, prop] = msg.body as [string, string?];
    const known = (i: string) => i === o.iface;
    const get = msg.member === 'Get' && msg.signature === 'ss';
    const getAll = msg.member === 'GetAll' && msg.signature === 's';
    const set = msg.member === 'Set' && msg.signature === 'ssv';
    if (!get && !getAll && !set) return undefined;
    if (!known(ifaceArg)) return Message.newError(msg, ERR_INVALID_ARGS, `No such interface “${ifaceArg}”`);
    const props = PROPERTIES[o.iface]!;
    if (!getAll && !props.includes(prop!)) return Message.newError(msg, ERR_INVALID_ARGS, `No such property “${prop}”`);
    if (set) return Message.newError(msg, ERR_INVALID_ARGS, `Property “${prop}” is not writable`);
    if (props.length === 0) return Message.newMethodReturn(msg, 'a{sv}', [{}]);
    const i = this.instanceAt(msg.path);
    if (!i) return Message.newError(msg, ERR_INVALID_ARGS, `Instance '${this.ids(msg.path)}' not found`);
    const values: Record<string, Variant> = {
      Name: new Variant('(s)', [i.name]),
      State: new Variant('(us)', [i.state, stateWord(i.state)]),
    };
    return get ? Message.newMethodReturn(msg, 'v', [values[prop!]]) : Message.newMethodReturn(msg, 'a{sv}', [values]);
  }

  /** The instance an object path stands for now (keepalived looks it up by interface, VRID and family each time). */
  private instanceAt(path: string): DbusInstance | undefined {
    return this.sources.instances().find((i) => instanceObjectPath(this.scope, i) === path);
  }

  /** `IFNAME/VRID/FAMILY` of an instance path, for keepalived's "not found" text. */
  private ids(path: string): string {
    return path.split('/').slice(-3).join('/');
  }
}
