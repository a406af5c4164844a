/**
 * A supervised child (`--ts-child=ROLE`): one Daemon running the role's runtime, logging under the role's
 * identity, talking to the supervisor over the IPC channel (startup complete, answers to control commands).
 * When the channel closes the parent is gone, and the child stops as keepalived's do on PR_SET_PDEATHSIG.
 */
import { systemClock } from '../core/clock.js';
import type { CliOptions } from './args.js';
import { interfaceInNamespace } from './interfaces.js';
import { buildSinks, DEFAULT_CONFIG_FILE, ourVersion, platformText, programName } from './common.js';
import { IDENT_SUFFIX_ENV, ROLE_INFO, type ChildRole } from '../daemon/child-role.js';
import { configPort } from '../daemon/config-port.js';
import { closeInheritedOnExec } from '../daemon/cloexec.js';
import { Daemon } from '../daemon/daemon.js';
import { LogHub } from '../daemon/logging.js';
import { SdNotifier } from '../daemon/sdnotify.js';
import { processSignals } from '../daemon/signals.js';
import type { ChildMessage, ParentMessage } from '../daemon/supervisor.js';
import { tmpDirFrom } from '../daemon/logging.js';
import { sysioDatagramSender } from '../net/unix-dgram.js';
import { defaultConfigId } from '../config/index.js';
import { versionString } from './usage.js';
import { RUNTIMES } from './roles.js';
import { forwardFacts } from './child-facts.js';
import { forwardEvents, republish } from './child-events.js';
import { startTestMemoryHooks } from '../daemon/test-hooks.js';
import type { Runtime } from '../runtime/port.js';
import { installTestStall } from '../daemon/test-stall.js';
import { startupMark, traceStartupEvents } from '../daemon/startup-trace.js';
import { applyChildRuntimeV8Flags } from '../daemon/v8-flags.js';

/** Sends one message to the supervisor, if the channel is open. */
function tell(m: ChildMessage): void {
  if (process.connected) process.send?.(m);
}

/** Runs the child until it is stopped; returns its exit status. */
export async function runChild(role: ChildRole, o: CliOptions, argv: readonly string[]): Promise<number> {
  startupMark('child');
  closeInheritedOnExec(); // the IPC channel (fd 3) stays ours: no script inherits it
  if (role === 'vrrp' || role === 'bfd') installTestStall(); // tests only: KEEPALIVED_TS_TEST_STALL_MS (see test-stall.ts)
  const tmpDir = tmpDirFrom(process.env);
  const makeRuntime = await RUNTIMES[role]();
  startupMark('runtime');
  applyChildRuntimeV8Flags(); // after loading: a V8 flag set earlier would cost node its built-ins' code cache
  if (role === 'vrrp') traceStartupEvents();
  let runtime:
    | (Runtime & {
        setFacts?: (f: { instances: Map<string, string>; quorum: Map<string, boolean> }) => void;
        setBfdStates?: (states: ReadonlyMap<string, boolean>) => void;
      })
    | undefined;
  const runtimeFactory: typeof makeRuntime = (ctx) => (runtime = makeRuntime(ctx));
  const sender = await sysioDatagramSender();
  const clock = systemClock();
  // keepalived's children log as Keepalived_vrrp_NAMESPACE_INSTANCE (to keepalived_vrrp_NAMESPACE_INSTANCE.log) from
  // their first line; scripts do not inherit it
  const nsInst = process.env[IDENT_SUFFIX_ENV] ?? '';
  const logs = new LogHub(clock, buildSinks(o, tmpDir, sender, process.pid, ROLE_INFO[role].logSuffix, nsInst), o.logDetail > 0);
  logs.setIdentSuffix(nsInst);
  delete process.env[IDENT_SUFFIX_ENV];
  const daemon = new Daemon({
    settings: {
      configFile: o.useFile ?? DEFAULT_CONFIG_FILE,
      configId: o.configId ?? defaultConfigId(),
      interfaceExists: interfaceInNamespace,
      pidFiles: [],
      tmpDir,
      commandLine: [programName(), ...argv],
      version: versionString(ourVersion()),
      platform: platformText(),
      logDetail: o.logDetail,
      releaseVips: o.releaseVips,
      dontReleaseVrrp: o.dontReleaseVrrp,
      addressMonitoring: o.addressMonitoring,
      dumpConf: o.dumpConf,
      role,
      ...(o.umask !== undefined ? { umaskFromCommandLine: true } : {}),
      ...(role === 'vrrp' && o.http !== undefined ? { httpEndpoint: o.http } : {}),
      snmp: { snmp: o.snmp, ...(o.snmpAgentSocket !== undefined ? { snmpAgentSocket: o.snmpAgentSocket } : {}) },
    },
    clock,
    logs,
    signals: processSignals(),
    config: configPort(),
    runtimeFactory,
    sdNotify: new SdNotifier(sender, undefined, process.pid),
    pid: process.pid,
    onReady: () => {
      startupMark('ready');
      tell({ kind: 'ready' });
      sendFacts();
    },
  });
  const sendFacts = forwardFacts(role, () => daemon.snapshot(), tell);
  forwardEvents(role, tell);
  process.on('message', (m: ParentMessage) => {
    if (m?.kind === 'event') {
      republish(m);
      return;
    }
    if (m?.kind === 'facts') {
      if (m.bfd) runtime?.setBfdStates?.(new Map(m.bfd));
      if (m.instances || m.quorum) runtime?.setFacts?.({ instances: new Map(m.instances ?? []), quorum: new Map(m.quorum ?? []) });
      return;
    }
    if (m?.kind !== 'command') return;
    // without `peer` the command is the supervisor's own (trusted); with it, a control-socket caller's
    void daemon.command(m.command, m.peer === undefined ? undefined : m.peer).then((reply) => {
      tell({ kind: 'reply', id: m.id, reply });
      if (m.command === 'reload') sendFacts();
    });
  });
  process.on('disconnect', () => void daemon.stop());
  const stopTestHooks = role === 'vrrp' ? startTestMemoryHooks(process.env) : () => {};
  const code = await daemon.run();
  stopTestHooks();
  logs.close();
  sender.close();
  return code;
}
