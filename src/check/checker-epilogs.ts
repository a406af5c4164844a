/**
 * What a finished probe does, per checker type, as keepalived 2.2.7's epilogs (check_tcp.c `tcp_epilog`,
 * check_udp.c `udp_epilog`, check_ping.c `icmp_epilog`, check_dns.c `dns_final`, check_smtp.c `smtp_final`,
 * check_misc.c `misc_check_child_thread`; HTTP_GET/SSL_GET in checker-http.ts). They share the idea — `retry`
 * failures are retried after `delay_before_retry`, then the checker goes down; a success brings it up at once;
 * rounds are `delay_loop` apart — but not the details, which are kept exactly:
 * - TCP_CHECK and SMTP_CHECK retry while down too; UDP_CHECK, PING_CHECK, DNS_CHECK and MISC_CHECK retry only
 *   while up (a down checker is simply re-run every delay_loop).
 * - SMTP_CHECK starts each round with a fresh retry count (so even its first failure is retried).
 * - MISC_CHECK counts its delays from when the script was started, not from when it ended.
 */
import type { DnsCheck, MiscCheck, SmtpCheck } from '../config/model-lvs.js';
import type { CheckerType } from './actions.js';
import type { EpilogHost, NextRun, ProbeEnd } from './checker-fsm.js';
import { httpEpilog } from './checker-http.js';
import { splitCommand } from '../notify/split.js';
import { addressText } from './format.js';

/** An epilog: applies one probe result to the checker and says when to run next. */
export type Epilog = (c: EpilogHost, r: ProbeEnd) => NextRun;

/** Texts of the TCP/UDP/ICMP family. */
interface SimpleTexts {
  readonly name: string;
  /** The log_all_failures line written before the epilog. */
  readonly early: (c: EpilogHost, r: ProbeEnd) => string;
  readonly success: (c: EpilogHost) => string;
  readonly failedAfter: (c: EpilogHost) => string;
  readonly failed: (c: EpilogHost) => string;
}

const TCP: SimpleTexts = {
  name: 'TCP',
  early: (c, r) => `TCP connection to ${c.chk} ${r.timedOut ? 'timeout' : 'failed'}.`,
  success: (c) => `TCP connection to ${c.chk} success.`,
  failedAfter: (c) => `TCP_CHECK on service ${c.chk} failed after ${c.config.retry} retries.`,
  failed: (c) => `TCP_CHECK on service ${c.chk} failed.`,
};

const UDP: SimpleTexts = {
  name: 'UDP',
  early: (c, r) => (r.mismatch ? `UDP check to ${c.chk} reply data mismatch.` : `UDP connection to ${c.chk} failed.`),
  success: (c) => `UDP connection to ${c.chk} success.`,
  failedAfter: (c) => `UDP_CHECK on service ${c.chk} failed after ${c.config.retry} retries.`,
  failed: (c) => `UDP_CHECK on service ${c.chk} failed.`,
};

const ICMP: SimpleTexts = {
  name: 'ICMP',
  early: (c, r) => (r.timedOut ? `ICMP connection to address ${c.chk} timeout.` : `ICMP connection to ${c.chk} of ${c.vsName} failed.`),
  success: (c) => `ICMP connection to ${c.chk} success.`,
  failedAfter: (c) => `ICMP CHECK on service ${c.chk} of ${c.vsName} failed after ${c.config.retry} retries.`,
  failed: (c) => `ICMP CHECK on service ${c.chk} failed.`,
};

/**
 * tcp_epilog / udp_epilog / icmp_epilog. `retryWhileDown`: TCP retries whatever the state; UDP and ICMP only
 * while up (or before the first verdict).
 */
function simple(t: SimpleTexts, retryWhileDown: boolean): Epilog {
  return (c, r) => {
    const s = c.state;
    const cfg = c.config;
    if (!r.ok && s.isUp && c.logAll) c.log(t.early(c, r));
    let delayMs = cfg.delayLoopMs;
    const giveUp = retryWhileDown ? s.retryIt >= cfg.retry : (s.isUp || !s.hasRun) && s.retryIt >= cfg.retry;
    if (r.ok || giveUp) {
      s.retryIt = 0;
      if (r.ok && (!s.isUp || !s.hasRun)) {
        c.log(t.success(c));
        c.verdict(true, { body: `=> ${t.name} CHECK succeed on service <=`, onlyOnChange: true });
      } else if (!r.ok && (s.isUp || !s.hasRun)) {
        c.log(cfg.retry && s.hasRun ? t.failedAfter(c) : t.failed(c));
        c.verdict(false, { body: `=> ${t.name} CHECK failed on service <=`, onlyOnChange: true });
      }
    } else if (retryWhileDown || s.isUp) {
      delayMs = cfg.delayBeforeRetryMs;
      s.retryIt++;
    }
    s.hasRun = true;
    return { delayMs };
  };
}

/** dns_final: retries while up; no log line on success; the failure text comes from the probe. */
const dns: Epilog = (c, r) => {
  const s = c.state;
  const cfg = c.config as DnsCheck;
  if (!r.ok) {
    if (s.isUp || !s.hasRun) {
      const giveUp = s.retryIt >= cfg.retry;
      if (c.logAll || giveUp) {
        const detail = r.detail ?? (r.timedOut ? 'read timeout from socket' : 'connection error.');
        c.log(`DNS_CHECK (${c.chk}) ${detail}${s.hasRun && giveUp ? ` after ${cfg.retry} retries` : ''}`);
      }
      if (!giveUp) {
        s.retryIt++;
        s.hasRun = true;
        return { delayMs: cfg.delayBeforeRetryMs };
      }
      c.verdict(false, { body: '=> DNS_CHECK: failed on service <=', onlyOnChange: true });
    }
  } else if (!s.isUp || !s.hasRun) {
    c.verdict(true, { body: '=> DNS_CHECK: succeed on service <=', onlyOnChange: true });
  }
  s.retryIt = 0;
  return { delayMs: cfg.delayLoopMs };
};

/** smtp_final: a retry re-connects without starting a new round; giving up waits delay_loop. */
const smtp: Epilog = (c, r) => {
  const s = c.state;
  const cfg = c.config as SmtpCheck;
  if (!r.ok) {
    const co = cfg.connection;
    const pair = `[${addressText(co.connectIp, co.connectIp.includes(':') ? 6 : 4)}]:${co.connectPort}`;
    const detail = r.detail ?? (r.timedOut ? `Connection timeout to server ${pair}` : `Could not connect to server ${pair}`);
    if ((s.isUp || !s.hasRun) && (c.logAll || s.retryIt >= cfg.retry)) c.log(`SMTP_CHECK ${detail}`);
    if (++s.retryIt <= cfg.retry) return { delayMs: cfg.delayBeforeRetryMs, retry: true };
    if (s.isUp || !s.hasRun) c.verdict(false, { body: `=> CHECK failed on service : ${detail} <=`, onlyOnChange: true });
    return { delayMs: cfg.delayLoopMs };
  }
  s.retryIt = 0;
  if (!s.isUp || !s.hasRun) {
    c.log(`Remote SMTP server ${c.chk} succeed on service.`);
    c.verdict(true, { body: '=> CHECK succeed on service <=', onlyOnChange: true });
  }
  s.hasRun = true;
  return { delayMs: cfg.delayLoopMs };
};

/** The suffix of a MISC_CHECK failure line, from retry_it as it stands after the failure. */
function miscRetryText(retry: number, retryIt: number): string {
  const plural = retry === 1 ? 'retry' : 'retries';
  if (!retry) return ' with retry disabled';
  if (retryIt === 1) return `, will do ${retry} ${plural}`;
  if (retryIt > 1) return ` on retry ${retryIt - 1}/${retry}`;
  return ` after ${retry} ${plural}`;
}

/** MISC_CHECK's script name in its log lines (the first word of the command, keepalived `script.args[0]`). */
function scriptName(cfg: MiscCheck): string {
  const split = splitCommand(cfg.script.command);
  return split.ok ? (split.argv[0] ?? '') : cfg.script.command;
}

/** misc_check_child_thread: exit 0 (or 2…255 with misc_dynamic, setting the weight to status - 2) is success. */
const misc: Epilog = (c, r) => {
  const s = c.state;
  const cfg = c.config as MiscCheck;
  let type: string | undefined;
  let success = false;
  let reason: string | undefined;
  let messageOnly = false;
  /** A failure while up (or before the first verdict): retry, or give up (returns true). */
  const failure = (t: string): boolean => {
    type = t;
    if (s.retryIt >= cfg.retry) {
      s.retryIt = 0;
      return true;
    }
    s.retryIt++;
    if (c.logAll) messageOnly = true;
    else type = undefined;
    return false;
  };
  if (r.signal === undefined && !r.timedOut) {
    const status = r.exitStatus ?? (r.ok ? 0 : 1);
    if (status === 0 || (cfg.dynamic && status >= 2 && status <= 255)) {
      if (status !== s.lastExitCode) {
        c.adjustWeight((status ? status - 2 - c.iweight : 0) - s.curWeight, true);
        s.lastExitCode = status;
      }
      if (!s.isUp || !s.hasRun) {
        type = 'succeeded';
        success = true;
      }
      s.retryIt = 0;
    } else if (s.isUp || !s.hasRun) {
      reason = `exited with status ${status}`;
      if (failure('failed')) {
        c.adjustWeight(-s.curWeight, false);
        s.lastExitCode = status;
      }
    }
  } else if (s.isUp || !s.hasRun) {
    if (!r.timedOut) reason = `due to signal ${r.signal ?? 0}`;
    failure(r.timedOut ? 'timed out' : 'failed');
  }
  if (type) {
    const tail = success ? '' : miscRetryText(cfg.retry, s.retryIt);
    c.log(`Misc check for [${c.chk} VS ${c.vsName}] by [${scriptName(cfg)}] ${type}${tail}${reason ? ` (${reason})` : ''}.`);
    if (!messageOnly) {
      c.verdict(success, { body: `=> MISC CHECK ${type} on service <=`, onlyOnChange: false });
      if (!success) s.curWeight = 0; // keepalived leaves the effective weight as it is here
    }
  }
  s.hasRun = true;
  return { delayMs: s.retryIt ? cfg.delayBeforeRetryMs : cfg.delayLoopMs, fromMs: s.lastRanMs };
};

/** The epilog of each launched checker type. */
export const EPILOGS: Readonly<Record<Exclude<CheckerType, 'FILE_CHECK' | 'BFD_CHECK'>, Epilog>> = {
  TCP_CHECK: simple(TCP, true),
  UDP_CHECK: simple(UDP, false),
  PING_CHECK: simple(ICMP, false),
  DNS_CHECK: dns,
  SMTP_CHECK: smtp,
  MISC_CHECK: misc,
  HTTP_GET: httpEpilog,
  SSL_GET: httpEpilog,
};
