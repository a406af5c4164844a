#!/usr/bin/env bash
# Captures the nftables rulesets Debian's keepalived 2.2.7 (/usr/sbin/keepalived, built with NFTABLES) installs
# for VRRP instances without accept mode and for VMACs, in each state: after start (BACKUP), MASTER, BACKUP again
# (a higher-priority peer took over), MASTER again, and after SIGTERM.
#
#   sudo scripts/capture-nftables.sh [OUTDIR]      (default OUTDIR: test/vectors/nftables)
#
# Topology: two network namespaces joined by one veth pair, eth0 on both sides.
#   A (keepalived under test, 192.0.2.10/24, 2001:db8::a/64)  <->  B (the peer, 192.0.2.11/24, 2001:db8::b/64)
# B runs keepalived with the same instances at priority 200 to push A back to BACKUP, then stops.
# Every file OUTDIR/<scenario>.<state>.nft is `nft list ruleset` in A, with counter values zeroed (they count
# live traffic) so that a re-run reproduces the files byte for byte. OUTDIR/<scenario>.conf is A's configuration.
# Only 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32 are used. Everything is cleaned up on every exit path.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=capture-lib.sh
. "$ROOT/scripts/capture-lib.sh"
OUT=${1:-$ROOT/test/vectors/nftables}
NSA="knc$$a"
NSB="knc$$b"
WORK=$(mktemp -d /tmp/kts-nft-capture.XXXXXX)
KA_A=""
KA_B=""

# Stops the keepalived whose pid is in variable $1 (SIGTERM, then SIGKILL after 5 s) and clears the variable.
stop_ka() {
  local pid=${!1}
  [ -n "$pid" ] || return 0
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  printf -v "$1" '%s' ""
}

cleanup() {
  set +e
  [ -n "$PAUSE_PID" ] && kill "$PAUSE_PID" 2>/dev/null
  stop_ka KA_A
  stop_ka KA_B
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$WORK"
}
trap_cleanup
require_root capture-nftables
mkdir -p "$OUT"

add_namespaces
ip link add eth0 netns "$NSA" type veth peer name eth0 netns "$NSB"
ip -n "$NSA" link set eth0 address 02:00:00:00:00:0a
ip -n "$NSB" link set eth0 address 02:00:00:00:00:0b
ip -n "$NSA" addr add 192.0.2.10/24 dev eth0
ip -n "$NSB" addr add 192.0.2.11/24 dev eth0
ip -n "$NSA" addr add 2001:db8::a/64 dev eth0 nodad
ip -n "$NSB" addr add 2001:db8::b/64 dev eth0 nodad
ip -n "$NSA" link set eth0 up
ip -n "$NSB" link set eth0 up
pause 1

# start_ka VAR NS CONF LOG: starts keepalived in NS, its pid in variable VAR.
start_ka() {
  local tag
  tag=$(basename "$4" .log)
  ip netns exec "$2" /usr/sbin/keepalived -P -n -l -D -f "$3" -p "$WORK/$tag.pid" -r "$WORK/$tag-vrrp.pid" \
    -c "$WORK/$tag-chk.pid" >"$4" 2>&1 &
  printf -v "$1" '%s' "$!"
}

# wait_log LOG PATTERN COUNT: waits (at most 20 s) until PATTERN occurs COUNT times in LOG.
wait_log() {
  for _ in $(seq 1 200); do
    [ "$(grep -cE "$2" "$1" || true)" -ge "$3" ] && return 0
    sleep 0.1
  done
  echo "capture-nftables: timed out waiting for '$2' x$3 in $1" >&2
  cat "$1" >&2
  exit 1
}

# dump NAME: writes `nft list ruleset` in A to OUT/NAME.nft, counters zeroed, and the kernel's view of the same
# (set elements and rule bytecode from `nft --debug=netlink`) to OUT/NAME.netlink, without rule handles, the elements
# of each set sorted (the kernel walks hash sets in no fixed order).
dump() {
  ip netns exec "$NSA" nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter packets 0 bytes 0/' >"$OUT/$1.nft"
  ip netns exec "$NSA" nft --debug=netlink list ruleset | sed '/^table /,$d' |
    sed -E 's/^(ip6? [^ ]+ [^ ]+)( [0-9]+)+$/\1/; s/counter pkts [0-9]+ bytes [0-9]+/counter pkts 0 bytes 0/' |
    awk '/^\telement /{ if (!n++) fflush(); print | "sort"; next } { if (n) { close("sort"); n = 0 } print } END { if (n) close("sort") }' \
    >"$OUT/$1.netlink"
  echo "capture-nftables: $1.nft ($(wc -l <"$OUT/$1.nft") lines)"
}

# peer_conf CONF: A's configuration at priority 200 without global_defs firewall options (B's own rules are not captured).
peer_conf() {
  sed -E 's/priority 100/priority 200/; s/router_id kts-a/router_id kts-b/; /^ *state /d' "$1"
}

# scenario NAME N_INSTANCES: the full cycle for $OUT/NAME.conf (N_INSTANCES instances, all starting BACKUP).
scenario() {
  local name=$1 n=$2 conf="$OUT/$1.conf" log="$WORK/$1-a.log" plog="$WORK/$1-b.log"
  echo "capture-nftables: scenario $name"
  ip netns exec "$NSA" nft flush ruleset
  start_ka KA_A "$NSA" "$conf" "$log"
  wait_log "$log" 'Entering BACKUP STATE \(init\)' "$n"
  pause 0.5
  dump "$name.backup"
  wait_log "$log" 'Entering MASTER STATE' "$n"
  pause 0.5
  dump "$name.master"
  peer_conf "$conf" >"$WORK/$name-peer.conf"
  start_ka KA_B "$NSB" "$WORK/$name-peer.conf" "$plog"
  wait_log "$log" 'Entering BACKUP STATE' $((n * 2))
  pause 0.5
  dump "$name.backup-again"
  stop_ka KA_B
  wait_log "$log" 'Entering MASTER STATE' $((n * 2))
  pause 0.5
  dump "$name.master-again"
  stop_ka KA_A
  dump "$name.stopped"
}

# master_only NAME N_INSTANCES: start, wait for MASTER, dump, stop (for option variants).
master_only() {
  local name=$1 n=$2 conf="$OUT/$1.conf" log="$WORK/$1-a.log"
  echo "capture-nftables: scenario $name"
  ip netns exec "$NSA" nft flush ruleset
  start_ka KA_A "$NSA" "$conf" "$log"
  wait_log "$log" 'Entering MASTER STATE' "$n"
  pause 0.5
  dump "$name.master"
  stop_ka KA_A
  dump "$name.stopped"
}

# instance NAME VRID OPTIONS VIP... [-- EXCLUDED_VIP...]: a vrrp_instance on eth0, BACKUP at priority 100, VRRPv3,
# with the keywords in OPTIONS (space-separated).
instance() {
  local name=$1 vrid=$2 opts=$3 a
  shift 3
  printf 'vrrp_instance %s {\n  state BACKUP\n  interface eth0\n  virtual_router_id %s\n  priority 100\n' "$name" "$vrid"
  printf '  advert_int 1\n  version 3\n'
  for a in $opts; do printf '  %s\n' "$a"; done
  printf '  virtual_ipaddress {\n'
  for a in "$@"; do
    if [ "$a" = -- ]; then printf '  }\n  virtual_ipaddress_excluded {\n'; else printf '    %s\n' "$a"; fi
  done
  printf '  }\n}\n'
}

# global_defs KEYWORD...: the global_defs block of A.
global_defs() {
  local a
  printf 'global_defs {\n  router_id kts-a\n'
  for a in "$@"; do printf '  %s\n' "$a"; done
  printf '}\n'
}

# IPv4 without accept (2 VIPs + 1 excluded), IPv4 with accept, IPv6 without accept (a global and a link-local VIP).
{
  global_defs nftables nftables_counters
  instance VI_4 51 no_accept 192.0.2.100/24 192.0.2.101/24 -- 198.51.100.100/24
  instance VI_A 52 accept 192.0.2.110/24
  instance VI_6 53 no_accept 2001:db8::100/64 fe80::100/64
} >"$OUT/default.conf"
scenario default 3

# Named table, another priority, no counters; a dont_track_primary instance puts its link-local VIP in the
# interface-name set (vips_link_local_name) unless nftables_ifindex is given.
opts_instances() {
  instance VI_6 53 'no_accept dont_track_primary' 2001:db8::200/64 fe80::200/64
  instance VI_4 54 no_accept 192.0.2.200/24
}
{ global_defs 'nftables kts_vips' 'nftables_priority -150'; opts_instances; } >"$OUT/options.conf"
master_only options 2
{ global_defs nftables 'nftables_priority 7' nftables_ifindex; opts_instances; } >"$OUT/ifindex.conf"
master_only ifindex 2

# No nftables keyword: vrrp_strict (no accept mode) makes keepalived use nftables with the default table.
{ global_defs vrrp_strict; instance VI_4 55 '' 192.0.2.150/24; } >"$OUT/strict.conf"
master_only strict 1

# VMACs: the IGMP/MLD rules and the vmac sets exist from start-up (the macvlan is created then).
{
  global_defs nftables
  instance VI_4 61 'use_vmac accept' 192.0.2.160/24
  instance VI_6 62 'use_vmac no_accept' 2001:db8::160/64
} >"$OUT/vmac.conf"
scenario vmac 2

echo "capture-nftables: written to $OUT"
