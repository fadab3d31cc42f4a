#!/bin/sh
# The main job: launch a container from the tools alone. A busybox root
# filesystem, new user/pid/mount/net/uts/ipc namespaces, root inside, its own
# /proc, and a shell that is PID 1 there. The host is left as it was.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"
root=$(mktemp -d /tmp/tsns-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT
sh test/fixtures/make-rootfs.sh "$root"

echo "host: $(hostname), pid $$, uid $(id -u)"
tsunshare -Upmnui --fork -r --mount-proc -R "$root" --clear-env \
  /bin/sh -c '
    hostname box
    echo "container: $(hostname), pid $$, uid $(id -u), root $(ls / | tr "\n" " ")"
    echo "network: $(ls /sys/class/net 2>/dev/null || cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " ")"
    ps -o pid,user,comm
    exit 0'
echo "host again: $(hostname)"
