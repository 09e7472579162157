#!/usr/bin/env bash
# Runs the whole test suite: unit, integration (real QEMU through libvirt,
# SQLite, Prometheus and Pushgateway, headless Chromium), e2e (the rfl-lab
# binary), fuzz (the property tests, then the libFuzzer targets built with
# clang-19 and ASan/UBSan in build-fuzz/ by scripts/fuzz.sh). Downloads are
# cached under $RFL_LAB_CACHE_DIR (or $XDG_CACHE_HOME/rfl-lab), so a second
# run is faster.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests and the lab they test (scripts/build.sh alone builds only the lab).
scripts/build.sh all
# The libFuzzer targets are built now and run last: a source they miss is a
# link error in the first minutes, not after the VM tests.
scripts/fuzz.sh --build-only
# The VM integration tests boot Debian's distribution kernel (libvirt, QEMU,
# outcome classes) without waiting for a lab-built kernel.
if [ -z "${RFL_LAB_TEST_KERNEL:-}" ]; then
  if kernel=$(scripts/test-kernel.sh); then
    export RFL_LAB_TEST_KERNEL="$kernel"
  else
    echo "test.sh: no distribution kernel; the VM integration tests will say they skipped" >&2
  fi
fi
# The KTAP parser's unit tests read the kunit_tool logs in the kernel source
# (tools/testing/kunit/test_data); every kernel test builds from it too.
build/rfl-lab source fetch debian:linux-source-7.3
# With the crash module the same tests provoke real oops, warning and hang boots.
if [ -n "${RFL_LAB_TEST_KERNEL:-}" ] && [ -z "${RFL_LAB_TEST_CRASH_MODULE:-}" ]; then
  if module=$(scripts/test-crash-module.sh "$RFL_LAB_TEST_KERNEL"); then
    export RFL_LAB_TEST_CRASH_MODULE="$module"
  else
    echo "test.sh: no crash module; the oops, warning and hang boot tests will say they skipped" >&2
  fi
fi
# Unit tests first: they fail in seconds when something basic is broken.
ctest --test-dir build -L unit --output-on-failure
# Then the other tiers, the broad and quicker ones first, each stopping the
# suite when it fails: a broken basic shows in minutes, not after the
# foreign-arch kernel builds (cross, the longest) have run.
# Two integration tests at a time: most of them keep one core busy (a TCG
# guest, a chain of Rust crates rebuilt for a flag or a compiler, one rustc
# building core), so a second test fills the other; each uses its own state
# dir and the lab's file locks order the ones that share a build tree.
# e2e (rfl-lab runs that remove cached artifacts), fuzz, lava (one LAVA
# worker) and cross (two full kernel builds, each `make -j2`: side by side
# they took as long as one after the other) run one test at a time.
for tier in integration e2e fuzz lava cross; do
  jobs=1
  case "$tier" in integration) jobs=2 ;; esac
  ctest --test-dir build -L "^${tier}\$" --output-on-failure --timeout 3600 -j "$jobs"
done
# libFuzzer with ASan/UBSan on the scenario loader, the console classifier and
# the agent record decoder, RFL_LAB_LIBFUZZER_SECONDS each (default 30).
scripts/fuzz.sh
