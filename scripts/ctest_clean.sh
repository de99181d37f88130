#!/usr/bin/env bash
# Runs ctest in a build folder with TMPDIR set to a fresh folder inside it, and fails if the tests
# left anything there: a test that forgets its temp files fills the disk of whoever runs the suite
# often (a 99 MB tiny model per test process once filled CI's disk).
#   bash scripts/ctest_clean.sh BUILD_DIR [ctest arguments...]
set -uo pipefail
build=$(cd "$1" && pwd)
shift
tmp="$build/test-tmp"
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
status=0
(cd "$build" && TMPDIR="$tmp" ctest "$@") || status=$?
if [ -n "$(ls -A "$tmp")" ]; then
  echo "ctest_clean: the tests left files behind in $tmp:" >&2
  ls -A "$tmp" | head -n 20 >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
