#!/usr/bin/env bash
# ThreadSanitizer over every test that runs threads; run it before landing (not part of CI: the
# TSan build and run take longer than CI's budget allows):
#   bash scripts/tsan.sh
# What runs (each binary from its own build folder, build-tsan, clang 14):
#   engine_tests   all of it: the expert cache with its I/O threads and prefetches, streamed
#                  weights, the file reader, the OpenMP kernels, the mapping guard
#   chat_tests     the chat turn on a worker thread with cancel from another thread (ChatSession*),
#                  the OpenAI server's request queue and its clients (OpenAi*, RemoteBackend*,
#                  RemoteCli*), generate in a child process (GenerateCli*)
#   tokenizer_tests  concurrent encodes (TokenizerProperties.*)
#   e2e_tests      the whole chat in tmux, streaming under --ram and mapped: UI thread, turn
#                  worker, expert-cache I/O threads (LowRamTmuxTest.*, ChatTmuxTest.*)
# Any report fails the run: reports go to $build/tsan-reports/ (child processes included, whose
# stderr a terminal test cannot read) and are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-tsan
flags="-fsanitize=thread -fno-omit-frame-pointer -g1"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DGPTOSS_BUILD_BENCH=OFF >&2
cmake --build "$build" -j "$(nproc)" --target engine_tests chat_tests tokenizer_tests e2e_tests gpt-oss-chat >&2

# OpenMP: libomp is not built with TSan, so its barriers are invisible and every parallel region
# would read as a race. Archer, LLVM's OMPT tool for TSan (in libomp's package), tells TSan about
# them; with it no suppression is needed for our OpenMP code.
archer=/usr/lib/llvm-14/lib/libarcher.so
[ -f "$archer" ] || { echo "tsan.sh: $archer: missing (apt-get install libomp-14-dev)" >&2; exit 1; }
export OMP_TOOL_LIBRARIES=$archer
reports=$PWD/$build/tsan-reports
rm -rf "$reports" && mkdir -p "$reports"
# ignore_noninstrumented_modules: calls from libraries not built with TSan (OpenBLAS, libgomp,
# libcurl) are not tracked; tsan.supp says why each remaining suppression is a false positive.
export TSAN_OPTIONS="second_deadlock_stack=1 ignore_noninstrumented_modules=1 log_path=$reports/report \
suppressions=$PWD/scripts/tsan.supp"

status=0
run() {
  echo "tsan: $*" >&2
  local start=$SECONDS
  "$@" || status=1
  echo "tsan: $(basename "$1") done in $((SECONDS - start)) s" >&2
}
run "$build/tests/engine_tests" --gtest_brief=1
run "$build/tests/chat_tests" --gtest_brief=1 --gtest_filter='ChatSession*:OpenAi*:RemoteBackend*:RemoteCli*:GenerateCli*'
run "$build/tests/tokenizer_tests" --gtest_brief=1 --gtest_filter='TokenizerProperties.*'
run "$build/tests/e2e_tests" --gtest_brief=1 --gtest_filter='LowRamTmuxTest.*:ChatTmuxTest.*'

if compgen -G "$reports/report*" >/dev/null; then
  cat "$reports"/report* >&2
  echo "tsan: $(cat "$reports"/report* | grep -c 'WARNING: ThreadSanitizer') report(s), above" >&2
  exit 1
fi
[ "$status" = 0 ] || { echo "tsan: a test failed (no race reported)" >&2; exit 1; }
echo "tsan: no data race reported" >&2
