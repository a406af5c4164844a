/**
 * Benchmark: loading a 50,000-line keepalived.conf — 200 vrrp_instances, 50 virtual_servers with 500 real_servers
 * (TCP_CHECK and HTTP_GET checkers), the rest comments and blank lines — from a temp directory through loadConfig.
 * Prints the median wall time of several runs and lines per second, for the front end (preprocess + block tree)
 * and for the whole load (with the typed model). No assertions on time.
 * Run: npx tsc -p . && node dist/bench/config-parse.js   (or npm run bench -- config)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadConfigTree } from '../src/config/index.js';

const TARGET_LINES = 50_000;
const RUNS = 7;

function vrrpInstance(i: number): string[] {
  const vrid = (i % 255) + 1;
  const iface = `eth${Math.floor(i / 255)}`;
  return [
    `vrrp_instance VI_${i} {`,
    `    state ${i % 2 ? 'BACKUP' : 'MASTER'}`,
    `    interface ${iface}`,
    `    virtual_router_id ${vrid}`,
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
  ];
}

function realServer(vs: number, rs: number): string[] {
  const ip = `203.0.113.${((vs * 10 + rs) % 250) + 1}`;
  const check =
    rs % 2 === 0
      ? [
          '        TCP_CHECK {',
          '            connect_port 80',
          '            connect_timeout 3',
          '            retry 3',
          '            delay_before_retry 2',
          '        }',
        ]
      : [
          '        HTTP_GET {',
          '            url {',
          '              path /health',
          '              status_code 200',
          '            }',
          '            connect_timeout 3',
          '            retry 3',
          '            delay_before_retry 2',
          '        }',
        ];
  return [`    real_server ${ip} ${8000 + rs} {`, '        weight 1', '        inhibit_on_failure', ...check, '    }'];
}

function virtualServer(vs: number): string[] {
  const rs = Array.from({ length: 10 }, (_, r) => realServer(vs, r)).flat();
  return [
    `virtual_server 198.51.100.${vs + 1} 80 {`,
    '    delay_loop 6',
    '    lb_algo rr',
    '    lb_kind NAT',
    '    persistence_timeout 50',
    '    protocol TCP',
    ...rs,
    '}',
  ];
}

/** The blocks, then comments and blank lines spread between them until TARGET_LINES lines. */
function generate(): string {
  const blocks = [
    ['global_defs {', '    router_id bench', '}'],
    ...Array.from({ length: 200 }, (_, i) => vrrpInstance(i)),
    ...Array.from({ length: 50 }, (_, v) => virtualServer(v)),
  ];
  const used = blocks.reduce((n, b) => n + b.length, 0);
  const filler = TARGET_LINES - used;
  const out: string[] = [];
  blocks.forEach((b, k) => {
    const share = Math.floor((filler * (k + 1)) / blocks.length) - Math.floor((filler * k) / blocks.length);
    for (let j = 0; j < share; j++) out.push(j % 4 === 3 ? '' : `# filler comment ${k}.${j}: keepalived ignores text after # or !`);
    out.push(...b);
  });
  return `${out.join('\n')}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const dir = mkdtempSync(join(tmpdir(), 'ka-bench-'));
try {
  const path = join(dir, 'keepalived.conf');
  const text = generate();
  writeFileSync(path, text);
  const lines = text.split('\n').length - 1;
  const check = loadConfig(path, { configId: 'bench' });
  const errors = check.diagnostics.filter((d) => d.severity === 'error').length;
  const rows = [
    {
      phase: 'preprocess + block tree (loadConfigTree)',
      ms: median(Array.from({ length: RUNS }, () => time(() => loadConfigTree(path, { configId: 'bench' })))),
    },
    { phase: 'whole load (loadConfig)', ms: median(Array.from({ length: RUNS }, () => time(() => loadConfig(path, { configId: 'bench' })))) },
  ];
  console.log(
    `config: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB; model: ${check.config.vrrpInstances.length} vrrp_instances, ` +
      `${check.config.virtualServers.reduce((n, v) => n + v.realServers.length, 0)} real_servers; ${errors} errors, ` +
      `${check.diagnostics.length - errors} warnings`,
  );
  console.log(`| phase | median ms (${RUNS} runs) | lines/s |`);
  console.log('|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.phase} | ${r.ms.toFixed(1)} | ${Math.round(lines / (r.ms / 1000)).toLocaleString('en')} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
