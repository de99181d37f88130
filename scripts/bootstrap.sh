#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages), builds, then starts the chat or runs the tests.
#   bash scripts/bootstrap.sh chat [ARGS...]   # install, build the program, install it, start it
#   bash scripts/bootstrap.sh test             # install, build everything, run the whole test suite
# The chat starts in the folder you ran this from, so ./gpt-oss-20b and relative --model paths are
# yours. The program is installed (cmake --install) to /usr/local when run as root, else to
# ~/.local; set PREFIX to choose.
#   bash scripts/bootstrap.sh sanitize         # CI's second step: scripts/sanitize.sh (ASan, UBSan, fuzz)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build="$repo/build"

mode=${1:-chat}
shift || true
case "$mode" in
  chat|test|sanitize) ;;
  *) echo "usage: bash scripts/bootstrap.sh chat|test|sanitize [ARGS...]" >&2; exit 2 ;;
esac

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
  # apt's progress goes to a log; one line here says what happened.
  mkdir -p "$build"
  log="$build/apt.log"
  echo "bootstrap: installing ${#missing[@]} Debian packages (${missing[*]}); details in $log" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive \
         $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "bootstrap: installing the packages failed; the whole output is in $log" >&2
    exit 1
  fi
fi

[ "$mode" = sanitize ] && exec bash "$repo/scripts/sanitize.sh" "$@"

jobs=$(nproc)
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
if [ "$mode" = test ]; then
  cmake --build "$build" -j "$jobs" >&2
  exec bash "$repo/scripts/ctest_clean.sh" "$build" --output-on-failure -j "$jobs" "$@"
fi

# The chat needs only the program (not the tests and benchmarks).
cmake --build "$build" -j "$jobs" --target gpt-oss-chat >&2
if [ -z "${PREFIX:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then PREFIX=/usr/local; else PREFIX="$HOME/.local"; fi
fi
cmake --install "$build" --prefix "$PREFIX" >"$build/install.log" 2>&1 ||
  { cat "$build/install.log" >&2; echo "bootstrap: could not install to $PREFIX (set PREFIX)" >&2; exit 1; }
program="$PREFIX/bin/gpt-oss-chat"
if [ "$(command -v gpt-oss-chat || true)" = "$program" ]; then
  echo "bootstrap: installed gpt-oss-chat to $PREFIX/bin (on your PATH: run gpt-oss-chat from any folder)" >&2
else
  echo "bootstrap: installed $program; $PREFIX/bin is not on your PATH, so run it by that path" \
       "(or add: export PATH=\"$PREFIX/bin:\$PATH\" to ~/.profile)" >&2
fi
exec "$program" "$@"
