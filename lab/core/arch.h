#pragma once
// The guest architectures the lab builds and boots. A core type: scenario/,
// kernel/, image/, vm/ and results/ all name architectures, and none of them
// should depend on another stage's model for it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rfl {

enum class Arch { kX86_64, kArm64, kRiscv64 };
std::string_view ArchName(Arch a);  // "x86_64", "arm64", "riscv64"
std::optional<Arch> ParseArch(std::string_view s);
const std::vector<std::string>& KnownArchNames();
// The architecture this lab runs on (uname), when it is one the lab knows:
// what boots natively, and what a toolchain root filesystem's compilers run
// on (any other arch is a cross build). host_arch.cpp.
std::optional<Arch> HostArch();

}  // namespace rfl
