/**
 * `-t` against keepalived 2.2.7's order of checks: it enters `net_namespace`/`-s` before validating (and when it
 * cannot, logs "Unable to set network namespace NAME - exiting" and ends with status 0), and a `vrrp_script` whose
 * program does not exist is a configuration error ("Disabling track script X since not found/accessible", exit 5).
 * The VRRP runtime drops such a script as keepalived does (withUsableScripts): it neither faults nor weighs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, loadConfig, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { runConfigTest, type HostView } from '../../../src/config/config-test.js';
import { withUsableScripts } from '../../../src/runtime/vrrp/trackers.js';
import { trackerConfigs } from '../../../src/runtime/vrrp/params.js';
import { scriptContextFor } from '../../../src/notify/prepare.js';
import type { LogRecord } from '../../../src/core/log.js';

const present = new Set(['/bin/true']);
const host = (ifaces: readonly string[]): HostView => ({
  interfaceKind: (n) => (ifaces.includes(n) ? 'ok' : 'missing'),
  scriptFound: (p) => present.has(p),
  scriptMissing: (p) => !present.has(p),
});

const conf = (extra: string, script = '/bin/true') =>
  `global_defs {\n  enable_script_security\n${extra}}\nvrrp_script chk {\n  script "${script}"\n  weight 20\n}\n` +
  `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  priority 100\n  track_script {\n    chk\n  }\n}\n`;

async function runT(text: string, o: { ns?: string; enter?: (n: string) => { host: HostView } | { error: string } } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kts-tns-'));
  const out: string[] = [];
  try {
    writeFileSync(join(dir, 'k.conf'), text);
    const entered: string[] = [];
    const status = await runConfigTest({
      file: join(dir, 'k.conf'),
      configId: 'x',
      stderr: {
        write: (s: string) =>
          out.push(
            ...s
              .trimEnd()
              .split('\n')
              .map((l) => l.replace(/^.*k\.conf:/, '')),
          ),
      },
      host: host(['eth0']),
      load: (f, id) => loadConfig(f, { configId: id }),
      ...(o.ns !== undefined ? { namespace: o.ns } : {}),
      ...(o.enter
        ? {
            enterNamespace: async (n: string) => {
              entered.push(n);
              return o.enter!(n);
            },
          }
        : {}),
    });
    return { status, out, entered };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('-t: a namespace that cannot be entered ends the test with status 0 before any host check', async () => {
  const r = await runT(`net_namespace blue\n${conf('')}`.replace('eth0', 'eth9'), { enter: () => ({ error: 'Failed to open /run/netns/blue' }) });
  assert.deepEqual(r, { status: 0, out: ['Failed to open /run/netns/blue', 'Unable to set network namespace blue - exiting'], entered: ['blue'] });
});

test('-t: inside the namespace, its interfaces are the ones checked; -s overrides net_namespace', async () => {
  const text = `net_namespace blue\n${conf('')}`.replace('eth0', 'veth7');
  const inside = (n: string) => (n === 'red' ? { host: host(['veth7']) } : { host: host([]) });
  const ok = await runT(text, { ns: 'red', enter: inside });
  assert.deepEqual(ok, { status: 0, out: ["Overriding config net_namespace 'blue' with command line namespace 'red'"], entered: ['red'] });
  const bad = await runT(text, { enter: inside });
  assert.equal(bad.status, 5);
  assert.deepEqual(bad.entered, ['blue']);
  assert.ok(bad.out.includes("10:13: error: WARNING - interface veth7 for vrrp_instance VI_1 doesn't exist"), bad.out.join('\n'));
  // without a namespace the injected host is used and nothing is entered
  const none = await runT(conf(''), { enter: inside });
  assert.deepEqual(none, { status: 0, out: [], entered: [] });
});

test('-t: a vrrp_script whose program does not exist is an error (exit 5), one that exists is not', async () => {
  const missing = await runT(conf('', '/nonexistent/chk.sh'));
  assert.equal(missing.status, 5);
  assert.deepEqual(missing.out, ['4:1: warning: Disabling track script chk since not found/accessible']);
  const there = await runT(conf(''));
  assert.deepEqual([there.status, there.out], [0, []]);
});

function model(text: string) {
  const { tree } = parseConfigTree(text, 'k.conf');
  return buildModel(tree, new DiagnosticSink());
}

test('runtime: a vrrp_script that cannot run is dropped, so it neither faults nor adds its weight', () => {
  const cfg = model(conf('', '/nonexistent/chk.sh').replace('  enable_script_security\n', ''));
  const logs: LogRecord[] = [];
  const log = { log: (r: LogRecord) => void logs.push(r) } as never;
  const u = withUsableScripts(cfg, scriptContextFor(cfg.globalDefs, log), log);
  assert.ok(
    logs.some((l) => l.text.startsWith('Script /nonexistent/chk.sh cannot be accessed')),
    JSON.stringify(logs),
  );
  assert.deepEqual(u.cfg.vrrpScripts, []);
  assert.deepEqual(trackerConfigs(u.cfg, u.cfg.vrrpInstances[0]!), []);
  // a usable one stays, prepared, and keeps its weight
  const ok = model(conf('').replace('  enable_script_security\n', ''));
  const v = withUsableScripts(ok, scriptContextFor(ok.globalDefs, log), log);
  assert.equal(v.cfg, ok);
  assert.deepEqual(v.prepared.get('chk')?.spec.argv, [realpathSync('/bin/true')]); // keepalived runs the resolved path
  assert.deepEqual(
    trackerConfigs(v.cfg, v.cfg.vrrpInstances[0]!).map((t) => [t.kind, t.name, t.weight]),
    [['script', 'chk', 20]],
  );
});
