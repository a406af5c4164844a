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
# A daemon start in the foreground (-n, as systemd runs it) gets the V8 flags the detached supervisor gets
# (src/daemon/v8-flags.ts, `supervisor`; KEEPALIVED_TS_V8_FLAGS replaces them), first on node's command line, where
# the supervisor finds and drops them for its children (inheritedV8Flags). daemon_start tells a daemon start from
# the other command lines as src/cli/args.ts parses them; where it cannot tell, node gets no flags (as before).
# The detached supervisor's defaults (src/daemon/v8-flags.ts; test/unit/cli/bundle.test.ts checks they are equal).
SUPERVISOR_V8_FLAGS='--max-semi-space-size=1 --lite-mode --no-expose-wasm'
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

# Whether the words are a foreground daemon start: -n or --dont-fork, and none of the options or subcommands that
# answer and exit (-v -h -T -t, --version --help --signum --status --dump-config --genhash --config-test, status,
# ctl, genhash) or mark a child. Long options may be unique prefixes (getopt_long); an option's required argument
# may be the next word, which is then skipped.
daemon_start() {
  case $1 in status | ctl | genhash) return 1 ;; esac
  fg=1
  while [ $# -gt 0 ]; do
    w=$1
    shift
    case $w in
      --) break ;;
      --ve* | --he* | --si* | --st* | --dump-confi* | --g* | --config-t* | --ts-*) return 1 ;;
      --*=*) ;;
      --dont-f | --dont-fo | --dont-for | --dont-fork) fg=0 ;;
      --us* | --log-fa* | --um* | --pi* | --vrrp_* | --checke* | --b* | --snmp-* | --na* | --config-i* | --config-f* | --cont* | --ht*)
        [ $# -eq 0 ] || shift
        ;;
      --*) ;;
      -?*)
        b=${w#-}
        while [ -n "$b" ]; do
          l=${b%"${b#?}"}
          b=${b#?}
          case $l in
            n) fg=0 ;;
            v | h | T | t) return 1 ;;
            f | S | u | p | r | c | b | A | s | i)
              [ -n "$b" ] || [ $# -eq 0 ] || shift
              break
              ;;
            g | M) break ;;
          esac
        done
        ;;
    esac
  done
  return $fg
}
if daemon_start "$@"; then
  # shellcheck disable=SC2086 # the flags are separate words
  exec node ${KEEPALIVED_TS_V8_FLAGS-$SUPERVISOR_V8_FLAGS} "$dir/main.js" "$@"
fi
exec node "$dir/main.js" "$@"
