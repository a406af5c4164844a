/**
 * Differential test: keepalived 2.2.7 (in a namespace of our own) mails a real SMTP server (the smtp-sink
 * fixture, started in the same namespace) on BACKUP(init) and MASTER; our SmtpAlerter mails the same server for
 * the same transitions. Envelope, Subject, From, To, X-Mailer and body must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instanceAlert } from '../../../src/notify/smtp.js';
import { tempDir, waitFor } from '../../fixtures/notify/helpers.js';
import { Daemons, stop } from '../harness/daemons.js';
import { Topology } from '../harness/topology.js';

const SINK = fileURLToPath(new URL('../../fixtures/notify/smtp-sink.js', import.meta.url));

interface Received {
  heloName: string;
  from: string;
  to: string[];
  data: string;
}

/** The headers we compare, and the body, from a raw message. */
function digest(m: Received): Record<string, string> {
  const [head, ...rest] = m.data.split('\r\n\r\n');
  const h: Record<string, string> = { envelopeFrom: m.from, envelopeTo: m.to.join(','), body: rest.join('\r\n\r\n').trim() };
  for (const line of head!.split('\r\n')) {
    const i = line.indexOf(': ');
    const k = line.slice(0, i).toLowerCase();
    if (['subject', 'from', 'to', 'x-mailer'].includes(k)) h[k] = line.slice(i + 2);
  }
  return h;
}

test('keepalived and our SmtpAlerter send the same alert mails', { timeout: 60000 }, async () => {
  const { dir, cleanup } = tempDir();
  chmodSync(dir, 0o755);
  const topo = Topology.create({ hosts: ['m'] });
  let ka: ChildProcess | undefined;
  let sink: ChildProcess | undefined;
  try {
    sink = topo.spawn('m', process.execPath, [SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
    const got: Received[] = [];
    let buf = '';
    let port = 0;
    sink.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, i)) as { port?: number } & Received;
        buf = buf.slice(i + 1);
        if (msg.port !== undefined) port = msg.port;
        else got.push(msg);
      }
    });
    assert.ok(await waitFor(() => port > 0));
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(
      conf,
      `global_defs {
  router_id ktsmail
  notification_email {
    admin@example.com
    ops@example.com
  }
  notification_email_from ka@example.com
  smtp_server 127.0.0.1 ${port}
  smtp_helo_name ktshelo
  smtp_connect_timeout 5
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 53
  priority 100
  advert_int 1
  virtual_ipaddress {
    203.0.113.100/24
  }
  smtp_alert
}
`,
    );
    ka = new Daemons(topo, dir).keepalived('m', conf).child;
    assert.ok(await waitFor(() => got.length >= 2, 20000), `keepalived mails: ${got.length}`);
    await stop(ka, 'SIGKILL');
    const kaMails = got.splice(0, 2).map(digest);
    // Ours, through the namespace's loopback: run the alerter inside the namespace via a tiny child script.
    const child = `
      import { SmtpAlerter, instanceAlert } from ${JSON.stringify(new URL('../../../src/notify/smtp.js', import.meta.url).href)};
      const a = new SmtpAlerter({ routerId: 'ktsmail', to: ['admin@example.com', 'ops@example.com'], from: 'ka@example.com',
        server: '127.0.0.1', port: ${port}, heloName: 'ktshelo', connectTimeoutSec: 5 }, { log: (r) => console.error(r.text) });
      a.send(instanceAlert('VI_1', 'BACKUP')); a.send(instanceAlert('VI_1', 'MASTER')); await a.idle();`;
    topo.exec('m', [process.execPath, '--input-type=module', '-e', child]);
    assert.ok(await waitFor(() => got.length >= 2, 10000));
    const ourMails = got.splice(0, 2).map(digest);
    assert.deepEqual(ourMails, kaMails);
    assert.equal(kaMails[1]!['subject'], '[ktsmail] VRRP Instance VI_1 - Entering MASTER state');
    assert.equal(instanceAlert('VI_1', 'MASTER')!.body, kaMails[1]!['body']);
  } finally {
    if (ka) await stop(ka, 'SIGKILL');
    if (sink) await stop(sink);
    topo.destroy();
    cleanup();
  }
});
