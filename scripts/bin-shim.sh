#!/bin/sh
# @BIN@, of the npm package @PKG@. Node resets the signals, mask and
# descriptors a program is given before any of the tool's code runs, so the
# tool starts in the core's native launcher, which records them and then
# runs dist/@BIN@.js in Node; the program gets them back at its exec.
# Where the core lies: in this workspace; beside this package (pnpm);
# beside .bin (npm); below a global prefix (npm -g).
d=${0%/*}
for core in "$d/../node_modules/tscontainer-core" "$d/../../tscontainer-core" \
    "$d/../tscontainer-core" "$d/../lib/node_modules/@PKG@/node_modules/tscontainer-core"; do
  [ -x "$core/prebuilds/linux-x64/tscore-exec" ] && exec "$core/prebuilds/linux-x64/tscore-exec" --launch "$0" "$@"
done
# no launcher for this machine: Node alone, and the program gets Node's defaults
exec node "$(dirname "$(readlink -f "$0")")/../dist/@BIN@.js" "$@"
