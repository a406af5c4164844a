/**
 * The runtime state of Debian's keepalived 2.2.7 at the moment the fixtures in ./fixtures were captured
 * (fixtures/keepalived-2.2.7-capture.conf, two instances, `-P -n -l -D` in a throw-away namespace, then
 * SIGUSR1, SIGUSR2 and signal 36), written as a RuntimeSnapshot. Rendering it must give back the files.
 */
import { readFileSync } from 'node:fs';
import type { RuntimeSnapshot } from '../../../src/runtime/snapshot.js';
import { defaultInstanceSnapshot, zeroStats } from '../../../src/runtime/snapshot.js';

/** Reads a fixture file from the source tree. */
export function fixture(name: string): string {
  return readFileSync(new URL(`../../../../test/unit/daemon/fixtures/${name}`, import.meta.url), 'utf8');
}

/** What both captured instances share beyond keepalived's defaults. */
const common = { ifname: 'kd0', vipSet: true, state: 2 as const, wantState: 2 as const };

/** keepalived's state when the dumps were written. */
export const captured: RuntimeSnapshot = {
  routerId: 'ref1',
  syncGroups: [],
  instances: [
    defaultInstanceSnapshot({
      ...common,
      name: 'VI_1',
      vrid: 51,
      version: 2,
      family: 4,
      basePriority: 150,
      effectivePriority: 150,
      lastTransitionMs: 1795344034020.697,
      advertIntervalSec: 1,
      masterAdvertIntervalSec: 1,
      nopreempt: false,
      scripts: { master: "'/usr/bin/echo' 'MASTER' 'x'" },
      scriptUidGid: '0:0',
      vips: ['192.0.2.100/24 dev kd0 scope global label kd0:1 set', '192.0.2.101 dev kd0 scope global set'],
      evips: ['198.51.100.7 dev kd0 scope global set'],
      trackInterfaces: [],
      trackScripts: ["'/usr/bin/true'"],
      trackScriptWeights: [{ name: 'chk_true', weight: 0 }],
      authType: 1,
      authData: 'secret1',
      srcIp: '192.0.2.1',
      mcastAddress: '224.0.0.18',
      stats: { ...zeroStats(), advert_sent: 2, become_master: 1 },
    }),
    defaultInstanceSnapshot({
      ...common,
      name: 'VI_6',
      vrid: 52,
      version: 3,
      family: 6,
      basePriority: 100,
      effectivePriority: 100,
      lastTransitionMs: 1795344032356.205,
      advertIntervalSec: 0.5,
      masterAdvertIntervalSec: 0.5,
      nopreempt: true,
      scripts: {},
      vips: ['2001:db8::100/64 dev kd0 scope global preferred_lft forever set'],
      evips: [],
      trackInterfaces: [],
      trackScripts: [],
      authType: 0,
      srcIp: 'fe80::381c:66ff:fe72:8c4d',
      mcastAddress: 'ff02::12, ifindex 3',
      stats: { ...zeroStats(), advert_sent: 7, become_master: 1 },
    }),
  ],
};
