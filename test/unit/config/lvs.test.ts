import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { formatDiagnostic, loadConfig } from '../../../src/config/index.js';
import type { CheckerConfig, RealServerConfig, VirtualServerConfig } from '../../../src/config/model-lvs.js';

const seeds = new URL('../../../../test/fixtures/seed-configs/', import.meta.url).pathname;
const samples = '/usr/share/doc/keepalived/samples/';

/** Loads configuration text as file `lvs.conf`. */
function model(text: string) {
  const fs = { readFile: (p: string) => (p === 'lvs.conf' ? text : undefined), listDir: () => [] };
  const r = loadConfig('lvs.conf', { fs, configId: 'x' });
  return { ...r, msgs: r.diagnostics.map(formatDiagnostic), errors: r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic) };
}

const vsAt = (vs: readonly VirtualServerConfig[], i: number): VirtualServerConfig => {
  const v = vs[i];
  assert.ok(v, `virtual server ${i} missing`);
  return v;
};
const rsAt = (vs: VirtualServerConfig, i: number): RealServerConfig => {
  const r = vs.realServers[i];
  assert.ok(r, `real server ${i} missing`);
  return r;
};
function checker<T extends CheckerConfig['type']>(rs: RealServerConfig, type: T, i = 0): CheckerConfig & { type: T } {
  const c = rs.checkers.filter((x) => x.type === type)[i];
  assert.ok(c, `${type} #${i} missing`);
  return c as CheckerConfig & { type: T };
}

test('lvs-tun-dr01-master.conf / dr02-backup.conf: virtual server, real servers and TCP_CHECK values', () => {
  for (const f of ['lvs-tun-dr01-master.conf', 'lvs-tun-dr02-backup.conf']) {
    const r = loadConfig(seeds + f, { configId: 'x' });
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), [], f);
    // the checker child runs it: no word about the load balancer at all
    assert.deepEqual(r.diagnostics.filter((d) => /virtual|real_server|checker/i.test(d.message)).map(formatDiagnostic), [], f);
    assert.deepEqual(r.config.unparsed, []);
    assert.equal(r.config.virtualServers.length, 1);
    const vs = vsAt(r.config.virtualServers, 0);
    assert.deepEqual(vs.service, { kind: 'address', address: '192.168.43.166', port: 80 });
    assert.equal(vs.pos.line, 31);
    assert.equal(vs.family, 4);
    assert.equal(vs.delayLoopMs, 6000);
    assert.equal(vs.scheduler, 'wrr');
    assert.deepEqual(vs.forwarding, { method: 'TUN', tunnelType: 'ipip', tunnelChecksum: 'nocsum' });
    assert.equal(vs.protocol, 'TCP');
    assert.equal(vs.persistenceTimeoutMs, 0);
    assert.deepEqual([vs.quorum, vs.hysteresis, vs.flags, vs.alpha, vs.omega, vs.haSuspend, vs.smtpAlert], [1, 0, 0, false, false, false, false]);
    assert.equal(vs.sorryServer, undefined);
    assert.deepEqual(
      vs.realServers.map((rs) => [rs.address, rs.port, rs.weight, rs.forwarding.method, rs.pos.line]),
      [
        ['192.168.43.92', 80, 1, 'TUN', 37],
        ['192.168.43.93', 80, 1, 'TUN', 45],
      ],
    );
    for (const rs of vs.realServers) {
      assert.equal(rs.checkers.length, 1);
      assert.deepEqual(checker(rs, 'TCP_CHECK'), {
        type: 'TCP_CHECK',
        pos: rs.checkers[0]!.pos,
        connection: { connectIp: rs.address, connectPort: 80, connectTimeoutMs: 3000 },
        retry: 1,
        delayBeforeRetryMs: 3000,
        warmupMs: 6000,
        delayLoopMs: 6000,
        alpha: false,
        logAllFailures: false,
      });
      assert.equal(rs.checkers[0]!.pos.line, rs.pos.line + 2);
    }
  }
});

test('Debian samples with virtual_server blocks parse without errors', (t) => {
  if (!existsSync(samples)) {
    t.skip(`${samples} is missing (Debian keepalived package not installed)`);
    return;
  }
  const read = (f: string): string =>
    f.endsWith('.gz') ? gunzipSync(readFileSync(samples + f)).toString('utf8') : readFileSync(samples + f, 'utf8');
  const files = readdirSync(samples)
    .filter((f) => /^keepalived\.conf\./.test(f))
    .filter((f) => /^\s*virtual_server\b/m.test(read(f)));
  assert.ok(files.length >= 10, `only ${files.length} samples with virtual_server`);
  const byFile = new Map<string, ReturnType<typeof model>>();
  for (const f of files) {
    const r = model(read(f));
    assert.deepEqual(r.errors, [], f);
    assert.ok(r.config.virtualServers.length > 0, f);
    assert.ok(!r.config.unparsed.some((n) => n.keyword.text.startsWith('virtual_server')), f);
    byFile.set(f.replace(/\.gz$/, ''), r);
  }
  const get = (f: string) => {
    const r = byFile.get(f);
    assert.ok(r, f);
    return r;
  };
  // virtual_server_group: ranges and fwmarks, the group VS takes its family from the group
  const g = get('keepalived.conf.virtual_server_group');
  assert.deepEqual(
    g.config.virtualServerGroups[0]?.entries.map((e) => (e.kind === 'range' ? [e.start, e.end, e.port] : [e.fwmark])),
    [
      ['10.0.0.1', '10.0.0.1', 8080],
      ['10.0.0.2', '10.0.0.2', 80],
      ['192.168.200.1', '192.168.200.1', 1358],
      ['192.168.200.3', '192.168.200.10', 80],
      [1],
      [2],
    ],
  );
  const gvs = vsAt(g.config.virtualServers, 0);
  assert.deepEqual([gvs.service, gvs.family, gvs.persistenceTimeoutMs], [{ kind: 'group', group: 'VSG_1' }, 4, 50_000]);
  assert.deepEqual(
    checker(rsAt(gvs, 0), 'HTTP_GET').urls.map((u) => [u.path, u.digest]),
    [['/testurl3/test.jsp', '640205b7b0fc66c1ea91c463fac6334d']],
  );
  // SMTP_CHECK: every host block is a checker of its own; the checker's own connection (the real server) stays
  // because connect_timeout is set on it (keepalived drops it only when none of its connection keywords is used)
  const s = vsAt(get('keepalived.conf.SMTP_CHECK').config.virtualServers, 0);
  assert.deepEqual(
    s.realServers.map((rs) =>
      rs.checkers.map(
        (c) => c.type === 'SMTP_CHECK' && [c.connection.connectIp, c.connection.connectPort, c.connection.bindto, c.connection.connectTimeoutMs],
      ),
    ),
    [
      [['172.16.1.10', 25, undefined, 30_000]],
      [
        ['172.16.1.11', 25, undefined, 10_000],
        ['172.16.1.11', 25, undefined, 5000],
        ['192.168.155.10', 25, undefined, 5000],
        ['64.233.167.99', 25, undefined, 5000],
      ],
      [
        ['172.16.1.12', 25, undefined, 10_000],
        ['172.16.1.12', 25, '172.16.1.2', 5000],
        ['192.168.155.11', 25, '192.168.155.2', 5000],
        ['64.233.167.100', 587, undefined, 5000],
      ],
    ],
  );
  const smtp = checker(rsAt(s, 1), 'SMTP_CHECK', 2);
  assert.deepEqual([smtp.retry, smtp.delayBeforeRetryMs, smtp.heloName], [2, 5000, 'foo.bar.com']);
  // status_code ranges are merged and sorted
  const sc = checker(rsAt(vsAt(get('keepalived.conf.status_code').config.virtualServers, 0), 0), 'SSL_GET');
  assert.deepEqual(
    sc.urls.map((u) => u.statusCodes),
    [
      [
        [200, 299],
        [400, 499],
        [503, 503],
        [505, 505],
      ],
      [[200, 200]],
    ],
  );
  // misc_path keeps the quoted command line whole
  const misc = checker(rsAt(vsAt(get('keepalived.conf.misc_check_arg').config.virtualServers, 0), 0), 'MISC_CHECK');
  assert.deepEqual([misc.script.command, misc.retry, misc.timeoutMs], ['/usr/local/bin/script.sh arg1 arg2', 0, 6000]);
  // fwmark: protocol ignored with keepalived's warning, NAT real servers without port keep port 0
  const fw = get('keepalived.conf.fwmark');
  const fvs = vsAt(fw.config.virtualServers, 0);
  assert.deepEqual(
    [fvs.service, fvs.protocol, rsAt(fvs, 0).port, checker(rsAt(fvs, 0), 'TCP_CHECK').connection.connectPort],
    [{ kind: 'fwmark', fwmark: 1 }, undefined, 0, 80],
  );
  assert.ok(
    fw.msgs.includes('lvs.conf:7:1: warning: Warning: Virtual server FWM 1: protocol specified for fwmark - protocol will be ignored'),
    fw.msgs.join('\n'),
  );
  // quorum sample: alpha/omega/quorum/hysteresis and quorum scripts
  const q = vsAt(get('keepalived.conf.quorum').config.virtualServers, 0);
  assert.deepEqual(
    [q.alpha, q.omega, q.quorum, q.hysteresis, q.quorumUp?.command, q.quorumDown?.command, rsAt(q, 0).alpha, checker(rsAt(q, 0), 'TCP_CHECK').alpha],
    [true, true, 7, 2, '/usr/local/sbin/quorum-up.sh', '/usr/local/sbin/quorum-down.sh', true, true],
  );
  const ping = checker(rsAt(vsAt(get('keepalived.conf.PING_CHECK').config.virtualServers, 0), 0), 'PING_CHECK');
  assert.deepEqual([ping.retry, ping.connection.connectIp], [4, '192.168.200.6']);
});

const ALL_CHECKERS = `track_file TF { file /run/tf }
bfd_instance B1 { neighbor_ip 192.0.2.200 }
virtual_server 192.0.2.1 80 {
  protocol TCP
  lb_algo rr
  real_server 192.0.2.10 80 {
    TCP_CHECK { }
    HTTP_GET { url { path / } }
    SSL_GET { url { path /s } }
    MISC_CHECK { misc_path /bin/true }
    SMTP_CHECK { }
    DNS_CHECK { }
    UDP_CHECK { }
    PING_CHECK { }
    FILE_CHECK { track_file TF }
    BFD_CHECK { name B1 }
  }
}
`;

test('checker defaults: per-checker retry and delay_before_retry, keepalived 60 s delay loop, 5 s connect timeout', () => {
  const r = model(ALL_CHECKERS);
  assert.deepEqual(r.errors, []);
  const vs = vsAt(r.config.virtualServers, 0);
  assert.deepEqual([vs.delayLoopMs, vs.connectTimeoutMs, vs.weight, vs.scheduler, vs.forwarding], [60_000, 5000, 1, 'rr', { method: 'NAT' }]);
  assert.ok(
    r.msgs.includes('lvs.conf:3:1: warning: Virtual server [192.0.2.1]:tcp:80: no forwarding method set, setting default NAT'),
    r.msgs.join('\n'),
  );
  const rs = rsAt(vs, 0);
  assert.deepEqual([rs.weight, rs.inhibitOnFailure, rs.smtpAlert, rs.uthreshold, rs.lthreshold], [1, false, true, 0, 0]);
  const timing = (c: CheckerConfig) => ('retry' in c ? [c.type, c.retry, c.delayBeforeRetryMs, c.warmupMs, c.delayLoopMs, c.alpha] : [c.type]);
  assert.deepEqual(rs.checkers.map(timing), [
    ['TCP_CHECK', 1, 1000, 60_000, 60_000, false],
    ['HTTP_GET', 1, 3000, 60_000, 60_000, false],
    ['SSL_GET', 1, 3000, 60_000, 60_000, false],
    ['MISC_CHECK', 0, 1000, 60_000, 60_000, false],
    ['SMTP_CHECK', 1, 1000, 60_000, 60_000, false],
    ['DNS_CHECK', 3, 60_000, 60_000, 60_000, false],
    ['UDP_CHECK', 1, 1000, 60_000, 60_000, false],
    ['PING_CHECK', 1, 1000, 60_000, 60_000, false],
    ['FILE_CHECK'],
    ['BFD_CHECK'],
  ]);
  for (const c of rs.checkers) {
    if ('connection' in c) assert.deepEqual(c.connection, { connectIp: '192.0.2.10', connectPort: 80, connectTimeoutMs: 5000 }, c.type);
  }
  const http = checker(rs, 'HTTP_GET');
  assert.deepEqual(
    [http.httpProtocol, http.enableSni, http.fastRecovery, http.urls[0]?.statusCodes, http.urls[0]?.virtualhost],
    ['1.0', false, false, [[200, 299]], undefined],
  );
  assert.equal(checker(rs, 'MISC_CHECK').timeoutMs, 60_000);
  assert.equal(checker(rs, 'SMTP_CHECK').heloName, 'smtpchecker.keepalived.org');
  assert.deepEqual([checker(rs, 'DNS_CHECK').queryType, checker(rs, 'DNS_CHECK').name], ['SOA', '']);
  const udp = checker(rs, 'UDP_CHECK');
  assert.deepEqual([udp.payload, udp.requireReply, udp.minReplyLength, udp.maxReplyLength], [undefined, false, 0, 255]);
  assert.deepEqual(checker(rs, 'FILE_CHECK'), { type: 'FILE_CHECK', pos: checker(rs, 'FILE_CHECK').pos, trackFile: 'TF', reverse: false });
  assert.deepEqual([checker(rs, 'BFD_CHECK').name, checker(rs, 'BFD_CHECK').alpha], ['B1', false]);
});

test('inherited settings: checker over real server over virtual server', () => {
  const r = model(`virtual_server 192.0.2.1 80 {
  protocol TCP
  lb_algo wlc
  lb_kind DR
  delay_loop 10
  connect_timeout 2.5
  retry 4
  delay_before_retry 7
  warmup 1
  weight 3
  alpha
  inhibit_on_failure
  virtualhost vs.example
  real_server 192.0.2.10 80 {
    HTTP_GET { url { path / } }
  }
  real_server 192.0.2.11 80 {
    delay_loop 20
    connect_timeout 4
    retry 5
    delay_before_retry 8
    warmup 2
    weight 0
    alpha off
    inhibit_on_failure no
    virtualhost rs.example
    HTTP_GET { virtualhost chk.example url { path / } url { path /u virtualhost url.example } }
    TCP_CHECK { delay_loop 30 connect_timeout 0.5 retry 0 delay_before_retry 9 warmup 0 alpha }
  }
}
`);
  assert.deepEqual(r.errors, []);
  const vs = vsAt(r.config.virtualServers, 0);
  const [a, b] = [rsAt(vs, 0), rsAt(vs, 1)];
  assert.deepEqual([a.weight, a.alpha, a.inhibitOnFailure, a.delayLoopMs, a.connectTimeoutMs], [3, true, true, 10_000, 2500]);
  assert.deepEqual([b.weight, b.alpha, b.inhibitOnFailure, b.delayLoopMs, b.connectTimeoutMs], [0, false, false, 20_000, 4000]);
  const ha = checker(a, 'HTTP_GET');
  assert.deepEqual(
    [ha.retry, ha.delayBeforeRetryMs, ha.warmupMs, ha.delayLoopMs, ha.alpha, ha.connection.connectTimeoutMs, ha.urls[0]?.virtualhost],
    [4, 7000, 1000, 10_000, true, 2500, 'vs.example'],
  );
  const hb = checker(b, 'HTTP_GET');
  assert.deepEqual(
    [hb.retry, hb.delayBeforeRetryMs, hb.warmupMs, hb.delayLoopMs, hb.alpha, hb.connection.connectTimeoutMs, hb.virtualhost],
    [5, 8000, 2000, 20_000, false, 4000, 'chk.example'],
  );
  assert.deepEqual(
    hb.urls.map((u) => u.virtualhost),
    ['chk.example', 'url.example'],
  );
  const tb = checker(b, 'TCP_CHECK');
  assert.deepEqual(
    [tb.retry, tb.delayBeforeRetryMs, tb.warmupMs, tb.delayLoopMs, tb.alpha, tb.connection.connectTimeoutMs],
    [0, 9000, 0, 30_000, true, 500],
  );
  // a virtual server's quorum is capped at the sum of its real servers' weights
  assert.equal(vs.quorum, 1);
});

test('every checker type: keyword values', () => {
  const r = model(`track_file TF { file /run/tf weight 2 }
bfd_instance B1 { neighbor_ip 192.0.2.200 }
virtual_server 192.0.2.1 53 {
  protocol UDP
  lb_algo rr
  lb_kind NAT
  real_server 192.0.2.10 53 {
    HTTP_GET {
      connect_ip 192.0.2.20
      connect_port 8080
      bindto 192.0.2.1
      bind_port 5000
      bind_if eth0
      fwmark 9
      http_protocol 1.0c
      enable_sni
      fast_recovery yes
      log_all_failures
      url {
        path /health
        digest 9B3A0C85A887A256D6939DA88AABD8CD
        status_code 301 200-204 205
        regex "^ok$"
        regex_options caseless multiline
        regex_min_offset 2
        regex_max_offset 10
      }
    }
    MISC_CHECK {
      misc_path "/usr/bin/check --x 1"
      misc_timeout 7
      misc_dynamic
      user nobody nogroup
    }
    SMTP_CHECK { helo_name mx.example connect_port 2525 }
    DNS_CHECK { type aaaa name example.org }
    UDP_CHECK {
      payload 01 ab c
      require_reply 0a xX 1
      min_reply_length 2
      max_reply_length 100
    }
    FILE_CHECK { track_file TF weight -3 reverse }
    BFD_CHECK {
      name B1
      alpha
    }
  }
}
`);
  assert.deepEqual(r.errors, []);
  const rs = rsAt(vsAt(r.config.virtualServers, 0), 0);
  const http = checker(rs, 'HTTP_GET');
  assert.deepEqual(http.connection, {
    connectIp: '192.0.2.20',
    connectPort: 8080,
    bindto: '192.0.2.1',
    bindPort: 5000,
    bindIf: 'eth0',
    fwmark: 9,
    connectTimeoutMs: 5000,
  });
  assert.deepEqual([http.httpProtocol, http.enableSni, http.fastRecovery, http.logAllFailures], ['1.0C', true, true, true]);
  assert.deepEqual(http.urls[0], {
    path: '/health',
    digest: '9b3a0c85a887a256d6939da88aabd8cd',
    statusCodes: [
      [200, 205],
      [301, 301],
    ],
    regex: '^ok$',
    regexNoMatch: false,
    regexOptions: ['caseless', 'multiline'],
    regexMinOffset: 2,
    regexMaxOffset: 11,
  });
  const misc = checker(rs, 'MISC_CHECK');
  assert.deepEqual(
    [misc.script.command, misc.script.user, misc.script.group, misc.timeoutMs, misc.dynamic],
    ['/usr/bin/check --x 1', 'nobody', 'nogroup', 7000, true],
  );
  const smtp = checker(rs, 'SMTP_CHECK');
  assert.deepEqual([smtp.heloName, smtp.connection.connectIp, smtp.connection.connectPort], ['mx.example', '192.0.2.10', 2525]);
  assert.deepEqual([checker(rs, 'DNS_CHECK').queryType, checker(rs, 'DNS_CHECK').name], ['AAAA', 'example.org']);
  const udp = checker(rs, 'UDP_CHECK');
  assert.deepEqual(
    [udp.payload, udp.requireReply, udp.reply, udp.minReplyLength, udp.maxReplyLength],
    [[0x01, 0xab, 0x0c], true, { data: [0x0a, 0x00, 0x01], mask: [0x00, 0xff, 0x00] }, 2, 100],
  );
  const file = checker(rs, 'FILE_CHECK');
  assert.deepEqual([file.trackFile, file.weight, file.reverse], ['TF', -3, true]);
  assert.deepEqual([checker(rs, 'BFD_CHECK').name, checker(rs, 'BFD_CHECK').alpha], ['B1', true]);
});

test('virtual_server_group: address ranges, masks, IPv6, fwmarks, and keepalived range errors', () => {
  const r = model(`virtual_server_group G {
  192.0.2.1-10 80
  198.51.100.1-198.51.100.20 443
  203.0.113.16/28 8080
  192.0.2.100
  fwmark 5
  192.0.2.20-5 80
  192.0.2.1/24 80
  192.0.2.1-300 80
  192.0.2.9-192.0.2.1 80
  192.0.2.1 65536
}
virtual_server_group G6 {
  2001:db8::2-9 80
  2001:db8::1:0/112 80
  fwmark 6 inet6
}
virtual_server_group EMPTY {
}
virtual_server group G {
  protocol TCP
  lb_algo rr
  real_server 192.0.2.50 80 { }
}
virtual_server group G6 {
  persistence_timeout 60
  protocol TCP
  lb_algo rr
  real_server 2001:db8::50 80 { }
}
virtual_server group EMPTY {
  real_server 192.0.2.50 80 { }
}
`);
  const [g, g6] = r.config.virtualServerGroups;
  assert.equal(r.config.virtualServerGroups.length, 2);
  assert.deepEqual(
    g?.entries.map((e) => (e.kind === 'range' ? [e.family, e.start, e.end, e.port] : [e.fwmark, e.family])),
    [
      [4, '192.0.2.1', '192.0.2.10', 80],
      [4, '198.51.100.1', '198.51.100.20', 443],
      [4, '203.0.113.16', '203.0.113.31', 8080],
      [4, '192.0.2.100', '192.0.2.100', 0],
      [5, undefined],
    ],
  );
  assert.deepEqual(
    g6?.entries.map((e) => (e.kind === 'range' ? [e.family, e.start, e.end, e.port] : [e.fwmark, e.family])),
    [
      [6, '2001:db8::2', '2001:db8::9', 80],
      [6, '2001:db8::1:0', '2001:db8::1:ffff', 80],
      [6, 6],
    ],
  );
  assert.deepEqual(r.errors, [
    'lvs.conf:7:3: error: Address range end is not greater than address range start - 192.0.2.20-5 - skipping',
    'lvs.conf:8:3: error: Address mask bits not empty - 192.0.2.1/24 - skipping',
    "lvs.conf:9:3: error: Virtual server group range '192.0.2.1-300' end '300' too large",
    'lvs.conf:10:3: error: Address range end is less than address range start - 192.0.2.9-192.0.2.1 - skipping',
    'lvs.conf:11:13: error: Invalid virtual server group IP address/port 192.0.2.1/65536 - skipping',
    'lvs.conf:18:1: error: virtual server group EMPTY has no entries - removing',
    'lvs.conf:31:1: error: Virtual server group EMPTY specified but not configured - ignoring virtual server [EMPTY]:0',
  ]);
  const [v, v6] = r.config.virtualServers;
  assert.equal(r.config.virtualServers.length, 2);
  // a port-0 entry makes the service persistent, as keepalived does
  assert.deepEqual([v?.service, v?.family, v?.persistenceTimeoutMs], [{ kind: 'group', group: 'G' }, 4, 360_000]);
  assert.ok(
    r.msgs.includes('lvs.conf:20:1: warning: Virtual server [G]:0: zero port only valid for persistent services - setting'),
    r.msgs.join('\n'),
  );
  assert.deepEqual([v6?.family, v6?.persistenceTimeoutMs, v6?.realServers[0]?.address], [6, 60_000, '2001:db8::50']);
});

test('negative cases with exact positions: bad port, bad lb_kind, weight out of range, checker outside real_server', () => {
  const r = model(`virtual_server 192.0.2.1 99999 {
  real_server 192.0.2.2 80 { }
}
virtual_server 192.0.2.3 80 {
  protocol TCP
  lb_algo rr
  lb_kind BOGUS
  TCP_CHECK {
    connect_timeout 3
  }
  real_server 192.0.2.4 80 {
    weight 2147483648
    TCP_CHECK { connect_port 0 }
  }
  real_server 192.0.2.5 8x {
  }
  real_server 192.0.2.6 80 {
    HTTP_GET { url { path / } TCP_CHECK { } }
  }
  bogus_keyword 1
}
`);
  assert.deepEqual(r.errors, [
    'lvs.conf:1:26: error: Invalid virtual server IP address/port 192.0.2.1/99999 - skipping',
    'lvs.conf:7:11: error: PARSER : unknown [BOGUS] routing method for virtual server.',
    "lvs.conf:8:3: error: 'TCP_CHECK' is only valid inside a real_server block - ignored",
    'lvs.conf:12:12: error: Real server weight 2147483648 is outside range 0-2147483647',
    "lvs.conf:13:30: error: Invalid checker connect_port '0'",
    'lvs.conf:15:25: error: Invalid real server ip address/port 192.0.2.5/8x - skipping',
    "lvs.conf:18:31: error: 'TCP_CHECK' inside HTTP_GET - checkers belong directly in a real_server block",
  ]);
  assert.ok(r.msgs.includes("lvs.conf:20:3: warning: Unknown keyword 'bogus_keyword'"), r.msgs.join('\n'));
  const vs = vsAt(r.config.virtualServers, 0);
  assert.deepEqual(
    vs.realServers.map((x) => [x.address, x.weight, x.checkers.length]),
    [
      ['192.0.2.4', 1, 1],
      ['192.0.2.6', 1, 1],
    ],
  );
  assert.equal(checker(rsAt(vs, 0), 'TCP_CHECK').connection.connectPort, 80);
});

test("keepalived's post-parse fix-ups: protocol, scheduler, ports, quorum, duplicates, families", () => {
  const r = model(`virtual_server 192.0.2.1 80 {
  real_server 192.0.2.10 0 { }
  real_server 192.0.2.11 8080 {
    lvs_method DR
    TCP_CHECK { }
  }
  real_server 192.0.2.11 8080 { }
  real_server 2001:db8::1 80 { }
  real_server 2001:db8::2 80 {
    lvs_method TUN type gue port 6080 csum
  }
  quorum 50
  hysteresis 9
  ops
}
virtual_server fwmark 3 {
  lvs_method DR
  lb_algo mh
  mh-fallback
  sh-port
  ha_suspend
  sorry_server 192.0.2.99 8080
  sorry_server_inhibit
  real_server 192.0.2.20 443 { }
  real_server 192.0.2.21 { lvs_method NAT }
}
virtual_server 192.0.2.2 0 {
  protocol SCTP
  lb_algo sh
  real_server 192.0.2.30 9 { }
}
virtual_server 192.0.2.3 80 {
  protocol TCP
}
`);
  assert.deepEqual(r.errors, [
    "lvs.conf:8:3: error: Address family of virtual server and real server 2001:db8::1 don't match - skipping real server.",
    'lvs.conf:7:3: error: VS [192.0.2.1]:udp:80: real server [192.0.2.11]:udp:8080 is duplicated - removing second rs',
    'lvs.conf:32:1: error: Virtual server [192.0.2.3]:tcp:80 has no real servers - ignoring',
  ]);
  const w = (s: string): void => assert.ok(r.msgs.includes(`lvs.conf:${s}`), `${s}\n${r.msgs.join('\n')}`);
  w('1:1: warning: Virtual server [192.0.2.1]:none:80: no protocol set - defaulting to UDP');
  w("1:1: warning: Virtual server [192.0.2.1]:udp:80: no scheduler set, setting default 'wlc'");
  w('1:1: warning: Virtual server [192.0.2.1]:udp:80: no forwarding method set, setting default NAT');
  w('1:1: warning: Warning - quorum 50 for [192.0.2.1]:udp:80 exceeds total weight of real servers 3, reducing quorum to 3');
  w('1:1: warning: Virtual server [192.0.2.1]:udp:80: hysteresis 9 >= quorum 3; setting hysteresis to 2');
  w("3:3: warning: WARNING - virtual server [192.0.2.1]:udp:80 and real server [192.0.2.11]:udp:8080 ports don't match - resetting");
  w('16:1: warning: Virtual server FWM 3: cannot use ha_suspend with fwmarks - clearing ha_suspend');
  w('24:3: warning: WARNING - fwmark virtual server FWM 3, real server [192.0.2.20]:none:443 has port specified - clearing');
  w('22:3: warning: WARNING - virtual server FWM 3, sorry server has port specified - clearing');
  w('27:1: warning: Virtual server [192.0.2.2]:sctp:0: zero port only valid for persistent services - setting');
  assert.ok(!r.msgs.some((m) => m.includes('sh-port')), 'sh-port under mh is ignored silently, as keepalived does');
  const [a, b, c] = r.config.virtualServers;
  assert.equal(r.config.virtualServers.length, 3);
  assert.deepEqual([a?.protocol, a?.scheduler, a?.flags, a?.quorum, a?.hysteresis, a?.family], ['UDP', 'wlc', 0x4, 3, 2, 4]);
  assert.deepEqual(
    a?.realServers.map((x) => [x.address, x.port, x.forwarding]),
    [
      ['192.0.2.10', 80, { method: 'NAT' }],
      ['192.0.2.11', 80, { method: 'DR' }],
      ['2001:db8::2', 80, { method: 'TUN', tunnelType: 'gue', tunnelPort: 6080, tunnelChecksum: 'csum' }],
    ],
  );
  // the checker keeps the port written on its real server, like keepalived
  assert.equal(checker(rsAt(a!, 1), 'TCP_CHECK').connection.connectPort, 8080);
  assert.deepEqual(
    [b?.protocol, b?.flags, b?.haSuspend, b?.sorryServer?.port, b?.sorryServer?.inhibit, b?.sorryServer?.forwarding.method],
    [undefined, 0x8, false, 0, true, 'DR'],
  );
  assert.deepEqual(
    b?.realServers.map((x) => [x.port, x.forwarding.method]),
    [
      [0, 'DR'],
      [0, 'NAT'],
    ],
  );
  // NAT real servers keep their own port (only a missing one takes the service's)
  assert.deepEqual([c?.persistenceTimeoutMs, c?.realServers[0]?.port, c?.forwarding.method], [360_000, 9, 'NAT']);
});

test('virtual server keywords: persistence, flags, sorry server, scripts, smtp_alert, and the one-line form', () => {
  const r = model(`global_defs { smtp_alert off }
virtual_server 192.0.2.1 443 { protocol TCP lb_algo sh sh-port sh-fallback persistence_timeout 600 persistence_granularity 255.255.255.0 persistence_engine sip real_server 192.0.2.2 443 { weight 2 TCP_CHECK { connect_timeout 2 } } }
virtual_server 2001:db8::1 443 {
  lvs_sched wrr
  lvs_method TUN type gre csum
  protocol tcp
  persistence_granularity 64
  smtp_alert
  omega
  quorum_up "/bin/up 1" root
  quorum_up /bin/again
  snmp_name web6
  sorry_server 2001:db8::99 443
  sorry_server_lvs_method NAT
  real_server 2001:db8::2 443 {
    uthreshold 100
    lthreshold 10
    notify_up /bin/rs-up
    notify_down "/bin/rs-down x"
    smtp_alert
    snmp_name rs6
  }
}
`);
  assert.deepEqual(r.errors, []);
  const [a, b] = r.config.virtualServers;
  assert.deepEqual(
    [a?.scheduler, a?.flags, a?.persistenceTimeoutMs, a?.persistenceGranularity, a?.persistenceEngine, a?.smtpAlert],
    ['sh', 0x18, 600_000, '255.255.255.0', 'sip', false],
  );
  assert.deepEqual(
    a?.realServers.map((x) => [x.address, x.weight, x.smtpAlert, checker(x, 'TCP_CHECK').connection.connectTimeoutMs]),
    [['192.0.2.2', 2, false, 2000]],
  );
  assert.deepEqual(
    [b?.scheduler, b?.forwarding, b?.protocol, b?.persistenceGranularity, b?.persistenceTimeoutMs, b?.smtpAlert, b?.omega, b?.snmpName],
    ['wrr', { method: 'TUN', tunnelType: 'gre', tunnelChecksum: 'csum' }, 'TCP', 64, 360_000, true, true, 'web6'],
  );
  assert.deepEqual([b?.quorumUp?.command, b?.quorumUp?.user], ['/bin/up 1', 'root']);
  assert.ok(
    r.msgs.includes('lvs.conf:11:3: warning: ([2001:db8::1]:tcp:443) quorum_up script already specified - ignoring /bin/again'),
    r.msgs.join('\n'),
  );
  assert.deepEqual([b?.sorryServer?.address, b?.sorryServer?.port, b?.sorryServer?.forwarding], ['2001:db8::99', 443, { method: 'NAT' }]);
  const rs = rsAt(b!, 0);
  assert.deepEqual(
    [rs.uthreshold, rs.lthreshold, rs.notifyUp?.command, rs.notifyDown?.command, rs.smtpAlert, rs.snmpName, rs.forwarding.method],
    [100, 10, '/bin/rs-up', '/bin/rs-down x', true, 'rs6', 'TUN'],
  );
});

test('the load-balancer parser never throws on mutated input', () => {
  const base = ALL_CHECKERS + readFileSync(seeds + 'lvs-tun-dr01-master.conf', 'utf8');
  const words = base.split(/(\s+)/);
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const junk = ['{', '}', '0', '-1', 'fwmark', 'group', 'TUN', 'type', 'gue', '::', '1.2.3.4-', '/', 'real_server', 'url', '"'];
  for (let i = 0; i < 300; i++) {
    const w = [...words];
    for (let k = 0; k < 4; k++) {
      const at = rnd(w.length);
      if (rnd(2)) w.splice(at, 1);
      else w[at] = junk[rnd(junk.length)]!;
    }
    assert.doesNotThrow(() => model(w.join('')));
  }
});

test('BFD_CHECK names: keepalived checker-side errors, bfd_instances known in file order', () => {
  const r = model(`bfd_instance B1 {
  neighbor_ip 192.0.2.200
}
bfd_instance B1 {
  neighbor_ip 192.0.2.201
}
bfd_instance B2 {
  neighbor_ip 192.0.2.202
  vrrp
}
bfd_instance B3 {
  neighbor_ip 192.0.2.203
  vrrp
  checker
}
virtual_server 192.0.2.1 80 {
  protocol TCP
  real_server 192.0.2.10 80 {
    BFD_CHECK {
      name B1
    }
    BFD_CHECK {
      name B1
    }
    BFD_CHECK {
      name B3
      name B1
    }
    BFD_CHECK {
      name B2
    }
    BFD_CHECK {
      name B4
    }
    BFD_CHECK {
      name B3
      alpha
    }
    BFD_CHECK {
      alpha
    }
  }
  real_server 192.0.2.11 80 {
    BFD_CHECK {
      name B1
    }
  }
}
bfd_instance B4 {
  neighbor_ip 192.0.2.204
}
`);
  assert.deepEqual(r.errors, [
    'lvs.conf:4:14: error: BFD B1 already specified',
    'lvs.conf:23:12: error: ([192.0.2.10]:tcp:80) BFD_CHECK - RS already monitoring B1',
    'lvs.conf:27:12: error: ([192.0.2.10]:tcp:80) BFD_CHECK - BFD B1 already specified as B3',
    'lvs.conf:30:12: error: ([192.0.2.10]:tcp:80) BFD_CHECK - BFD B2 not configured',
    'lvs.conf:33:12: error: ([192.0.2.10]:tcp:80) BFD_CHECK - BFD B4 not configured',
    'lvs.conf:39:5: error: ([192.0.2.10]:tcp:80) No name has been specified for BFD_CHECKER - skipping',
  ]);
  const [rs10, rs11] = vsAt(r.config.virtualServers, 0).realServers;
  assert.deepEqual(
    rs10?.checkers.map((c) => c.type === 'BFD_CHECK' && [c.name, c.alpha]),
    [
      ['B1', false],
      ['B3', true],
    ],
  );
  assert.deepEqual(
    rs11?.checkers.map((c) => c.type === 'BFD_CHECK' && c.name),
    ['B1'],
    'another real server may follow the same session',
  );
  const long = 'B'.repeat(32);
  const t = model(
    `bfd_instance ${long} {\n neighbor_ip 192.0.2.200\n}\nvirtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n BFD_CHECK {\n name ${long}\n }\n }\n}\n`,
  );
  assert.ok(t.errors.includes(`lvs.conf:8:7: error: ([192.0.2.10]:tcp:80) BFD_CHECK - BFD name ${long} too long`), t.errors.join('\n'));
});
