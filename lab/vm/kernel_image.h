#pragma once
// Is a file a bootable kernel image for an architecture? Checked before any
// initramfs is built or VM started, so `rfl-lab boot --kernel /etc/passwd`
// is bad input (exit 2), not a lab failure after a VM timed out.
//   x86_64: bzImage setup header "HdrS" at 0x202 (Documentation/arch/x86/boot.rst)
//   arm64:  Image header magic "ARM\x64" at 0x38 (Documentation/arch/arm64/booting.rst)
//   riscv64: Image header magic2 "RSC\x05" at 0x38 (Documentation/arch/riscv/boot-image-header.rst)
#include <filesystem>

#include "lab/core/arch.h"
#include "lab/util/result.h"

namespace rfl::vm {

// Kind::kInput naming the file and what is wrong; reads at most 4 KiB.
[[nodiscard]] Status CheckKernelImage(const std::filesystem::path& image, Arch arch);

}  // namespace rfl::vm
