/** `vrrp_yield_advert` (keepalived-ts): from global_defs through the runtime's instance parameters to the wire action. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';
import { fsmParams } from '../../../src/runtime/vrrp/params.js';
import { VrrpFsm } from '../../../src/vrrp/fsm.js';
import { VrrpState } from '../../../src/vrrp/types.js';
import { advert, kinds, toMaster } from '../vrrp/fsm-helpers.js';

const conf = (globals: string) =>
  `global_defs {\n${globals}\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n` +
  `  virtual_ipaddress {\n    192.0.2.100\n  }\n}\n`;

/** The instance's parameters and the diagnostics for `globals`. */
function params(globals: string) {
  const d = new DiagnosticSink();
  const { tree, diagnostics } = parseConfigTree(conf(globals), 'k.conf');
  d.items.push(...diagnostics);
  const cfg = buildModel(tree, d);
  return { p: fsmParams(cfg, cfg.vrrpInstances[0]!, '192.0.2.1'), diags: d.items };
}

/** The actions of a MASTER built from `globals` that hears priority 150. */
function yielding(globals: string): string[] {
  const f = new VrrpFsm(params(globals).p);
  toMaster(f);
  const out = f.handle({ type: 'advert', advert: advert(150), source: '192.0.2.2' }, 5000);
  assert.equal(f.state, VrrpState.BACKUP);
  return kinds(out);
}

test('vrrp_yield_advert: unset or true sends one advert before stepping down; false steps down silently', () => {
  assert.equal(params('').p.yieldAdvert, true);
  assert.deepEqual(yielding(''), ['sendAdvert', 'stateChanged', 'removeVips', 'notify']);
  assert.deepEqual(yielding('  vrrp_yield_advert true'), ['sendAdvert', 'stateChanged', 'removeVips', 'notify']);
  assert.equal(params('  vrrp_yield_advert false').p.yieldAdvert, false);
  assert.deepEqual(yielding('  vrrp_yield_advert false'), ['stateChanged', 'removeVips', 'notify']);
  // keepalived's own switch still sends the advert when ours is off
  assert.deepEqual(yielding('  vrrp_yield_advert false\n  vrrp_higher_prio_send_advert'), ['sendAdvert', 'stateChanged', 'removeVips', 'notify']);
  assert.ok(params('  vrrp_yield_advert sometimes').diags.some((x) => x.severity === 'error'));
});
