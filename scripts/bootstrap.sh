#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages), builds, then starts the chat or runs the tests.
#   bash scripts/bootstrap.sh chat [ARGS...]   # install, build, start gpt-oss-chat ARGS
#   bash scripts/bootstrap.sh test             # install, build, run the whole test suite
#   bash scripts/bootstrap.sh sanitize         # CI's second step: scripts/sanitize.sh (ASan, UBSan, fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-chat}
shift || true

packages=(build-essential cmake ninja-build pkg-config git
          libncurses-dev libreadline-dev nlohmann-json3-dev libpcre2-dev libopenblas-openmp-dev
          libomp-dev googletest libgtest-dev libbenchmark-dev tmux
          libcpp-httplib-dev libcurl4-openssl-dev nodejs)
[ "$mode" = sanitize ] && packages+=(clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The serve test installs the `openai` npm package; npm comes with some nodejs builds, else Debian's.
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

[ "$mode" = sanitize ] && exec bash scripts/sanitize.sh "$@"

jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
cmake --build build -j "$jobs" >&2

case "$mode" in
  chat) exec ./build/gpt-oss-chat "$@" ;;
  test) cd build && exec ctest --output-on-failure -j "$jobs" "$@" ;;
  *) echo "usage: bash scripts/bootstrap.sh chat|test|sanitize [ARGS...]" >&2; exit 2 ;;
esac
