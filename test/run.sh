#!/bin/sh
# The whole test suite: type-check; every tap test on this host, against the
# real kernel, as root; then the registry lane (test/registry/lane: the
# packages published to a private registry on localhost and installed as a
# user without a compiler would; TSNS_REGISTRY_LANE=0 leaves it out); then the
# cgroup tests again inside a cgroup-v2 guest (test/vm/lane-v2; TSNS_V2_LANE=0
# leaves it out on a developer's machine, never in CI). Ends with one line
# "N passed, M failed, K skipped" summing the lanes' own summaries, and fails
# if anything failed.
set -u
cd "$(dirname "$0")/.."
host=$(mktemp)
guest=$(mktemp)
registry=$(mktemp)
trap 'rm -f "$host" "$guest" "$registry"' EXIT

status=0
./node_modules/.bin/tsc -p tsconfig.test.json || { echo "test type-check failed"; status=1; }
./node_modules/.bin/tap --reporter=tap "$@" 2>&1 | tee "$host"
if [ "${TSNS_REGISTRY_LANE:-1}" != 0 ]; then
  echo "# registry lane (npm install from a private registry, no compiler)"
  { sh test/registry/lane 2>&1; echo "# registry lane exit $?"; } | tee "$registry"
  grep -q '^# registry lane exit 0$' "$registry" || { echo "the registry lane failed"; status=1; lane_failed=1; }
fi
if [ "${TSNS_V2_LANE:-1}" != 0 ]; then
  echo "# cgroup v2 lane (QEMU guest)"
  { sh test/vm/lane-v2 2>&1; echo "# v2 lane exit $?"; } | tee "$guest"
  grep -q '^# v2 lane exit 0$' "$guest" || { echo "the v2 lane failed"; status=1; lane_failed=1; }
fi

# tap's closing summary, "# { total: 13, pass: 10, fail: 1, skip: 1 }": the
# host's last one, each of the guest's files, the registry lane's
summaries=$( (grep '^# { total' "$host" | tail -n 1; grep '^# { total' "$guest" "$registry") )
count() { echo "$summaries" | sed -n "s/.*[{ ]$1: \([0-9]*\).*/\1/p" | awk '{s += $1} END {print s + 0}'; }
pass=$(count pass); fail=$(count fail); skip=$(count skip)
[ "${lane_failed:-0}" = 1 ] && fail=$((fail + 1))
if ! grep -q '^# { total' "$host"; then
  echo "tap printed no summary"
  fail=$((fail + 1))
fi
[ "$fail" -gt 0 ] && status=1
echo "${pass} passed, ${fail} failed, ${skip} skipped"
exit "$status"
