#pragma once
// Arch profiles: how each guest architecture is booted under QEMU (see
// REFERENCE.md "Architectures"). One table, used by the domain XML builder,
// the acceleration probe and `doctor`.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "lab/core/arch.h"
#include "lab/core/boot_mode.h"

namespace rfl::vm {

struct ArchProfile {
  Arch arch;
  std::string_view libvirt_arch;  // <type arch=…>: x86_64, aarch64, riscv64
  std::string_view emulator;      // qemu-system-… (looked up on PATH)
  std::string_view machine;       // q35, virt
  std::string_view cpu_model;     // TCG cpu model ("" = QEMU's default)
  std::string_view console;       // kernel console device: ttyS0, ttyAMA0
  bool acpi = false;              // x86: ACPI tables, for kernels that have ACPI (a distribution kernel powers off through them)
  bool needs_firmware = false;    // riscv64: OpenSBI as -bios
  // virt machines: the agent's virtio-serial on the machine's virtio-mmio
  // transports, so the lab's kernels need no PCI (base-<arch>.config).
  bool virtio_mmio = false;
};

const ArchProfile& ProfileFor(Arch arch);

// OpenSBI for riscv64 virt: Debian's opensbi package, else the copy in
// qemu-system-data. nullopt when neither is installed.
std::optional<std::filesystem::path> FindRiscvFirmware();

}  // namespace rfl::vm
