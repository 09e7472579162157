#include "lab/scenario/model.h"

#include <filesystem>

namespace rfl::scenario {

std::string_view ArchName(Arch a) {
  switch (a) {
    case Arch::kX86_64: return "x86_64";
    case Arch::kArm64: return "arm64";
    case Arch::kRiscv64: return "riscv64";
  }
  return "?";
}

std::optional<Arch> ParseArch(std::string_view s) {
  if (s == "x86_64") return Arch::kX86_64;
  if (s == "arm64") return Arch::kArm64;
  if (s == "riscv64") return Arch::kRiscv64;
  return std::nullopt;
}

const std::vector<std::string>& KnownArchNames() {
  static const std::vector<std::string> k = {"x86_64", "arm64", "riscv64"};
  return k;
}

std::string KernelSource::Label() const {
  switch (kind) {
    case Kind::kDebian: {
      const std::string prefix = "linux-source-";
      return value.rfind(prefix, 0) == 0 ? value.substr(prefix.size()) : value;
    }
    case Kind::kPath:
    case Kind::kTarball: return std::filesystem::path(value).filename().string();
  }
  return value;
}

std::string_view ExpectName(Expect e) {
  switch (e) {
    case Expect::kPass: return "pass";
    case Expect::kBuildFailure: return "build-failure";
    case Expect::kBootFailure: return "boot-failure";
  }
  return "?";
}

std::string_view AccelName(Accel a) {
  switch (a) {
    case Accel::kAuto: return "auto";
    case Accel::kKvm: return "kvm";
    case Accel::kTcg: return "tcg";
  }
  return "?";
}

std::string_view TimingName(Timing t) { return t == Timing::kIcount ? "icount" : "wall"; }

const Variant* Scenario::FindVariant(std::string_view n) const {
  for (const auto& v : variants) {
    if (v.name == n) return &v;
  }
  return nullptr;
}

}  // namespace rfl::scenario
