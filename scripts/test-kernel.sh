#!/usr/bin/env bash
# Prints the path of a distribution kernel for the VM integration tests
# (Debian bookworm's linux-image-amd64), downloading and unpacking it once
# into the cache dir. These tests exercise libvirt, QEMU and the classifier
# without waiting for a lab-built kernel.
set -euo pipefail
cache=${RFL_LAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rfl-lab}
dir="$cache/test-kernel"
if ! ls "$dir"/boot/vmlinuz-* >/dev/null 2>&1; then
  pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1)
  [ -n "$pkg" ] || { echo "test-kernel.sh: cannot resolve linux-image-amd64 (run apt-get update)" >&2; exit 3; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for attempt in 1 2 3; do
    (cd "$tmp" && apt-get download -q "$pkg" >&2) && break
    [ "$attempt" = 3 ] && { echo "test-kernel.sh: downloading $pkg failed three times" >&2; exit 3; }
    sleep $((attempt * 5))
  done
  mkdir -p "$tmp/x"
  dpkg-deb -x "$tmp"/*.deb "$tmp/x"
  mkdir -p "$cache"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/boot" && cp "$tmp"/x/boot/vmlinuz-* "$dir.tmp/boot/"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
ls "$dir"/boot/vmlinuz-* | head -1
