#!/bin/sh
# bench/lowram.sh LIMIT_GB [bench args...]
#
# Runs `gpt-oss-chat bench` inside a fresh memory cgroup limited to LIMIT_GB GiB (0: no limit),
# after dropping the page cache, so the figures are those of a machine with that much RAM.
# Needs root. Uses cgroup v2 when its memory controller is available, else cgroup v1. The
# cgroup's peak charge is printed at the end (bench --json reports it too as cgroup_peak).
#   sudo bench/lowram.sh 8 --model /path/to/gpt-oss-20b --threads 2 --runs 3 --ram 8G --json
# Set GPT_OSS_CHAT to the binary (default: build/gpt-oss-chat beside this script's folder).
set -eu
if [ $# -lt 1 ]; then
  echo "usage: bench/lowram.sh LIMIT_GB [bench args...]" >&2
  exit 2
fi
limit_gb=$1
shift
case $limit_gb in
  ''|*[!0-9.]*) echo "bench/lowram.sh: LIMIT_GB: not a number (found '$limit_gb')" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${GPT_OSS_CHAT:-$here/build/gpt-oss-chat}
[ -x "$bin" ] || { echo "bench/lowram.sh: $bin: not an executable (build it, or set GPT_OSS_CHAT)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/lowram.sh: needs root (cgroups, drop_caches)" >&2; exit 1; }

limit_bytes=$(awk -v g="$limit_gb" 'BEGIN { printf "%.0f", g * 1073741824 }')
name=gptoss-lowram-$$
v2=/sys/fs/cgroup
[ -f $v2/cgroup.controllers ] || v2=/sys/fs/cgroup/unified
if [ -f $v2/cgroup.controllers ] && grep -qw memory $v2/cgroup.controllers; then
  cg=$v2/$name
  mkdir "$cg"
  [ "$limit_gb" = 0 ] || echo "$limit_bytes" > "$cg/memory.max"
  echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
  peak_file=$cg/memory.peak
elif [ -d /sys/fs/cgroup/memory ]; then
  cg=/sys/fs/cgroup/memory/$name
  mkdir "$cg"
  [ "$limit_gb" = 0 ] || echo "$limit_bytes" > "$cg/memory.limit_in_bytes"
  peak_file=$cg/memory.max_usage_in_bytes
else
  echo "bench/lowram.sh: no memory cgroup controller (v1 or v2) found" >&2
  exit 1
fi
cleanup() { rmdir "$cg" 2>/dev/null || true; }
trap cleanup EXIT

sync
echo 3 > /proc/sys/vm/drop_caches
# A child shell moves itself into the cgroup, then becomes bench: everything it maps or reads
# is charged there.
status=0
sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$cg" "$bin" bench "$@" || status=$?
echo "lowram: limit ${limit_gb} GiB, cgroup peak $(awk '{ printf "%.2f GiB", $1 / 1073741824 }' "$peak_file" 2>/dev/null || echo '?'), exit $status" >&2
exit $status
