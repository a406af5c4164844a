/**
 * `net_namespace_ipvs NAME`: the checker programs IPVS in another network namespace than its own (keepalived 2.2.7
 * opens its IPVS sockets there: namespaces.c nl_ipvs_connect / socket_netns_name). keepalived 2.2.7 and ours run in
 * turn in a director namespace with the same configuration naming a second namespace: the service must appear in the
 * second namespace's table, identical for both, nothing in the director's own; and be gone after the stop.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inGuest, poll, sh } from './harness.js';
import { Daemon, nsExec, type Impl } from './lvs-daemons.js';

const tag = `ni${process.pid % 100000}`;
const ns = { director: `${tag}d`, ipvs: `${tag}v` } as const;
const tmp = mkdtempSync('/tmp/kts-nsipvs-');

before(() => {
  assert.ok(inGuest, 'the ipvs tier runs inside the UML guest: npm run test:ipvs');
  sh(`set -e; modprobe -a ip_vs ip_vs_rr; for n in ${ns.director} ${ns.ipvs}; do ip netns add $n; ip -n $n link set lo up; done`);
});

after(() => {
  sh(`for n in ${ns.director} ${ns.ipvs}; do ip netns del $n 2>/dev/null; done; true`);
  rmSync(tmp, { recursive: true, force: true });
});

const conf = `net_namespace_ipvs ${ns.ipvs}
virtual_server 192.0.2.50 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.0.2.60 80 {
        weight 2
    }
    real_server 192.0.2.61 80 {
        weight 3
    }
}
`;

const table = (n: string): string => nsExec(n, ['ipvsadm', '-S', '-n']);

/** Runs `impl` in the director namespace until the service is in the IPVS namespace; returns that table. */
async function run(impl: Impl): Promise<string> {
  const dir = mkdtempSync(join(tmp, `${impl}-`));
  const file = join(dir, 'k.conf');
  writeFileSync(file, conf);
  const d = Daemon.start(impl, file, dir, ns.director, ['-C']);
  try {
    const t = await poll(() => (table(ns.ipvs).includes('192.0.2.61:80') ? table(ns.ipvs) : undefined), 120000, 250);
    assert.ok(t !== undefined, `${impl}: the service is in ${ns.ipvs}\n${d.log}`);
    assert.equal(table(ns.director), '', `${impl}: nothing in its own namespace`);
    return t;
  } finally {
    await d.stop(60000);
    assert.equal(table(ns.ipvs), '', `${impl}: the table is emptied at stop\n${d.log}`);
  }
}

test('net_namespace_ipvs NAME: the table is programmed in that namespace, as keepalived 2.2.7 does', async () => {
  const theirs = await run('keepalived');
  const ours = await run('ours');
  assert.equal(ours, theirs);
  assert.match(ours, /-a -t 192\.0\.2\.50:80 -r 192\.0\.2\.61:80 -m -w 3/);
});
