#!/usr/bin/env bash
# Configures and builds rfl-lab in build/: by default what the main job needs
# (the lab and the static guest agents); `scripts/build.sh all` also builds
# the tests and benchmarks (scripts/test.sh does that itself).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-lab}" in
  lab) targets=(--target rfl-lab agents) ;;
  all) targets=() ;;
  *) echo "usage: scripts/build.sh [lab|all]" >&2; exit 2 ;;
esac
# ccache (when installed) keys on paths relative to the checkout, so another
# clone or worktree of the project reuses the same cached objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" "${targets[@]}"
