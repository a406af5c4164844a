/**
 * Clients of a running daemon's control socket:
 * - `keepalived-ts --status[=CMD]` (the original form): `status` prints a table; `json`, `stats`, `data`,
 *   `stats-clear` print the dump text; `reload` waits for the reload to finish.
 * - `keepalived-ts status [--json] [--watch[=SECONDS]] [--color=auto|always|never] [-p PIDFILE | --control-socket=PATH]`:
 *   the status view (src/observe/view.ts) for people (colour on a TTY) or machines; `--watch` redraws it live
 *   (with `--json`, one JSON document per line).
 * - `keepalived-ts status --lvs [--stats|--rate] [--json]`: the checker child's data plane (IPVS or nftables) as
 *   `ipvsadm -Ln` (`-Ln --stats`, `-Ln --rate`) prints it, or its LvsReport as JSON (src/lb/report.ts).
 * - `keepalived-ts ctl [-p PIDFILE | --control-socket=PATH] ACTION …`: admin actions (root only, logged by the
 *   daemon): `priority INSTANCE OFFSET`, `garp [INSTANCE]`, `drain VS RS`, `undrain VS RS`, `reload`; and
 *   `ctl status|json|stats|data|ping` as plain requests.
 * The daemon is picked by its pid file (`-p`, as given to the daemon; the socket lies next to it) or directly by
 * `--control-socket`. Exit status 0 on success, 1 when the daemon cannot be reached or refuses, 2 on usage errors.
 */
import { controlRequest, controlSocketFor, type ControlReply } from '../daemon/control.js';
import type { ListingFormat } from '../lb/listing.js';
import { renderLvsReport } from '../lb/report.js';
import { renderStatusTable } from '../daemon/status-table.js';
import { renderStatus } from '../observe/render.js';
import { statusView } from '../observe/view.js';

/** Runs one control command against `socketPath` and prints the answer. */
export async function runStatusClient(socketPath: string, command: string): Promise<number> {
  const reply = await controlRequest(socketPath, command, command === 'reload' ? 60_000 : 10_000);
  if (!reply.ok) {
    process.stderr.write(`keepalived-ts: ${reply.error}\n`);
    return 1;
  }
  if (reply.status) process.stdout.write(renderStatusTable(reply.status, Date.now()));
  else if (reply.text !== undefined) process.stdout.write(reply.text);
  else process.stdout.write(`${command}: ok\n`);
  return 0;
}

/** Options of the `status` and `ctl` subcommands. */
export interface ClientOptions {
  readonly socket: string;
  readonly json: boolean;
  /** Redraw period in seconds (undefined: once). */
  readonly watchSec?: number;
  readonly colour: 'auto' | 'always' | 'never';
  /** Words after the options (the ctl action). */
  readonly rest: readonly string[];
  /** `--lvs` (with `--stats` / `--rate`): the load balancer's table instead of the status view. */
  readonly lvs?: ListingFormat;
}

/**
 * Parses the options of `status`/`ctl` (before the first non-option word; everything after it is literal, so
 * `ctl priority VI_1 -50` works).
 */
export function parseClientArgs(argv: readonly string[]): ClientOptions | Error {
  let pid: string | undefined;
  let socket: string | undefined;
  let json = false;
  let watchSec: number | undefined;
  let colour: ClientOptions['colour'] = 'auto';
  let lvs = false;
  let listing: ListingFormat = 'default';
  let i = 0;
  const value = (w: string, name: string): string | Error => {
    const eq = w.indexOf('=');
    if (eq >= 0) return w.slice(eq + 1);
    const v = argv[++i];
    return v === undefined ? new Error(`missing value for ${name}`) : v;
  };
  for (; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--') {
      i++;
      break;
    }
    if (!w.startsWith('-') || /^-\d/.test(w)) break;
    if (w === '--json') json = true;
    else if (w === '--lvs') lvs = true;
    else if (w === '--stats' || w === '--rate') listing = w === '--stats' ? 'stats' : 'rate';
    else if (w === '--watch' || w.startsWith('--watch=')) {
      watchSec = w.includes('=') ? Number(w.slice(8)) : 1;
      if (!(watchSec >= 0.1 && watchSec <= 3600)) return new Error(`invalid --watch period '${w.slice(8)}' (0.1..3600 seconds)`);
    } else if (w === '--no-color' || w === '--no-colour') colour = 'never';
    else if (w.startsWith('--color') || w.startsWith('--colour')) {
      const v = value(w, '--color');
      if (v instanceof Error) return v;
      if (v !== 'auto' && v !== 'always' && v !== 'never') return new Error(`invalid --color '${v}' (auto, always, never)`);
      colour = v;
    } else if (w === '-p' || w === '--pid' || w.startsWith('--pid=') || (w.startsWith('-p') && w.length > 2 && !w.startsWith('--'))) {
      const v = w.startsWith('-p') && w.length > 2 && !w.startsWith('--') ? w.slice(2) : value(w, '-p/--pid');
      if (v instanceof Error) return v;
      pid = v;
    } else if (w === '--control-socket' || w.startsWith('--control-socket=')) {
      const v = value(w, '--control-socket');
      if (v instanceof Error) return v;
      socket = v;
    } else return new Error(`unknown option ${w}`);
  }
  if (listing !== 'default' && !lvs) return new Error('--stats and --rate go with --lvs');
  return {
    socket: socket ?? controlSocketFor(pid),
    json,
    ...(watchSec !== undefined ? { watchSec } : {}),
    colour,
    rest: argv.slice(i),
    ...(lvs ? { lvs: listing } : {}),
  };
}

const STATUS_USAGE =
  'usage: keepalived-ts status [--json] [--watch[=SECONDS]] [--color=auto|always|never] [-p PIDFILE | --control-socket=PATH]\n' +
  '       keepalived-ts status --lvs [--stats|--rate] [--json] [-p PIDFILE | --control-socket=PATH]\n';
const CTL_USAGE = `usage: keepalived-ts ctl [-p PIDFILE | --control-socket=PATH] ACTION
actions (root only, logged by the daemon):
  priority INSTANCE OFFSET   temporary priority offset (-253..253; 0 clears)
  garp [INSTANCE]            send a GARP/NA burst now for MASTER instances
  drain VS RS                weight 0 for a real server until its connections finish
  undrain VS RS              give it its weight back
  reload                     reload the configuration (as SIGHUP) and wait for it
requests: status, json, stats, data, ping
`;

/** One rendering of the status for `o`. */
function renderReply(reply: ControlReply, o: ClientOptions, tty: boolean): string | Error {
  if (!reply.ok) return new Error(reply.error);
  if (o.lvs) {
    if (!reply.lvs) return new Error('the daemon sent no load-balancer table');
    return o.json ? `${JSON.stringify(reply.lvs, null, o.watchSec !== undefined ? undefined : 2)}\n` : renderLvsReport(reply.lvs, o.lvs);
  }
  if (!reply.status) return new Error('the daemon sent no status');
  const view = statusView(reply.status.process, reply.status.snapshot, Date.now());
  if (o.json) return `${JSON.stringify(view, null, o.watchSec !== undefined ? undefined : 2)}\n`;
  return renderStatus(view, { colour: o.colour === 'always' || (o.colour === 'auto' && tty), nowMs: Date.now() });
}

/** `keepalived-ts status …`. */
export async function runStatusCommand(argv: readonly string[]): Promise<number> {
  const o = parseClientArgs(argv);
  if (o instanceof Error || o.rest.length) {
    process.stderr.write(`keepalived-ts status: ${o instanceof Error ? o.message : `unexpected argument ${o.rest[0]}`}\n${STATUS_USAGE}`);
    return 2;
  }
  const tty = process.stdout.isTTY === true;
  const once = async (): Promise<number> => {
    const out = renderReply(await controlRequest(o.socket, o.lvs ? (o.lvs === 'rate' ? 'lvs-rate' : 'lvs') : 'status'), o, tty);
    if (out instanceof Error) {
      process.stderr.write(`keepalived-ts: ${out.message}\n`);
      return 1;
    }
    process.stdout.write(o.watchSec !== undefined && tty && !o.json ? `\x1b[H\x1b[2J${out}` : out);
    return 0;
  };
  if (o.watchSec === undefined) return once();
  return new Promise<number>((resolve) => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (code: number) => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onInt);
      resolve(code);
    };
    const onInt = () => finish(0);
    process.on('SIGINT', onInt);
    const loop = async () => {
      if (stopped) return;
      await once(); // an unreachable daemon is reported and retried: watching a restart is a normal use
      if (!stopped) timer = setTimeout(() => void loop(), o.watchSec! * 1000);
    };
    void loop();
  });
}

/** `keepalived-ts ctl …`. */
export async function runCtlCommand(argv: readonly string[]): Promise<number> {
  const o = parseClientArgs(argv);
  if (o instanceof Error || !o.rest.length) {
    process.stderr.write(`${o instanceof Error ? `keepalived-ts ctl: ${o.message}\n` : ''}${CTL_USAGE}`);
    return 2;
  }
  const cmd = o.rest.join(' ');
  if (cmd === 'status') return runStatusCommand(argv.slice(0, argv.length - 1));
  const reply = await controlRequest(o.socket, cmd, o.rest[0] === 'reload' ? 60_000 : 10_000);
  if (!reply.ok) {
    process.stderr.write(`keepalived-ts: ${reply.error}\n`);
    return 1;
  }
  process.stdout.write(reply.text !== undefined ? (reply.text.endsWith('\n') ? reply.text : `${reply.text}\n`) : `${cmd}: ok\n`);
  return 0;
}
