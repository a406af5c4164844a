/**
 * HTTP_GET / SSL_GET results, as keepalived 2.2.7's check_http.c (`http_handle_response`, `timeout_epilog`,
 * `epilog`). keepalived fetches one url per run: after a good url the next one follows a delay_loop later, and the
 * server is up once every url in turn was good. A failing url is retried `retry` times, delay_before_retry apart;
 * then the checker goes down and keeps re-trying that url every max(delay_before_retry, delay_loop). When it is
 * good again, all urls are checked from the first before the checker comes back. `fast_recovery` runs at once
 * (no delay) while the checker has not run yet, or is down without a known failed url.
 */
import type { HttpCheck, HttpUrl } from '../config/model-lvs.js';
import type { EpilogHost, NextRun, ProbeEnd } from './checker-fsm.js';

/** How a run ended, keepalived's `register_checker_t`: url good, a failure to retry, a failure while down. */
type Method = 'new' | 'retry' | 'failed';

/** The check that made a url good, as keepalived names it in "… success to …" lines. */
function successText(url: HttpUrl): string {
  if (url.regex !== undefined) return 'Regex match';
  return url.digest !== undefined ? 'MD5 digest' : 'HTTP status code';
}

/** http_handle_response / timeout_epilog: the result of the current url. */
export function httpEpilog(c: EpilogHost, r: ProbeEnd): NextRun {
  const s = c.state;
  if (r.ok) {
    const url = (c.config as HttpCheck).urls[s.urlIt ?? 0];
    if (!s.isUp && url) c.log(`${successText(url)} success to ${c.chk} url(${url.path})`);
    return epilog(c, 'new');
  }
  if (s.isUp || !s.hasRun) {
    const detail = r.detail ?? (r.timedOut ? 'Timeout connecting' : 'Connection failed');
    if (c.logAll) c.log(`${detail} server ${c.chk}.`);
    s.hasRun = true;
    return epilog(c, 'retry');
  }
  return epilog(c, 'failed');
}

/** check_http.c `epilog()`: url iteration, retries, the verdict and the next delay. */
function epilog(c: EpilogHost, method: Method): NextRun {
  const s = c.state;
  const cfg = c.config as HttpCheck;
  if (method === 'new') {
    s.urlIt = s.urlIt === null || s.urlIt >= cfg.urls.length - 1 ? null : s.urlIt + 1;
    s.retryIt = 0;
  } else if (method === 'retry') {
    s.retryIt++;
  }
  if (method === 'new' && s.urlIt === null && s.failedUrl === null) {
    if (!s.isUp || !s.hasRun) {
      c.log(`Remote Web server ${c.chk} succeed on service.`);
      c.verdict(true, { body: '=> CHECK succeed on service <=', onlyOnChange: true });
    }
    s.urlIt = 0;
    s.retryIt = 0;
  } else if (method === 'retry' && s.retryIt > cfg.retry) {
    if (s.isUp || !s.hasRun) {
      c.log(
        s.hasRun && cfg.retry ? `HTTP_CHECK on service ${c.chk} failed after ${s.retryIt - 1} retries.` : `HTTP_CHECK on service ${c.chk} failed.`,
      );
      c.verdict(false, { body: '=> CHECK failed on service : HTTP request failed <=', onlyOnChange: true });
    }
    s.failedUrl = s.urlIt;
  } else if (method === 'new' && s.failedUrl !== null) {
    s.failedUrl = null;
    s.urlIt = 0;
    s.retryIt = 0;
  }
  let delayMs: number;
  if (method === 'new') {
    delayMs = cfg.delayLoopMs;
    if (!s.hasRun) s.retryIt = cfg.retry;
  } else if (s.failedUrl !== null) {
    delayMs = Math.max(cfg.delayBeforeRetryMs, cfg.delayLoopMs);
  } else {
    delayMs = cfg.delayBeforeRetryMs;
  }
  if (cfg.fastRecovery && (!s.hasRun || (!s.isUp && s.failedUrl === null))) delayMs = 0;
  return { delayMs };
}
