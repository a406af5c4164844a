/**
 * The VRRP runtime on Linux: the IO around the pure router (src/vrrp/router.ts), which holds the instances' state
 * machines, dispatches and checks received packets, routes tracker and link news, applies sync groups and reloads,
 * and encodes our adverts. Here: raw VRRP sockets (one per (family, interface) shared by the multicast instances on
 * it), rtnetlink (VIPs, link state), AF_PACKET (gratuitous ARP / unsolicited NA), and one real timer armed for the
 * router's earliest deadline.
 *
 * Around it: KernelWriter (VIPs, routes, rules, static entries over one netlink queue), TrackerSet (script, file,
 * process trackers), VmacManager (use_vmac), GarpPacer (vrrp_garp_interval), the notifier (notify-wiring.ts) and
 * reload planning (reload-plan.ts). What happens is published for observers on the channels of src/core/events.ts;
 * snapshots feed the dumps and the control socket.
 */
import type { Logger } from '../../core/log.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { KeepalivedConfig, VirtualAddress, VrrpInstanceConfig } from '../../config/model.js';
import type { InstanceChange, RuntimeContext, VrrpRuntime } from '../port.js';
import type { RuntimeSnapshot } from '../snapshot.js';
import { FrameSender, macBytes } from '../../net/arp.js';
import { Rtnl, type RtnlEvent } from '../../net/netlink/rtnl.js';
import type { AddressInfo, LinkInfo } from '../../net/netlink/route-messages.js';
import { VrrpSocket, type VrrpDatagram } from '../../net/vrrp-socket.js';
import type { VrrpEvent } from '../../vrrp/fsm.js';
import { VrrpRouter } from '../../vrrp/router.js';
import type { RouterAction, RouterInstanceSpec } from '../../vrrp/router-types.js';
import { AuthType, VrrpState, type RxMeta, type TrackerResult } from '../../vrrp/types.js';
import type { LvsSyncDaemon } from '../lvs-sync-daemon.js';
import type { VrrpInstanceParams } from '../../vrrp/instance-params.js';
import { eventChannel, publish } from '../../core/events.js';
import type { Notifier, NotifyState } from '../../notify/notifier.js';
import { scriptContextFor, type PreparedScript, type ScriptContext } from '../../notify/prepare.js';
import { isPublished, publishAction } from './publish.js';
import { netlinkReceiveBuffer } from '../netlink-bufs.js';
import { vrrpRxBufSize, type RxBufMember } from './rx-bufs.js';
import { createNotifier, notifiesPriorityChanges, prepareNotifyScripts, runLifecycleScript } from './notify-wiring.js';
import { addJitter, instanceSnapshot, jitterFields, newJitter, type Running } from './instance.js';
import { fsmParams, NOTIFY_STATE, passBytes, smtpAlertFor, trackedSource, trackerConfigs, unicastFaultNoPeer } from './params.js';
import { canonical, planReload } from './reload-plan.js';
import { KernelWriter } from './kernel.js';
import { TrackerSet, withUsableScripts } from './trackers.js';
import { addressVmacBase, addressVmacKey, VmacManager, type VmacFor } from './vmac.js';
import { GarpPacer, pacingGroups } from './garp-pacer.js';
import { extraIfAddresses } from './garp-extra-if.js';
import { effectiveDelays, LinkWatch } from './link-watch.js';
import { disableLocalIgmp, type LocalIgmpSetting } from './local-igmp.js';
import { blocksVips, NFT_IMPLIED_TEXT, nftSettingsFor, nftVipsOf, nftVmacFamilies, NftVips } from './nft-vips.js';
import type { FifoWriter } from '../../notify/fifo.js';
import { noteAdvert, noteTransition, observedFields, observeJitter, OFFSET_TRACKER, setOffset, withOffset } from './observe-hook.js';
import { AdvertWatchdog, MasterWatchdog, type WatchdogPort } from './advert-watchdog.js';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** The Linux VRRP runtime. */
export class LinuxVrrpRuntime implements VrrpRuntime {
  private readonly log: Logger;
  private readonly clock: Clock;
  private rtnl: Rtnl | undefined;
  private frames: FrameSender | undefined;
  private readonly sockets = new Map<string, VrrpSocket>();
  private readonly instances = new Map<string, Running>();
  /** The instances' state machines, receive checks, sync groups and deadlines (pure). */
  private readonly router = new VrrpRouter();
  private timer: NodeJS.Timeout | undefined;
  private kernel: KernelWriter | undefined;
  private stopped = false;
  private stopping = false;
  private notifier: Notifier | undefined;
  private fifos: FifoWriter[] = [];
  private trackers: TrackerSet | undefined;
  private scripts: ScriptContext | undefined;
  private scriptsFor: KeepalivedConfig | undefined;
  private config: KeepalivedConfig | undefined;
  /** Interfaces by name (from dumps and link events). */
  private readonly links = new Map<string, LinkInfo>();
  /** Advert lateness over all instances. */
  private readonly jitter = newJitter();
  private vmacManager: VmacManager | undefined;
  /** VIP drop rules for instances without accept mode (keepalived's nftables tables), when configured or implied. */
  private nft: NftVips | undefined;
  /** Carrier news filter: interface_up_down_delays, linkbeat polling. */
  private linkWatch: LinkWatch | undefined;
  /** `lvs_sync_daemon` bound to an instance: the IPVS sync daemon following its state (src/runtime/lvs-sync-daemon.ts). */
  private syncd: LvsSyncDaemon | undefined;
  /** dynamic_interfaces: instances whose interface came and is being started (names). */
  private readonly rehoming = new Set<string>();
  /** The advert watchdog (vrrp_advert_watchdog, on unless set false); undefined while off. */
  private watchdog: MasterWatchdog | undefined;

  /**
   * @param ctx logger and daemon settings
   * @param clock monotonic and wall time
   * @param watchdogPort the native advert sender (tests pass a fake); sysio's by default
   */
  constructor(
    private readonly ctx: RuntimeContext,
    clock: Clock = systemClock(),
    private readonly watchdogPort?: () => WatchdogPort,
  ) {
    this.log = ctx.log;
    this.clock = clock;
  }

  /** Turns the advert watchdog on or off as the configuration says (at start and on reload). */
  private configureWatchdog(cfg: KeepalivedConfig): void {
    const on = cfg.globalDefs?.vrrpAdvertWatchdog !== false;
    if (on)
      this.watchdog ??= new MasterWatchdog(
        new AdvertWatchdog(this.watchdogPort),
        (name) => this.instances.get(name),
        (name, sends) => this.countWatchdog(name, sends),
      );
    else {
      this.watchdog?.close(this.instances.keys());
      this.watchdog = undefined;
    }
  }

  /** Native sends join the instance's advert_sent (the watchdog hands each out once). */
  private countWatchdog(name: string, sends: number): void {
    const run = this.instances.get(name);
    if (sends <= 0 || !run) return;
    run.stats.advert_sent += sends;
    this.log.log({ level: 'info', text: `(${name}) advert watchdog sent ${sends} advert(s) while the event loop was late`, detail: true });
  }

  /** Opens sockets, removes stale VIPs and starts every instance. */
  async start(config: unknown): Promise<void> {
    const cfg = this.usable(config as KeepalivedConfig);
    this.config = cfg;
    if (cfg) this.configureWatchdog(cfg);
    if (cfg?.globalDefs?.startupScript) await runLifecycleScript(cfg, 'startup', this.scriptContext(cfg), this.log);
    if (cfg?.globalDefs?.disableLocalIgmp) this.localIgmp = disableLocalIgmp(this.log);
    if (!cfg || !Array.isArray(cfg.vrrpInstances) || cfg.vrrpInstances.length === 0) return; // nothing to open
    const bufs = cfg.globalDefs.netlinkRcvBufs;
    this.rtnl = new Rtnl((p) => {
      this.log.log({ level: 'err', text: `Netlink: ${p.syscall} ${p.code}` });
      publish('keepalived-ts:netlink:error', { what: p.syscall, code: p.code, message: `Netlink: ${p.syscall} ${p.code}`, at: this.clock.wallNow() });
    }, netlinkReceiveBuffer(bufs?.vrrpCmd));
    this.frames = FrameSender.open((p) => this.log.log({ level: 'err', text: `GARP channel: ${p.syscall} ${p.code}` }));
    ({ notifier: this.notifier, fifos: this.fifos } = createNotifier(cfg, this.scriptContext(cfg), this.log, (name, state) =>
      this.notified(name, state),
    ));
    this.trackers = new TrackerSet(this.clock, this.log, (r) => this.onTracker(r));
    this.rtnl.subscribe((e) => this.onNetlinkEvent(e), undefined, netlinkReceiveBuffer(bufs?.vrrpMonitor));
    const links = await this.refreshLinks();
    this.linkWatch = new LinkWatch({
      log: this.log,
      poll: (name) => this.rtnl!.getLink(name).catch(() => undefined),
      deliver: (link, via) => this.onLink(link, via),
    });
    for (const l of links) this.linkWatch.known(l);
    this.configureLinks(cfg);
    this.kernel = new KernelWriter(this.rtnl, this.log, this.links);
    this.kernel.staticEntries(cfg, true);
    await this.syncFirewall(cfg);
    if (cfg.globalDefs.vrrpStartupDelayMs > 0) {
      this.log.log({ level: 'info', text: `Delaying startup for ${cfg.globalDefs.vrrpStartupDelayMs / 1000} seconds` });
      await new Promise((r) => setTimeout(r, cfg.globalDefs.vrrpStartupDelayMs));
      if (this.stopped) return;
    }
    await this.openSyncDaemon(cfg);
    if (this.stopped) return;
    await this.startInstances(cfg, cfg.vrrpInstances, links);
    this.trackers.sync(cfg, this.preparedScripts);
    this.bfdReady = true;
    this.applyBfd();
    this.arm();
  }

  /**
   * Opens the sync daemon bound to an instance and starts it in that instance's state (vrrp_scheduler.c
   * vrrp_init_state: a backup daemon unless the instance is already MASTER, as after a reload).
   */
  private async openSyncDaemon(cfg: KeepalivedConfig): Promise<void> {
    const s = cfg.globalDefs.lvsSyncDaemon;
    if (!s?.instance) return;
    // loaded only when configured: the VRRP child carries no IPVS code otherwise (test/unit/daemon/parent-imports)
    const { LvsSyncDaemon: Syncd } = await import('../lvs-sync-daemon.js');
    this.syncd = await Syncd.open(s, this.log);
    const state = this.instances.get(s.instance)?.fsm.state;
    await this.syncd?.start(state === VrrpState.MASTER ? 'master' : 'backup');
  }

  private garpPacer: GarpPacer | undefined;
  /** disable_local_igmp in effect (restored at stop); undefined when not configured or not possible. */
  private localIgmp: LocalIgmpSetting | undefined;

  /** Opens, re-targets or closes the nftables VIP filter for `cfg` (keepalived: explicit `nftables`, or implied). */
  private async syncFirewall(cfg: KeepalivedConfig): Promise<void> {
    const s = nftSettingsFor(cfg);
    if (!s) {
      await this.nft?.close();
      this.nft = undefined;
      return;
    }
    if (!this.nft && s.implied) this.log.log({ level: 'info', text: NFT_IMPLIED_TEXT });
    this.nft ??= new NftVips(this.log);
    await this.nft.open(s.settings);
  }

  /** An instance's VIPs in the drop sets (`blocked`) or out of them; through the netlink queue, so it is ordered with the VIPs. */
  private firewall(run: Running, blocked: boolean): void {
    const nft = this.nft;
    if (!nft) return;
    const vips = nftVipsOf(run.cfg, run.link.name, (n) => this.links.get(n)?.index);
    const on = blocked && blocksVips(run.cfg);
    if (on) this.log.log({ level: 'info', text: `(${run.cfg.name}) setting firewall drop rule`, detail: true });
    if (!blocked && blocksVips(run.cfg)) this.log.log({ level: 'info', text: `(${run.cfg.name}) removing firewall drop rule`, detail: true });
    void this.kernel?.queue(
      'nftables',
      async () => {
        nft.instanceState(run.cfg.name, vips, on);
        if (on) await nft.settled(); // the VIPs must not accept traffic for a moment before the rule is in
      },
      [],
    );
  }

  /** Resolves when every queued netlink change is done. */
  private netlinkIdle(): Promise<unknown> {
    return this.kernel?.idle ?? Promise.resolve();
  }

  /**
   * interface_up_down_delays (clamped per instance as keepalived does) and the polled interfaces: linkbeat_interfaces,
   * and the instances' own interfaces with linkbeat_use_polling — each only while an instance uses or tracks it
   * (keepalived turns polling off otherwise) and not for our VMACs (netlink works for them).
   */
  private configureLinks(cfg: KeepalivedConfig): void {
    const used = new Set(
      cfg.vrrpInstances.flatMap((i) => [...(i.interface !== undefined ? [i.interface] : []), ...i.trackInterface.map((t) => t.name)]),
    );
    const polled = new Set<string>();
    const want = [
      ...cfg.linkbeatInterfaces.map((l) => l.name),
      ...cfg.vrrpInstances
        .filter((i) => i.interface !== undefined && (i.linkbeatUsePolling || cfg.globalDefs.linkbeatUsePolling))
        .map((i) => i.interface!),
    ];
    for (const name of want) {
      if (polled.has(name)) continue;
      if (!used.has(name)) this.log.log({ level: 'info', text: `Turning off linkbeat for ${name} since not used for tracking` });
      else polled.add(name);
    }
    this.linkWatch?.configure(effectiveDelays(cfg.interfaceDelays, cfg.vrrpInstances, this.log), polled);
  }

  /** GARP/NA pacing per interface (vrrp_garp_interval / vrrp_gna_interval). */
  private pacer(): GarpPacer {
    const g = this.config?.globalDefs;
    if (!this.garpPacer) {
      this.garpPacer = new GarpPacer(g?.vrrpGarpIntervalMs ?? 0, g?.vrrpGnaIntervalMs ?? 0, () => this.clock.now());
      this.garpPacer.setGroups(pacingGroups(this.config?.garpGroups ?? []));
    }
    return this.garpPacer;
  }

  private vmacs(): VmacManager {
    this.vmacManager ??= new VmacManager(this.rtnl!, this.log);
    const g = this.config?.globalDefs;
    this.vmacManager.prefixes = {
      ...(g?.vmacPrefix !== undefined ? { vmac: g.vmacPrefix } : {}),
      ...(g?.vmacAddrPrefix !== undefined ? { addr: g.vmacAddrPrefix } : {}),
    };
    return this.vmacManager;
  }

  /** Dumps the interfaces and refreshes the by-name map. */
  private async refreshLinks(): Promise<LinkInfo[]> {
    const links = await this.rtnl!.listLinks();
    for (const l of links) this.links.set(l.name, l);
    return links;
  }

  /** Creates instances, builds their sync groups, then starts them (stale VIPs removed first). */
  private async startInstances(cfg: KeepalivedConfig, list: readonly VrrpInstanceConfig[], links: LinkInfo[]): Promise<void> {
    const addrs = await this.rtnl!.listAddresses();
    const created: { run: Running; stale: string[] }[] = [];
    for (const ic of list) {
      try {
        const parent = links.find((l) => l.name === ic.interface);
        if (!parent && ic.interface !== undefined && cfg.globalDefs.dynamicInterfaces) {
          this.log.log({
            level: 'info',
            text: `Configuration specifies interface ${ic.interface} which doesn't currently exist - will use if created`,
          });
          created.push(this.createWaiting(cfg, ic));
          continue;
        }
        if (ic.interface === undefined && ic.vrf !== undefined) await this.noteVrf(ic.name, ic.vrf);
        if (ic.useIpvlan && ic.family === 4 && !ic.useIpvlan.address) throw new Error('IPv4 ipvlan requires a source ip address to be configured'); // keepalived: FAULT
        // an interface enslaved to a VRF: the VMAC / ipvlan is enslaved to it too (keepalived sends IFLA_MASTER)
        const master = parent ? await this.vrfMaster(parent) : undefined;
        if (master) this.log.log({ level: 'info', text: `(${ic.name}) interface ${parent!.name} is in VRF ${master.name} (table ${master.table})` });
        const vmac =
          ic.useVmac && parent
            ? await this.vmacs().ensure(
                ic.name,
                ic.family,
                ic.virtualRouterId,
                parent,
                ic.useVmac.name,
                (n) => this.links.get(n),
                ic.useVmac.xmitBase,
                master?.index,
              )
            : ic.useIpvlan && parent
              ? await this.vmacs().ensureIpvlan(ic, parent, (n) => this.links.get(n), master?.index)
              : undefined;
        if (vmac) {
          this.links.set(vmac.link.name, vmac.link);
          this.nft?.vmacState(ic.name, {
            ifindex: vmac.link.index,
            baseIfindex: parent!.index,
            families: nftVmacFamilies(ic, this.localIgmp !== undefined),
          });
        }
        const made = this.createInstance(cfg, ic, links, addrs, vmac);
        const addrVmacs = await this.addressVmacs(ic, links);
        if (addrVmacs.size) made.run.addrVmacs = addrVmacs;
        created.push(made);
      } catch (e) {
        this.log.log({ level: 'err', text: `(${ic.name}) cannot start: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    this.syncGroups(cfg);
    this.sizeReceiveBuffers(cfg);
    for (const { run, stale } of created) {
      for (const v of stale) await this.deleteVip(run, v); // the FSM logs "removing VIPs." at start-up
      this.feed(run, { type: 'startup' });
      const following = new Set(run.fsm.params.trackers.map((t) => `${t.kind}:${t.name}`));
      for (const r of this.trackers?.results() ?? []) if (following.has(`${r.kind}:${r.name}`)) this.feed(run, { type: 'tracker', result: r });
    }
  }

  /**
   * use_vmac_addr and a VIP's use_vmac: one macvlan per (family, base interface) of the instance's VIPs that need
   * one (addressVmacBase), MAC 00:00:5e:00:0{1,2}:VRID by the VIP's family, named from vmac_prefix as keepalived.
   */
  private async addressVmacs(ic: VrrpInstanceConfig, links: LinkInfo[]): Promise<Map<string, LinkInfo>> {
    const out = new Map<string, LinkInfo>();
    const made = new Map<string, LinkInfo>();
    for (const v of [...ic.virtualIpaddress, ...ic.virtualIpaddressExcluded]) {
      const base = addressVmacBase(ic, v);
      if (base === undefined) continue;
      const parent = links.find((l) => l.name === base);
      if (!parent) {
        this.log.log({ level: 'err', text: `(${ic.name}) no interface ${base} for the VMAC of ${v.address}` });
        continue;
      }
      const key = addressVmacKey(ic.name, v.family, base);
      let link = made.get(key);
      if (!link) {
        link = (await this.vmacs().ensure(key, v.family, ic.virtualRouterId, parent, undefined, (n) => this.links.get(n), true)).link;
        made.set(key, link);
        this.links.set(link.name, link);
      }
      out.set(v.address, link);
    }
    return out;
  }

  /** log_unknown_vrids: keepalived's line for an advert whose VRID no instance on the socket has. */
  private logUnknownVrid(socketKey: string, data: Uint8Array): void {
    const vrid = this.router.unknownVrid(socketKey, data);
    // the socket key is family/interface[/ah][/source]
    if (vrid !== undefined)
      this.log.log({ level: 'info', text: `Unknown VRID(${vrid}) received on interface(${socketKey.split('/')[1]}). ignoring...` });
  }

  /** SO_RCVBUF of each VRRP socket from its instances (kernel_rx_buf_size, vrrp_rx_bufs_policy), as keepalived. */
  private sizeReceiveBuffers(cfg: KeepalivedConfig): void {
    const members = new Map<string, RxBufMember[]>();
    for (const run of this.instances.values()) {
      if (!run.socket) continue;
      const list = members.get(run.socketKey) ?? [];
      list.push({ ic: run.cfg, ...(run.link.mtu !== undefined ? { mtu: run.link.mtu } : {}) });
      members.set(run.socketKey, list);
    }
    for (const [key, list] of members) {
      const size = vrrpRxBufSize(list, cfg.globalDefs);
      if (size === 0) continue;
      try {
        this.sockets.get(key)?.setReceiveBuffer(size);
      } catch (e) {
        this.log.log({ level: 'info', text: `vrrp set receive socket buffer size error ${(e as { errno?: number }).errno ?? String(e)}` });
      }
    }
  }

  /** `vrf NAME`: logs the VRF an instance without interface binds its sockets to (and if NAME is no VRF device). */
  private async noteVrf(instance: string, name: string): Promise<void> {
    const l = await this.rtnl!.getLink(name).catch(() => undefined);
    if (!l) return; // createInstance says so
    if (l.kind === 'vrf') this.log.log({ level: 'info', text: `(${instance}) sockets bound to VRF ${name} (table ${l.vrfTable ?? 0})` });
    else this.log.log({ level: 'warning', text: `(${instance}) ${name} is not a VRF device - binding the sockets to it anyway` });
  }

  /** The VRF (l3mdev master of kind "vrf") `link` is enslaved to, if any. */
  private async vrfMaster(link: LinkInfo): Promise<{ index: number; name: string; table: number } | undefined> {
    if (!link.master) return undefined;
    const m = await this.rtnl!.getLink(link.master).catch(() => undefined);
    return m?.kind === 'vrf' ? { index: m.index, name: m.name, table: m.vrfTable ?? 0 } : undefined;
  }

  /** (Re)builds sync groups over the running instances (the router keeps a group whose members are unchanged). */
  private syncGroups(cfg: KeepalivedConfig): void {
    for (const name of this.router.setSyncGroups(cfg.vrrpSyncGroups.map((g) => ({ name: g.name, members: g.group }))))
      this.notifier?.removeGroup(name);
    for (const g of cfg.vrrpSyncGroups) {
      this.notifier?.setGroup({
        name: g.name,
        scripts: prepareNotifyScripts(this.scriptContext(cfg), g.notify),
        smtpAlert: smtpAlertFor(cfg, g.smtpAlert),
      });
    }
  }

  /** Hands an event to an instance (through its sync group, if any) and carries out the actions. */
  private feed(run: Running, event: VrrpEvent): void {
    this.execute(this.router.event(run.cfg.name, event, this.clock.now()));
  }

  /** An instance's notifies went out: published for observers (keepalived's DBus VrrpStatusChange goes with them). */
  private notified(name: string, state: NotifyState): void {
    const run = this.instances.get(name);
    if (!run || !eventChannel('keepalived-ts:vrrp:notify').hasSubscribers) return;
    publish('keepalived-ts:vrrp:notify', {
      instance: name,
      vrid: run.cfg.virtualRouterId,
      family: run.cfg.family,
      interface: run.cfg.interface !== undefined || run.cfg.vrf === undefined ? run.ifname : '',
      state,
      at: this.clock.wallNow(),
    });
  }

  /** Gives the notifier an instance's scripts and mail setting (start, reload). */
  private registerNotify(cfg: KeepalivedConfig, ic: VrrpInstanceConfig): void {
    this.notifier?.setInstance({
      name: ic.name,
      scripts: prepareNotifyScripts(this.scriptContext(cfg), ic.notify),
      notifyDeleted: !!ic.notify.deleted,
      smtpAlert: smtpAlertFor(cfg, ic.smtpAlert),
    });
  }

  /** One script context (user resolver, security setting) per configuration, shared by notify and track scripts. */
  /** Each usable `vrrp_script` of the current configuration, prepared (see withUsableScripts). */
  private preparedScripts: ReadonlyMap<string, PreparedScript> = new Map();

  /** `cfg` without the vrrp_scripts that cannot run (keepalived drops them); keeps their prepared form. */
  private usable(cfg: KeepalivedConfig): KeepalivedConfig {
    if (!cfg || !Array.isArray(cfg.vrrpScripts) || cfg.vrrpScripts.length === 0) return cfg;
    const u = withUsableScripts(cfg, this.scriptContext(cfg), this.log);
    this.preparedScripts = u.prepared;
    this.scriptsFor = u.cfg; // same globalDefs: the script context stays valid for the filtered configuration
    return u.cfg;
  }

  private scriptContext(cfg: KeepalivedConfig): ScriptContext {
    if (!this.scripts || this.scriptsFor !== cfg) {
      this.scripts = scriptContextFor(cfg.globalDefs, this.log);
      this.scriptsFor = cfg;
    }
    return this.scripts;
  }

  /**
   * `track_bfd`: the BFD child's session states, relayed by the supervisor (an IPC message, handled like any other
   * event: the advert path never waits for it). Sessions not heard of yet count as down, as in keepalived.
   */
  setBfdStates(states: ReadonlyMap<string, boolean>): void {
    this.bfdStates = new Map(states);
    this.applyBfd();
  }

  private bfdStates = new Map<string, boolean>();
  private readonly bfdReported = new Map<string, boolean>();
  /**
   * The instances exist (the end of start()): states that arrive before are kept in bfdStates only. Reported
   * earlier, they reached a router without the instances and, marked as reported, were never sent again, so the
   * instances counted those sessions as up (an unheard tracker is up to the FSM).
   */
  private bfdReady = false;

  private applyBfd(): void {
    const cfg = this.config;
    if (this.stopped || !cfg || !this.bfdReady) return;
    const now = this.clock.now();
    const users = new Map<string, string[]>();
    for (const ic of cfg.vrrpInstances)
      for (const t of trackerConfigs(cfg, ic)) if (t.kind === 'bfd') users.set(t.name, [...(users.get(t.name) ?? []), ic.name]);
    for (const [name, instances] of users) {
      const up = this.bfdStates.get(name) ?? false;
      const before = this.bfdReported.get(name);
      if (before === up) continue;
      this.bfdReported.set(name, up);
      if (before !== undefined || up)
        for (const i of instances) this.log.log({ level: 'info', text: `VRRP_Instance(${i}) Tracked BFD instance ${name} is ${up ? 'UP' : 'DOWN'}` });
      this.execute(this.router.tracker({ kind: 'bfd', name, ok: up }, now));
    }
    this.arm();
  }

  /** A tracker result goes to every instance following that tracker. */
  private onTracker(result: TrackerResult): void {
    if (this.stopped) return;
    this.execute(this.router.tracker(result, this.clock.now()));
    this.arm();
  }

  /** Link state from netlink: an instance's own interface going down means FAULT, coming back means recovery. */
  private onNetlinkEvent(e: RtnlEvent): void {
    if (this.stopped) return;
    if (e.kind === 'resync') {
      void this.rtnl
        ?.listLinks()
        .then((links) => {
          for (const l of links) {
            this.links.set(l.name, l);
            this.linkWatch?.netlink(l);
          }
        })
        .catch(() => {});
      return;
    }
    if (e.kind === 'address') this.onAddress(e.address, e.deleted);
    if (e.kind === 'link' && e.deleted) this.onLinkGone(e.link);
    if (e.kind === 'link' && !e.deleted) {
      this.links.set(e.link.name, e.link);
      this.linkWatch?.netlink(e.link);
    }
  }

  /**
   * An interface was deleted: its instances go to FAULT (link down). With dynamic_interfaces they then wait for an
   * interface of that name to come back (a new ifindex), as instances configured before their interface existed.
   */
  private onLinkGone(link: LinkInfo): void {
    if (this.links.get(link.name)?.index === link.index) this.links.delete(link.name);
    this.linkWatch?.gone(link.name);
    if (!this.linkWatch?.isPolled(link.name)) this.onLink({ ...link, up: false });
    if (!this.config?.globalDefs.dynamicInterfaces) return;
    const gone = [...this.instances.values()].filter((r) => r.socket !== undefined && r.stateIndex === link.index);
    for (const r of gone) {
      this.watchdog?.disarm(r.cfg.name, true);
      this.router.removeInstance(r.cfg.name);
      this.instances.delete(r.cfg.name);
    }
    this.closeUnusedSockets();
    for (const r of gone) this.createWaiting(this.config, r.cfg, true);
    if (gone.length) this.syncGroups(this.config);
    this.arm();
  }

  /**
   * dynamic_interfaces: an instance configured on an interface that does not exist (yet) is held in FAULT, in the
   * router with no socket and an ifindex no interface has; startWaiting replaces it by the real one. `quiet`: the
   * instance was in FAULT already (its interface was deleted), so the FAULT it enters here is not notified again.
   */
  private createWaiting(cfg: KeepalivedConfig, ic: VrrpInstanceConfig, quiet = false): { run: Running; stale: string[] } {
    const name = ic.interface ?? '';
    const source = ic.unicastSrcIp ?? ic.mcastSrcIp ?? (ic.family === 4 ? '0.0.0.0' : '::');
    const group = ic.mcastDstIp ?? (ic.family === 4 ? cfg.globalDefs.vrrpMcastGroup4 : cfg.globalDefs.vrrpMcastGroup6);
    const socketKey = `waiting/${ic.name}`;
    const { fsm, stats } = this.router.addInstance(routerSpec(ic, fsmParams(cfg, ic, source), { socketKey, ifindex: NO_IFINDEX, source, group }));
    const link: LinkInfo = { index: NO_IFINDEX, name, flags: 0, up: false };
    const run: Running = {
      cfg: ic,
      fsm,
      stats,
      link,
      stateIndex: NO_IFINDEX,
      ifname: name,
      socket: undefined,
      socketKey,
      source,
      group,
      vipSet: false,
      lastTransitionMs: this.clock.wallNow(),
    };
    this.router.noteLink(NO_IFINDEX, false);
    this.instances.set(ic.name, run);
    this.registerNotify(cfg, ic);
    this.log.log({ level: 'info', text: `(${ic.name}): entering FAULT state (interface ${name} down)` });
    this.execute(this.router.event(ic.name, { type: 'interface', up: false, name }, this.clock.now()));
    if (quiet) {
      const actions = this.router.event(ic.name, { type: 'startup' }, this.clock.now());
      this.execute(actions.filter((a) => a.kind !== 'notify' && a.kind !== 'groupNotify'));
    }
    return { run, stale: [] };
  }

  /** dynamic_interfaces: the instances waiting for `ifname` start once it is up and has an address of their family. */
  private startWaiting(ifname: string): void {
    const cfg = this.config;
    const link = this.links.get(ifname);
    if (!cfg || !link?.up || !this.rtnl) return;
    const due = [...this.instances.values()].filter((r) => r.socket === undefined && r.cfg.interface === ifname && !this.rehoming.has(r.cfg.name));
    if (!due.length) return;
    for (const r of due) this.rehoming.add(r.cfg.name);
    void (async () => {
      try {
        const addrs = await this.rtnl!.listAddresses();
        const ready = due.filter(
          (r) =>
            r.cfg.unicastSrcIp !== undefined ||
            r.cfg.mcastSrcIp !== undefined ||
            r.cfg.useVmac !== undefined ||
            addrs.some((a) => a.ifindex === link.index && a.family === r.cfg.family && (r.cfg.family === 4 || a.address.startsWith('fe80:'))),
        );
        if (this.stopped || !ready.length) return;
        for (const r of ready) {
          this.router.removeInstance(r.cfg.name);
          this.instances.delete(r.cfg.name);
        }
        await this.startInstances(
          cfg,
          ready.map((r) => r.cfg),
          await this.refreshLinks(),
        );
        this.arm();
      } finally {
        for (const r of due) this.rehoming.delete(r.cfg.name);
      }
    })().catch((e: unknown) => this.log.log({ level: 'err', text: `dynamic interface ${ifname}: ${String(e)}` }));
  }

  /**
   * track_src_ip (keepalived_netlink.c): the configured source address leaving the instance's interface puts the
   * instance into FAULT, its return lets it out.
   */
  private onAddress(a: AddressInfo, deleted: boolean): void {
    const now = this.clock.now();
    if (!deleted) {
      const l = [...this.links.values()].find((x) => x.index === a.ifindex);
      if (l) this.startWaiting(l.name);
    }
    for (const run of this.instances.values()) {
      if (trackedSource(run.cfg) !== a.address || run.stateIndex !== a.ifindex) continue;
      this.execute(this.router.event(run.cfg.name, { type: 'tracker', result: { kind: 'address', name: a.address, ok: !deleted } }, now));
    }
    this.arm();
  }

  /** A carrier change that passed LinkWatch (debounce, polling): instances on or tracking the interface follow it. */
  private onLink(link: LinkInfo, via: 'Netlink' | 'Linkbeat' = 'Netlink'): void {
    if (link.up) this.startWaiting(link.name);
    const actions = this.router.link(link.index, link.name, link.up, this.clock.now(), via === 'Linkbeat');
    if (!actions.length) return;
    this.execute(actions);
    this.arm();
  }

  /** Builds an instance (socket shared per family and interface); it is started by the caller. */
  private createInstance(
    cfg: KeepalivedConfig,
    ic: VrrpInstanceConfig,
    links: LinkInfo[],
    addrs: AddressInfo[],
    vmac?: VmacFor,
  ): { run: Running; stale: string[] } {
    // `vrf NAME` (unicast, no interface): the VRF device stands in for the interface, as keepalived's sock->vrf_ifp:
    // the sockets are bound to it (SO_BINDTODEVICE, then the unicast_src_ip), each VIP goes on its `dev`
    const home = ic.interface ?? ic.vrf;
    const parent = links.find((l) => l.name === home);
    if (!parent && ic.interface === undefined && ic.vrf !== undefined) throw new Error(`VRF interface ${ic.vrf} doesn't exist`);
    if (!parent) throw new Error(`WARNING - interface ${ic.interface ?? '(none)'} for vrrp_instance ${ic.name} doesn't exist`);
    // with use_vmac the socket, VIPs and GARPs use the VMAC; the source address (IPv4) and link state stay the parent's
    const link = vmac?.link ?? parent;
    const own = addrs.filter((a) => a.ifindex === parent.index && a.family === ic.family);
    const source =
      ic.unicastSrcIp ??
      ic.mcastSrcIp ??
      vmac?.source ??
      (ic.family === 4
        ? own.find((a) => !ic.virtualIpaddress.some((v) => v.address === a.address))?.address
        : own.find((a) => a.address.startsWith('fe80:'))?.address);
    if (!source) throw new Error(`no IPv${ic.family} address on ${parent.name}`);
    const group = ic.mcastDstIp ?? (ic.family === 4 ? cfg.globalDefs.vrrpMcastGroup4 : cfg.globalDefs.vrrpMcastGroup6);
    // multicast instances share one socket per (family, interface); unicast ones one per source address;
    // vmac_xmit_base: adverts are sent and received on the parent, not the VMAC
    const unicast = ic.unicastPeers.length > 0;
    const wire = ic.useVmac?.xmitBase ? parent : link;
    // auth_type AH adverts are IP protocol 51: a socket of their own
    const ah = ic.family === 4 && ic.version === 2 && ic.authentication?.type === 'AH';
    const key = `${ic.family}/${wire.name}${ah ? '/ah' : ''}${unicast ? `/${source}` : ''}`;
    const { fsm, stats } = this.router.addInstance(
      routerSpec(ic, fsmParams(cfg, ic, source), { socketKey: key, ifindex: parent.index, source, group }),
    );
    let socket = this.sockets.get(key);
    if (!socket) {
      socket = VrrpSocket.open({
        family: ic.family,
        ifname: wire.name,
        ...(unicast ? { bindAddress: source, ...(ic.unicastTtl !== undefined ? { ttl: ic.unicastTtl } : {}) } : { group }),
        ...(ah ? { ah } : {}),
        timestamps: cfg.globalDefs.vrrpRxTimestamps ?? false,
        onPacket: (p) => this.onPacket(key, p),
        onError: (p) => this.log.log({ level: 'err', text: `VRRP socket on ${wire.name}: ${p.syscall} ${p.code}` }),
      });
      this.sockets.set(key, socket);
    }
    const run: Running = {
      cfg: ic,
      fsm,
      stats,
      link,
      stateIndex: parent.index,
      ifname: parent.name,
      socket,
      socketKey: key,
      source,
      group,
      vipSet: false,
      lastTransitionMs: this.clock.wallNow(),
    };
    this.router.noteLink(parent.index, parent.up);
    this.instances.set(ic.name, run);
    if (unicastFaultNoPeer(ic)) this.log.log({ level: 'info', text: `(${ic.name}) Cannot use unicast without any peers - going to fault state` });
    if (ic.promoteSecondaries && ic.family === 4) {
      try {
        writeFileSync(`/proc/sys/net/ipv4/conf/${link.name}/promote_secondaries`, '1');
      } catch (e) {
        this.log.log({ level: 'warning', text: `(${ic.name}) cannot set promote_secondaries on ${link.name}: ${(e as Error).message}` });
      }
    }
    this.registerNotify(cfg, ic);
    for (const t of ic.trackInterface) {
      const tl = links.find((l) => l.name === t.name);
      if (tl && tl.index !== parent.index) {
        this.router.noteLink(tl.index, tl.up);
        if (!tl.up)
          this.execute(this.router.event(ic.name, { type: 'tracker', result: { kind: 'interface', name: tl.name, ok: false } }, this.clock.now()));
      }
    }
    // keepalived removes VIPs left behind by an earlier run before starting (unless it goes straight to MASTER)
    const stale =
      ic.state === 'MASTER' && ic.priority === 255
        ? []
        : ic.virtualIpaddress.filter((v) => own.some((a) => a.address === v.address)).map((v) => v.address);
    return { run, stale };
  }

  private onPacket(socketKey: string, p: VrrpDatagram): void {
    if (this.stopped) return;
    const now = this.clock.now();
    // the datagram is the metadata (its view is not kept: the router copies what it remembers), unless it has an age
    const meta: RxMeta =
      p.ageMs === undefined ? p : { source: p.source, destination: p.destination, ttl: p.ttl, ifindex: p.ifindex, arrivedAt: now - p.ageMs };
    const actions = this.router.receive(socketKey, p.data, meta, now);
    if (!actions.length) {
      if (this.config?.globalDefs.logUnknownVrids) this.logUnknownVrid(socketKey, p.data);
      return;
    }
    this.execute(actions);
    this.arm();
  }

  /** Carries out what the router asked for; every action names its instance (or group). */
  private execute(actions: readonly RouterAction[]): void {
    // first, every instance whose mastership these actions end stops its native sends: none may follow a
    // priority-0 advert, a transition out of MASTER or the VIPs' removal
    const wd = this.watchdog;
    wd?.before(actions);
    for (const a of actions) {
      if (a.kind !== 'transmit') this.flushSends();
      if (a.kind === 'groupNotify') {
        const state = NOTIFY_STATE[a.state];
        if (state) void this.notifier?.groupTransition(a.group, state);
        continue;
      }
      if (a.kind === 'log') {
        this.log.log(a.record);
        continue;
      }
      const run = this.instances.get(a.kind === 'stateChanged' ? a.transition.instance : a.instance);
      if (!run) continue;
      if (isPublished(a)) publishAction(a, { vrid: run.cfg.virtualRouterId, family: run.cfg.family, ifname: run.ifname }, this.clock.wallNow());
      if (a.kind === 'advertReceived') noteAdvert(run, a.source, a.priority); // status view: the master's address
      if (a.kind === 'stateChanged') noteTransition(run, a.transition.reason);
      switch (a.kind) {
        case 'transmit':
          // consecutive adverts to one destination on one socket (a master's instances due in the same tick) leave
          // in one sendmmsg; anything else first sends what is queued, so the order of effects is unchanged
          if (!this.joinsSends(run, a)) this.flushSends();
          this.sends.push({ run, a });
          continue;
        case 'instanceRemoved':
          void this.notifier?.instanceTransition(a.instance, 'DELETED', a.priority);
          this.instances.delete(a.instance);
          this.notifier?.removeInstance(a.instance);
          break;
        case 'addVips':
          run.vipSet = true; // the FSM logged "setting VIPs."
          this.firewall(run, true);
          for (const v of a.vips) this.addVip(run, v);
          for (const v of a.excludedVips) this.addVip(run, v);
          this.virtualRoutes(run, true);
          break;
        case 'removeVips':
          run.vipSet = false;
          if (this.stopping && this.ctx.dontReleaseVrrp) break; // -V: VIPs and routes stay after we exit
          this.virtualRoutes(run, false);
          for (const v of [...a.vips, ...a.excludedVips]) void this.deleteVip(run, v);
          this.firewall(run, false);
          break;
        case 'sendGarp':
          this.sendGarp(run, a.reason === 'extra-if' ? extraIfAddresses(run, a.addresses, (ip) => this.vipLink(run, ip).link) : a.addresses, a.count);
          break;
        case 'stateChanged':
          run.lastTransitionMs = this.clock.wallNow();
          if (!this.stopping && this.syncd?.config.instance === run.cfg.name) {
            if (a.transition.to === VrrpState.MASTER) void this.syncd.becomeMaster();
            else if (a.transition.from === VrrpState.MASTER) void this.syncd.leaveMaster();
          }
          break;
        case 'notify': {
          const state = NOTIFY_STATE[a.state];
          const g = this.router.groupOf(run.cfg.name);
          if (state) void this.notifier?.instanceTransition(run.cfg.name, state, a.priority, g ? NOTIFY_STATE[g.state] : undefined);
          break;
        }
        case 'notifyMasterRxLowerPri':
          void this.notifier?.masterRxLowerPri(run.cfg.name, run.fsm.priority);
          break;
        case 'priorityChanged': {
          const state = NOTIFY_STATE[run.fsm.state];
          if (state && this.config && notifiesPriorityChanges(this.config, run.cfg)) this.notifier?.priorityChange(run.cfg.name, state, a.to);
          break;
        }
        default:
          break;
      }
    }
    this.flushSends();
    wd?.after(); // MASTERs that sent are armed with it; any other instance armed is disarmed
  }

  /** `transmit` actions waiting to leave together (execute): all on one socket, to one destination. */
  private readonly sends: { run: Running; a: Extract<RouterAction, { kind: 'transmit' }> }[] = [];

  /** Whether an advert can leave in the same sendmmsg as those queued: same socket and destination, room left. */
  private joinsSends(run: Running, a: Extract<RouterAction, { kind: 'transmit' }>): boolean {
    const first = this.sends[0];
    return first === undefined || (this.sends.length < MAX_SENDMMSG && first.run.socket === run.socket && first.a.destination === a.destination);
  }

  /**
   * Sends the queued adverts: in one sendmmsg when there are several, then one by one whatever it did not send (the
   * first one that failed, and those after it), each failure logged as keepalived does. The watchdog then gets each.
   */
  private flushSends(): void {
    const q = this.sends;
    if (q.length === 0) return;
    const first = q[0]!;
    const sent =
      q.length > 1 && first.run.socket
        ? first.run.socket.sendMany(
            q.map((s) => s.a.bytes),
            first.a.destination,
          )
        : 0;
    for (let i = 0; i < q.length; i++) {
      const { run, a } = q[i]!;
      if (i >= sent) {
        const problem = run.socket?.send(a.bytes, a.destination);
        if (problem) this.log.log({ level: 'err', text: `(${run.cfg.name}) Cant send advert to ${a.destination} (${problem.code})` });
      }
      this.watchdog?.transmitted(a); // the watchdog repeats exactly this advert while the instance stays MASTER
    }
    q.length = 0;
  }

  /**
   * The interface a VIP lives on: its `dev`, else the instance's; `base`: the configured interface under it (a VMAC's
   * parent), on which GARPs are paced (keepalived's IF_BASE_IFP).
   */
  private vipLink(run: Running, address: string): { cfg: VirtualAddress; link: LinkInfo; base: string } {
    const cfg = [...run.cfg.virtualIpaddress, ...run.cfg.virtualIpaddressExcluded].find((x) => x.address === address) ?? {
      address,
      family: run.cfg.family,
      prefixLength: run.cfg.family === 4 ? 32 : 128,
      noDad: false,
      pos: run.cfg.pos,
    };
    // keepalived: a VIP of the other family without `dev` goes on the configured interface, not on the instance's VMAC;
    // with use_ipvlan every VIP does (only the adverts use the ipvlan: keepalived 2.2.7 sets a VIP's interface to
    // the instance's one only for use_vmac)
    const own = cfg.family !== run.cfg.family || run.cfg.useIpvlan ? this.links.get(run.ifname) : undefined;
    const link = run.addrVmacs?.get(address) ?? (cfg.dev !== undefined ? this.links.get(cfg.dev) : undefined) ?? own ?? run.link;
    return { cfg, link, base: cfg.dev ?? run.ifname };
  }

  private addVip(run: Running, address: string): void {
    const { cfg, link } = this.vipLink(run, address);
    void this.kernel?.address(cfg, link.index, true, `(${run.cfg.name})`);
  }

  private deleteVip(run: Running, address: string): Promise<unknown> {
    const { cfg, link } = this.vipLink(run, address);
    return this.kernel?.address(cfg, link.index, false, `(${run.cfg.name})`) ?? Promise.resolve();
  }

  /** virtual_routes / virtual_rules follow the VIPs (added on MASTER, removed when leaving it). */
  private virtualRoutes(run: Running, add: boolean): void {
    this.kernel?.routes(run.cfg.virtualRoutes, run.cfg.virtualRules, add, `(${run.cfg.name})`);
  }

  /** GARP / unsolicited NA bursts for `addresses`, each on its VIP's interface, after the netlink queue. */
  private sendGarp(run: Running, addresses: readonly string[], count: number): void {
    const frames = this.frames;
    if (!frames) return;
    const targets = addresses.map((ip) => {
      const { link, base } = this.vipLink(run, ip);
      return { ip, v6: ip.includes(':'), link, base };
    });
    for (const t of targets) {
      this.log.log({
        level: 'info',
        text: t.v6
          ? `(${run.cfg.name}) Sending/queueing Unsolicited Neighbour Adverts on ${t.link.name} for ${t.ip}`
          : `(${run.cfg.name}) Sending/queueing gratuitous ARPs on ${t.link.name} for ${t.ip}`,
        detail: true,
      });
    }
    // after the VIPs are in place (the netlink queue), send the burst, interleaved per VIP as keepalived does
    void this.netlinkIdle().then(() => {
      if (this.frames) publish('keepalived-ts:vrrp:garp', { instance: run.cfg.name, addresses, count, at: this.clock.wallNow() });
      for (let i = 0; i < count; i++) {
        for (const t of targets) {
          if (!t.link.mac) continue;
          const mac = macBytes(t.link.mac);
          this.pacer().send(t.base, t.v6, () => {
            if (!this.frames) return; // stopped meanwhile
            const p = t.v6 ? frames.sendUnsolicitedNa(t.link.index, mac, t.ip) : frames.sendGratuitousArp(t.link.index, mac, t.ip);
            this.log.log({
              level: 'info',
              text: t.v6
                ? `Sending unsolicited Neighbour Advert on ${t.link.name} for ${t.ip}`
                : `Sending gratuitous ARP on ${t.link.name} for ${t.ip}`,
              detail: true,
            });
            if (p) this.log.log({ level: 'err', text: `GARP on ${t.link.name} for ${t.ip}: ${p.code}` });
          });
        }
      }
    });
  }

  /**
   * Keeps one timer armed for the earliest deadline across all instances. An accepted advert moves its instance's
   * Master_Down_Timer later: the armed timer is then left as it is, fires early, finds nothing due and is armed again
   * — one timer per Master_Down_Interval instead of a clearTimeout/setTimeout per received advert (issue 17).
   */
  private arm(): void {
    if (this.stopped) return;
    const next = this.router.pollTimeout();
    if (this.timer && next !== undefined && this.timerAt <= next) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (next === undefined) return;
    this.timerAt = next;
    this.timer = setTimeout(this.fire, Math.max(0, next - this.clock.now()));
  }

  private readonly wallNow = () => this.clock.wallNow();
  /** When the armed timer is due (monotonic ms). */
  private timerAt = 0;
  private readonly fire = () => this.onTimer();

  /**
   * Deadlines are due. Before acting on them, every VRRP socket is drained: after an event-loop stall (GC, a
   * burst of work) libuv runs timers before polling, so an advert already queued in the kernel would otherwise
   * be read only after a false master-down timeout.
   */
  private onTimer(): void {
    this.timer = undefined;
    for (const s of this.sockets.values()) s.drain();
    const now = this.clock.now();
    const earliest = this.router.pollTimeout();
    const actions = this.router.timeout(now);
    const timed = new Set<string>();
    for (const a of actions) {
      if (a.kind === 'transmit' && a.lateMs !== undefined && !timed.has(a.instance)) {
        timed.add(a.instance);
        addJitter(this.jitter, a.lateMs);
        observeJitter(a.lateMs, this.wallNow);
      }
    }
    this.execute(actions);
    if (earliest !== undefined && earliest <= now) this.ctx.noteTimerLateness?.(now - earliest);
    this.arm();
  }

  /**
   * SIGHUP with a valid new configuration: unchanged instances keep their state and VIPs (no transition, no
   * netlink traffic); changed ones are updated in place; removed ones stop (priority 0 when MASTER, VIPs
   * released, DELETED notified with notify_deleted, else FAULT as keepalived); new ones start.
   */
  async reload(config: unknown): Promise<void> {
    const old = this.config;
    if (!old || !this.rtnl) {
      await this.start(config);
      return;
    }
    const cfg = this.usable(config as KeepalivedConfig);
    const plan = planReload(old, cfg);
    this.config = cfg;
    this.configureWatchdog(cfg);
    this.garpPacer?.setGroups(pacingGroups(cfg.garpGroups ?? []));
    this.garpPacer?.setIntervals(cfg.globalDefs.vrrpGarpIntervalMs, cfg.globalDefs.vrrpGnaIntervalMs);
    this.configureLinks(cfg);
    await this.syncFirewall(cfg);
    if (canonical(old.globalDefs.lvsSyncDaemon) !== canonical(cfg.globalDefs.lvsSyncDaemon)) {
      await this.syncd?.close();
      this.syncd = undefined;
      await this.openSyncDaemon(cfg);
    }
    if (canonical([old.staticIpaddress, old.staticRoutes, old.staticRules]) !== canonical([cfg.staticIpaddress, cfg.staticRoutes, cfg.staticRules])) {
      this.kernel?.staticEntries(staticOnly(old, cfg), false);
      this.kernel?.staticEntries(staticOnly(cfg, old), true);
    }
    const update: RouterInstanceSpec[] = [];
    for (const ic of plan.update) {
      const run = this.instances.get(ic.name);
      if (!run) continue;
      // a MASTER's virtual_routes / virtual_rules that changed: the old ones go and the new ones come now (leaving
      // MASTER later removes the new ones; keepalived's clear_diff_vrrp does the same)
      if (run.vipSet) {
        this.kernel?.routes(
          minusEntries(run.cfg.virtualRoutes, ic.virtualRoutes),
          minusEntries(run.cfg.virtualRules, ic.virtualRules),
          false,
          `(${ic.name})`,
        );
        this.kernel?.routes(
          minusEntries(ic.virtualRoutes, run.cfg.virtualRoutes),
          minusEntries(ic.virtualRules, run.cfg.virtualRules),
          true,
          `(${ic.name})`,
        );
      }
      run.cfg = ic;
      this.registerNotify(cfg, ic);
      update.push(
        routerSpec(ic, withOffset(run, fsmParams(cfg, ic, run.source)), {
          socketKey: run.socketKey,
          ifindex: run.stateIndex,
          source: run.source,
          group: run.group,
        }),
      );
    }
    // removed instances stop (and leave this.instances on `instanceRemoved`), then changed ones get their parameters
    this.execute(this.router.applyReload({ remove: plan.remove, update }, this.clock.now()));
    if (plan.remove.length && this.vmacManager) {
      await this.netlinkIdle();
      this.closeUnusedSockets();
      for (const name of plan.remove) {
        await this.vmacManager.release(name);
        this.nft?.vmacState(name, undefined);
      }
    }
    await this.netlinkIdle();
    this.closeUnusedSockets();
    if (plan.add.length) await this.startInstances(cfg, plan.add, await this.refreshLinks());
    this.syncGroups(cfg);
    this.trackers?.sync(cfg, this.preparedScripts);
    if (cfg.globalDefs.fifoWriteVrrpStatesOnReload) {
      for (const sg of this.router.syncGroups()) {
        const st = NOTIFY_STATE[sg.state];
        if (st) this.notifier?.fifoState('group', sg.name, st);
      }
      for (const r of this.instances.values()) {
        const st = NOTIFY_STATE[r.fsm.state];
        if (st) this.notifier?.fifoState('instance', r.cfg.name, st, r.fsm.priority);
      }
    }
    this.log.log({
      level: 'info',
      text: `Reload: ${plan.keep.length} unchanged, ${plan.update.length} updated, ${plan.add.length} added, ${plan.remove.length} removed`,
      detail: true,
    });
    this.arm();
  }

  private closeUnusedSockets(): void {
    for (const [key, sock] of this.sockets) {
      if ([...this.instances.values()].some((r) => r.socketKey === key)) continue;
      sock.close();
      this.sockets.delete(key);
    }
  }

  /** Graceful stop: masters send priority 0 and release their VIPs; sockets close. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.trackers?.stop();
    this.linkWatch?.stop();
    this.stopping = true;
    this.execute(this.router.shutdown(this.clock.now()));
    this.watchdog?.close(this.instances.keys());
    this.watchdog = undefined;
    if (this.config && !this.ctx.dontReleaseVrrp) this.kernel?.staticEntries(this.config, false);
    this.stopped = true;
    await this.syncd?.close(); // vrrp_daemon.c: the daemon of the instance's state is stopped
    this.syncd = undefined;
    await this.netlinkIdle();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    await this.vmacManager?.releaseAll();
    await this.nft?.close(); // keepalived deletes its tables at exit, -V or not
    await this.notifier?.shutdown(1000);
    for (const f of this.fifos) f.close();
    this.garpPacer?.clear();
    this.frames?.close();
    this.frames = undefined;
    this.rtnl?.close();
    this.localIgmp?.restore();
    this.localIgmp = undefined;
    if (this.config?.globalDefs?.shutdownScript) await runLifecycleScript(this.config, 'shutdown', this.scriptContext(this.config), this.log);
  }

  /** A plain picture for dumps and the control socket. */
  snapshot(): RuntimeSnapshot {
    this.watchdog?.collect(this.instances.keys());
    return {
      ...(this.config ? { routerId: this.config.globalDefs.routerId ?? hostname() } : {}), // keepalived's default router_id is the host name
      instances: [...this.instances.values()].map((r) => ({ ...instanceSnapshot(r), ...observedFields(r) })),
      syncGroups: this.router.syncGroups().map((sg) => ({ name: sg.name, state: sg.state, members: sg.members.map((m) => m.name) })),
      scripts: (this.trackers?.results() ?? []).filter((r) => r.kind === 'script').map((r) => ({ name: r.name, ok: r.ok })),
      trackers: [...(this.trackers?.results() ?? []), ...[...this.bfdStates].map(([name, ok]) => ({ kind: 'bfd', name, ok }))],
      timing: { ...jitterFields(this.jitter), loopLagMaxMs: 0, loopLagLastMs: 0 },
    };
  }

  /** Zeroes every instance's counters. */
  clearStats(): void {
    this.watchdog?.collect(this.instances.keys());
    this.router.clearStats();
  }

  /** Admin: a temporary priority offset, carried as a weight-1 track_file the FSM already understands. */
  setPriorityOffset(instance: string, offset: number): string | undefined {
    const run = this.instances.get(instance);
    if (!run || !this.config) return `no VRRP instance ${instance}`;
    if (!Number.isInteger(offset) || offset < -253 || offset > 253) return `priority offset ${offset} out of range -253..253`;
    setOffset(run, offset);
    const params = withOffset(run, fsmParams(this.config, run.cfg, run.source));
    const now = this.clock.now();
    this.execute(
      this.router
        .applyReload(
          {
            remove: [],
            update: [routerSpec(run.cfg, params, { socketKey: run.socketKey, ifindex: run.stateIndex, source: run.source, group: run.group })],
          },
          now,
        )
        .map((a) => (a.kind === 'stateChanged' ? { ...a, transition: { ...a.transition, reason: `priority offset ${offset}` } } : a)),
    );
    this.execute(this.router.event(run.cfg.name, { type: 'tracker', result: { kind: 'file', name: OFFSET_TRACKER, ok: true, value: offset } }, now));
    this.arm();
    return undefined;
  }

  /** SNMP SET: a new base priority and/or preempt setting for one instance, until the next reload. */
  setInstance(instance: string, change: InstanceChange): string | undefined {
    const run = this.instances.get(instance);
    if (!run || !this.config) return `no VRRP instance ${instance}`;
    run.cfg = {
      ...run.cfg,
      ...(change.priority !== undefined ? { priority: change.priority } : {}),
      ...(change.nopreempt !== undefined ? { nopreempt: change.nopreempt } : {}),
    };
    const params = withOffset(run, fsmParams(this.config, run.cfg, run.source));
    const at = { socketKey: run.socketKey, ifindex: run.stateIndex, source: run.source, group: run.group };
    this.execute(this.router.applyReload({ remove: [], update: [routerSpec(run.cfg, params, at)] }, this.clock.now()));
    this.arm();
    return undefined;
  }

  /** Admin: a GARP/NA burst now (garp_master_repeat per VIP) for MASTER instances. */
  refreshGarp(instance?: string, repeat?: number): string[] {
    const done: string[] = [];
    for (const run of this.instances.values()) {
      if ((instance !== undefined && run.cfg.name !== instance) || run.fsm.state !== 2) continue;
      const addresses = [...run.cfg.virtualIpaddress, ...run.cfg.virtualIpaddressExcluded].map((v) => v.address);
      const count = repeat ?? Math.max(1, run.cfg.garpMasterRepeat);
      this.sendGarp(run, addresses, count); // published on keepalived-ts:vrrp:garp as it is sent
      done.push(run.cfg.name);
    }
    return done;
  }
}

/** Most datagrams one sendmmsg takes (packages/sysio). */
const MAX_SENDMMSG = 1024;

/** The ifindex of an instance waiting for its interface (dynamic_interfaces): no interface has it. */
const NO_IFINDEX = -1;

/** The static entries of `a` that `b` does not have (by value, ignoring positions), as a config to apply. */
function staticOnly(a: KeepalivedConfig, b: KeepalivedConfig): KeepalivedConfig {
  return {
    ...a,
    staticIpaddress: minusEntries(a.staticIpaddress, b.staticIpaddress),
    staticRoutes: minusEntries(a.staticRoutes, b.staticRoutes),
    staticRules: minusEntries(a.staticRules, b.staticRules),
  };
}

/** The entries of `x` that `y` does not have (by value, positions in the file aside). */
function minusEntries<T>(x: readonly T[], y: readonly T[]): T[] {
  const ys = new Set(y.map(canonical));
  return x.filter((e) => !ys.has(canonical(e)));
}

/** The router's view of an instance: its FSM parameters plus socket, addresses, auth and receive-check settings. */
function routerSpec(
  ic: VrrpInstanceConfig,
  params: VrrpInstanceParams,
  at: Pick<RouterInstanceSpec, 'socketKey' | 'ifindex' | 'source' | 'group'>,
): RouterInstanceSpec {
  const auth = ic.authentication;
  return {
    ...at,
    params,
    ...(auth
      ? { auth: { type: auth.type === 'PASS' ? AuthType.PASS : auth.type === 'AH' ? AuthType.AH : AuthType.NONE, data: passBytes(auth.password) } }
      : {}),
    unicastPeers: ic.unicastPeers,
    skipCheckAdvAddr: ic.skipCheckAdvAddr,
    checkUnicastSrc: ic.checkUnicastSrc,
    oldUnicastChecksum: ic.oldUnicastChecksum,
    ...(ic.unicastPeers.length && ic.unicastTtl !== undefined ? { ttl: ic.unicastTtl } : {}),
  };
}
