#!/usr/bin/env node
/**
 * Mutation testing (StrykerJS) of the sans-IO cores: `npm run mutate -- [GROUP…] [--concurrency N]`.
 *
 * Stryker mutates the compiled JavaScript in dist/ (tsc output is the TypeScript without its types, so a mutant's
 * line is the source line) and runs, per mutant, the group's fast unit/sim test files in one Node process (the
 * `command` runner: node:test is not a Stryker runner). Groups (default: all, most important first):
 *   vrrp-rx      src/vrrp/validate.ts, the receive checks
 *   vrrp-fsm     src/vrrp/fsm.ts, advert reception and fault entry/exit
 *   vrrp-fsm-rx    the part of vrrp-fsm for a MASTER hearing an advert (own address, rivals)
 *   vrrp-fsm-rare  the part of vrrp-fsm for leaving FAULT, the learned interval, timeouts, GARP refresh and reload
 *   check        src/check/quorum.ts, checker-fsm.ts (event handling and verdicts)
 *   check-quorum   the part of check for quorum/hysteresis and probe results, with its three fastest test files
 *   config-vrrp  src/config/parse-vrrp.ts, the vrrp_instance fix-ups (preempt_delay, strict, nopreempt, ranges)
 *   config-front src/config/lexer.ts, preprocess.ts (includes, $NAME, ~SEQ, line continuation)
 * Groups with line ranges mutate only the named (compiled) lines: the whole of those files is more than a shared
 * 2-core machine finishes in an hour. `file.js#a,b` names functions or methods instead (their lines are looked up in
 * the compiled file at each run, so they do not go stale when the source moves), and `file.js@START..END` the lines from
 * one containing START to the one before the next containing END (config-vrrp: fixed line numbers had drifted by 10).
 * Reports: reports/mutation/<group>.html and .json; a per-file score table is printed at the end.
 * Run it niced on a shared machine: `nice -n 19 npm run mutate -- vrrp-fsm`. `--no-build` skips the tsc step.
 * `--survivors` re-runs only the lines of the survivors of the group's last full report (reports/mutation/<group>.json,
 * after tests were added: a killed mutant stays killed when tests are only added) and prints the merged score;
 * its own report is <group>-survivors.json. The source lines must not have moved since that report.
 * `--incremental` turns on Stryker's incremental mode (reports/mutation/<group>.incremental.json): a re-run after a
 * source change only tests the changed mutants. The command runner reports one test for the whole run, so Stryker
 * cannot see tests being added: after adding tests, use `--survivors` (or delete the incremental file).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The vrrp-fsm tests: the unit FSM tests, the sim scenarios and split-brain. */
const FSM_TESTS = [
  'unit/vrrp/fsm',
  'unit/vrrp/fsm-rare',
  'unit/vrrp/fsm-invariants',
  'unit/vrrp/sync-group',
  'unit/vrrp/router',
  'unit/vrrp/mutants',
  'unit/vrrp/fsm-mutants',
  // the rival map's bound (vrrp-fsm survivor: pruning off)
  'unit/vrrp/fsm-rivals',
  'sim/scenarios',
  'sim/split-brain',
];

const GROUPS = {
  'vrrp-rx': {
    // the receive checks: TTL, auth, interval, address list, unicast source and peer TTL range
    mutate: ['dist/src/vrrp/validate.js:58-160'],
    tests: ['unit/vrrp/validate', 'unit/vrrp/mutants'],
  },
  'vrrp-fsm': {
    // sync-group hooks, timeouts and the sync-group gate, advert reception in BACKUP and MASTER (preemption,
    // priority 0, skew), reload (onUpdate: advert_int while MASTER), fault entry and exit, timers and the learned interval
    mutate: [
      'dist/src/vrrp/fsm.js#forceMaster,forceBackup,setGroupFault,onTimeout,masterAdvertTick,masterDown,onAdvert,backupRx,masterRx,' +
        'lowerPriorityRx,onUpdate,faultReason,recomputePriority,reevaluate,becomeMaster,leaveMaster,enterBackup,enterFault,leaveFault,' +
        'adoptInterval,scheduleDelayedGarp,fireDelayedGarp',
    ],
    tests: FSM_TESTS,
  },
  'vrrp-fsm-rx': {
    // the part of vrrp-fsm for a MASTER hearing an advert (masterRx: own address, owner clash, yield; lowerPriorityRx:
    // rival episodes and their pruning), with the vrrp-fsm tests
    mutate: ['dist/src/vrrp/fsm.js#masterRx,lowerPriorityRx'],
    tests: FSM_TESTS,
  },
  'vrrp-fsm-rare': {
    // the rare transitions of vrrp-fsm alone (leaving FAULT, the learned interval, timeouts and GARP refresh, reload),
    // with the unit tests of vrrp-fsm only (no sim scenarios: a looping timer mutant costs a 10 s timeout there)
    mutate: ['dist/src/vrrp/fsm.js#leaveFault,adoptInterval,onTimeout,masterAdvertTick,onUpdate,fireDelayedGarp,scheduleDelayedGarp'],
    tests: ['unit/vrrp/fsm', 'unit/vrrp/fsm-rare', 'unit/vrrp/fsm-invariants', 'unit/vrrp/sync-group', 'unit/vrrp/router', 'unit/vrrp/mutants'],
  },
  check: {
    mutate: ['dist/src/check/quorum.js', 'dist/src/check/checker-fsm.js#handle,onTimer,onEnd,schedule,log,verdict,adjustWeight'],
    tests: ['sim/check/core', 'sim/check/quorum', 'sim/check/checker-types', 'sim/check/checker-timing', 'unit/check/mutants'],
  },
  'check-quorum': {
    // the part of check the issue names: quorum with hysteresis (the whole file) and probe results (stale ones)
    mutate: ['dist/src/check/quorum.js', 'dist/src/check/checker-fsm.js#handle,onEnd'],
    tests: ['sim/check/core', 'sim/check/quorum', 'unit/check/mutants'],
  },
  'config-vrrp': {
    // VIP prefix and label ranges (readVirtualAddress), then the vrrp_instance fix-ups after parsing (keepalived
    // vrrp_complete_instance: advert_int rounding, auth, strict overrides, nopreempt, preempt_delay with MASTER)
    mutate: [
      'dist/src/config/parse-vrrp.js#readVirtualAddress',
      'dist/src/config/parse-vrrp.js@const family = nativeIpv6..const vipVmac',
      // VIPs without a home (unicast without interface), nopreempt and preempt_delay
      'dist/src/config/parse-vrrp.js@if (r.interface === undefined && (r.unicastPeers..return {',
      // the strict overrides of the result (accept, lower-priority GARP, down timer, lower_prio_no_advert)
      'dist/src/config/parse-vrrp.js@dontTrackPrimary: r.dontTrackPrimary..notify,',
    ],
    // (unit/config/static-track fails in Stryker's sandbox: its script-security case depends on the checkout's path)
    tests: ['unit/config/model', 'unit/config/mutants'],
  },
  'config-front': {
    // preprocess.ts: files and lines, `@id` lines, multi-line definitions, include and its globs (the lexer is not
    // mutated: the whole front end is more than the shared machine finishes in the time)
    mutate: ['dist/src/config/preprocess.js:61-73', 'dist/src/config/preprocess.js:134-161', 'dist/src/config/preprocess.js:201-281'],
    tests: ['unit/config/tree', 'unit/config/preprocess-seq', 'unit/config/mutants'],
  },
};

const args = process.argv.slice(2);
const ci = args.indexOf('--concurrency');
const concurrency = ci >= 0 ? Number(args[ci + 1]) : 1;
const names = args.filter((a, i) => !a.startsWith('--') && !(ci >= 0 && i === ci + 1));
for (const n of names) if (!(n in GROUPS)) throw new Error(`unknown group ${n} (groups: ${Object.keys(GROUPS).join(', ')})`);
const groups = names.length ? names : Object.keys(GROUPS);

if (!args.includes('--no-build')) {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
mkdirSync('reports/mutation', { recursive: true });

const survivorsOnly = args.includes('--survivors');
const alive = (m) => m.status === 'Survived' || m.status === 'NoCoverage';
const mutantKey = (path, m) => `${path}|${m.mutatorName}|${m.replacement}|${m.location.start.line}:${m.location.start.column}`;

/**
 * `file.js#a,b` → one `file.js:start-end` per function or method `a`, `b` (from its header to its closing brace);
 * `file.js@START..END` → the lines from the first one containing START up to, not including, the next one containing END.
 */
function byName(spec) {
  const at = spec.indexOf('@');
  if (at >= 0) {
    const file = spec.slice(0, at);
    const [from, to] = spec.slice(at + 1).split('..');
    const lines = readFileSync(file, 'utf8').split('\n');
    const start = lines.findIndex((l) => l.includes(from));
    const end = lines.findIndex((l, i) => i > start && l.includes(to));
    if (start < 0 || end < 0) throw new Error(`mutate: no lines ${from}..${to} in ${file}`);
    return [`${file}:${start + 1}-${end}`];
  }
  const [file, names] = spec.split('#');
  if (names === undefined) return [spec];
  const lines = readFileSync(file, 'utf8').split('\n');
  return names.split(',').map((name) => {
    const head = new RegExp(`^(\\s*)(?:export )?(?:async )?(?:function )?${name}\\(`);
    const start = lines.findIndex((l) => head.test(l));
    if (start < 0) throw new Error(`mutate: no function ${name} in ${file}`);
    const indent = head.exec(lines[start])[1];
    const end = lines.findIndex((l, i) => i > start && l === `${indent}}`);
    return `${file}:${start + 1}-${end + 1}`;
  });
}

const rows = [];
for (const g of groups) {
  const { tests } = GROUPS[g];
  let mutate = GROUPS[g].mutate.flatMap(byName);
  const out = survivorsOnly ? `${g}-survivors` : g;
  const baseline = survivorsOnly ? JSON.parse(readFileSync(`reports/mutation/${g}.json`, 'utf8')) : undefined;
  if (baseline) {
    mutate = [
      ...new Set(
        Object.entries(baseline.files).flatMap(([path, f]) =>
          f.mutants.filter(alive).map((m) => `${path}:${m.location.start.line}-${m.location.end.line}`),
        ),
      ),
    ];
    if (!mutate.length) continue;
  }
  const imports = tests
    .filter((t) => existsSync(`dist/test/${t}.test.js`))
    .map((t) => `await import('./dist/test/${t}.test.js');`)
    .join('');
  const config = {
    $schema: './node_modules/@stryker-mutator/core/schema/stryker-schema.json',
    testRunner: 'command',
    commandRunner: { command: `node --input-type=module -e "${imports}"` },
    mutate,
    concurrency,
    coverageAnalysis: 'off',
    // log texts are not behaviour: string-literal mutants (thousands of them in log lines) are left out
    mutator: { excludedMutations: ['StringLiteral'] },
    // generous: the machine is shared, and a test run slowed by load must not count as a kill
    timeoutMS: 10_000,
    timeoutFactor: 2,
    ignorePatterns: ['/reports', '/.stryker-tmp', '/packaging', '/docs', '/bench', '/test/fixtures/*big*'],
    reporters: ['clear-text', 'html', 'json', 'progress'],
    htmlReporter: { fileName: `reports/mutation/${out}.html` },
    jsonReporter: { fileName: `reports/mutation/${out}.json` },
    tempDirName: `.stryker-tmp/${g}`,
    ...(args.includes('--incremental') ? { incremental: true, incrementalFile: `reports/mutation/${out}.incremental.json` } : {}),
    cleanTempDir: true,
    disableTypeChecks: false,
    thresholds: { high: 80, low: 60, break: null },
  };
  const file = join('.stryker-tmp', `${out}.conf.json`);
  mkdirSync('.stryker-tmp', { recursive: true });
  writeFileSync(file, JSON.stringify(config, null, 1));
  const r = spawnSync('npx', ['stryker', 'run', file], { stdio: 'inherit' });
  if (r.status !== 0) console.error(`mutate: stryker exited ${r.status} for ${g}`);
  let report = JSON.parse(readFileSync(`reports/mutation/${out}.json`, 'utf8'));
  if (baseline) {
    // each survivor of the baseline takes its status from the re-run; everything else keeps its baseline status
    const rerun = new Map(Object.entries(report.files).flatMap(([path, f]) => f.mutants.map((m) => [mutantKey(path, m), m.status])));
    for (const [path, f] of Object.entries(baseline.files))
      for (const m of f.mutants) if (alive(m)) m.status = rerun.get(mutantKey(path, m)) ?? m.status;
    report = baseline;
    mutate = GROUPS[g].mutate.flatMap(byName);
    for (const [path, f] of Object.entries(report.files))
      for (const m of f.mutants.filter(alive))
        console.log(`still surviving: ${path}:${m.location.start.line} ${m.mutatorName} ${JSON.stringify(m.replacement)}`);
  }
  for (const [path, f] of Object.entries(report.files)) {
    const n = (s) => f.mutants.filter((m) => m.status === s).length;
    const killed = n('Killed') + n('Timeout');
    const survived = n('Survived') + n('NoCoverage');
    rows.push({
      group: survivorsOnly ? `${g}, survivors re-run` : g,
      file:
        path.replace(/^dist\//, '').replace(/\.js$/, '.ts') +
        (mutate.some((m) => m.startsWith(`${path}:`))
          ? ` (JS lines ${mutate
              .filter((m) => m.startsWith(`${path}:`))
              .map((m) => m.slice(path.length + 1))
              .join(',')})`
          : ''),
      killed,
      survived,
      score: (100 * killed) / Math.max(1, killed + survived),
    });
  }
}
console.log('\nmutation score per file (killed + timeout) / (killed + timeout + survived + no coverage):');
for (const r of rows)
  console.log(`  ${r.file.padEnd(36)} ${r.score.toFixed(1).padStart(5)} %  killed ${r.killed}, survived ${r.survived}  [${r.group}]`);
