// The names of the core enums, each in one table.
#include <array>
#include <utility>

#include "lab/core/arch.h"
#include "lab/core/boot_mode.h"
#include "lab/core/outcome.h"

namespace rfl {
namespace {

template <typename E, size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

template <typename E, size_t N>
std::string_view NameIn(const NameTable<E, N>& table, E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> ParseIn(const NameTable<E, N>& table, std::string_view s) {
  for (const auto& [value, name] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

constexpr NameTable<Arch, 3> kArch{{{Arch::kX86_64, "x86_64"}, {Arch::kArm64, "arm64"}, {Arch::kRiscv64, "riscv64"}}};
constexpr NameTable<Accel, 3> kAccel{{{Accel::kAuto, "auto"}, {Accel::kKvm, "kvm"}, {Accel::kTcg, "tcg"}}};
constexpr NameTable<Timing, 2> kTiming{{{Timing::kIcount, "icount"}, {Timing::kWall, "wall"}}};
constexpr NameTable<Expect, 3> kExpect{
    {{Expect::kPass, "pass"}, {Expect::kBuildFailure, "build-failure"}, {Expect::kBootFailure, "boot-failure"}}};
constexpr NameTable<BootOutcome, 11> kBootOutcome{{
    {BootOutcome::kPassed, "passed"},
    {BootOutcome::kBuildFailed, "build-failed"},
    {BootOutcome::kBootTimeout, "boot-timeout"},
    {BootOutcome::kKernelPanic, "kernel-panic"},
    {BootOutcome::kOops, "oops"},
    {BootOutcome::kRustPanic, "rust-panic"},
    {BootOutcome::kWarning, "warning"},
    {BootOutcome::kHang, "hang"},
    {BootOutcome::kInitFailed, "init-failed"},
    {BootOutcome::kWorkloadFailed, "workload-failed"},
    {BootOutcome::kAgentLost, "agent-lost"},
}};

}  // namespace

std::string_view ArchName(Arch a) { return NameIn(kArch, a); }
std::optional<Arch> ParseArch(std::string_view s) { return ParseIn(kArch, s); }
const std::vector<std::string>& KnownArchNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [value, name] : kArch) v.emplace_back(name);
    return v;
  }();
  return names;
}

std::string_view AccelName(Accel a) { return NameIn(kAccel, a); }
std::optional<Accel> ParseAccel(std::string_view s) { return ParseIn(kAccel, s); }
std::string_view TimingName(Timing t) { return NameIn(kTiming, t); }
std::optional<Timing> ParseTiming(std::string_view s) { return ParseIn(kTiming, s); }
std::string_view ExpectName(Expect e) { return NameIn(kExpect, e); }
std::optional<Expect> ParseExpect(std::string_view s) { return ParseIn(kExpect, s); }

std::string_view BootOutcomeName(BootOutcome o) { return NameIn(kBootOutcome, o); }
std::optional<BootOutcome> ParseBootOutcome(std::string_view s) { return ParseIn(kBootOutcome, s); }
const std::vector<BootOutcome>& AllBootOutcomes() {
  static const std::vector<BootOutcome> all = [] {
    std::vector<BootOutcome> v;
    for (const auto& [value, name] : kBootOutcome) v.push_back(value);
    return v;
  }();
  return all;
}

}  // namespace rfl
