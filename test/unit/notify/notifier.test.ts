import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, chmodSync, existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/log.js';
import { Notifier, type NotifyScripts } from '../../../src/notify/notifier.js';
import { ScriptRunner, type ScriptSpec } from '../../../src/notify/script-runner.js';
import { splitCommand } from '../../../src/notify/split.js';
import type { Alert, SmtpAlerter } from '../../../src/notify/smtp.js';
import type { FifoWriter } from '../../../src/notify/fifo.js';
import { tempDir, writeScript } from '../../fixtures/notify/helpers.js';

function spec(cmd: string): ScriptSpec {
  const r = splitCommand(cmd);
  assert.ok(r.ok);
  return { argv: r.argv };
}

/** A recording script: appends `<tag>:<args joined by |>` to `log`. */
function recorder(dir: string, log: string): string {
  return writeScript(dir, 'rec.sh', `IFS='|'; echo "$*" >> ${log}`);
}

function fakes(): { fifo: FifoWriter; lines: string[]; smtp: SmtpAlerter; mails: Alert[] } {
  const lines: string[] = [];
  const mails: Alert[] = [];
  const fifo = { writeLine: (l: string) => lines.push(l) } as unknown as FifoWriter;
  const smtp = { send: (a: Alert) => mails.push(a) } as unknown as SmtpAlerter;
  return { fifo, lines, smtp, mails };
}

test('a transition runs the state script as configured, then generic notify with 4 args, then FIFO and mail', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = join(dir, 'log');
    const rec = recorder(dir, log);
    const scripts: NotifyScripts = {
      master: spec(`${rec} MASTER_SCRIPT x`),
      backup: spec(rec),
      generic: spec(`${rec} GENERIC`),
    };
    const f = fakes();
    const n = new Notifier({ runner: new ScriptRunner({ logger: new MemoryLogger() }), logger: new MemoryLogger(), fifos: [f.fifo], smtp: f.smtp });
    n.setInstance({ name: 'VI_1', scripts, notifyDeleted: false, smtpAlert: true });
    const p1 = n.instanceTransition('VI_1', 'BACKUP', 150);
    const p2 = n.instanceTransition('VI_1', 'MASTER', 150);
    const p3 = n.instanceTransition('VI_1', 'STOP', 100);
    await Promise.all([p1, p2, p3]);
    assert.deepEqual(readFileSync(log, 'utf8').split('\n').slice(0, -1), [
      '',
      'GENERIC|INSTANCE|VI_1|BACKUP|150',
      'MASTER_SCRIPT|x',
      'GENERIC|INSTANCE|VI_1|MASTER|150',
      'GENERIC|INSTANCE|VI_1|STOP|100',
    ]);
    assert.deepEqual(f.lines, ['INSTANCE "VI_1" BACKUP 150\n', 'INSTANCE "VI_1" MASTER 150\n', 'INSTANCE "VI_1" STOP 100\n']);
    assert.deepEqual(
      f.mails.map((m) => m.subject),
      ['VRRP Instance VI_1 - Entering BACKUP state', 'VRRP Instance VI_1 - Entering MASTER state', 'VRRP Instance VI_1 - Stopping'],
    );
  } finally {
    cleanup();
  }
});

test('groups get GROUP NAME STATE 0; DELETED becomes FAULT without notify_deleted; sync-group suppression', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = join(dir, 'log');
    const rec = recorder(dir, log);
    const f = fakes();
    const n = new Notifier({
      runner: new ScriptRunner({ logger: new MemoryLogger() }),
      logger: new MemoryLogger(),
      fifos: [f.fifo],
      smtp: f.smtp,
      noEmailFaults: true,
    });
    n.setGroup({ name: 'SG1', scripts: { generic: spec(`${rec} SGGEN-A`) }, smtpAlert: true });
    n.setInstance({ name: 'VI_1', scripts: { generic: spec(`${rec} I`) }, notifyDeleted: false, smtpAlert: true });
    n.setInstance({ name: 'VI_2', scripts: { generic: spec(`${rec} J`), deleted: spec(`${rec} DEL`) }, notifyDeleted: true, smtpAlert: false });
    await n.groupTransition('SG1', 'MASTER');
    await n.instanceTransition('VI_1', 'MASTER', 100);
    await n.instanceTransition('VI_1', 'MASTER', 100, 'MASTER'); // group already reports MASTER: suppressed
    await n.instanceTransition('VI_1', 'DELETED', 100);
    await n.instanceTransition('VI_2', 'DELETED', 90);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      'SGGEN-A|GROUP|SG1|MASTER|0',
      'I|INSTANCE|VI_1|MASTER|100',
      'I|INSTANCE|VI_1|FAULT|100',
      'DEL',
      'J|INSTANCE|VI_2|DELETED|90',
    ]);
    assert.deepEqual(f.lines, [
      'GROUP "SG1" MASTER 0\n',
      'INSTANCE "VI_1" MASTER 100\n',
      'INSTANCE "VI_1" FAULT 100\n',
      'INSTANCE "VI_2" DELETED 90\n',
    ]);
    // no_email_faults suppresses the FAULT mail; VI_2 has smtp_alert off.
    assert.deepEqual(
      f.mails.map((m) => m.subject),
      ['VRRP Group SG1 - Entering MASTER state', 'VRRP Instance VI_1 - Entering MASTER state'],
    );
  } finally {
    cleanup();
  }
});

test('mail is sent only when the state differs from the last mailed one; rx_lower_pri and priority lines', async () => {
  const f = fakes();
  const n = new Notifier({
    runner: new ScriptRunner({ logger: new MemoryLogger() }),
    logger: new MemoryLogger(),
    fifos: [f.fifo],
    smtp: f.smtp,
    notifyPriorityChanges: true,
  });
  n.setInstance({ name: 'VI_1', scripts: {}, notifyDeleted: false, smtpAlert: true });
  await n.instanceTransition('VI_1', 'MASTER', 100);
  await n.instanceTransition('VI_1', 'MASTER', 100);
  await n.masterRxLowerPri('VI_1', 100);
  n.priorityChange('VI_1', 'MASTER', 90);
  n.priorityChange('VI_1', 'FAULT', 90); // only MASTER/BACKUP priority lines exist
  assert.equal(f.mails.length, 1);
  assert.deepEqual(f.lines.slice(2), ['INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100\n', 'INSTANCE "VI_1" MASTER_PRIORITY 90\n']);
  n.removeInstance('VI_1');
  await n.instanceTransition('VI_1', 'BACKUP', 100);
  assert.equal(f.lines.length, 4, 'a removed instance sends nothing');
});

test('seed example notify.sh (notify-node*.conf) works with a stub mail on PATH', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const script = join(dir, 'notify.sh');
    copyFileSync(new URL('../../../../test/fixtures/seed-configs/notify.sh', import.meta.url), script);
    chmodSync(script, 0o755);
    const bin = join(dir, 'bin');
    const mailLog = join(dir, 'mail.log');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(bin);
    writeScript(bin, 'mail', `{ printf 'ARGS'; for a in "$@"; do printf '|%s' "$a"; done; echo; echo "BODY $(cat)"; } >> ${mailLog}`);
    const runner = new ScriptRunner({ logger: new MemoryLogger(), env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` } });
    const n = new Notifier({ runner, logger: new MemoryLogger() });
    // notify_master "/etc/keepalived/notify.sh master" etc., with the path replaced by our copy.
    n.setInstance({
      name: 'VI_1',
      notifyDeleted: false,
      smtpAlert: false,
      scripts: {
        master: spec(`${script} master`),
        backup: spec(`${script} backup`),
        fault: spec(`${script} fault`),
      },
    });
    await n.instanceTransition('VI_1', 'MASTER', 100);
    await n.instanceTransition('VI_1', 'BACKUP', 100);
    assert.ok(existsSync(mailLog));
    const lines = readFileSync(mailLog, 'utf8').trim().split('\n');
    const h = hostname();
    assert.equal(lines[0], `ARGS|-s|${h} to be master, vip floating|root@localhost`);
    assert.match(lines[1]!, new RegExp(`^BODY \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d: vrrp transition, ${h} changed to be master$`));
    assert.equal(lines[2], `ARGS|-s|${h} to be backup, vip floating|root@localhost`);
  } finally {
    cleanup();
  }
});

test('LVS notifier: notify_up/down and quorum scripts as configured, RS/VS FIFO lines, mails', async () => {
  const { LvsNotifier } = await import('../../../src/notify/lvs-notifier.js');
  const { dir, cleanup } = tempDir();
  try {
    const log = join(dir, 'log');
    const rec = recorder(dir, log);
    const f = fakes();
    const n = new LvsNotifier({ runner: new ScriptRunner({ logger: new MemoryLogger() }), fifos: [f.fifo], smtp: f.smtp });
    const rs = '[192.0.2.2]:tcp:80';
    const vs = '[192.0.2.10]:tcp:80';
    await n.realServer({ rs, vs, up: false, notifyDown: spec(`${rec} DOWN`), mailBody: '=> TCP CHECK failed on service <=', smtpAlert: true });
    await n.virtualServer({ vs, up: false, quorumDown: spec(`${rec} QDOWN`) });
    await n.realServer({ rs, vs, up: true, notifyDown: spec(`${rec} DOWN`) });
    assert.deepEqual(readFileSync(log, 'utf8').split('\n').slice(0, -1), ['DOWN', 'QDOWN']);
    assert.deepEqual(f.lines, [`RS ${rs} ${vs} DOWN\n`, `VS ${vs} DOWN\n`, `RS ${rs} ${vs} UP\n`]);
    assert.deepEqual(f.mails, [{ subject: `Realserver ${rs} of virtual server ${vs} - DOWN`, body: '=> TCP CHECK failed on service <=' }]);
  } finally {
    cleanup();
  }
});

test('per-instance ordering through the notifier: a slow MASTER script delays the BACKUP script', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = join(dir, 'log');
    const slow = writeScript(dir, 'slow.sh', `echo "start $1" >> ${log}; sleep 0.3; echo "end $1" >> ${log}`);
    const n = new Notifier({ runner: new ScriptRunner({ logger: new MemoryLogger() }), logger: new MemoryLogger() });
    n.setInstance({
      name: 'VI_1',
      notifyDeleted: false,
      smtpAlert: false,
      scripts: { master: spec(`${slow} master`), backup: spec(`${slow} backup`) },
    });
    n.setInstance({ name: 'VI_2', notifyDeleted: false, smtpAlert: false, scripts: { master: spec(`${slow} other`) } });
    const a = n.instanceTransition('VI_1', 'MASTER', 100);
    const b = n.instanceTransition('VI_1', 'BACKUP', 100);
    const c = n.instanceTransition('VI_2', 'MASTER', 100);
    await Promise.all([a, b, c]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.ok(lines.indexOf('end master') < lines.indexOf('start backup'), lines.join('|'));
    assert.ok(lines.indexOf('start other') < lines.indexOf('end master'), 'other instances are not held up');
  } finally {
    cleanup();
  }
});

test('shutdown awaits STOP notifies up to a bound', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'stop');
    const quick = writeScript(dir, 'quick.sh', `sleep 0.1; echo done > ${out}`);
    const hang = writeScript(dir, 'hang.sh', 'sleep 1.5');
    const n = new Notifier({ runner: new ScriptRunner({ logger: new MemoryLogger() }), logger: new MemoryLogger() });
    n.setInstance({ name: 'VI_1', notifyDeleted: false, smtpAlert: false, scripts: { stop: spec(quick) } });
    n.setInstance({ name: 'VI_2', notifyDeleted: false, smtpAlert: false, scripts: { stop: spec(hang) } });
    void n.instanceTransition('VI_1', 'STOP', 100);
    assert.equal(await n.shutdown(2000), true);
    assert.equal(readFileSync(out, 'utf8'), 'done\n', 'the STOP script finished before shutdown resolved');
    const p = n.instanceTransition('VI_2', 'STOP', 100);
    assert.equal(await n.shutdown(200), false, 'a hung STOP script does not hold shutdown beyond the bound');
    await p;
  } finally {
    cleanup();
  }
});
