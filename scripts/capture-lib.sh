# Shared by the capture scripts (sourced, not run): signal-safe pauses, exit traps, the root check and the two
# namespaces they capture in. The caller defines `cleanup` and the variables NSA and NSB.

PAUSE_PID=""

# Sleeps run in the background and are waited for, so a signal interrupts them at once and the trap runs.
pause() { sleep "$1" & PAUSE_PID=$!; wait "$PAUSE_PID"; PAUSE_PID=""; }

# Runs the caller's `cleanup` on every exit path (normal exit, errors, Ctrl-C, TERM).
trap_cleanup() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Exits unless running as root; $1 names the script in the message.
require_root() { [ "$(id -u)" = 0 ] || { echo "$1: needs root" >&2; exit 1; }; }

# Creates namespaces NSA and NSB with loopback up and IPv6 DAD off.
add_namespaces() {
  ip netns add "$NSA"
  ip netns add "$NSB"
  for ns in "$NSA" "$NSB"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    ip -n "$ns" link set lo up
  done
}
