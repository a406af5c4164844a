#!/bin/bash
# ipvs-vm-setup.sh - one-time, idempotent setup for scripts/ipvs-vm on Debian 12 (root): installs with apt-get
# the packages the `ipvs` test tier needs when they are missing:
#   user-mode-linux  /usr/bin/linux.uml (Linux 6.1 as a program) and its modules (ip_vs*, veth, overlay, ipip…)
#   kmod             modprobe inside the guest
#   ipvsadm          the tests' oracle (never used by the daemon)
#   iproute2         ip netns / veth inside the guest
# Nothing in /boot changes; user-mode-linux's postinst only registers /usr/bin/linux with update-alternatives.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "ipvs-vm-setup: must run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
need=()
for p in user-mode-linux kmod ipvsadm iproute2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "ipvs-vm-setup: apt-get install ${need[*]}" >&2
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
rel=$(ls /usr/lib/uml/modules | sort -V | tail -n1)
[ -x /usr/bin/linux.uml ] && [ -e "/usr/lib/uml/modules/$rel/kernel/net/netfilter/ipvs/ip_vs.ko" ] ||
  { echo "ipvs-vm-setup: user-mode-linux looks incomplete (no linux.uml or no ip_vs.ko)" >&2; exit 1; }
[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] ||
  echo "ipvs-vm-setup: warning: /dev/shm is not a tmpfs; point IPVS_VM_SHM at one" >&2
echo "ipvs-vm-setup: ok: UML kernel $rel" >&2
