/**
 * The entry of the V8 startup snapshot that answers `-t` (issue 17). scripts/bundle.mjs bundles this file as one
 * classic script (Node 20's snapshots hold one script and no user-land module loader; `import.meta.url` reads
 * {@link ENTRY_URL_GLOBAL}) and runs it with `node --build-snapshot`: it loads the command line and the
 * configuration layer and parses a small configuration, and the snapshot keeps that heap — functions, their bytecode
 * included. The `keepalived-ts` bin (src/cli/bin.sh) starts node from the snapshot for a `-t` command line, which
 * then neither resolves, reads nor compiles those modules. On such a start the main function below runs `-t` (or
 * an answer on the way to it: `-v`, a usage error) exactly as src/cli/main.ts would; any other command line exits
 * at once with {@link SNAPSHOT_DECLINED}, and the bin runs the ES-module build instead.
 */
import { startupSnapshot } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { answersFromConfigLayer, exitWith, main } from './run.js';
import { loadConfig } from '../config/index.js';
// evaluated while the snapshot is built, so it is in its heap (run.ts imports it lazily, on the `-t` path)
import '../daemon/config-port.js';

/** The exit status of a snapshot start that does not answer its command line (the bin then runs the ES modules). */
export const SNAPSHOT_DECLINED = 100;

/** The global that stands for `import.meta.url` in the snapshot's bundle: the URL of dist/bundle/main.js. */
export const ENTRY_URL_GLOBAL = '__keepalivedTsEntryUrl';

/** A configuration using the common blocks, parsed while the snapshot is built so that their code is compiled. */
function warmUpText(): string {
  const lines = ['global_defs {', '  router_id snapshot', '}', 'vrrp_script chk {', '  script "/bin/true"', '}'];
  for (let i = 1; i <= 2; i++)
    lines.push(`vrrp_instance VI_${i} {`, '  state BACKUP', '  interface eth0', `  virtual_router_id ${i}`, '  priority 100', '  advert_int 1');
  lines.push('  authentication {', '    auth_type PASS', '    auth_pass secret', '  }', '  track_script {', '    chk', '  }');
  lines.push('  virtual_ipaddress {', '    203.0.113.1/32', '    2001:db8::1/64', '  }', '}');
  lines.push('virtual_server 198.51.100.1 80 {', '  delay_loop 6', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP');
  for (let r = 1; r <= 2; r++)
    lines.push(`  real_server 192.0.2.${r} 80 {`, '    weight 1', '    TCP_CHECK {', '      connect_timeout 3', '    }', '  }');
  return [...lines, '}', ''].join('\n');
}

/** Runs when node starts from the snapshot: process.argv is [node, dist/bundle/main.js, …the command line]. */
function fromSnapshot(): void {
  const script = process.argv[1];
  const argv = process.argv.slice(2);
  if (script === undefined || !answersFromConfigLayer(argv)) process.exit(SNAPSHOT_DECLINED);
  (globalThis as Record<string, unknown>)[ENTRY_URL_GLOBAL] = pathToFileURL(script).href;
  exitWith(main(argv));
}

if (startupSnapshot.isBuildingSnapshot()) {
  const text = warmUpText();
  loadConfig('/snapshot.conf', { configId: 'snapshot', fs: { readFile: (p) => (p === '/snapshot.conf' ? text : undefined), listDir: () => [] } });
  startupSnapshot.setDeserializeMainFunction(fromSnapshot);
}
