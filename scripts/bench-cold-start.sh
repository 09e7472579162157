#!/usr/bin/env bash
# The README's main-job command from empty caches, step by step (issue 19):
#   scripts/setup.sh && scripts/build.sh && build/rfl-lab run scenarios/quickstart.yaml
# in a fresh clone of this checkout's HEAD, with the project compiled without
# ccache and the lab's cache and state dirs empty (toolchain rootfs, kernel
# source, kernel ccache, artifacts, store). Prints each step's wall time and,
# from the run's own output, when the toolchain and the source were ready and
# how long each kernel build took.
#
# usage: scripts/bench-cold-start.sh [WORK_DIR]   (default: a new /tmp dir;
#   it is left in place for its logs; ~1 h on 2 cores, run it on idle cores)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/rfl-cold-start.XXXXXX)}"
mkdir -p "$work"
log="$work/steps.log"
: > "$log"

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# Runs "$@" with each output line prefixed by the seconds since the step
# began into $work/NAME.log, and records the step's time and exit status.
step() {
  local name="$1"; shift
  local t0 rc
  t0=$(now)
  set +e
  ( "$@" ) 2>&1 | while IFS= read -r line; do
    printf '%s %s\n' "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%8.1f", b - a }')" "$line"
  done > "$work/$name.log"
  rc=${PIPESTATUS[0]}
  set -e
  printf '%s %s %s\n' "$name" "$(since "$t0")" "$rc" >> "$log"
}

echo "bench-cold-start: work dir $work" >&2
total0=$(now)
step setup "$src/scripts/setup.sh"
rm -rf "$work/project"
git clone -q "$src" "$work/project"
cd "$work/project"
step build env CCACHE_DISABLE=1 scripts/build.sh
step run build/rfl-lab --cache-dir "$work/cache" --state-dir "$work/state" run scenarios/quickstart.yaml
total=$(since "$total0")

echo
echo "| step | wall | exit |"
echo "|---|---|---|"
while read -r name secs rc; do
  case "$name" in
    setup) label='`scripts/setup.sh` (apt; idempotent when already set up)' ;;
    build) label='`scripts/build.sh` (the lab and the agents, no ccache)' ;;
    run) label='`build/rfl-lab run scenarios/quickstart.yaml` (empty cache and state)' ;;
  esac
  printf '| %s | %.0f s | %s |\n' "$label" "$secs" "$rc"
done < "$log"
awk -v t="$total" 'BEGIN { printf "| **total** | **%.0f s (%.1f min)** | |\n", t, t / 60 }'

echo
echo "Within the run (seconds since it started, from its own output):"
grep -E "toolchain [^ ]+: rustc |source [^ ]+: Linux .* ready|run [0-9]+ of |built \(|FAILED|expected failure|^ *[0-9.]+ +(exit|summary)" \
  "$work/run.log" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | cut -c1-200 || true
echo
echo "Kernel builds (from the store: rfl-lab runs/report):"
build/rfl-lab --state-dir "$work/state" runs 2>/dev/null | tail -n 3 || true
