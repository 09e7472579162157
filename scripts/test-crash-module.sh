#!/usr/bin/env bash
# Prints the path of rfl_crash.ko (tests/fixtures/consoles/capture/rfl_crash.c)
# built for the distribution test kernel KERNEL (scripts/test-kernel.sh), with
# the matching Debian headers (linux-headers-amd64, installed by `setup.sh test`).
# The VM integration tests load it to provoke real oops, warning and hang
# boots. Built once into the cache dir next to the kernel.
# usage: test-crash-module.sh /path/to/vmlinuz-<version>
set -euo pipefail
kernel=$1
version=${kernel##*/vmlinuz-}
headers=/usr/src/linux-headers-$version
if [ ! -f "$headers/Makefile" ]; then
  echo "test-crash-module.sh: no $headers for $kernel (apt-get install linux-headers-$version)" >&2
  exit 3
fi
cache=${RFL_LAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rfl-lab}
src=$(cd "$(dirname "$0")/../tests/fixtures/consoles/capture" && pwd)
dir="$cache/test-kernel/crash-module-$version"
if [ ! -f "$dir/rfl_crash.ko" ] || ! cmp -s "$src/rfl_crash.c" "$dir/rfl_crash.c"; then
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  cp "$src/rfl_crash.c" "$src/Kbuild" "$dir.tmp/"
  # Debian built this kernel with its gcc; kbuild checks the compiler.
  make -s -C "$headers" M="$dir.tmp" modules >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir/rfl_crash.ko"
