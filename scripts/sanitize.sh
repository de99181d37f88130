#!/usr/bin/env bash
# The second CI step: the whole unit suite under AddressSanitizer + UndefinedBehaviorSanitizer,
# then each libFuzzer target (fuzz/) for a bounded time from its seed corpus. Its own build
# folder (build-sanitize), clang 14. Run through `bash scripts/bootstrap.sh sanitize`, which
# installs clang-14 and libclang-rt-14-dev first.
#   FUZZ_SECONDS=N   seconds per fuzz target (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-sanitize
fuzz_seconds=${FUZZ_SECONDS:-10}
jobs=$(nproc)
# fuzzer-no-link: coverage counters in every room, so the fuzz targets can steer by them.
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g1"
flags+=" -fsanitize=fuzzer-no-link"

start=$SECONDS
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DGPTOSS_BUILD_BENCH=OFF -DGPTOSS_E2E_TESTS=OFF -DGPTOSS_FUZZ=ON >&2
cmake --build "$build" -j "$jobs" >&2
echo "sanitize: built in $((SECONDS - start)) s" >&2

# detect_leaks: every leak fails the run; halt_on_error: UBSan findings are errors, not notes.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
start=$SECONDS
# The small preset's precision band (about 95 s alone under ASan) runs in the first step only: it
# drives the same kernels and forward pass as the tiny preset's band, which runs here, at larger
# shapes; what it checks is numerical, not memory safety.
excluded="-E PrecisionBand.SmallFastWithinTwiceTheBf16Band"
# The unit suite. The tmux end-to-end tests (not built here) drive the program through a terminal
# and run in the first CI step and under ThreadSanitizer (scripts/tsan.sh): under ASan they
# would not fit the 20-minute budget.
bash scripts/ctest_clean.sh "$build" --output-on-failure -j "$jobs" $excluded
echo "sanitize: unit suite in $((SECONDS - start)) s" >&2

# Each target from a copy of its seeds (new inputs go to the copy, not the repository). A crash
# or a sanitizer report stops the step; the input is saved as $build/fuzz-artifacts/crash-*.
mkdir -p "$build/fuzz-artifacts"
for seeds in fuzz/corpus/*/; do
  name=$(basename "$seeds")
  work="$build/fuzz-corpus/$name"
  mkdir -p "$work"
  cp -r "$seeds". "$work/"
  echo "sanitize: fuzzing $name for $fuzz_seconds s" >&2
  "$build/fuzz/fuzz_$name" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=20 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$name-" "$work" 2>&1 | tail -n 12 >&2
  test "${PIPESTATUS[0]}" -eq 0
done
echo "sanitize: done" >&2
