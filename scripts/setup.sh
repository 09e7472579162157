#!/usr/bin/env bash
# Installs the Debian packages rfl-lab needs on a Debian 12 (bookworm)
# machine, as root. Every package is named here, in three lists:
#   scripts/setup.sh        what the lab needs to build kernels, boot them and
#                           report (the main job; the container image's build)
#   scripts/setup.sh lava   and a single-node LAVA (scripts/lava-local.sh)
#   scripts/setup.sh test   and the test suite's tools: LAVA, Prometheus and
#                           Pushgateway, Chromium, the fuzzers' clang, Redis,
#                           kernel headers (scripts/test.sh runs this itself)
# The main job does not wait for the test suite's half of the downloads (on a
# fresh machine: 336 packages, 451 MB, against 795 packages, 886 MB).
# Idempotent: a second run installs nothing new, and needs no root.
set -euo pipefail

group="${1:-lab}"
case "$group" in
  lab | lava | test) ;;
  *) echo "usage: scripts/setup.sh [lab|lava|test]" >&2; exit 2 ;;
esac

export DEBIAN_FRONTEND=noninteractive

packages=(
  # build
  build-essential cmake ninja-build pkg-config git ccache
  # libraries (Debian bookworm)
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libsqlite3-dev sqlite3 libarchive-dev libpugixml-dev libboost-dev
  prometheus-cpp-dev libcivetweb-dev libcurl4-openssl-dev libssl-dev zlib1g-dev
  libvirt-dev libelf-dev libgtest-dev libgmock-dev libre2-dev
  # code checks: LLVM's C disassembler API (lab/codecheck/)
  llvm-14-dev
  # guest agent cross compilers (static, libc + libstdc++ only)
  g++-aarch64-linux-gnu g++-riscv64-linux-gnu
  # toolchain root filesystems and sources
  mmdebstrap debian-archive-keyring bubblewrap xz-utils zstd apt-utils
  # virtual machines
  qemu-system-x86 qemu-system-arm qemu-system-misc qemu-system-data
  opensbi qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  python3
)

# Boots on LAVA: a single-node LAVA for the `lava` tests and for users
# (scripts/lava-local.sh; LAVA keeps its database in PostgreSQL).
lava_packages=(
  postgresql lava-server lava-dispatcher
)

test_packages=(
  # libFuzzer targets with ASan/UBSan (scripts/fuzz.sh): clang >= 16 compiles
  # libstdc++ 12's std::expected; the runtimes ship in libclang-rt-19-dev,
  # llvm-symbolizer (file:line in sanitizer reports) in llvm-19
  clang-19 libclang-rt-19-dev llvm-19
  # the exporters against real servers, the compose file, the HTML report in
  # a browser
  prometheus prometheus-pushgateway prometheus-alertmanager docker-compose chromium
  # sharded builds: a ccache remote backend (Redis) the shard test shares
  # between its build processes (docs/scaling.md)
  redis-server redis-tools
  # VM integration tests: a busybox initramfs around a distribution kernel,
  # and the headers to build the crash module (oops, warning, hang) for it
  busybox-static linux-headers-amd64
  # the statistics' reference values and the KCIDB schema check
  python3-scipy python3-jsonschema python3-yaml
)

case "$group" in
  lava) packages+=("${lava_packages[@]}") ;;
  test) packages+=("${lava_packages[@]}" "${test_packages[@]}") ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# libvirt's QEMU driver (embedded too) expects these users and groups.
accounts_ready() {
  getent group libvirt-qemu >/dev/null && getent passwd libvirt-qemu >/dev/null && getent group kvm >/dev/null
}

if [ "$(id -u)" -ne 0 ] && { [ ${#missing[@]} -gt 0 ] || ! accounts_ready; }; then
  echo "setup.sh: run as root (it installs Debian packages${missing[*]:+: ${missing[*]}})" >&2
  exit 3
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${#missing[@]} packages: ${missing[*]}"
  for attempt in 1 2 3; do
    apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}" && break
    if [ "$attempt" = 3 ]; then
      echo "setup.sh: apt-get failed three times; the mirror error is above" >&2
      exit 3
    fi
    sleep $((attempt * 10))
  done
fi

getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
getent group kvm >/dev/null || groupadd --system kvm

# The Prometheus/Pushgateway packages start system services; tests start their
# own servers on loopback, so the packaged ones are not needed running.
for svc in prometheus prometheus-pushgateway; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
echo "setup.sh: dependencies ready ($group)"
