// Builds the addon with npm's bundled node-gyp against the local Node headers, so nothing is ever downloaded
// (only the npm registry is reachable where this project is built). Run by `npm ci` (this package's install script).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

/** node-gyp's entry point: the one npm hands to install scripts, else the copy bundled with the running npm. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push('/usr/share/nodejs/npm/node_modules/node-gyp/bin/node-gyp.js');
  return candidates.find((c) => existsSync(c));
}

const gyp = findNodeGyp();
if (!gyp) {
  console.error('sysio: cannot find node-gyp (looked at npm_config_node_gyp and the npm next to node)');
  process.exit(1);
}
const args = [gyp, 'rebuild'];
const nodedir = path.resolve(path.dirname(process.execPath), '..');
if (existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
else console.warn(`sysio: no Node headers under ${nodedir}/include/node; node-gyp may try to download them`);
const r = spawnSync(process.execPath, args, { cwd: __dirname, stdio: 'inherit' });
process.exit(r.status ?? 1);
