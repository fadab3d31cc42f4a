#!/bin/sh
# The whole test suite: type-check, then every tap test against the real
# kernel, as root. Ends with one line "N passed, M failed, K skipped" counted
# from tap's own closing summary, and fails if anything failed.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
./node_modules/.bin/tsc -p tsconfig.test.json || { echo "test type-check failed"; status=1; }
./node_modules/.bin/tap --reporter=tap "$@" 2>&1 | tee "$log"

# the summary: "# { total: 13, pass: 10, fail: 1, todo: 1, skip: 1 }"
summary=$(grep '^# { total' "$log" | tail -n 1)
count() { echo "$summary" | sed -n "s/.*[{ ]$1: \([0-9]*\).*/\1/p"; }
pass=$(count pass); fail=$(count fail); skip=$(count skip)
pass=${pass:-0}; fail=${fail:-0}; skip=${skip:-0}
if [ -z "$summary" ]; then
  echo "tap printed no summary"
  fail=$((fail + 1))
fi
[ "$fail" -gt 0 ] && status=1
echo "${pass} passed, ${fail} failed, ${skip} skipped"
exit "$status"
