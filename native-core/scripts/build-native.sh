#!/bin/sh
# Build the addon and tscore-exec from source, into prebuilds/linux-x64/ and,
# cross-compiled with Debian's toolchain (gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross, libseccomp-dev:arm64; ./setup installs them),
# prebuilds/linux-arm64/.
# tscore-exec is linked statically, so it runs on any libc (musl too).
# pnpm does not pass npm's nodedir to scripts: point node-gyp at Node's own
# headers (<prefix>/include/node) so it never tries to download them.
set -e
cd "$(dirname "$0")/.."
prefix=$(node -p 'require("path").resolve(process.execPath, "../..")')
export npm_config_nodedir="${npm_config_nodedir:-$prefix}"
rm -rf build/artifacts prebuilds
# arm64 first, so that build/ is left with this machine's build; its
# libseccomp.a is Debian's libseccomp-dev:arm64 (multiarch)
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && [ ! -f /usr/lib/aarch64-linux-gnu/libseccomp.a ]; then
  echo "build-native: no /usr/lib/aarch64-linux-gnu/libseccomp.a: no linux-arm64 prebuilds (./setup installs libseccomp-dev:arm64)" >&2
elif command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
  CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
    CC_host=cc CXX_host=c++ PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip \
    prebuildify --napi --strip -t 20.0.0 --arch arm64 --artifacts build/artifacts
else
  echo "build-native: no aarch64-linux-gnu-gcc: no linux-arm64 prebuilds (./setup installs the cross toolchain)" >&2
fi
exec prebuildify --napi --strip -t 20.0.0 --artifacts build/artifacts
