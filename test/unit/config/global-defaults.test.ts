import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseConfigTree } from '../../../src/config/index.js';
import { DiagnosticSink } from '../../../src/config/diagnostics.js';

const model = (text: string) => {
  const d = new DiagnosticSink();
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf');
  d.items.push(...diagnostics);
  return { config: buildModel(tree, d), diags: d.items };
};
const inst = (body = '') => `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  unicast_peer {\n    192.0.2.2\n  }\n${body}}\n`;

test('global_defs instance defaults: lower/higher prio advert, check_unicast_src, smtp_alert_vrrp, no_email_faults, startup delay, lower-prio GARP', () => {
  const { config, diags } = model(`global_defs {
  vrrp_lower_prio_no_advert
  vrrp_higher_prio_send_advert true
  vrrp_check_unicast_src
  smtp_alert_vrrp off
  no_email_faults
  vrrp_startup_delay 2.5
  vrrp_garp_lower_prio_delay 7
  vrrp_garp_lower_prio_repeat 2
}
${inst()}`);
  assert.deepEqual(
    diags.filter((x) => x.severity === 'error'),
    [],
  );
  const g = config.globalDefs;
  assert.deepEqual([g.smtpAlertVrrp, g.noEmailFaults, g.vrrpStartupDelayMs], [false, true, 2500]);
  const [i] = config.vrrpInstances;
  assert.deepEqual(
    [i?.lowerPrioNoAdvert, i?.higherPrioSendAdvert, i?.checkUnicastSrc, i?.garpLowerPrioDelayMs, i?.garpLowerPrioRepeat],
    [true, true, true, 7000, 2],
  );
  // the instance's own keywords win
  const own = model(`global_defs {\n  vrrp_lower_prio_no_advert\n}\n${inst('  lower_prio_no_advert false\n')}`).config.vrrpInstances[0];
  assert.equal(own?.lowerPrioNoAdvert, false);
});

test('vrrp_min_garp: one GARP, no delayed burst, no refresh — unless set explicitly', () => {
  const a = model(`global_defs {\n  vrrp_min_garp\n}\n${inst()}`).config.vrrpInstances[0];
  assert.deepEqual([a?.garpMasterRepeat, a?.garpMasterDelayMs, a?.garpMasterRefreshRepeat], [1, 0, 0]);
  const b = model(`global_defs {\n  vrrp_garp_master_repeat 3\n  vrrp_min_garp\n}\n${inst()}`).config.vrrpInstances[0];
  assert.equal(b?.garpMasterRepeat, 3);
});

test('unicast_ttl (unicast only), old_unicast_checksum, promote_secondaries, check_unicast_src on the instance', () => {
  const { config, diags } = model(
    inst('  unicast_ttl 10\n  old_unicast_checksum\n  promote_secondaries\n  check_unicast_src\n') +
      'vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 2\n  unicast_ttl 300\n}\n',
  );
  const [i, j] = config.vrrpInstances;
  assert.deepEqual([i?.unicastTtl, i?.oldUnicastChecksum, i?.promoteSecondaries, i?.checkUnicastSrc], [10, true, true, true]);
  assert.equal(j?.unicastTtl, undefined);
  assert.ok(
    diags.some((x) => x.severity === 'error' && x.pos.line === 15 && x.message.includes('300 is out of range')),
    JSON.stringify(diags),
  );
});

test('http_endpoint (keepalived-ts): ADDRESS:PORT, [IPV6]:PORT or a socket path; anything else is an error', () => {
  assert.equal(model(`global_defs {\n  http_endpoint 192.0.2.1:9650\n}\n${inst()}`).config.globalDefs.httpEndpoint, '192.0.2.1:9650');
  assert.equal(model(`global_defs {\n  http_endpoint [2001:db8::1]:9650\n}\n${inst()}`).config.globalDefs.httpEndpoint, '[2001:db8::1]:9650');
  assert.equal(model(`global_defs {\n  http_endpoint /run/kts-http.sock\n}\n${inst()}`).config.globalDefs.httpEndpoint, '/run/kts-http.sock');
  assert.equal(model(`global_defs {\n}\n${inst()}`).config.globalDefs.httpEndpoint, undefined);
  const bad = model(`global_defs {\n  http_endpoint nonsense\n}\n${inst()}`);
  assert.equal(bad.config.globalDefs.httpEndpoint, undefined);
  assert.match(bad.diags.find((x) => x.severity === 'error')?.message ?? '', /http_endpoint 'nonsense' invalid/);
  assert.ok(model(`global_defs {\n  http_endpoint\n}\n${inst()}`).diags.some((x) => x.severity === 'error' && /http_endpoint needs/.test(x.message)));
});

test('lvs_backend (keepalived-ts extension): ipvs, nftables or auto; absent means auto; anything else is an error', () => {
  assert.equal(model(inst()).config.globalDefs.lvsBackend, undefined);
  for (const v of ['ipvs', 'nftables', 'auto'] as const) {
    const { config, diags } = model(`global_defs {\n  lvs_backend ${v}\n}\n${inst()}`);
    assert.deepEqual(diags, []);
    assert.equal(config.globalDefs.lvsBackend, v);
  }
  const bad = model(`global_defs {\n  lvs_backend xdp\n}\n${inst()}`);
  assert.deepEqual(
    bad.diags.map((x) => [x.severity, x.message]),
    [['error', "lvs_backend 'xdp' is not ipvs, nftables or auto"]],
  );
  assert.equal(bad.config.globalDefs.lvsBackend, undefined);
});

test('lvs_timeouts: tcp, tcpfin and udp in seconds, merged over several lines; keepalived texts for bad options and values', () => {
  const ok = model(`global_defs {\n  lvs_timeouts tcp 900 tcpfin 120\n  lvs_timeouts udp 300\n}\n${inst()}`);
  assert.deepEqual(
    ok.diags.filter((x) => x.severity === 'error'),
    [],
  );
  assert.deepEqual(ok.config.globalDefs.lvsTimeouts, { tcpSec: 900, tcpFinSec: 120, udpSec: 300 });
  // the 31-day maximum is accepted; one second more is not, and the earlier value stays
  const max = model(`global_defs {\n  lvs_timeouts tcp 2678400\n  lvs_timeouts tcp 2678401 udp x\n}\n${inst()}`);
  assert.deepEqual(max.config.globalDefs.lvsTimeouts, { tcpSec: 2678400 });
  const errs = (text: string) =>
    model(`global_defs {\n  ${text}\n}\n${inst()}`)
      .diags.filter((x) => x.severity === 'error')
      .map((x) => x.message);
  assert.deepEqual(
    max.diags.filter((x) => x.severity === 'error').map((x) => x.message),
    ['Invalid lvs_timeout tcp (2678401) - ignoring', 'Invalid lvs_timeout udp (x) - ignoring'],
  );
  assert.deepEqual(errs('lvs_timeouts'), ['lvs_timeouts requires at least one option']);
  assert.deepEqual(errs('lvs_timeouts tcp'), ['lvs_timeouts requires at least one option']);
  assert.deepEqual(errs('lvs_timeouts tcp 5 syn 3'), [
    'Unknown option syn specified for lvs_timeouts',
    'Unknown option 3 specified for lvs_timeouts',
  ]);
  assert.deepEqual(errs('lvs_timeouts udp 5 tcpfin'), ['No value specified for lvs_timout tcpfin - ignoring']);
});

test('vrrp_rx_timestamps (keepalived-ts): unset (off), false, alone or true (on); a bad value is an error', () => {
  const g = (line: string) => model(`global_defs {\n${line}\n}\n${inst()}`);
  assert.equal(g('').config.globalDefs.vrrpRxTimestamps, undefined);
  assert.equal(g('  vrrp_rx_timestamps false').config.globalDefs.vrrpRxTimestamps, false);
  assert.equal(g('  vrrp_rx_timestamps true').config.globalDefs.vrrpRxTimestamps, true);
  assert.equal(g('  vrrp_rx_timestamps').config.globalDefs.vrrpRxTimestamps, true);
  assert.ok(g('  vrrp_rx_timestamps maybe').diags.some((x) => x.severity === 'error'));
});

for (const [kw, field] of [
  ['vrrp_advert_watchdog', 'vrrpAdvertWatchdog'],
  ['bfd_tx_watchdog', 'bfdTxWatchdog'],
] as const)
  test(`${kw} (keepalived-ts): unset (on), false (off), alone or true (on); a bad value is an error`, () => {
    const g = (line: string) => model(`global_defs {\n${line}\n}\n${inst()}`);
    assert.equal(g('').config.globalDefs[field], undefined);
    assert.equal(g(`  ${kw} false`).config.globalDefs[field], false);
    assert.equal(g(`  ${kw} true`).config.globalDefs[field], true);
    assert.equal(g(`  ${kw}`).config.globalDefs[field], true);
    assert.ok(g(`  ${kw} maybe`).diags.some((x) => x.severity === 'error'));
  });
