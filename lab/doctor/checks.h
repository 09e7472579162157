#pragma once
// What `rfl-lab doctor` checks on a machine: QEMU per arch, riscv64 firmware,
// libvirt (and that it really starts a guest), /dev/kvm and the KVM probe,
// the toolchain tools, disk space. Each check says what it found and why it
// matters, at one of three levels; the lab cannot work when any check FAILs.
//
// The machine is read through HostProbe (the real one looks; unit tests
// give answers) and the hypervisor through vm::Hypervisor, so every rule
// here is tested without the machine it describes.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/core/arch.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"
#include "lab/util/result.h"
#include "lab/vm/hypervisor.h"

namespace rfl::doctor {

enum class Level { kOk, kWarn, kFail };
std::string_view LevelTag(Level l);  // "ok  ", "warn", "FAIL"

struct Check {
  Level level = Level::kOk;
  std::string what;    // "qemu arm64", "libvirt guest", "disk"
  std::string detail;  // what was found, and what it means for the lab
};

// The machine, as the checks read it.
class HostProbe {
 public:
  virtual ~HostProbe() = default;
  virtual std::optional<Arch> HostArch() = 0;
  virtual std::optional<std::filesystem::path> FindProgram(std::string_view name) = 0;
  virtual Result<ProcessResult> Run(const Command& command) = 0;
  virtual std::optional<std::filesystem::path> RiscvFirmware() = 0;
  // "missing", "no-access" or "ok" for /dev/kvm.
  virtual std::string KvmDevice() = 0;
  // Free bytes on the file system holding `dir` (or its nearest existing parent).
  virtual std::optional<uint64_t> FreeBytes(const std::filesystem::path& dir) = 0;
};

// This machine.
HostProbe& RealHost();

inline constexpr uint64_t kMinFreeBytes = 5ull << 30;   // one kernel tree + artifacts
inline constexpr uint64_t kWarnFreeBytes = 20ull << 30;  // several trees and toolchains

struct CheckOptions {
  LabDirs dirs;
  std::string uri;       // the libvirt URI the lab would use
  bool reprobe = false;  // probe KVM again instead of a recent cached verdict
};

// Every check, in the order doctor prints them. `hypervisor` is the opened
// connection, or the error opening it.
std::vector<Check> RunChecks(HostProbe& host, Result<vm::Hypervisor*> hypervisor, const CheckOptions& options);

bool AnyFailed(const std::vector<Check>& checks);

}  // namespace rfl::doctor
