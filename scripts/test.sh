#!/usr/bin/env bash
# Runs the whole test suite: unit, integration (real QEMU, libvirt, kernels,
# Prometheus), cross (arm64 kernels) and e2e (the quickstart from the cache
# dir, empty or not). Kernel builds are cached under $RFL_LAB_CACHE_DIR (or
# $XDG_CACHE_HOME/rfl-lab), so a second run is much faster.
set -euo pipefail
cd "$(dirname "$0")/.."
# Unit tests first: they fail in seconds when something basic is broken.
ctest --test-dir build -L unit --output-on-failure
ctest --test-dir build -LE unit --output-on-failure --timeout 3600
