#!/bin/sh
# The main job: a container launched from the seven tools alone.
#
#   demo/container.sh [--memory SIZE] [--pids N] [--net veth|none] [--host-net]
#                     [--rootfs DIR] [--name NAME] [--] [command [argument...]]
#
# A cgroup with memory and pids limits (tscgcreate, joined by tscgexec); new
# user, pid, mount, uts, ipc, net and cgroup namespaces (tsunshare --fork);
# uid/gid maps 0:100000:65536 written from outside (tsmaproot) while the
# child waits (tsreexec --wait); a veth pair to the host side with addresses
# and a default route (tsveth); the busybox root pivoted into with /proc,
# /dev, /sys, a tmpfs /tmp and the hostname set; tsreexec --init as PID 1.
# The two sides meet through FIFOs: no sleep, no polling.
#
# The host end of the veth lives in a network namespace made for it ("the
# host side"), unless --host-net puts it in this machine's own. Whatever the
# script made is removed on every way out; its status is the container's.
set -eu
usage() {
  sed -n '4,5p' "$0" | sed 's/^# *//' >&2
  exit "$1"
}

memory=64M pids=64 net=veth hostnet= rootfs= name=box
while [ $# -gt 0 ]; do
  case $1 in
    --memory) memory=$2; shift 2 ;;
    --pids) pids=$2; shift 2 ;;
    --net) net=$2; shift 2 ;;
    --host-net) hostnet=1; shift ;;
    --rootfs) rootfs=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    --) shift; break ;;
    -*) echo "container.sh: unknown option $1" >&2; usage 1 ;;
    *) break ;;
  esac
done
case $net in veth|none) ;; *) echo "container.sh: --net takes veth or none" >&2; exit 1 ;; esac
case $name in *[!a-z0-9-]*|'') echo "container.sh: --name takes letters, digits and '-'" >&2; exit 1 ;; esac

# Whatever this script made goes, on every way out: set up before anything is made.
status=1 supervisor= watcher= run= cg= parents=
cleanup() {
  set +e
  trap - EXIT INT TERM HUP
  [ -n "$supervisor" ] && kill -KILL "$supervisor" 2>/dev/null && wait "$supervisor" 2>/dev/null
  [ -n "$watcher" ] && kill "$watcher" 2>/dev/null && wait "$watcher"
  [ -n "$cg" ] && [ -d "/sys/fs/cgroup/memory$cg" ] && tscgdelete --kill -g "memory,pids:$cg"
  for hp in $parents; do rmdir "/sys/fs/cgroup/${hp%%:*}${hp#*:}" 2>/dev/null; done
  [ -n "$run" ] && mountpoint -q "$run/hostns" 2>/dev/null && umount "$run/hostns"
  [ -n "$run" ] && rm -rf "$run"
  exit "$status"
}
trap cleanup EXIT
trap 'status=130; exit' INT
trap 'status=143; exit' TERM
trap 'status=129; exit' HUP

top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/bin:$PATH"
# 755: the container's root (uid 100000 outside) reaches its rootfs
dir=/tmp/tsns-$name.$$ && mkdir -m 755 "$dir" && run=$dir
# our cgroup: beneath the one this script's memory cgroup is, never elsewhere
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
cg="${own%/}/tsns-$name-$$"
parents=
for h in memory pids; do
  p=$own
  while [ -n "${p#/}" ] && [ ! -d "/sys/fs/cgroup/$h$p" ]; do parents="$parents $h:$p"; p=${p%/*}; done
done

[ -n "$rootfs" ] || { rootfs=$run/root; sh "$top/test/fixtures/make-rootfs.sh" "$rootfs"; }
if [ $# -eq 0 ]; then
  if [ -t 0 ]; then
    set -- sh
  else
    set -- sh -c 'echo "uid $(id -u), pid $$ under $(cat /proc/1/comm), host $(hostname)"; echo net: $(ls /sys/class/net); echo root: $(ls /)'
  fi
fi

# Each command is a line of text, shown first and then run as shown.
q() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }
program=
for a in "$@"; do program="$program $(q "$a")"; done
veth_from=
[ -z "$hostnet" ] && veth_from="tsnsenter --net=$run/hostns "
line1="tscgcreate -g memory,pids:$cg --memory $memory --memory-swap $memory --pids $pids"
line2="tscgexec -g memory,pids:$cg tsunshare -UpmnuiC --keep-caps --kill-child --fork --pid-file $run/pid \\
    tsreexec --wait $run/go --hostname $name --rootfs $rootfs --proc --sys --dev --tmpfs /tmp --lo-up --init --$program &"
line3='read pid < '"$run/pid"
line4='tsmaproot --map-users 0:100000:65536 --map-groups 0:100000:65536 "$pid"'
line5="${veth_from}tsveth -t \"\$pid\" -a 10.0.0.1/24 -A 10.0.0.2/24 --gateway ve-$name eth0"
line6="echo > $run/go"
line7='wait $!'
echo "# the container, in seven lines:"
[ -z "$hostnet" ] && [ "$net" = veth ] && echo "touch $run/hostns && tsunshare --net=$run/hostns true  # the host side"
for n in 1 2 3 4 5 6 7; do
  [ $n = 5 ] && [ "$net" = none ] && continue
  eval "printf '%s\\n' \"\$line$n\""
done
echo "#"

mkfifo "$run/pid" "$run/go"
if [ -z "$hostnet" ] && [ "$net" = veth ]; then
  touch "$run/hostns" && tsunshare --net="$run/hostns" true
fi
eval "$line1"
eval "$line2"
supervisor=$!
# Should the launch die before it opens its end of a FIFO (a tool missing, a
# bad root), line 3's read or line 6's write would wait forever: a watcher
# opens both FIFOs itself (read-write, which never blocks) once the launch has
# exited (a zombie counts), and the script goes on to the launch's status.
# Stopped, it takes its sleep with it: nothing of the script outlives it.
( trap 'kill $nap 2>/dev/null; exit' TERM
  while [ -r "/proc/$supervisor/stat" ] && [ "$(sed 's/.*) //; s/ .*//' "/proc/$supervisor/stat")" != Z ]; do
    sleep 0.1 & nap=$!
    wait $nap
  done
  exec 3<>"$run/pid" 4<>"$run/go" ) 2>/dev/null &
watcher=$!
eval "$line3" || pid=
[ -n "$pid" ] || { echo "container.sh: the container did not start" >&2; exit; }
eval "$line4"
[ "$net" = veth ] && eval "$line5"
eval "$line6"
set +e
kill "$watcher" 2>/dev/null && wait "$watcher"
watcher=
wait "$supervisor"
status=$?
supervisor=
exit "$status"
