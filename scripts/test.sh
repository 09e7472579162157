#!/usr/bin/env bash
# Runs the whole test suite: unit, integration (real QEMU through libvirt,
# SQLite, Prometheus and Pushgateway, headless Chromium), e2e (the rfl-lab
# binary), fuzz (the property tests, then the libFuzzer targets built with
# clang-19 and ASan/UBSan in build-fuzz/ by scripts/fuzz.sh). Downloads are
# cached under $RFL_LAB_CACHE_DIR (or $XDG_CACHE_HOME/rfl-lab), so a second
# run is faster.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step's end, in seconds since the start, on stderr: where a cold run's
# time goes (docs/development.md quotes them).
# With them, how busy the cores were since the step before and how much of
# that went to niced work (the cross kernels, built at the lowest priority
# beside the tiers), from /proc/stat's first line (user, nice, system, idle,
# iowait, irq, softirq, steal; clock ticks): a step that left the cores idle
# can be overlapped with another, one that kept them busy only shortened.
start=$SECONDS
cpu_ticks() {
  local _ user nice system idle iowait irq softirq steal
  read -r _ user nice system idle iowait irq softirq steal _ </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) $nice $((idle + iowait))"
}
read -r last_busy last_nice last_idle <<<"$(cpu_ticks)"
step_done() {
  local busy nice idle ticks
  read -r busy nice idle <<<"$(cpu_ticks)"
  ticks=$(( busy - last_busy + idle - last_idle ))
  [ "$ticks" -gt 0 ] || ticks=1
  echo "test.sh: $1 done at +$((SECONDS - start)) s (cores busy $(( 100 * (busy - last_busy) / ticks )) %," \
    "niced $(( 100 * (nice - last_nice) / ticks )) %)" >&2
  last_busy=$busy last_nice=$nice last_idle=$idle
}
# The test suite's own tools (LAVA, Prometheus, Chromium, the fuzzers' clang,
# …): the README's `scripts/setup.sh` installs only what the lab needs.
scripts/setup.sh test
step_done "the test tools' packages"
# The lab first: it fetches what the tests need while the tests compile.
scripts/build.sh
step_done "the lab's build"
# The downloads the tests need wait on the network and dpkg more than on the
# cores, so they run beside the test build: Debian's distribution kernel (the
# VM integration tests boot it without waiting for a lab-built kernel), the
# kernel source (the KTAP parser's unit tests read kunit_tool's logs in it;
# every kernel test builds from it) and the quickstart's toolchain rootfs.
prefetch=build/prefetch
mkdir -p "$prefetch"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
if [ -z "${RFL_LAB_TEST_KERNEL:-}" ]; then
  scripts/test-kernel.sh >"$prefetch/test-kernel.path" 2>"$prefetch/test-kernel.log" &
  test_kernel_pid=$!
fi
build/rfl-lab source fetch debian:linux-source-7.3 >"$prefetch/source.log" 2>&1 &
source_pid=$!
build/rfl-lab toolchain provision rustc-1.96 >"$prefetch/toolchain.log" 2>&1 &
toolchain_pid=$!
# The newest compiler, whose ABI check the integration tier runs (forky's
# rustc 1.97 and clang 21: its own rootfs, ~2.5 min of apt and dpkg).
build/rfl-lab toolchain provision rustc-1.97 >"$prefetch/toolchain-1.97.log" 2>&1 &
toolchain_197_pid=$!
# The tests and benchmarks.
scripts/build.sh all
step_done "the test build"
# The libFuzzer targets are built now and run last: a source they miss is a
# link error in the first minutes, not after the VM tests.
scripts/fuzz.sh --build-only
step_done "the libFuzzer build"
if [ -n "${test_kernel_pid:-}" ]; then
  if wait "$test_kernel_pid"; then
    RFL_LAB_TEST_KERNEL=$(cat "$prefetch/test-kernel.path")
    export RFL_LAB_TEST_KERNEL
  else
    cat "$prefetch/test-kernel.log" >&2
    echo "test.sh: no distribution kernel; the VM integration tests will say they skipped" >&2
  fi
fi
if ! wait "$source_pid"; then
  cat "$prefetch/source.log" >&2
  echo "test.sh: fetching the kernel source failed" >&2
  exit 1
fi
step_done "the kernels and the source"
# With the crash module the same tests provoke real oops, warning and hang boots.
if [ -n "${RFL_LAB_TEST_KERNEL:-}" ] && [ -z "${RFL_LAB_TEST_CRASH_MODULE:-}" ]; then
  if module=$(scripts/test-crash-module.sh "$RFL_LAB_TEST_KERNEL"); then
    export RFL_LAB_TEST_CRASH_MODULE="$module"
  else
    echo "test.sh: no crash module; the oops, warning and hang boot tests will say they skipped" >&2
  fi
fi
# Unit tests first: they fail in seconds when something basic is broken.
# Each is a process of its own with its own temporary directory: two at a time.
ctest --test-dir build -L unit --output-on-failure -j 2
step_done "unit"
# The toolchain rootfses (apt in a sandbox, ~2.5 min each) went on beside the unit
# tests, which do not use them. One that failed here fails again, with its
# message, in the first test that needs it.
wait "$toolchain_pid" || cat "$prefetch/toolchain.log" >&2
wait "$toolchain_197_pid" || cat "$prefetch/toolchain-1.97.log" >&2
step_done "the toolchains"
# The cross tier's two kernels (arm64, riscv64: ~8 min of make -j2 each), and
# arm64's branch-protection flag variant (a Rust-only rebuild, ~1 min), are
# built from now on at the lowest priority, beside the tiers below that leave
# a core idle (TCG guests, LAVA, waits): they take only what those leave, and
# the cross tier, last, finds them built. The same builds as the tests' own
# first call (build/tests/test_kernels); one that fails here is built again,
# and fails with its message, in the cross tier.
nice -n 19 build/tests/test_kernels arm64 arm64:branch-protection riscv64 >"$prefetch/cross-kernels.log" 2>&1 &
cross_kernels_pid=$!
# The x86 quickstart kernel (~10 min of make -j2), which most integration
# tests share (they boot it, rebuild it for a flag or a Kconfig variant, seed
# other toolchains' trees from it), is built now, before them, with both
# cores; the cross kernels above take the cores its serial steps (Kconfig,
# the Rust crates' chain, the link) leave idle. So no test depends on which
# of them ctest starts first. One that fails here is built again, and fails
# with its message, in the first test that needs it.
if ! build/tests/test_kernels x86_64 >"$prefetch/x86-kernel.log" 2>&1; then
  tail -n 30 "$prefetch/x86-kernel.log" >&2
  echo "test.sh: building the x86 kernel ahead failed; the integration tests build it again" >&2
fi
step_done "the x86 kernel"
# Then the other tiers, the broad and quicker ones first, each stopping the
# suite when it fails: a broken basic shows in minutes, not after the
# foreign-arch kernel builds (cross, the longest) have run.
# Two integration tests at a time: most of them keep one core busy (a TCG
# guest, a chain of Rust crates rebuilt for a flag or a compiler, one rustc
# building core), so a second test fills the other; each uses its own state
# dir and the lab's file locks order the ones that share a build tree.
# e2e (rfl-lab runs that remove cached artifacts), fuzz, lava (one LAVA
# worker) and, last, cross (its kernels built by then) run one test at a time.
for tier in integration e2e fuzz lava; do
  jobs=1
  case "$tier" in integration) jobs=2 ;; esac
  ctest --test-dir build -L "^${tier}\$" --output-on-failure --timeout 3600 -j "$jobs"
  step_done "$tier"
done
# libFuzzer with ASan/UBSan on the scenario loader, the console classifier and
# the agent record decoder, RFL_LAB_LIBFUZZER_SECONDS each (default 30): one
# target at a time, beside the cross kernels' build.
scripts/fuzz.sh
step_done "libFuzzer"
if ! wait "$cross_kernels_pid"; then
  tail -n 30 "$prefetch/cross-kernels.log" >&2
  echo "test.sh: building the cross kernels ahead failed; the cross tier builds them again" >&2
fi
step_done "the cross kernels"
ctest --test-dir build -L "^cross\$" --output-on-failure --timeout 3600 -j 1
step_done "cross"
