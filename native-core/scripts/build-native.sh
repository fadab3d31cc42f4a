#!/bin/sh
# Build the addon and tscore-exec from source, into prebuilds/linux-x64/ and,
# cross-compiled with Debian's toolchain (gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross, musl-dev:arm64, libseccomp-dev:arm64; ./setup
# installs them), prebuilds/linux-arm64/.
# pnpm does not pass npm's nodedir to scripts: point node-gyp at Node's own
# headers (<prefix>/include/node) so it never tries to download them.
set -e
cd "$(dirname "$0")/.."
prefix=$(node -p 'require("path").resolve(process.execPath, "../..")')
export npm_config_nodedir="${npm_config_nodedir:-$prefix}"
rm -rf build prebuilds
arm64=
if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
  echo "build-native: no aarch64-linux-gnu-gcc: no linux-arm64 prebuilds (./setup installs the cross toolchain)" >&2
elif [ ! -f /usr/lib/aarch64-linux-gnu/libseccomp.a ] || [ ! -f /usr/lib/aarch64-linux-musl/musl-gcc.specs ]; then
  echo "build-native: no libseccomp-dev:arm64 or musl-dev:arm64: no linux-arm64 prebuilds (./setup installs them)" >&2
else
  arm64=1
  CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
    CC_host=cc CXX_host=c++ PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip \
    prebuildify --napi --strip -t 20.0.0 --arch arm64
fi
# this machine's last, so that build/ is left with its addon
prebuildify --napi --strip -t 20.0.0

# tscore-exec: static, on musl. glibc spends ~0.35 ms of every start of a
# program on probing the CPU and its caches (each cpuid traps to the
# hypervisor of a virtual machine), and a tool starts this program twice:
# the launcher, then the executor. Its messages keep glibc's words
# (scripts/errtext.c); libseccomp is Debian's archive (src/exec/libc-compat.c).
mkdir -p build/gen
cc -o build/gen/errtext scripts/errtext.c
build/gen/errtext > build/gen/errtext.h
executor() { # ARCH STRIP LIBSECCOMP CC... (kernel headers and seccomp.h after musl's own)
  arch=$1 strip=$2 seccomp=$3
  shift 3
  "$@" -std=gnu11 -O2 -Wall -Wextra -static -Ibuild/gen src/exec/*.c "$seccomp" -o "prebuilds/linux-$arch/tscore-exec"
  "$strip" "prebuilds/linux-$arch/tscore-exec"
}
case $(node -p process.arch) in
x64) executor x64 strip /usr/lib/x86_64-linux-gnu/libseccomp.a musl-gcc -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include ;;
arm64) executor arm64 strip /usr/lib/aarch64-linux-gnu/libseccomp.a musl-gcc -idirafter /usr/include/aarch64-linux-gnu -idirafter /usr/include ;;
esac
[ -z "$arm64" ] || executor arm64 aarch64-linux-gnu-strip /usr/lib/aarch64-linux-gnu/libseccomp.a \
  aarch64-linux-gnu-gcc -specs /usr/lib/aarch64-linux-musl/musl-gcc.specs -idirafter /usr/aarch64-linux-gnu/include -idirafter /usr/include
