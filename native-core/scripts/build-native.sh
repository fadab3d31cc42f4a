#!/bin/sh
# Build the addon and tscore-exec from source, into prebuilds/linux-x64/.
# pnpm does not pass npm's nodedir to scripts: point node-gyp at Node's own
# headers (<prefix>/include/node) so it never tries to download them.
set -e
cd "$(dirname "$0")/.."
prefix=$(node -p 'require("path").resolve(process.execPath, "../..")')
export npm_config_nodedir="${npm_config_nodedir:-$prefix}"
rm -rf build/artifacts prebuilds
exec prebuildify --napi --strip -t 20.0.0 --artifacts build/artifacts
