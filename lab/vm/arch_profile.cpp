#include "lab/vm/arch_profile.h"

#include <array>
#include <string>

namespace rfl::vm {
namespace fs = std::filesystem;

const ArchProfile& ProfileFor(Arch arch) {
  static const std::array<ArchProfile, 3> kProfiles = {{
      {.arch = Arch::kX86_64, .libvirt_arch = "x86_64", .emulator = "qemu-system-x86_64",
       .machine = "q35", .cpu_model = "", .console = "ttyS0", .acpi = true},
      // cpu max: pointer authentication and BTI, which the arm64 Rust flags target.
      {.arch = Arch::kArm64, .libvirt_arch = "aarch64", .emulator = "qemu-system-aarch64",
       .machine = "virt", .cpu_model = "max", .console = "ttyAMA0", .virtio_mmio = true},
      {.arch = Arch::kRiscv64, .libvirt_arch = "riscv64", .emulator = "qemu-system-riscv64",
       .machine = "virt", .cpu_model = "", .console = "ttyS0", .needs_firmware = true,
       .virtio_mmio = true},
  }};
  for (const auto& p : kProfiles) {
    if (p.arch == arch) return p;
  }
  return kProfiles[0];
}

std::optional<fs::path> FindRiscvFirmware() {
  for (const char* candidate : {"/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
                                "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin"}) {
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return fs::path(candidate);
  }
  return std::nullopt;
}

}  // namespace rfl::vm
