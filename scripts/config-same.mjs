#!/usr/bin/env node
/**
 * Checks that two builds of the configuration layer read every configuration alike (issue 17, sixth pass: the
 * parser was made faster without changing what it produces):
 *
 *   node scripts/config-same.mjs <before>/dist <after>/dist [mutants per config = 20]
 *
 * For each case, both builds' `loadConfigTree` and `loadConfig` (with a seeded `${_RANDOM}` and a fake host for the
 * interface and script checks) are dumped as JSON — the block tree, the typed model with every position, and every
 * diagnostic with its file:line:col, severity and flags — and the two texts must be equal byte for byte. Cases: the
 * unit tests' corpus (test/unit/config/corpus.ts: Debian's samples, the seed configs, every keepalived keyword with a
 * good and a bad value, preprocessor and exit-status cases), seeded mutants of each (byte flips, deletions,
 * duplicated lines, stray braces, definitions, includes), and the two large generated configurations of
 * bench/compare.ts and bench/config-parse.ts. Prints the number of cases and exits 1 at the first difference.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [beforeDir, afterDir, mutantsArg] = process.argv.slice(2);
if (!beforeDir || !afterDir) {
  console.error('usage: node scripts/config-same.mjs <before dist dir> <after dist dir> [mutants per config]');
  process.exit(2);
}
const MUTANTS = Number(mutantsArg ?? 20);
const load = async (dir) => ({
  config: await import(pathToFileURL(resolve(dir, 'src/config/index.js')).href),
  rng: await import(pathToFileURL(resolve(dir, 'src/core/rng.js')).href),
});
const before = await load(beforeDir);
const after = await load(afterDir);
const { corpus } = await import(pathToFileURL(resolve(afterDir, 'test/unit/config/corpus.js')).href);

/** A host where `eth0`, `eth1` and `kad0` exist, `lo` is the loopback, and scripts under /bin and /usr exist. */
const host = {
  interfaceKind: (n) => (n === 'lo' ? 'loopback' : ['eth0', 'eth1', 'kad0'].includes(n) ? 'ok' : 'missing'),
  scriptFound: (p) => p.startsWith('/bin/') || p.startsWith('/usr/'),
  scriptMissing: (p) => !p.startsWith('/'),
  userExists: (u) => u === 'root' || u === 'nobody',
};

const MAIN = '/etc/keepalived/keepalived.conf';
function memFs(files) {
  return {
    readFile: (p) => files[p],
    listDir: (d) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${d}/`) && !f.slice(d.length + 1).includes('/'))
        .map((f) => f.slice(d.length + 1)),
  };
}

function dump(build, files, configId) {
  const opts = () => ({ configId: configId ?? 'node1', fs: memFs(files), rng: build.rng.seededRng(7) });
  const tree = build.config.loadConfigTree(MAIN, opts());
  const loaded = build.config.loadConfig(MAIN, { ...opts(), host });
  return JSON.stringify({ tree, loaded });
}

let seed = 1;
function rng() {
  // mulberry32, as src/core/rng.ts
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rng() * n);
const pick = (xs) => xs[int(xs.length)];
const SPECIALS = [
  '{',
  '}',
  '"',
  '#',
  '!',
  '\n',
  ' \\\n',
  '$X',
  '${X}',
  '$X=eth0',
  '$M= \\\n',
  '${_RANDOM 1 9}',
  '~SEQ(i, 1, 3) ',
  '~LST(i, a, b) ',
  '$i',
  '@node1 ',
  '@^node1 ',
  'include inc.conf\n',
  'include *.conf\n',
  '0',
  '256',
  '-1',
  '4294967296',
  '192.0.2.1',
  '2001:db8::1/64',
  'dev',
  'eth0',
  '\t',
  '\\#',
  '\r\n',
  'é',
];

/** One to six mutations of `text` (fuzz-config.ts's kinds). */
function mutate(text, others) {
  let s = text;
  for (let k = 1 + int(6); k > 0; k--) {
    const at = int(s.length + 1);
    const len = 1 + int(40);
    switch (int(7)) {
      case 0:
        s = s.slice(0, at) + String.fromCharCode(32 + int(95)) + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + len);
        break;
      case 2: {
        const from = int(s.length + 1);
        s = s.slice(0, at) + s.slice(from, from + len * 4) + s.slice(at);
        break;
      }
      case 3:
        s = s.slice(0, at) + pick(['{', '}', '{ ', ' }', '{\n', '\n}\n']) + s.slice(at);
        break;
      case 4:
        s = s.slice(0, at) + pick(SPECIALS) + s.slice(at);
        break;
      case 5: {
        const lines = s.split('\n');
        const i = int(lines.length);
        lines.splice(i, 0, ...lines.slice(i, i + 1 + int(10)));
        s = lines.join('\n');
        break;
      }
      default: {
        const o = pick(others);
        const from = int(o.length + 1);
        s = s.slice(0, at) + o.slice(from, from + len * 8) + s.slice(at);
      }
    }
  }
  return s;
}

/** bench/compare.ts's big configuration (200 instances + 50 virtual servers × 40 real servers). */
function compareBig() {
  const inst = (i) => [
    `vrrp_instance VI_${i} {`,
    '    state BACKUP',
    '    interface eth0',
    `    virtual_router_id ${(i % 255) + 1}`,
    '    priority 100',
    '    advert_int 1',
    '    virtual_ipaddress {',
    `        203.0.113.${(i % 250) + 1}/32`,
    '    }',
    '}',
  ];
  const vs = (v) => [
    `virtual_server 198.51.100.${v + 1} 80 {`,
    '    delay_loop 6',
    '    lb_algo rr',
    '    lb_kind NAT',
    '    protocol TCP',
    ...Array.from({ length: 40 }, (_, r) => [
      `    real_server 192.0.2.${((v * 40 + r) % 200) + 50} ${8000 + r} {`,
      '        weight 1',
      '        TCP_CHECK {',
      '            connect_port 80',
      '            connect_timeout 3',
      '        }',
      '    }',
    ]).flat(),
    '}',
  ];
  return (
    [
      'global_defs {',
      '    router_id bench',
      '}',
      ...Array.from({ length: 200 }, (_, i) => inst(i)).flat(),
      ...Array.from({ length: 50 }, (_, v) => vs(v)).flat(),
    ].join('\n') + '\n'
  );
}

/** bench/config-parse.ts's 50,000-line configuration, without the filler comments (it is timed there). */
function parseBig() {
  const out = ['global_defs {', '    router_id bench', '}'];
  for (let i = 0; i < 200; i++) {
    const iface = `eth${Math.floor(i / 255)}`;
    out.push(
      `vrrp_instance VI_${i} {`,
      `    state ${i % 2 ? 'BACKUP' : 'MASTER'}`,
      `    interface ${iface}`,
      `    virtual_router_id ${(i % 255) + 1}`,
      `    priority ${100 + (i % 100)}`,
      '    advert_int 1',
      '    authentication {',
      '        auth_type PASS',
      `        auth_pass p${i}`,
      '    }',
      '    virtual_ipaddress {',
      `        192.0.2.${(i % 250) + 1}/24 dev ${iface}`,
      `        198.51.100.${(i % 250) + 1}/24`,
      '    }',
      '    notify_master "/etc/keepalived/notify.sh master"',
      '}',
      '# a comment ! with a bang',
      '',
    );
  }
  for (let v = 0; v < 50; v++) {
    out.push(
      `virtual_server 198.51.100.${v + 1} 80 {`,
      '    delay_loop 6',
      '    lb_algo rr',
      '    lb_kind NAT',
      '    persistence_timeout 50',
      '    protocol TCP',
    );
    for (let r = 0; r < 10; r++) {
      out.push(`    real_server 203.0.113.${((v * 10 + r) % 250) + 1} ${8000 + r} {`, '        weight 1', '        inhibit_on_failure');
      if (r % 2 === 0)
        out.push(
          '        TCP_CHECK {',
          '            connect_port 80',
          '            connect_timeout 3',
          '            retry 3',
          '            delay_before_retry 2',
          '        }',
        );
      else
        out.push(
          '        HTTP_GET {',
          '            url {',
          '              path /health',
          '              status_code 200',
          '            }',
          '            connect_timeout 3',
          '            retry 3',
          '            delay_before_retry 2',
          '        }',
        );
      out.push('    }');
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

const cases = [];
const texts = corpus();
for (const c of texts) cases.push({ name: c.name, files: { [MAIN]: c.text }, configId: c.configId });
const others = texts.map((c) => c.text);
for (const c of texts)
  for (let m = 0; m < MUTANTS; m++) {
    const files = { [MAIN]: mutate(c.text, others) };
    if (m % 4 === 0) files['/etc/keepalived/inc.conf'] = mutate(pick(others), others);
    cases.push({ name: `${c.name} mutant ${m}`, files, configId: c.configId });
  }
cases.push({ name: 'bench/compare.ts big', files: { [MAIN]: compareBig() } });
cases.push({ name: 'bench/config-parse.ts big', files: { [MAIN]: parseBig() } });
cases.push({ name: 'bench/compare.ts big, CRLF', files: { [MAIN]: compareBig().replace(/\n/g, '\r\n') } });

let differ = 0;
for (const c of cases) {
  const a = dump(before, c.files, c.configId);
  const b = dump(after, c.files, c.configId);
  if (a === b) continue;
  differ++;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  console.log(`DIFFERENT: ${c.name}\n  before: …${a.slice(Math.max(0, i - 200), i + 200)}\n  after:  …${b.slice(Math.max(0, i - 200), i + 200)}`);
  if (differ >= 3) break;
}
console.log(`${cases.length} cases, ${differ} different`);
process.exit(differ ? 1 : 0);
