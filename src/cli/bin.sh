#!/bin/sh
# keepalived-ts: the installed command (package.json "bin"; scripts/bundle.mjs copies this file to
# dist/bundle/keepalived-ts). It runs node on the bundle beside it, main.js. A command line with a -t
# (--config-test) first tries node's startup snapshot beside it (snapshot.blob, src/cli/snapshot.ts: the
# configuration layer already loaded). Node refuses, loudly, a snapshot that another node binary or other V8 flags
# built, so the snapshot is used only when snapshot.node names this node binary, the snapshot is newer than that
# binary, and NODE_OPTIONS is empty; node gets the flags recorded on snapshot.node's second line. The snapshot exits
# 100 for a command line it does not answer itself; then, as when there is no usable snapshot, node runs main.js.
# glibc.malloc.hugetlb=1 backs node's large buffers (the snapshot is read into two of them) with transparent huge
# pages where the kernel allows it on request: fewer page faults. Issue 17 (README, "`-t` from a startup snapshot").
self=$0
if [ -L "$self" ]; then self=$(readlink -f -- "$self") || self=$0; fi
case $self in */*) dir=${self%/*} ;; *) dir=. ;; esac

for arg do
  case $arg in
    -t* | -[!-]*t* | --config-t*)
      if [ -z "$NODE_OPTIONS" ] && [ -f "$dir/snapshot.blob" ] && [ -f "$dir/snapshot.node" ] &&
        { read -r built && read -r flags; } <"$dir/snapshot.node" &&
        node=$(command -v node) && [ "$node" -ef "$built" ] && ! [ "$built" -nt "$dir/snapshot.blob" ]; then
        # shellcheck disable=SC2086 # the recorded flags are separate words
        GLIBC_TUNABLES=${GLIBC_TUNABLES-glibc.malloc.hugetlb=1} "$node" $flags --snapshot-blob "$dir/snapshot.blob" "$dir/main.js" "$@"
        status=$?
        [ "$status" -eq 100 ] || exit "$status"
      fi
      break
      ;;
  esac
done
exec node "$dir/main.js" "$@"
