/**
 * Fuzz target: the configuration front end — lexer, preprocessor (include with globs, `$NAME` definitions,
 * `~SEQ`/`~LST`, `@id` lines, line continuation), tree builder and parsers — through loadConfig().
 *
 * The input is split at NUL bytes into the main file, an included file `inc.conf` and a `.hidden.conf` (so
 * `include *.conf` globs have something to match and to skip). Properties: loadConfig never throws, every
 * diagnostic has a file and a finite line and column, and dumping the model works. The fuzz loop's watchdog
 * catches hangs (MAX_GENERATED_LINES/CHARS bound the expansion).
 */
import { dumpConfig, loadConfig } from '../../../src/config/index.js';
import { memFs } from '../../../scripts/config-mutate.js';
import { seededRng } from '../../../src/core/rng.js';
import { ensure } from './input.js';

const DIR = '/fuzz';

/** Words worth inserting (the fuzz loop's dictionary). */
export const dictionary = [
  'vrrp_instance ',
  'virtual_ipaddress {',
  'include ',
  'include *.conf',
  '$A=',
  '${A}',
  '~SEQ(i,1,3)',
  '~LST(i,a,b)',
  '@fuzz ',
  '@^fuzz ',
  '\\\n',
  '\\',
  'global_defs {',
  'virtual_server 192.0.2.1 80 {',
  'real_server 192.0.2.2 80 {',
  'state MASTER',
  'preempt_delay 10',
  'priority 255',
  'unicast_peer {',
  'track_script {',
  'vrrp_script s {',
  'vrrp_sync_group G {',
  'static_routes {',
  'HTTP_GET {',
  'url { path / }',
  '}',
  '{',
  '"',
  '#',
  '!',
  '\n',
];

/** One input. */
export function fuzz(data: Uint8Array): void {
  const parts = Buffer.from(data).toString('latin1').split('\0');
  const files: Record<string, string> = {
    [`${DIR}/keepalived.conf`]: parts[0] ?? '',
    [`${DIR}/inc.conf`]: parts[1] ?? 'vrrp_script s {\n script /bin/true\n}\n',
    [`${DIR}/.hidden.conf`]: parts[2] ?? '}}}{{{ garbage\n',
  };
  const r = loadConfig(`${DIR}/keepalived.conf`, { configId: 'fuzz', fs: memFs(files), rng: seededRng(1) });
  for (const d of r.diagnostics) {
    ensure(typeof d.pos.file === 'string' && Number.isInteger(d.pos.line) && Number.isInteger(d.pos.col), `bad position ${JSON.stringify(d)}`);
    ensure(d.pos.line >= 0 && d.pos.col >= 0, `negative position ${JSON.stringify(d)}`);
  }
  ensure(typeof dumpConfig(r.config) === 'string', 'dump failed');
}
