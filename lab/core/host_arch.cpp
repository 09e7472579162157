#include <sys/utsname.h>

#include <string>

#include "lab/core/arch.h"

namespace rfl {

std::optional<Arch> HostArch() {
  utsname u{};
  if (uname(&u) != 0) return std::nullopt;
  std::string m = u.machine;
  if (m == "x86_64") return Arch::kX86_64;
  if (m == "aarch64") return Arch::kArm64;
  if (m == "riscv64") return Arch::kRiscv64;
  return std::nullopt;
}

}  // namespace rfl
