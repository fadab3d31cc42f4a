#!/bin/sh
# The two sides of a container, as the seeds build it, with no sleeps: the
# child waits in tsreexec --wait; the parent reads its PID from a FIFO,
# writes its maps from outside with tsmaproot, and lets it go. Inside, the
# child is root, sees the mapped range, and runs under tsreexec --init.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"
run=$(mktemp -d /tmp/tsns-handshake.XXXXXX)
trap 'rm -rf "$run"' EXIT
chmod 755 "$run"
sh test/fixtures/make-rootfs.sh "$run/root"
mkfifo "$run/pid" "$run/go"

tsunshare -Upmnui --keep-caps --fork --pid-file "$run/pid" \
  tsreexec --wait "$run/go" --hostname box --rootfs "$run/root" --proc --dev --init \
  sh -c 'echo "inside: uid=$(id -u) map: $(cat /proc/self/uid_map)"; ps -o pid,args' &
read pid < "$run/pid"
echo "parent: child $pid waits; mapping 0:100000:65536"
tsmaproot --map-users 0:100000:65536 --map-groups 0:100000:65536 "$pid"
echo > "$run/go"
wait $!
