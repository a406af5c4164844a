/**
 * `keepalived-ts genhash` (keepalived's `genhash` / `keepalived --genhash`, check/check_genhash.c): fetches a url
 * the way HTTP_GET/SSL_GET do and prints the MD5 digest they compare (`digest` in a `url {}` block) — of the body
 * only, cut at Content-Length, as `curl URL | md5sum` would give. Same options as keepalived 2.2.7:
 * `-s server -p port -u url [-S] [-I] [-V vhost] [-P 1.0|1.0c|1.1] [-m fwmark] [-t timeout] [-v] [-h]`.
 *
 * As genhash, a failure prints keepalived's checker text (`Timeout connecting`, `HTTP status code …` is not
 * judged) and the exit status is 0 unless the command line is wrong (1).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { HttpCheck, HttpUrl } from '../config/model-lvs.js';
import { bodyDigest, buildHttpRequest, headerEnd, parseHttpResponse } from '../probe/http-response.js';
import { ProbeRun } from '../probe/probe-run.js';
import { tcpConnect } from '../probe/tcp-connect.js';

/** genhash's options. */
export interface GenhashOptions {
  readonly server: string;
  readonly port: number;
  readonly url: string;
  readonly ssl: boolean;
  readonly sni: boolean;
  readonly virtualhost?: string;
  readonly protocol: '1.0' | '1.0C' | '1.1';
  readonly fwmark?: number;
  /** Seconds; undefined = no timeout (keepalived: UINT_MAX). */
  readonly timeoutSec?: number;
  readonly verbose: boolean;
}

/** Where genhash writes. */
export interface GenhashIo {
  out(text: string): void;
  err(text: string): void;
}

const LONG: Readonly<Record<string, string>> = {
  help: 'h',
  verbose: 'v',
  'use-ssl': 'S',
  'use-sni': 'I',
  server: 's',
  'use-virtualhost': 'V',
  port: 'p',
  url: 'u',
  fwmark: 'm',
  protocol: 'P',
  timeout: 't',
};
const WITH_ARG = new Set(['s', 'V', 'p', 'u', 'm', 'P', 't']);

/** genhash_usage(). */
export function genhashUsage(prog: string): string {
  return (
    `Usage: ${prog} genhash COMMAND [OPTIONS]\nCommands:\n   -s server-address -p port -u url\n   -S -s server-address -p port -u url\n   -h\n\n` +
    'Options:\nEither long or short options are allowed.\n' +
    '   --use-ssl         -S       Use SSL connection to remote server.\n' +
    '   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n' +
    '   --server          -s       Use the specified remote server address.\n' +
    '   --port            -p       Use the specified remote server port.\n' +
    '   --url             -u       Use the specified remote server url.\n' +
    '   --use-virtualhost -V       Use the specified virtualhost in GET query.\n' +
    '   --verbose         -v       Use verbose mode output.\n' +
    '   --help            -h       Display this short inlined help screen.\n' +
    '   --fwmark          -m       Use the specified FW mark.\n' +
    "   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n" +
    "                                1.0c means 1.0 with 'Connection: close'\n" +
    '   --timeout         -t       Timeout in seconds\n'
  );
}

/** check_genhash_parse_cmdline: the options, or the error lines (the caller prints usage after them). */
export function parseGenhashArgs(argv: readonly string[]): { opts?: GenhashOptions; errors: string[] } {
  const errors: string[] = [];
  const o: { -readonly [K in keyof GenhashOptions]?: GenhashOptions[K] } = { ssl: false, sni: false, protocol: '1.0', verbose: false };
  let bad = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let opt: string;
    let val: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const [name, eq] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      const short = LONG[name];
      if (!short) {
        errors.push(`Unknown option ${a}`);
        bad = true;
        continue;
      }
      opt = short;
      val = eq;
      if (WITH_ARG.has(opt) && val === undefined) {
        val = argv[++i];
        if (val === undefined) {
          errors.push(`Missing parameter for option --${name}`);
          bad = true;
          continue;
        }
      }
    } else if (a.startsWith('-') && a.length > 1) {
      opt = a[1]!;
      if (!WITH_ARG.has(opt) && !'hvSI'.includes(opt)) {
        errors.push(`Unknown option -${opt}`);
        bad = true;
        continue;
      }
      if (WITH_ARG.has(opt)) {
        val = a.length > 2 ? a.slice(2) : argv[++i];
        if (val === undefined) {
          errors.push(`Missing parameter for option -${opt}`);
          bad = true;
          continue;
        }
      } else if (a.length > 2) {
        argv = [...argv.slice(0, i + 1), `-${a.slice(2)}`, ...argv.slice(i + 1)]; // clustered flags: -vS
      }
    } else {
      rest.push(a);
      continue;
    }
    switch (opt) {
      case 'h':
        bad = true;
        break;
      case 'v':
        o.verbose = true;
        break;
      case 'S':
        o.ssl = true;
        break;
      case 'I':
        o.sni = true;
        break;
      case 's':
        if (net.isIP(val!) === 0) return { errors: [...errors, `server should be an IP, not ${val}`] };
        o.server = val!;
        break;
      case 'V':
        o.virtualhost = val!;
        break;
      case 'p': {
        const n = /^[+-]?\d+$/.test(val!) ? Number(val) : NaN;
        if (!(n > 0 && n <= 65535)) return { errors: [...errors, `invalid port number '${val}'`] };
        o.port = n;
        break;
      }
      case 'u':
        o.url = val!;
        break;
      case 'm': {
        const v = val!.replace(/^[ \t]+/, '');
        if (!/^\d+$/.test(v)) return { errors: [...errors, `invalid fwmark '${val}'`] };
        o.fwmark = Number(v);
        break;
      }
      case 'P':
        if (val === '1.0') o.protocol = '1.0';
        else if (val === '1.0c' || val === '1.0C') o.protocol = '1.0C';
        else if (val === '1.1') o.protocol = '1.1';
        else return { errors: [...errors, `invalid HTTP protocol version '${val}'`] };
        break;
      case 't': {
        const v = val!.replace(/^[ \t]+/, '');
        if (!/^\d+$/.test(v)) return { errors: [...errors, `invalid timeout '${val}'`] };
        o.timeoutSec = Number(v);
        break;
      }
    }
  }
  if (bad) return { errors };
  if (rest.length) return { errors: [...errors, `Unexpected argument(s): ${rest.join(' ')}`] };
  if (o.server === undefined || o.port === undefined || o.url === undefined) return { errors };
  return { opts: o as GenhashOptions, errors };
}

/** lib/utils.c dump_buffer: offset (decimal, 4 digits), 16 hex bytes in two groups of 8, the printable text. */
export function dumpBuffer(b: Uint8Array): string {
  let s = '';
  const c = b.length % 16 ? b.length + 16 - (b.length % 16) : b.length;
  for (let i = 0; i < c; i++) {
    if (i % 16 === 0) s += `${String(i & 0xffff).padStart(4, '0')} `;
    s += i < b.length ? b[i]!.toString(16).padStart(2, '0').padStart(3, ' ') : '   ';
    if ((i + 1) % 8 === 0) {
      if ((i + 1) % 16) s += ' -';
      else {
        s += '   ';
        for (let j = i - 15; j <= i; j++) s += j < b.length ? (b[j]! >= 0x20 && b[j]! <= 0x7e ? String.fromCharCode(b[j]!) : '.') : ' ';
        s += '\n';
      }
    }
  }
  return s;
}

const DELIM = (t: string): string => `-----------------------[${t}]-----------------------\n`;

/** Fetches the url and reports as genhash does. Resolves with the exit status. */
export async function runGenhash(o: GenhashOptions, io: GenhashIo): Promise<number> {
  const started = process.hrtime.bigint();
  const url: HttpUrl = {
    path: o.url,
    statusCodes: [[200, 299]],
    regexNoMatch: false,
    regexOptions: [],
    regexMinOffset: 0,
    regexMaxOffset: 0,
    ...(o.virtualhost !== undefined ? { virtualhost: o.virtualhost } : {}),
  };
  const stepMs = o.timeoutSec !== undefined ? o.timeoutSec * 1000 : 2 ** 31 - 1;
  const check = {
    type: o.ssl ? 'SSL_GET' : 'HTTP_GET',
    httpProtocol: o.protocol,
    enableSni: o.sni,
    urls: [url],
    connection: { connectIp: o.server, connectPort: o.port, connectTimeoutMs: stepMs, ...(o.fwmark ? { fwmark: o.fwmark } : {}) },
    ...(o.virtualhost !== undefined ? { virtualhost: o.virtualhost } : {}),
  } as unknown as HttpCheck;
  const run = new ProbeRun(stepMs);
  const raw = await new Promise<Buffer | string>((resolve) => {
    void run.promise.then((r) =>
      resolve(r.kind === 'timeout' ? (r.detail ?? 'Timeout connecting') : r.kind === 'skipped' ? r.detail : 'Connection failed'),
    );
    void tcpConnect(check.connection, run).then((c) => {
      if (run.done) return;
      if (!c.ok) {
        run.finish(
          c.reason === 'timeout'
            ? { kind: 'timeout', detail: 'Timeout connecting' }
            : { kind: 'skipped', detail: c.reason === 'setup' ? 'WEB socket bind failed. Rescheduling' : 'Connection failed' },
        );
        return;
      }
      const exchange = (stream: net.Socket, ssl: boolean): void => {
        const chunks: Buffer[] = [];
        const readTimeout = { kind: 'timeout', detail: ssl ? 'Timeout SSL read' : 'Timeout HTTP read' } as const;
        run.step({ kind: 'timeout', detail: 'Timeout WEB write' });
        stream.write(buildHttpRequest(check, url), 'latin1', (err) => {
          if (err) run.finish({ kind: 'skipped', detail: 'Cannot send get request to' });
          else run.step(readTimeout);
        });
        stream.on('data', (d: Buffer) => {
          chunks.push(d);
          run.step(readTimeout);
        });
        const end = (): void => {
          const b = Buffer.concat(chunks);
          run.finish({ kind: 'result', outcome: { ok: true } });
          resolve(b);
        };
        stream.once('end', end);
        stream.once('error', () => (ssl ? end() : run.finish({ kind: 'skipped', detail: 'Read error with' })));
      };
      if (!o.ssl) {
        exchange(c.socket, false);
        return;
      }
      run.step({ kind: 'timeout', detail: 'Timeout connecting' });
      const sni = o.sni && o.virtualhost !== undefined && net.isIP(o.virtualhost) === 0 ? { servername: o.virtualhost } : {};
      const secure = tls.connect({ socket: c.socket, rejectUnauthorized: false, ...sni });
      run.onCleanup(() => secure.destroy());
      secure.once('error', () => run.finish({ kind: 'skipped', detail: 'SSL handshake/communication error connecting to' }));
      secure.once('secureConnect', () => exchange(secure, true));
    });
  });
  if (typeof raw === 'string') {
    io.out(`${raw}\n`);
    return 0;
  }
  const resp = parseHttpResponse(raw);
  if (o.verbose && resp.complete) {
    const he = headerEnd(raw);
    io.out(
      DELIM('    HTTP Header Buffer    ') +
        dumpBuffer(raw.subarray(0, he)) +
        DELIM(' HTTP Header Ascii Buffer ') +
        `${raw.subarray(0, he).toString('latin1')}\n`,
    );
    if (resp.body.length) io.out(DELIM('        HTML Buffer        ') + dumpBuffer(resp.body));
  }
  if (!resp.complete) {
    io.err('no data received from remote webserver\n');
    return 0;
  }
  const digest = bodyDigest(resp.body);
  if (o.verbose) io.out(`\n${DELIM('    HTML hash resulting    ')}${dumpBuffer(Buffer.from(digest, 'hex'))}${DELIM(' HTML hash final resulting ')}`);
  io.out(`${digest}\n`);
  if (o.verbose) io.out(`\nGlobal response time for [${o.url}] = ${(process.hrtime.bigint() - started) / 1000n} usecs\n`);
  return 0;
}

/** The `genhash` subcommand: parses, prints usage on a bad command line (exit 1), else fetches. */
export async function genhashMain(argv: readonly string[], prog: string, io: GenhashIo): Promise<number> {
  const { opts, errors } = parseGenhashArgs(argv);
  for (const e of errors) io.err(`${e}\n`);
  if (!opts) {
    io.err(genhashUsage(prog));
    return 1;
  }
  return runGenhash(opts, io);
}
