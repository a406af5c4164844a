import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from '../harness/topology.js';
import { Daemons, confText, enteredBackupInit, stop, waitFor } from '../harness/daemons.js';

const topo = Topology.create({ hosts: ['a', 'b'] });
const daemons = Daemons.inTempDir(topo, 'kts-interop-');
const { dir } = daemons;
after(() => {
  topo.destroy();
  daemons.removeDir();
});

const conf = daemons.conf.bind(daemons);
const keepalived = daemons.keepalived.bind(daemons);
const crashKeepalived = daemons.crashKeepalived.bind(daemons);
const ours = daemons.ours.bind(daemons);
const hasVip = daemons.hasVip.bind(daemons);

for (const version of [2, 3] as const) {
  test(`VRRPv${version} IPv4: ours (200) wins against keepalived (100); graceful stop hands the VIP over within skew time + 100 ms`, async () => {
    const vip = version === 2 ? '192.0.2.100' : '192.0.2.101';
    // ours first: its Master_Down_Interval (3.22 s) must run out before keepalived's (3.61 s), whatever Node's start-up takes
    const o = ours('b', conf(`ours${version}.conf`, 200, 'MASTER', version, vip));
    await enteredBackupInit(o);
    const k = keepalived('a', conf(`ka${version}.conf`, 100, 'BACKUP', version, vip));
    try {
      const tOurs = await waitFor(() => hasVip('b', vip), 8000);
      assert.ok(tOurs >= 0, `our daemon holds the VIP\n--- ours:\n${o.log()}\n--- keepalived:\n${k.log()}`);
      await sleep(1500);
      assert.ok(!hasVip('a', vip), `keepalived stays BACKUP without the VIP\n${k.log()}`);
      assert.match(k.log(), /\(VI_1\) Entering BACKUP STATE/);
      assert.doesNotMatch(k.log(), /Entering MASTER STATE/, 'keepalived never became master');
      // graceful stop: priority 0 ⇒ keepalived takes over after Skew_Time ((256-100)/256 s for v2; × interval for v3)
      const skewMs = ((256 - 100) / 256) * 1000;
      const stopAt = Date.now();
      await stop(o.child);
      const took = await waitFor(() => hasVip('a', vip), 5000);
      assert.ok(took >= 0, `keepalived took over\n${k.log()}`);
      const elapsed = Date.now() - stopAt;
      assert.ok(elapsed <= skewMs + 100 + 300, `takeover in ${elapsed} ms (skew ${skewMs.toFixed(0)} ms; includes process exit and polling)`);
      assert.ok(!hasVip('b', vip), 'our daemon released the VIP on stop');
      assert.ok((await waitFor(() => /\(VI_1\) Entering MASTER STATE/.test(o.log()), 2000)) >= 0, o.log());
    } finally {
      await stop(o.child, 'SIGKILL');
      await stop(k.child);
      await crashKeepalived(k);
    }
  });
}

test('keepalived (200) wins against ours (100), and ours takes over after SIGKILL within Master_Down_Interval + 150 ms', async () => {
  const vip = '192.0.2.102';
  const k = keepalived('a', conf('ka-hi.conf', 200, 'MASTER', 2, vip));
  const o = ours('b', conf('ours-lo.conf', 100, 'BACKUP', 2, vip));
  try {
    assert.ok((await waitFor(() => hasVip('a', vip), 8000)) >= 0, `keepalived holds the VIP\n${k.log()}`);
    await sleep(1500);
    assert.ok(!hasVip('b', vip), `ours stays BACKUP\n${o.log()}`);
    assert.match(o.log(), /\(VI_1\) Entering BACKUP STATE \(init\)/);
    const killedAt = Date.now();
    await crashKeepalived(k);
    const mdi = 3 * 1000 + ((256 - 100) / 256) * 1000;
    assert.ok((await waitFor(() => hasVip('b', vip), 8000)) >= 0, `ours took over\n${o.log()}`);
    const elapsed = Date.now() - killedAt;
    assert.ok(elapsed <= mdi + 150 + 100, `takeover in ${elapsed} ms (Master_Down_Interval ${mdi.toFixed(0)} ms)`);
    assert.ok((await waitFor(() => /\(VI_1\) Entering MASTER STATE/.test(o.log()), 2000)) >= 0, o.log());
    assert.doesNotMatch(o.log(), /priority 0 advertisement/, 'a crash sends no priority-0 advert');
  } finally {
    await stop(o.child);
    await crashKeepalived(k);
  }
});

test('VRRPv3 IPv6: ours (200) wins against keepalived (100) with the VIP added without DAD; keepalived takes over on stop', async () => {
  const vip = '2001:db8::100';
  const o = ours('b', conf('ours6.conf', 200, 'MASTER', 3, vip));
  await enteredBackupInit(o);
  const k = keepalived('a', conf('ka6.conf', 100, 'BACKUP', 3, vip));
  const has6 = (host: string) => topo.exec(host, ['ip', '-6', 'addr', 'show', 'dev', 'eth0']).includes(` ${vip}/`);
  try {
    assert.ok((await waitFor(() => has6('b'), 8000)) >= 0, `our daemon holds the IPv6 VIP\n--- ours:\n${o.log()}\n--- keepalived:\n${k.log()}`);
    await sleep(1500);
    assert.ok(!has6('a'), `keepalived stays BACKUP\n${k.log()}`);
    assert.doesNotMatch(k.log(), /Entering MASTER STATE/);
    assert.doesNotMatch(topo.exec('b', ['ip', '-6', 'addr', 'show', 'dev', 'eth0']), /tentative/);
    await stop(o.child);
    assert.ok((await waitFor(() => has6('a'), 5000)) >= 0, `keepalived took over\n${k.log()}`);
  } finally {
    await stop(o.child, 'SIGKILL');
    await stop(k.child);
    await crashKeepalived(k);
  }
});

test('notify scripts and notify_fifo run on every transition of the daemon, in order, with keepalived arguments', async () => {
  const rec = join(dir, 'notify.log');
  const script = join(dir, 'notify.sh');
  writeFileSync(script, `#!/bin/sh\necho "$*" >> ${rec}\n`, { mode: 0o755 });
  const fifo = join(dir, 'notify.fifo');
  topo.exec('a', ['mkfifo', fifo]);
  const reader = topo.spawn('a', 'cat', [fifo]);
  let fifoText = '';
  reader.stdout?.on('data', (d: Buffer) => {
    fifoText += d.toString();
  });
  const file = join(dir, 'ours-notify.conf');
  writeFileSync(
    file,
    `global_defs {\n  notify_fifo ${fifo}\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 60\n  priority 100\n  advert_int 1\n` +
      `  virtual_ipaddress {\n    192.0.2.160\n  }\n  notify_master "${script} MASTER_SCRIPT x"\n  notify_backup ${script}\n  notify ${script}\n}\n`,
  );
  const o = ours('a', file);
  try {
    assert.ok((await waitFor(() => hasVip('a', '192.0.2.160'), 8000)) >= 0, o.log());
    await sleep(300);
    await stop(o.child);
    await waitFor(() => fifoText.includes('STOP'), 2000);
    const lines = readFileSync(rec, 'utf8').replace(/\n$/, '').split('\n');
    assert.deepEqual(lines, ['', 'INSTANCE VI_1 BACKUP 100', 'MASTER_SCRIPT x', 'INSTANCE VI_1 MASTER 100', 'INSTANCE VI_1 STOP 100']);
    assert.deepEqual(fifoText.trim().split('\n'), ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100', 'INSTANCE "VI_1" STOP 100']);
  } finally {
    await stop(o.child, 'SIGKILL');
    reader.kill();
  }
});

test('a failing tracked script (weight -60, fall 2) moves mastership to keepalived within interval × fall + Master_Down_Interval', async () => {
  const vip = '192.0.2.170';
  const flag = join(dir, 'chk-fail');
  const chk = join(dir, 'chk.sh');
  writeFileSync(chk, `#!/bin/sh\ntest ! -e ${flag}\n`, { mode: 0o755 });
  const k = keepalived('a', conf('ka-track.conf', 100, 'BACKUP', 2, vip));
  const file = join(dir, 'ours-track.conf');
  writeFileSync(
    file,
    `vrrp_script chk {\n  script "${chk}"\n  interval 1\n  fall 2\n  rise 1\n  weight -60\n}\n` +
      confText('ours-track', 150, 'MASTER', 2, vip, '  track_script {\n    chk\n  }\n'),
  );
  const o = ours('b', file);
  try {
    assert.ok((await waitFor(() => hasVip('b', vip), 8000)) >= 0, `ours master first\n${o.log()}`);
    await sleep(1500);
    const failAt = Date.now();
    writeFileSync(flag, '');
    const took = await waitFor(() => hasVip('a', vip), 12000);
    assert.ok(took >= 0, `keepalived took over\n--- ours:\n${o.log()}\n--- keepalived:\n${k.log()}`);
    const bound = 1000 * 2 + 3000 + ((256 - 100) / 256) * 1000;
    const elapsed = Date.now() - failAt;
    assert.ok(elapsed <= bound + 1000 + 200, `moved in ${elapsed} ms (bound ${bound.toFixed(0)} ms + one interval of script phase + 200 ms)`);
    assert.ok((await waitFor(() => /Changing effective priority from 150 to 90/.test(o.log()), 2000)) >= 0, o.log());
    assert.ok((await waitFor(() => /\(VI_1\) Entering BACKUP STATE/.test(o.log()), 2000)) >= 0, o.log());
    assert.ok((await waitFor(() => !hasVip('b', vip), 2000)) >= 0, 'ours released the VIP');
  } finally {
    await stop(o.child, 'SIGKILL');
    await stop(k.child);
    await crashKeepalived(k);
  }
});

test("SMTP alerts from the daemon: the MASTER transition mail arrives with keepalived's subject and body", async () => {
  const sinkPath = new URL('../../fixtures/notify/smtp-sink.js', import.meta.url).pathname;
  const sink = topo.spawn('a', process.execPath, [sinkPath]);
  let sinkOut = '';
  sink.stdout?.on('data', (d: Buffer) => {
    sinkOut += d.toString();
  });
  try {
    assert.ok((await waitFor(() => /"port":\d+/.test(sinkOut), 5000)) >= 0, 'sink started');
    const port = Number(/"port":(\d+)/.exec(sinkOut)?.[1]);
    const file = join(dir, 'ours-smtp.conf');
    writeFileSync(
      file,
      `global_defs {\n  router_id nodeA\n  notification_email {\n    ops@example.com\n  }\n  notification_email_from ka@example.com\n` +
        `  smtp_server 127.0.0.1 ${port}\n  smtp_connect_timeout 5\n}\n` +
        confText('x', 100, 'BACKUP', 2, '192.0.2.180', '  smtp_alert\n').replace(/^global_defs \{\n  router_id x\n\}\n/, ''),
    );
    const o = ours('a', file);
    try {
      assert.ok((await waitFor(() => sinkOut.includes('Entering MASTER state'), 10000)) >= 0, `mail for MASTER\n${sinkOut}\n${o.log()}`);
      const mails = sinkOut
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => JSON.parse(l) as { from: string; to: string[]; data: string });
      const master = mails.find((m) => m.data.includes('Entering MASTER state'));
      assert.ok(master);
      assert.equal(master.from, 'ka@example.com');
      assert.deepEqual(master.to, ['ops@example.com']);
      assert.match(master.data, /^Subject: \[nodeA\] VRRP Instance VI_1 - Entering MASTER state\r?$/m);
      assert.match(master.data, /=> VRRP Instance is now owning VRRP VIPs <=/);
      assert.match(master.data, /^X-Mailer: Keepalived\r?$/m);
    } finally {
      await stop(o.child);
    }
  } finally {
    sink.kill('SIGTERM');
  }
});

test('link down ⇒ FAULT (VIP removed), link up ⇒ back to MASTER, as keepalived', async () => {
  const vip = '192.0.2.190';
  const o = ours('a', conf('ours-link.conf', 150, 'BACKUP', 2, vip));
  try {
    assert.ok((await waitFor(() => hasVip('a', vip), 8000)) >= 0, o.log());
    topo.linkDown('a');
    try {
      assert.ok(
        (await waitFor(() => /Netlink reports eth0 down/.test(o.log()) && /\(VI_1\) Entering FAULT STATE/.test(o.log()), 3000)) >= 0,
        o.log(),
      );
      assert.ok((await waitFor(() => !hasVip('a', vip), 2000)) >= 0, 'VIP removed in FAULT');
    } finally {
      topo.linkUp('a');
    }
    assert.ok((await waitFor(() => /Netlink reports eth0 up/.test(o.log()), 3000)) >= 0, o.log());
    assert.ok((await waitFor(() => hasVip('a', vip), 8000)) >= 0, `MASTER again after recovery\n${o.log()}`);
  } finally {
    await stop(o.child);
  }
});

test('track_interface without weight: the tracked interface going down puts the instance in FAULT; up recovers', async () => {
  const vip = '192.0.2.191';
  topo.exec('a', ['ip', 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']); // this kernel has no dummy driver
  topo.exec('a', ['ip', 'link', 'set', 'trk1', 'up']);
  topo.exec('a', ['ip', 'link', 'set', 'trk0', 'up']);
  const o = ours('a', conf('ours-trackif.conf', 150, 'BACKUP', 2, vip, '  track_interface {\n    trk0\n  }\n'));
  try {
    assert.ok((await waitFor(() => hasVip('a', vip), 8000)) >= 0, o.log());
    topo.exec('a', ['ip', 'link', 'set', 'trk0', 'down']);
    assert.ok((await waitFor(() => /\(VI_1\) Entering FAULT STATE/.test(o.log()), 3000)) >= 0, o.log());
    assert.ok((await waitFor(() => !hasVip('a', vip), 2000)) >= 0, 'VIP removed in FAULT');
    topo.exec('a', ['ip', 'link', 'set', 'trk0', 'up']);
    assert.ok((await waitFor(() => hasVip('a', vip), 8000)) >= 0, `recovered\n${o.log()}`);
  } finally {
    await stop(o.child);
    topo.exec('a', ['ip', 'link', 'del', 'trk0']);
  }
});
