#!/usr/bin/env bash
# ThreadSanitizer over the tests that run threads: the chat turn on its worker thread with cancel
# from another thread, concurrent tokenizer encodes, and the engine's OpenMP kernels. Its own
# build folder (build-tsan), clang 14. Not part of CI (a TSan build and
# run of these takes longer than CI's budget allows); run it before landing thread changes:
#   bash scripts/tsan.sh
# OpenMP's runtime is not built with TSan, so its barriers look like races; tsan.supp silences
# reports whose frames are all inside the OpenMP and BLAS libraries, nothing of ours.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-tsan
flags="-fsanitize=thread -fno-omit-frame-pointer -g1"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DGPTOSS_BUILD_BENCH=OFF >&2
cmake --build "$build" -j "$(nproc)" --target engine_tests chat_tests tokenizer_tests >&2

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp"
"$build/tests/chat_tests" --gtest_brief=1 --gtest_filter='ChatSession*'
"$build/tests/tokenizer_tests" --gtest_brief=1 --gtest_filter='TokenizerProperties.*'
"$build/tests/engine_tests" --gtest_brief=1
echo "tsan: no data race reported" >&2
