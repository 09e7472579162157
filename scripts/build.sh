#!/usr/bin/env bash
# Configures and builds rfl-lab (the lab, the guest agents, the tests) in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache (when installed) keys on paths relative to the checkout, so another
# clone or worktree of the project reuses the same cached objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
