/**
 * The benches' VRRP-only configuration: `n` instances on eth0, advert_int 1, each with one VIP from 203.0.113.0/24
 * (virtual_router_id and the VIP wrap at 255 and 250). Shared by bench/compare.ts, bench/memory.ts and
 * bench/vrrp-profile.ts; it lives in bench/lib so that `npm run bench` does not run it as a benchmark.
 */
export function vrrpConf(n: number, state: string, prio: number, routerId = 'bench'): string {
  const instance = (i: number): string[] => [
    `vrrp_instance VI_${i} {`,
    `    state ${state}`,
    '    interface eth0',
    `    virtual_router_id ${(i % 255) + 1}`,
    `    priority ${prio}`,
    '    advert_int 1',
    '    virtual_ipaddress {',
    `        203.0.113.${(i % 250) + 1}/32`,
    '    }',
    '}',
  ];
  return [...['global_defs {', `    router_id ${routerId}`, '}'], ...Array.from({ length: n }, (_, i) => instance(i)).flat()].join('\n') + '\n';
}
