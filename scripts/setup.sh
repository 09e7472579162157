#!/usr/bin/env bash
# Installs everything rfl-lab needs on a Debian 12 (bookworm) machine, as root.
# Idempotent: a second run installs nothing new. Every package is named here.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages)" >&2
  exit 3
fi

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
  # libFuzzer targets with ASan/UBSan (scripts/fuzz.sh): clang >= 16 compiles
  # libstdc++ 12's std::expected; the runtimes ship in libclang-rt-19-dev,
  # llvm-symbolizer (file:line in sanitizer reports) in llvm-19
  clang-19 libclang-rt-19-dev llvm-19
  # guest agent cross compilers (static, libc + libstdc++ only)
  g++-aarch64-linux-gnu g++-riscv64-linux-gnu
  # toolchain root filesystems and sources
  mmdebstrap debian-archive-keyring bubblewrap xz-utils zstd apt-utils
  # virtual machines
  qemu-system-x86 qemu-system-arm qemu-system-misc qemu-system-data
  opensbi qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  # exporters and reports
  prometheus prometheus-pushgateway prometheus-alertmanager docker-compose chromium
  # boots on LAVA: a single-node LAVA for the `lava` tests and for users
  # (scripts/lava-local.sh; LAVA keeps its database in PostgreSQL)
  postgresql lava-server lava-dispatcher
  # sharded builds: a ccache remote backend (Redis) the shard test shares
  # between its build processes (docs/scaling.md)
  redis-server redis-tools
  # VM integration tests: a busybox initramfs around a distribution kernel,
  # and the headers to build the crash module (oops, warning, hang) for it
  busybox-static linux-headers-amd64
  python3 python3-scipy python3-jsonschema python3-yaml
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

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

# libvirt's QEMU driver (embedded too) expects these users and groups.
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
echo "setup.sh: dependencies ready"
