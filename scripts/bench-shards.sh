#!/usr/bin/env bash
# One side of the benchmark "2 build shards on one machine against 1 process"
# (docs/scaling.md). Builds tests/fixtures/shard/two-trees.yaml, whose two
# KRUSTFLAGS variants sit on two trees the quickstart built, with FLAG in
# place of their -Cdebug-assertions=n:
#   scripts/bench-shards.sh one FLAG   one `rfl-lab build` process
#   scripts/bench-shards.sh two FLAG   `build --shard 1/2` and `--shard 2/2` at once
# Alternate two flags that leave the code as it is (-Cdebug-assertions=n,
# -Coverflow-checks=y) between the sides: each call then finds the trees at
# the other flag and rebuilds both trees' Rust objects, as a study does. Time
# each call as a whole, e.g. `/usr/bin/time -f %e scripts/bench-shards.sh two
# -Coverflow-checks=y`.
set -euo pipefail
cd "$(dirname "$0")/.."
side=${1:-}
flag=${2:-}
if [[ ! $side =~ ^(one|two)$ || ! $flag =~ ^-C[a-z-]+=[a-z0-9]+$ ]]; then
  echo "usage: scripts/bench-shards.sh one|two -Cname=value" >&2
  exit 2
fi
work=$(mktemp -d /tmp/rfl-lab-bench-shards.XXXXXX)
trap 'rm -rf "$work"' EXIT
scenario="$work/two-trees.yaml"
sed "s/-Cdebug-assertions=n/$flag/g; s/^name: .*/name: bench-shards/" tests/fixtures/shard/two-trees.yaml >"$scenario"
# Not cached: this side builds both variants again.
build/rfl-lab plan "$scenario" --json 2>/dev/null | /usr/bin/python3 -c '
import json, shutil, sys
for b in json.load(sys.stdin)["builds"]:
    if b["rustflags"] and b["cached_artifact"]:
        shutil.rmtree(b["cached_artifact"])
'
if [ "$side" = one ]; then
  build/rfl-lab --state-dir "$work/m1" build "$scenario" >"$work/one.log" 2>&1 || { tail -20 "$work/one.log"; exit 1; }
else
  build/rfl-lab --state-dir "$work/m1" build "$scenario" --shard 1/2 >"$work/s1.log" 2>&1 &
  first=$!
  build/rfl-lab --state-dir "$work/m2" build "$scenario" --shard 2/2 >"$work/s2.log" 2>&1 &
  second=$!
  status=0
  wait "$first" || { tail -20 "$work/s1.log"; status=1; }
  wait "$second" || { tail -20 "$work/s2.log"; status=1; }
  exit "$status"
fi
