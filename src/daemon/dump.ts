/**
 * State dumps rendered from a RuntimeSnapshot, as keepalived 2.2.7 writes them:
 * - `keepalived.stats` (SIGUSR2; `vrrp/vrrp_print.c vrrp_print_stats`) — exact format;
 * - `keepalived.json` (SIGRTMIN+2; `vrrp/vrrp_json.c`, "version 1": a compact top-level array of
 *   `{"data":{…},"stats":{…}}`, keepalived's json_writer formatting: `/` escaped as `\/`, floats as `%g`,
 *   `last_transition` as `%f`) — exact field names, order and types;
 * - `keepalived.data` (SIGUSR1; `vrrp/vrrp_data.c dump_data_vrrp`) — free-form ("not guaranteed" in the man
 *   page); we follow keepalived's layout and wording for the lines we have.
 * Deviation: keepalived's json_writer writes a backslash as `\n` and leaves other control characters raw
 * (invalid JSON); we write valid JSON (`\\`, `\u00XX`).
 */
import { stateName } from '../vrrp/types.js';
import type { InstanceSnapshot, RuntimeSnapshot, TimingStats } from '../runtime/snapshot.js';
import { renderStatsBlock, STAT_NAMES } from '../vrrp/stats.js';

/** keepalived's state names, re-exported for the status table and the CLI. */
export { stateName };

/* keepalived.stats ------------------------------------------------------------------------------------------ */

/** The body of `keepalived.stats`: one block per instance, in configuration order (src/vrrp/stats.ts renders a block). */
export function renderStats(snap: RuntimeSnapshot): string {
  return snap.instances.map((i) => renderStatsBlock(i.name, i.stats)).join('');
}

/* keepalived.json ------------------------------------------------------------------------------------------- */

/** C printf `%g` (precision 6), as keepalived's `jsonw_float`. */
export function formatG(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const [mant, expText] = x.toExponential(5).split('e') as [string, string];
  const exp = Number(expText);
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${strip(mant)}e${exp < 0 ? '-' : '+'}${e}`;
  }
  return strip(x.toFixed(5 - exp));
}

/** A JSON string as keepalived's json_writer writes it (with `/` escaped), but always valid JSON. */
export function jsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '/':
        out += '\\/';
        break;
      default: {
        const c = ch.codePointAt(0)!;
        out += c < 0x20 ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
      }
    }
  }
  return `${out}"`;
}

/** One `"name":value` field. */
type Field = readonly [string, string];

const u = (name: string, v: number | boolean): Field => [name, String(typeof v === 'boolean' ? (v ? 1 : 0) : Math.trunc(v))];
const b = (name: string, v: boolean): Field => [name, v ? 'true' : 'false'];
const f = (name: string, v: number): Field => [name, formatG(v)];
const str = (name: string, v: string): Field => [name, jsonString(v)];
const arr = (name: string, v: readonly string[]): Field[] => (v.length ? [[name, `[${v.map(jsonString).join(',')}]`]] : []);
const opt = (name: string, v: string | undefined): Field[] => (v === undefined ? [] : [str(name, v)]);
const obj = (fields: readonly Field[]) => `{${fields.map(([k, v]) => `${jsonString(k)}:${v}`).join(',')}}`;

/** The `data` object of one instance, field for field as `vrrp_json_data_dump`. */
function jsonData(i: InstanceSnapshot): string {
  const sc = i.scripts;
  return obj([
    str('iname', i.name),
    u('dont_track_primary', i.dontTrackPrimary),
    u('skip_check_adv_addr', i.skipCheckAdvAddr),
    u('strict_mode', i.strictMode),
    str('vmac_ifname', i.vmacIfname),
    ...opt('ifp_ifname', i.ifname),
    u('master_priority', i.masterPriority),
    ['last_transition', (i.lastTransitionMs / 1000).toFixed(6)],
    f('garp_delay', i.garpDelaySec),
    u('garp_refresh', i.garpRefreshSec),
    u('garp_rep', i.garpRep),
    u('garp_refresh_rep', i.garpRefreshRep),
    u('garp_lower_prio_delay', i.garpLowerPrioDelaySec),
    u('garp_lower_prio_rep', i.garpLowerPrioRep),
    u('lower_prio_no_advert', i.lowerPrioNoAdvert),
    u('higher_prio_send_advert', i.higherPrioSendAdvert),
    u('vrid', i.vrid),
    u('base_priority', i.basePriority),
    u('effective_priority', i.effectivePriority),
    b('vipset', i.vipSet),
    b('promote_secondaries', i.promoteSecondaries),
    f('adver_int', i.advertIntervalSec),
    f('master_adver_int', i.masterAdvertIntervalSec),
    u('accept', i.accept),
    b('nopreempt', i.nopreempt),
    u('preempt_delay', i.preemptDelaySec),
    u('state', i.state),
    u('wantstate', i.wantState),
    u('version', i.version),
    b('smtp_alert', i.smtpAlert),
    b('notify_deleted', i.notifyDeleted),
    ...opt('script_backup', sc.backup),
    ...opt('script_master', sc.master),
    ...opt('script_fault', sc.fault),
    ...opt('script_stop', sc.stop),
    ...opt('script_deleted', sc.deleted),
    ...opt('script', sc.generic),
    ...opt('script_master_rx_lower_pri', sc.masterRxLowerPri),
    ...arr('vips', i.vips),
    ...arr('evips', i.evips),
    ...arr('vroutes', i.vroutes),
    ...arr('vrules', i.vrules),
    ...arr('track_ifp', i.trackInterfaces),
    ...arr('track_script', i.trackScripts),
    u('auth_type', i.authType),
    ...(i.authType ? opt('auth_data', i.authData ?? '') : []),
  ]);
}

/** The `timing` object (keepalived-ts addition), numbers in ms with microsecond precision. */
function jsonTiming(t: TimingStats): string {
  const ms = (name: string, n: number | undefined): Field[] => (n === undefined ? [] : [[name, String(Math.round(n * 1000) / 1000)]]);
  return obj([
    ...ms('advert_jitter_last_ms', t.advertJitterLastMs),
    ...ms('advert_jitter_max_ms', t.advertJitterMaxMs),
    ...ms('advert_jitter_mean_ms', t.advertJitterMeanMs),
    ...ms('loop_lag_max_ms', t.loopLagMaxMs),
    ...ms('loop_lag_last_ms', t.loopLagLastMs),
  ]);
}

/**
 * The body of `keepalived.json`, or undefined when there are no instances (keepalived writes no file then).
 * Each element is `{"data":…,"stats":…}`, plus `"timing":…` when the snapshot carries timing figures.
 */
export function renderJson(snap: RuntimeSnapshot): string | undefined {
  if (snap.instances.length === 0) return undefined;
  const items = snap.instances.map((i) => {
    const fields: Field[] = [
      ['data', jsonData(i)],
      ['stats', obj(STAT_NAMES.map((k) => u(k, i.stats[k])))],
    ];
    if (i.timing) fields.push(['timing', jsonTiming(i.timing)]);
    return obj(fields);
  });
  return `[${items.join(',')}]\n`;
}

/* keepalived.data ------------------------------------------------------------------------------------------- */

/** `1795344034.020697 (Sun Nov 22 10:40:34.020697 2026)`, as keepalived's data dump prints times. */
export function formatDataTime(wallMs: number): string {
  const d = new Date(wallMs);
  const us = String(Math.round((((wallMs % 1000) + 1000) % 1000) * 1000)).padStart(6, '0');
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  const human = `${days[d.getDay()]} ${months[d.getMonth()]} ${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${us} ${d.getFullYear()}`;
  return `${(wallMs / 1000).toFixed(6)} (${human})`;
}

/** keepalived's `Advert interval = 1 sec` / `500 milli-sec`. */
function advertIntervalText(sec: number): string {
  const ms = Math.round(sec * 1000);
  return ms % 1000 === 0 ? `${ms / 1000} sec` : `${ms} milli-sec`;
}

/** The `VRRP Instance = …` block of one instance. */
function dataInstance(i: InstanceSnapshot): string[] {
  const L: string[] = [` VRRP Instance = ${i.name}`, `   VRRP Version = ${i.version}`];
  if (i.family === 6) L.push('   Using Native IPv6');
  L.push(`   State = ${stateName(i.state)}`, `   Wantstate = ${stateName(i.wantState)}`);
  if (i.lastTransitionMs) L.push(`   Last transition = ${formatDataTime(i.lastTransitionMs)}`);
  L.push(`   Interface = ${i.ifname || 'not configured'}`);
  if (i.vmacIfname) L.push(`   VMAC interface = ${i.vmacIfname}`);
  if (i.vrf) L.push(`   VRF = ${i.vrf}`);
  if (i.srcIp) L.push(`   Using src_ip = ${i.srcIp}`);
  if (i.mcastAddress) L.push(`   Multicast address ${i.mcastAddress}`);
  for (const p of i.unicastPeers ?? []) L.push(`   Unicast peer = ${p}`);
  L.push(
    `   Gratuitous ARP delay = ${formatG(i.garpDelaySec)}`,
    `   Gratuitous ARP repeat = ${i.garpRep}`,
    `   Gratuitous ARP refresh = ${i.garpRefreshSec}`,
    `   Gratuitous ARP refresh repeat = ${i.garpRefreshRep}`,
    `   Gratuitous ARP lower priority delay = ${i.garpLowerPrioDelaySec}`,
    `   Gratuitous ARP lower priority repeat = ${i.garpLowerPrioRep}`,
    `   Send advert after receive lower priority advert = ${!i.lowerPrioNoAdvert}`,
    `   Send advert after receive higher priority advert = ${i.higherPrioSendAdvert}`,
    `   Virtual Router ID = ${i.vrid}`,
    `   Priority = ${i.basePriority}`,
    `   Effective priority = ${i.effectivePriority}`,
    `   Advert interval = ${advertIntervalText(i.advertIntervalSec)}`,
    `   Accept = ${i.accept ? 'enabled' : 'disabled'}`,
    `   Preempt = ${i.nopreempt ? 'disabled' : 'enabled'}`,
  );
  if (i.preemptDelaySec) L.push(`   Preempt delay = ${i.preemptDelaySec} secs`);
  L.push(`   Promote_secondaries = ${i.promoteSecondaries ? 'enabled' : 'disabled'}`);
  if (i.authType) {
    L.push(`   Authentication type = ${i.authType === 1 ? 'SIMPLE_PASSWORD' : 'IPSEC_AH'}`);
    if (i.authType === 1) L.push(`   Password = ${i.authData ?? ''}`);
  }
  if (i.kernelRxBufSize) L.push(`   Kernel rx buffer size = ${i.kernelRxBufSize}`);
  if (i.debug) L.push(`   Debug level = ${i.debug}`);
  const list = (title: string, items: readonly string[]) => {
    if (items.length) L.push(title, ...items.map((x) => `     ${x}`));
  };
  list(`   Virtual IP (${i.vips.length}):`, i.vips);
  list('   Virtual IP Excluded :', i.evips);
  list(`   Virtual Routes (${i.vroutes.length}):`, i.vroutes);
  list(`   Virtual Rules (${i.vrules.length}):`, i.vrules);
  list('   Tracked interfaces :', i.trackInterfaces);
  list(
    '   Tracked scripts :',
    (i.trackScriptWeights ?? []).map((t) => `${t.name} weight ${t.weight}`),
  );
  L.push(`   Using smtp notification = ${i.smtpAlert ? 'yes' : 'no'}`);
  const sc = i.scripts;
  const who = i.scriptUidGid ? `, uid:gid ${i.scriptUidGid}` : '';
  const script = (title: string, s: string | undefined) => {
    if (s) L.push(`   ${title} = ${s}${who}`);
  };
  script('Backup state transition script', sc.backup);
  script('Master state transition script', sc.master);
  script('Fault state transition script', sc.fault);
  script('Stop state transition script', sc.stop);
  script('Deleted state transition script', sc.deleted);
  script('Generic state transition script', sc.generic);
  script('Master receive lower priority script', sc.masterRxLowerPri);
  if (i.timing) L.push(...dataTiming(i.timing, '   '));
  return L;
}

/** Timing lines (keepalived-ts addition). */
function dataTiming(t: TimingStats, indent: string): string[] {
  const ms = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(3)} ms`);
  const out: string[] = [];
  if (t.advertJitterLastMs !== undefined) {
    out.push(`${indent}Advert send jitter = last ${ms(t.advertJitterLastMs)}, max ${ms(t.advertJitterMaxMs)}, mean ${ms(t.advertJitterMeanMs)}`);
  }
  out.push(`${indent}Event loop lag = last ${ms(t.loopLagLastMs)}, max ${ms(t.loopLagMaxMs)}`);
  return out;
}

/** The body of `keepalived.data` (VRRP process part). */
export function renderData(snap: RuntimeSnapshot): string {
  const L: string[] = ['------< Global definitions >------'];
  if (snap.routerId !== undefined) L.push(` Router ID = ${snap.routerId}`);
  if (snap.timing) L.push(...dataTiming(snap.timing, ' '));
  if (snap.instances.length) {
    L.push('------< VRRP Topology >------');
    for (const i of snap.instances) L.push(...dataInstance(i));
  }
  if (snap.syncGroups.length) {
    L.push('------< VRRP Sync groups >------');
    for (const g of snap.syncGroups) {
      L.push(` VRRP Sync Group = ${g.name}, ${stateName(g.state)}`, '   VRRP member instances :');
      for (const m of g.members) L.push(`     ${m}`);
    }
  }
  return `${L.join('\n')}\n`;
}
