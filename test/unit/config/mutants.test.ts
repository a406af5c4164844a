/**
 * Tests written for mutation-testing survivors of the config groups (npm run mutate -- config-vrrp config-front) and
 * the fix-ups issue 16 names: VIP prefix and label ranges, preempt_delay / nopreempt with state MASTER, the address
 * owner and strict mode, strict overrides, include globs and dot files, `@id` matching, a trailing `\` on the last
 * line without a newline. Expected texts are keepalived 2.2.7's (`keepalived -t` on the same input).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, loadConfig, parseConfigTree } from '../../../src/config/index.js';
import type { ConfigFs } from '../../../src/config/preprocess.js';

/** An in-memory file system (one directory level per name). */
const memFs = (files: Record<string, string>): ConfigFs => ({
  readFile: (p) => files[p],
  listDir: (d) => Object.keys(files).flatMap((f) => (f.startsWith(`${d}/`) && !f.slice(d.length + 1).includes('/') ? [f.slice(d.length + 1)] : [])),
});

/** Loads `text` as /k/k.conf (plus `files`); diagnostics as `line: text` with `!` when `-t` fails on it. */
function load(text: string, files: Record<string, string> = {}) {
  const r = loadConfig('/k/k.conf', { fs: memFs({ '/k/k.conf': text, ...files }), configId: 'lb1' });
  const diags = r.diagnostics.map((d) => `${d.pos.line}: ${d.message}${d.failsTest || d.severity === 'error' ? ' !' : ''}`);
  return { config: r.config, diags };
}

const instance = (name: string, vrid: number, body: string): string =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n${body}\n}\n`;

test('VIP prefix and label ranges: a bad prefix length keeps the address at full length; a label over 15 characters drops it; no label on IPv6', () => {
  const { config, diags } = load(
    instance(
      'A',
      1,
      ' virtual_ipaddress {\n 192.0.2.1/0\n 192.0.2.2/32\n 192.0.2.3/33\n 192.0.2.4/x\n 192.0.2.5/24 label abcdefghijklmno\n 192.0.2.6/24 label abcdefghijklmnop\n }',
    ) + instance('B', 2, ' virtual_ipaddress {\n 2001:db8::1/128\n 2001:db8::2/129\n 2001:db8::3/64 label foo\n }'),
  );
  const [a, b] = config.vrrpInstances;
  assert.deepEqual(
    a?.virtualIpaddress.map((v) => `${v.address}/${v.prefixLength}${v.label ? ` ${v.label}` : ''}`),
    ['192.0.2.1/0', '192.0.2.2/32', '192.0.2.3/32', '192.0.2.4/32', '192.0.2.5/24 abcdefghijklmno'],
  );
  assert.deepEqual(
    b?.virtualIpaddress.map((v) => `${v.address}/${v.prefixLength}${v.label ? ` ${v.label}` : ''}`),
    ['2001:db8::1/128', '2001:db8::2/128', '2001:db8::3/64'],
  );
  assert.deepEqual(diags, [
    '7: Invalid address prefix len 33 for address 192.0.2.3/33 - using 32 !',
    '8: Invalid address prefix len x for address 192.0.2.4/x - using 32 !',
    '10: Address label abcdefghijklmnop is longer than maximum length 15 - removing address !',
    '18: Invalid address prefix len 129 for address 2001:db8::2/129 - using 128 !',
    '19: Cannot specify label for IPv6 addresses (2001:db8::3/64) - ignoring label !',
  ]);
});

test('nopreempt and preempt_delay against state MASTER, the address owner, strict mode and each other, in keepalived order', () => {
  const { config, diags } = load(
    instance('A', 1, ' state MASTER\n priority 200\n nopreempt\n preempt_delay 10') +
      instance('B', 2, ' priority 255\n nopreempt') +
      instance('C', 3, ' priority 100\n strict_mode\n preempt_delay 10') +
      instance('D', 4, ' priority 100\n nopreempt\n preempt_delay 10') +
      instance('E', 5, ' state MASTER\n priority 100\n preempt_delay 5') +
      instance('F', 6, ' priority 100\n preempt_delay 2.5') +
      instance('G', 7, ' priority 100\n preempt_delay 0\n nopreempt'),
  );
  assert.deepEqual(
    config.vrrpInstances.map((v) => `${v.name} ${v.state} ${v.priority} ${v.nopreempt} ${v.preemptDelayMs}`),
    [
      'A MASTER 200 false 0',
      'B MASTER 255 false 0',
      'C BACKUP 100 false 0',
      'D BACKUP 100 true 0',
      'E MASTER 100 false 0',
      'F BACKUP 100 false 2500',
      'G BACKUP 100 true 0',
    ],
  );
  assert.deepEqual(diags, [
    '1: (A) Warning - nopreempt will not work with initial state MASTER - clearing !',
    '1: (A) Warning - preempt delay will not work with initial state MASTER - clearing !',
    '9: (B) nopreempt is incompatible with priority 255. resetting nopreempt !',
    '15: (C) preempt_delay is incompatible with strict mode - resetting !',
    '22: (D) preempt_delay is incompatible with nopreempt mode - resetting !',
    '29: (E) Warning - preempt delay will not work with initial state MASTER - clearing !',
  ]);
});

test('strict mode overrides: state follows ownership, no auth, accept off below 255, garp/advert settings forced', () => {
  const over =
    ' garp_lower_prio_delay 3\n garp_lower_prio_repeat 4\n down_timer_adverts 5\n lower_prio_no_advert false\n higher_prio_send_advert true';
  const { config } = load(
    instance('S', 1, ` strict_mode\n state MASTER\n priority 100\n${over}`) +
      instance('O', 2, ` strict_mode\n state BACKUP\n priority 255`) +
      instance('N', 3, ` state MASTER\n priority 100\n${over}`),
  );
  const [s, o, n] = config.vrrpInstances;
  const view = (v: typeof s) =>
    [v?.state, v?.accept, v?.garpLowerPrioDelayMs, v?.garpLowerPrioRepeat, v?.downTimerAdverts, v?.lowerPrioNoAdvert, v?.higherPrioSendAdvert].join(
      ' ',
    );
  assert.equal(view(s), 'BACKUP false 0 0 3 true false', 'strict: MASTER without ownership is BACKUP');
  assert.equal(view(o), 'MASTER true 0 0 3 true false', 'strict: the owner is MASTER and accepts');
  assert.equal(view(n), 'MASTER true 3000 4 5 false true', 'not strict: as configured');
});

test('include globs: `*` and `?` never match a leading dot, `.*` does; brace alternatives; no match is a warning', () => {
  const files = {
    '/k/conf.d/a.conf': 'router_id A\n',
    '/k/conf.d/.hidden.conf': 'router_id HIDDEN\n',
    '/k/conf.d/b.conf': 'router_id B\n',
  };
  const ids = (text: string) => {
    const r = loadConfig('/k/k.conf', { fs: memFs({ '/k/k.conf': `global_defs {\n${text}\n}\n`, ...files }) });
    return [r.config.globalDefs.routerId, r.diagnostics.map(formatDiagnostic)];
  };
  assert.deepEqual(ids('include conf.d/*.conf'), ['B', []]);
  assert.deepEqual(ids('include conf.d/.*.conf'), ['HIDDEN', []]);
  assert.deepEqual(ids('include conf.d/?hidden.conf'), [undefined, ["/k/k.conf:2:1: warning: include 'conf.d/?hidden.conf': no such file"]]);
  assert.deepEqual(ids('include conf.d/[.]hidden.conf'), [undefined, ["/k/k.conf:2:1: warning: include 'conf.d/[.]hidden.conf': no such file"]]);
  assert.deepEqual(ids('include conf.d/{b,a}.conf'), ['A', []]);
  assert.deepEqual(ids('include /k/conf.d/[ab].conf'), ['B', []]);
});

test('@id matches the whole config id only: neither a prefix of it nor a longer id; @^id is the reverse', () => {
  const text =
    '@lb router_id PREFIX\n@lb10 router_id LONGER\n@LB1 router_id CASE\n@lb1 router_id EXACT\n@^lb router_id NOT_PREFIX\n@^lb1 router_id NOT_EXACT\n';
  const { tree, diagnostics } = parseConfigTree(text, 'k.conf', { configId: 'lb1' });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    tree.map((n) => n.args[0]?.text),
    ['EXACT', 'NOT_PREFIX'],
  );
  assert.deepEqual(
    parseConfigTree(text, 'k.conf', { configId: 'lb' }).tree.map((n) => n.args[0]?.text),
    ['PREFIX', 'NOT_EXACT'],
  );
});

test('a trailing `\\` on the last line without a newline: a definition ends there, a plain line keeps it as a word; nothing throws', () => {
  const def = load('include /k/defs.conf\nglobal_defs {\n$ID\n}\n', { '/k/defs.conf': '$ID=router_id FROM_DEF \\' });
  assert.equal(def.config.globalDefs.routerId, 'FROM_DEF');
  assert.deepEqual(def.diags, []);
  const plain = parseConfigTree('global_defs {\n router_id X\n}\nvrrp_instance A \\', 'k.conf');
  assert.deepEqual(
    plain.tree.map((n) => [n.keyword.text, ...n.args.map((a) => a.text)].join(' ')),
    ['global_defs', 'vrrp_instance A \\'],
  );
  for (const tail of ['\\', ' \\', '$X=\\', '$X=a \\\\', '@lb1 \\', '~SEQ(i, 1, 2) \\'])
    assert.doesNotThrow(() => parseConfigTree(`a 1\n${tail}`, 'k.conf', { configId: 'lb1' }), tail);
});

test('auth fix-ups and bad VIP lines, as `keepalived -t` 2.2.7 reports them: v3 drops auth, PASS needs a password, AH clears state MASTER; an invalid IP or an option without its value drops the address', () => {
  const vip = (a: string) => ` virtual_ipaddress {\n  ${a}\n }`;
  const { config, diags } = load(
    instance('A', 1, ` version 3\n priority 100\n authentication {\n  auth_type PASS\n  auth_pass secret\n }\n${vip('192.0.2.1/24')}`) +
      instance('B', 2, ` priority 100\n authentication {\n  auth_type PASS\n }\n${vip('192.0.2.2/24')}`) +
      instance('C', 3, ` state MASTER\n priority 100\n authentication {\n  auth_type AH\n  auth_pass secret\n }\n${vip('192.0.2.3/24')}`) +
      instance(
        'D',
        4,
        ` priority 100\n${vip('192.0.2.300/24\n  192.0.2.41/24x\n  192.0.2.42/x24\n  192.0.2.43/24 label\n  192.0.2.44/24 dev\n  192.0.2.45/24')}`,
      ),
  );
  assert.deepEqual(
    config.vrrpInstances.map(
      (v) => `${v.name} ${v.state} ${v.authentication?.type ?? '-'} ${v.virtualIpaddress.map((a) => `${a.address}/${a.prefixLength}`).join(',')}`,
    ),
    ['A BACKUP - 192.0.2.1/24', 'B BACKUP - 192.0.2.2/24', 'C BACKUP AH 192.0.2.3/24', 'D BACKUP - 192.0.2.41/32,192.0.2.42/32,192.0.2.45/24'],
  );
  // keepalived also prints `invalid number '24x'` before each prefix line (its read_unsigned); the rest is its text
  assert.deepEqual(diags, [
    '1: (A) VRRP version 3 does not support authentication. Ignoring. !',
    '14: (B) Authentication specified but no password given. Ignoring !',
    '25: (C) Initial state master is incompatible with AH authentication - clearing !',
    '43: VRRP parsed invalid IP 192.0.2.300/24. skipping IP... !',
    '44: Invalid address prefix len 24x for address 192.0.2.41/24x - using 32 !',
    '45: Invalid address prefix len x24 for address 192.0.2.42/x24 - using 32 !',
    '46: No label parameter specified for 192.0.2.43/24 !',
    '47: No dev parameter specified for 192.0.2.44/24 !',
  ]);
});

test('instance settings over their globals: garp_master_delay and garp_extra_if per instance or from vrrp_garp_*; dont_track_primary off unless set; vmac_xmit_base only when given; -nodad per address', () => {
  const { config, diags } = load(
    'global_defs {\n vrrp_garp_master_delay 7\n vrrp_garp_extra_if 30\n}\n' +
      instance('A', 1, ' priority 100\n use_vmac\n virtual_ipaddress {\n  192.0.2.1/24\n  192.0.2.9/24 -nodad\n }') +
      instance(
        'B',
        2,
        ' priority 100\n dont_track_primary\n garp_master_delay 2\n garp_extra_if 10\n use_vmac\n vmac_xmit_base\n virtual_ipaddress {\n  192.0.2.2/24\n }',
      ),
  );
  assert.deepEqual(diags, []);
  assert.deepEqual(
    config.vrrpInstances.map(
      (v) =>
        `${v.name} ${v.dontTrackPrimary} ${v.garpMasterDelayMs} ${v.garpExtraIf?.intervalMs} ${v.useVmac?.xmitBase ?? false} ${v.virtualIpaddress.map((a) => a.noDad).join(',')}`,
    ),
    ['A false 7000 30000 false false,true', 'B true 2000 10000 true false'],
  );
  const none = load(instance('N', 3, ' priority 100\n virtual_ipaddress {\n  192.0.2.3/24\n }')).config.vrrpInstances[0];
  assert.deepEqual([none?.garpExtraIf, none?.useVmac, none?.garpMasterDelayMs], [undefined, undefined, 5000]);
});

test('AH keeps state BACKUP and the owner as MASTER without a word (keepalived -t 2.2.7 exits 0)', () => {
  const ah = ' authentication {\n  auth_type AH\n  auth_pass secret\n }';
  const { config, diags } = load(instance('E', 5, ` state BACKUP\n priority 100\n${ah}`) + instance('F', 6, ` state MASTER\n priority 255\n${ah}`));
  assert.deepEqual(diags, []);
  assert.deepEqual(
    config.vrrpInstances.map((v) => `${v.name} ${v.state} ${v.authentication?.type}`),
    ['E BACKUP AH', 'F MASTER AH'],
  );
});

test('an `@id` or `@^id` with nothing after it is no line at all, whichever the config id', () => {
  for (const configId of ['lb1', 'lb2'])
    assert.deepEqual(
      parseConfigTree('@lb1\n@^lb1\n@^lb2\nrouter_id X\n', 'k.conf', { configId }).tree.map((n) => n.keyword.text),
      ['router_id'],
      configId,
    );
});

test('a unicast instance without interface (vrf) drops each VIP and eVIP without `dev`, as keepalived vrrp_complete_instance; with an interface or multicast they stay', () => {
  const vips =
    ' virtual_ipaddress {\n  192.0.2.10/24\n  192.0.2.11/24 dev eth1\n }\n virtual_ipaddress_excluded {\n  192.0.2.12/24 dev eth1\n  192.0.2.13/24\n }';
  const { config, diags } = load(
    `vrrp_instance U {\n virtual_router_id 1\n priority 100\n vrf red\n unicast_peer {\n  192.0.2.2\n }\n${vips}\n}\n` +
      instance('I', 2, ` priority 100\n unicast_peer {\n  192.0.2.2\n }\n${vips}`) +
      `vrrp_instance M {\n virtual_router_id 3\n priority 100\n${vips}\n}\n`,
  );
  assert.deepEqual(
    config.vrrpInstances.map(
      (v) =>
        `${v.name} ${v.virtualIpaddress.map((a) => `${a.address}@${a.dev ?? '-'}`).join(',')} ${v.virtualIpaddressExcluded.map((a) => `${a.address}@${a.dev ?? '-'}`).join(',')}`,
    ),
    [
      'U 192.0.2.11@eth1 192.0.2.12@eth1',
      'I 192.0.2.10@-,192.0.2.11@eth1 192.0.2.12@eth1,192.0.2.13@-',
      'M 192.0.2.10@-,192.0.2.11@eth1 192.0.2.12@eth1,192.0.2.13@-',
    ],
  );
  assert.deepEqual(diags, ['9: (U): no interface for vip 192.0.2.10 - removing !', '14: (U): no interface for evip 192.0.2.13 - removing !']);
});

test('VIP options as keepalived alloc_ipaddress reads them: brd/broadcast, dev, scope, peer, use_vmac kept; preferred_lft takes its value; flags accepted; an unknown word is a config error, the address stays', () => {
  const { config, diags } = load(
    instance(
      'A',
      1,
      ' priority 100\n virtual_ipaddress {\n  192.0.2.1/24 brd 192.0.2.255 scope link preferred_lft 0 no_track use_vmac home bogus\n  192.0.2.2/24 broadcast 192.0.2.127 dev eth1 mngtmpaddr noprefixroute autojoin -nodad\n  192.0.2.3 peer 192.0.2.9\n }',
    ),
  );
  assert.deepEqual(
    config.vrrpInstances[0]?.virtualIpaddress.map(({ pos: _, ...v }) => v),
    [
      { address: '192.0.2.1', family: 4, prefixLength: 24, noDad: false, broadcast: '192.0.2.255', scope: 'link', useVmac: true },
      { address: '192.0.2.2', family: 4, prefixLength: 24, noDad: true, broadcast: '192.0.2.127', dev: 'eth1' },
      { address: '192.0.2.3', family: 4, prefixLength: 32, noDad: false, peer: '192.0.2.9' },
    ],
  );
  assert.deepEqual(diags, ["6: Unknown configuration entry 'bogus' for ip address - ignoring !"]);
});

test('instance settings fall back to their vrrp_* globals (skip_check_adv_addr, garp_master_repeat/refresh/refresh_repeat, lower_prio_no_advert, higher_prio_send_advert), else to the defaults; an instance without VIPs is IPv4', () => {
  const globals =
    'global_defs {\n vrrp_skip_check_adv_addr\n vrrp_garp_master_repeat 3\n vrrp_garp_master_refresh 60\n vrrp_garp_master_refresh_repeat 2\n vrrp_lower_prio_no_advert\n vrrp_higher_prio_send_advert\n}\n';
  const own =
    ' skip_check_adv_addr false\n garp_master_repeat 1\n garp_master_refresh 0\n garp_master_refresh_repeat 1\n lower_prio_no_advert false\n higher_prio_send_advert false';
  const view = (text: string) => {
    const { config, diags } = load(text);
    assert.deepEqual(diags, []);
    return config.vrrpInstances.map((v) =>
      [
        v.name,
        v.family,
        v.skipCheckAdvAddr,
        v.garpMasterRepeat,
        v.garpMasterRefreshMs,
        v.garpMasterRefreshRepeat,
        v.lowerPrioNoAdvert,
        v.higherPrioSendAdvert,
      ].join(' '),
    );
  };
  assert.deepEqual(
    view(globals + instance('A', 1, ' priority 100\n virtual_ipaddress {\n  192.0.2.1/24\n }') + instance('B', 2, ` priority 100\n${own}`)),
    ['A 4 true 3 60000 2 true true', 'B 4 false 1 0 1 false false'],
  );
  assert.deepEqual(view(instance('C', 3, ' priority 100\n lower_prio_no_advert\n higher_prio_send_advert') + instance('D', 4, ' priority 100')), [
    'C 4 false 5 0 1 true true',
    'D 4 false 5 0 1 false false',
  ]);
});
