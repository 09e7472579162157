#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/libfuzzer/) with clang-19 and
# ASan/UBSan into build-fuzz/ (or $1) and runs each for
# RFL_LAB_LIBFUZZER_SECONDS (default 30) on the repository's own scenarios,
# consoles and agent streams, past crashers included. Exits non-zero when a
# target crashed, leaked, hung past 10 s on one input or went over its memory
# limit, and prints the input that did it. scripts/test.sh runs it last.
#
# New inputs that found coverage go to <build>/fuzz/corpus/<target>/, emptied
# at the start of each run: a corpus kept from run to run would be replayed
# whole before any fuzzing and soon take the whole time budget. The
# repository's seed directories are only read.
# Reproduce a crash: <build>/fuzz/fuzz_<target> <reproducer>
# `scripts/fuzz.sh --build-only [DIR]` only builds them (scripts/test.sh does
# so first, so a target that no longer compiles or links fails in minutes,
# not after the VM tests).
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi
dir="${1:-build-fuzz}"
seconds="${RFL_LAB_LIBFUZZER_SECONDS:-30}"
# libFuzzer's random seed: fixed by default so a run repeats the same
# mutations (a CI failure reproduces); 0 picks a new one per run.
seed="${RFL_LAB_LIBFUZZER_SEED:-1}"

if ! command -v clang++-19 >/dev/null; then
  echo "fuzz.sh: clang++-19 not found; scripts/setup.sh test installs clang-19 and libclang-rt-19-dev" >&2
  exit 3
fi
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# A failed property (std::abort) gets ASan's stack trace too; ASAN_OPTIONS
# given by the caller win.
export ASAN_OPTIONS="handle_abort=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# Sanitizer reports with file:line (llvm-19 from `scripts/setup.sh test`).
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-19/bin/llvm-symbolizer}"
# Only the three targets: the lab, its tests and the agents stay GCC builds
# in build/.
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DRFL_LAB_LIBFUZZER=ON -DRFL_LAB_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzzers
[ "$build_only" = 1 ] && exit 0

# target, its past crashers, longest mutated input, seed directories
targets=(
  "scenario_loader tests/fixtures/fuzz/scenario 131072 scenarios tests/fixtures/scenario"
  "console_classifier tests/fixtures/fuzz/console 131072 tests/fixtures/consoles tests/fixtures/agent"
  "agent_decoder tests/fixtures/fuzz/agent 131072 tests/fixtures/agent"
)
failed=0
for t in "${targets[@]}"; do
  read -r name crashers max_len all_seeds <<<"$t"
  bin="$dir/fuzz/fuzz_$name"
  seeds=()  # libFuzzer refuses a directory that does not exist
  for d in "$crashers" $all_seeds; do [ -d "$d" ] && seeds+=("$d"); done
  # Past crashers first, once each and whole (as seeds they are cut at max_len).
  replay=()
  [ -d "$crashers" ] && mapfile -t replay < <(find "$crashers" -type f ! -name README.md | sort)
  corpus="$dir/fuzz/corpus/$name"
  artifacts="$dir/fuzz/artifacts/$name"
  log="$dir/fuzz/$name.log"
  rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts"
  : >"$log"
  marker="$dir/fuzz/.started-$name"
  touch "$marker"
  echo "fuzz.sh: $name: ${#replay[@]} past crashers, then ${seconds} s of fuzzing (log: $log)"
  limits=(-rss_limit_mb=2048 -timeout=10 -artifact_prefix="$artifacts/")
  rc=0
  if [ ${#replay[@]} -gt 0 ]; then
    "$bin" "${limits[@]}" "${replay[@]}" >>"$log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
      failed=1
      echo "fuzz.sh: $name FAILED (exit $rc) on a past crasher; the end of $log:" >&2
      tail -n 40 "$log" >&2
      f=$(grep -o '^Running: .*' "$log" | tail -1 | cut -d' ' -f2-)
      echo "fuzz.sh: $name: the past crasher $f fails again (replay: $bin $f)" >&2
      continue
    fi
  fi
  # The first corpus directory receives new inputs; the repository's are read.
  "$bin" "${limits[@]}" -seed="$seed" -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 \
    "$corpus" "${seeds[@]}" >>"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed "s/^/fuzz.sh: $name: /"
    continue
  fi
  failed=1
  echo "fuzz.sh: $name FAILED (exit $rc); the end of $log:" >&2
  tail -n 40 "$log" >&2
  found=$(find "$artifacts" -type f -newer "$marker" | sort)
  if [ -n "$found" ]; then
    while read -r f; do
      echo "fuzz.sh: $name: reproducer $f (replay: $bin $f;" \
        "once fixed, keep it as $crashers/<what-it-is>)" >&2
    done <<<"$found"
  else
    echo "fuzz.sh: $name: libFuzzer kept no input; see $log" >&2
  fi
done
exit "$failed"
