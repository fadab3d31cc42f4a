#!/bin/sh
# @BIN@, of the npm package @PKG@. Node resets the signals, mask and
# descriptors a program is given before any of the tool's code runs, so the
# tool starts in the core's native launcher, which records them and then
# runs dist/@BIN@.cjs in Node; the program gets them back at its exec.
# Where the core lies: in this workspace; beside this package (pnpm);
# beside .bin (npm); below a global prefix (npm -g).
# This machine's prebuilds: read without a fork where the kernel says (6.1+).
d=${0%/*}
{ read -r arch < /proc/sys/kernel/arch; } 2>/dev/null || arch=$(uname -m)
case $arch in aarch64) arch=arm64 ;; x86_64) arch=x64 ;; esac
for core in "$d/../node_modules/tscontainer-core" "$d/../../tscontainer-core" \
    "$d/../tscontainer-core" "$d/../lib/node_modules/@PKG@/node_modules/tscontainer-core"; do
  [ -x "$core/prebuilds/linux-$arch/tscore-exec" ] && exec "$core/prebuilds/linux-$arch/tscore-exec" --launch "$0" "$@"
done
# no launcher for this machine: Node alone, and the program gets Node's defaults
exec node "$(dirname "$(readlink -f "$0")")/../dist/@BIN@.cjs" "$@"
