#!/bin/bash
# ipvs-vm-init.sh - PID 1 of the User-mode Linux guest that scripts/ipvs-vm boots.
#
# The guest kernel mounts the host's / read-only through hostfs. This script puts a tmpfs overlay over it (the
# guest may write anywhere; nothing reaches the host), pivots into it, mounts the pseudo filesystems, the job
# directory (read-write, same path as on the host) and the UML kernel's modules on /lib/modules/<release>, runs
# the job's command with its output on /dev/ttyS0 (the runner's stdout), writes the exit status to $JOB/rc and
# powers off. Forks cost ~70 ms under UML: bash builtins wherever they do, and one mount(8) for the late mounts.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022

# /proc first: until it is mounted, hostfs shows the HOST's /proc (and its kernel command line)
mount -t proc proc /proc
JOB=
read -r -a words < /proc/cmdline
for w in "${words[@]}"; do
  case $w in ktsvm.job=*) JOB=${w#ktsvm.job=} ;; esac
done
say() { echo "ipvs-vm-init: $*" > /dev/console; }
off() { sync; echo o > /proc/sysrq-trigger; sleep 10; exit 1; }
[ -n "$JOB" ] || { say "no ktsvm.job= on the kernel command line"; off; }
read -r REL < /proc/sys/kernel/osrelease
MODS=/usr/lib/uml/modules/$REL

# writable root: overlay (lower: host / via hostfs, upper: tmpfs)
mount -t tmpfs -o mode=0755 tmpfs /tmp && mkdir /tmp/u /tmp/w /tmp/r &&
{ [[ $(</proc/filesystems) == *overlay* ]] || insmod "$MODS/kernel/fs/overlayfs/overlay.ko"; } &&
mount -t overlay overlay -o lowerdir=/,upperdir=/tmp/u,workdir=/tmp/w,xino=off /tmp/r &&
cd /tmp/r && pivot_root . . && umount -l . && cd / || { say "cannot build the overlay root"; off; }

FSTAB=/etc/ktsvm.fstab
{
  echo "proc /proc proc defaults 0 0"
  echo "sysfs /sys sysfs defaults 0 0"
  echo "devtmpfs /dev devtmpfs defaults 0 0"
  echo "devpts /dev/pts devpts gid=5,mode=620,ptmxmode=666,X-mount.mkdir 0 0"
  echo "tmpfs /dev/shm tmpfs mode=1777,X-mount.mkdir 0 0"
  echo "tmpfs /run tmpfs mode=0755 0 0"
  echo "cgroup2 /sys/fs/cgroup cgroup2 defaults 0 0"
  [ -e "/lib/modules/$REL/modules.dep" ] || echo "$MODS /lib/modules/$REL none bind,X-mount.mkdir 0 0"
  echo "hostfs $JOB hostfs $JOB,X-mount.mkdir 0 0"
} > $FSTAB
mount -a -T $FSTAB || say "some mounts failed"
if [ -f "$JOB/mounts" ]; then         # ipvs-vm -w DIR: read-write host directories
  : > $FSTAB
  while read -r d; do echo "hostfs $d hostfs $d,X-mount.mkdir 0 0" >> $FSTAB; done < "$JOB/mounts"
  mount -a -T $FSTAB || say "some -w mounts failed"
fi
echo ipvs-vm > /proc/sys/kernel/hostname
ip link set lo up

OUT=/dev/ttyS0
[ -c $OUT ] || OUT=/dev/console
stty -F $OUT raw -echo 2>/dev/null    # no CR before LF in the output

. "$JOB/env"
echo "$EPOCHREALTIME" > "$JOB/t_start"
/bin/bash "$JOB/cmd" < /dev/null > $OUT 2>&1
rc=$?
echo "$EPOCHREALTIME" > "$JOB/t_end"
echo $rc > "$JOB/rc"
off
