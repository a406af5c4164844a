#!/usr/bin/env node
// Runs the test tiers with node's built-in test runner.
//   node scripts/test.mjs            -> unit, sim, and netns when running as root
//   node scripts/test.mjs unit sim   -> only the named tiers
//   node scripts/test.mjs ipvs       -> the ipvs tier (dist/test/ipvs): inside the UML guest it runs the files;
//                                       on the host it boots the guest (scripts/ipvs-vm) and runs itself there
// With no tier named, as root and with /usr/bin/linux.uml installed, the ipvs tier runs last (in the guest) and
// its counts join the closing line.
// The netns tier runs in two passes: the files that assert timing one at a time, then the files listed in
// NETNS_PAIRED (no timing bound) two at a time.
// Tests are compiled by tsc into dist/test/<tier>/**/*.test.js.
// The netns tier needs root (network namespaces, raw sockets); without root it is
// reported as not run, loudly, rather than silently passing.
import { readdirSync, statSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const all = ['unit', 'sim', 'netns'];
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const inGuest = process.env.KTS_IPVS_GUEST === '1';
const umlKernel = process.env.IPVS_VM_UML ?? '/usr/bin/linux.uml';
let tiers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
const named = tiers.length > 0;
if (tiers.length === 0) tiers = isRoot ? all : ['unit', 'sim'];
// The ipvs tier: in the guest, its files run like any other tier's; on the host it is one guest boot, run last.
let ipvsInVm = false;
if (!inGuest && tiers.includes('ipvs')) {
  tiers = tiers.filter((t) => t !== 'ipvs');
  if (!isRoot) console.error('ipvs tier needs root (it boots a User-mode Linux guest): not run');
  else ipvsInVm = true;
} else if (!named && isRoot && !inGuest) {
  if (existsSync(umlKernel)) ipvsInVm = true;
  else console.error(`# ${umlKernel} missing (scripts/ipvs-vm-setup.sh): the ipvs tier was not run`);
}
if (!isRoot && tiers.includes('netns')) {
  console.error('netns tier needs root: not run');
  tiers = tiers.filter((t) => t !== 'netns');
}
if (!isRoot && process.argv.length <= 2) console.error('# not root: the netns tier was not run');

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = tiers.flatMap((t) => collect(join(root, 'dist', 'test', t), []));
if (files.length === 0 && !ipvsInVm) {
  console.error(`no test files found for tiers: ${tiers.join(', ')} (did tsc run?)`);
  process.exit(1);
}
// netns tests share host-wide resources (namespaces are unique, but CPU timing matters):
// run them one file at a time; unit and sim files run in parallel.
// ipvs files share the one kernel IPVS table of the guest: one file at a time as well.
const netns = files.filter((f) => f.includes(`${join('dist', 'test', 'netns')}`) || f.includes(`${join('dist', 'test', 'ipvs')}`));
const rest = files.filter((f) => !netns.includes(f));
// netns files that assert no timing bound (only generous timeouts for a state to be reached, or counts, texts and
// kernel state), so a second test file on the other core cannot make them fail: they run two at a time, after the
// timed files have run alone. The list is explicit (a file missing from the tree is an error, not a silent skip);
// a file not listed here runs alone. leak-check is first: it is 150 s of sampling RSS, the others overlap it.
// Not listed although untimed: vrrp/firewall, vrrp/reload-sync, vrrp/routes and safety/reload wait at most 8 s for
// a first MASTER or a settled daemon, which this shared host's load broke both alone and paired.
const NETNS_PAIRED = [
  'soak/leak-check',
  'bfd/process',
  'bgp/bird',
  'bgp/kernel-table',
  'cli/bundle',
  'cli/detached-flags',
  'daemon/instance-pidfiles',
  'lb/nft-backend',
  'lb/nft-ipvs',
  'net/route-attrs',
  'net/rtnl',
  'net/vmac',
  'notify/fifo-flaps',
  'notify/keepalived-oracle',
  'notify/script-path',
  'notify/script-user',
  'notify/smtp-oracle',
  'notify/track-script-oracle',
  'observe/event-flaps',
  'safety/crash',
  'safety/hardening',
  'safety/script-security',
  'vrrp/iptables-keyword',
  'vrrp/nftables',
  'vrrp/process-monitor-bufs',
  'vrrp/track-src-ip',
  'vrrp/unicast-fault',
  'vrrp/use-vmac-addr',
  'vrrp/vip-family',
  'vrrp/vmac',
];
const pairedPath = (n) => join(root, 'dist', 'test', 'netns', `${n}.test.js`);
const paired = tiers.includes('netns') ? NETNS_PAIRED.map(pairedPath) : [];
const missing = paired.filter((f) => !files.includes(f));
if (missing.length) {
  console.error(`NETNS_PAIRED in scripts/test.mjs names files that do not exist:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
const alone = netns.filter((f) => !paired.includes(f));
let status = 0;
const env = { ...process.env, KTS_ROOT: root };
const totals = { pass: 0, fail: 0, skipped: 0 };
const tmp = mkdtempSync(join(tmpdir(), 'kts-test-'));
function run(label, args, list) {
  if (!list.length) return;
  const tap = join(tmp, `${label}.tap`);
  const r = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-timeout=300000',
      ...args,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...extra,
      ...list,
    ],
    { stdio: 'inherit', env },
  );
  status ||= r.status ?? 1;
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  for (const k of Object.keys(totals)) {
    const m = text.match(new RegExp(`^# ${k} (\\d+)$`, 'm'));
    if (m) totals[k] += Number(m[1]);
  }
}
run('parallel', [], rest);
run('netns', ['--test-concurrency=1'], alone);
run('netns-paired', ['--test-concurrency=2'], paired);
if (ipvsInVm) {
  // one guest boot; the guest runs this script for the ipvs tier and leaves its TAP totals in a shared file
  const share = mkdtempSync(join(tmpdir(), 'kts-ipvs-'));
  const t0 = Date.now();
  const r = spawnSync(
    join(root, 'scripts', 'ipvs-vm'),
    [
      '-s',
      '-t',
      '1200',
      '-w',
      share,
      '-e',
      `KTS_IPVS_TOTALS=${join(share, 'totals.json')}`,
      '--',
      process.execPath,
      join(root, 'scripts', 'test.mjs'),
      'ipvs',
      ...extra,
    ],
    { stdio: 'inherit', cwd: root },
  );
  console.log(`# ipvs tier: guest exit ${r.status}, wall ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  status ||= r.status ?? 1;
  const tf = join(share, 'totals.json');
  if (existsSync(tf)) {
    const t = JSON.parse(readFileSync(tf, 'utf8'));
    for (const k of Object.keys(totals)) totals[k] += t[k] ?? 0;
  } else if (r.status !== 0) totals.fail += 1;
  rmSync(share, { recursive: true, force: true });
}
rmSync(tmp, { recursive: true, force: true });
if (process.env.KTS_IPVS_TOTALS) writeFileSync(process.env.KTS_IPVS_TOTALS, JSON.stringify(totals));
if (status !== 0 && totals.fail === 0) totals.fail = 1; // a crashed runner still counts as a failure
console.log(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(status);
