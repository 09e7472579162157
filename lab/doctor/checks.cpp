#include "lab/doctor/checks.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "lab/vm/accel.h"
#include "lab/vm/arch_profile.h"

namespace rfl::doctor {
namespace fs = std::filesystem;

std::string_view LevelTag(Level l) { return l == Level::kOk ? "ok  " : l == Level::kWarn ? "warn" : "FAIL"; }

namespace {

std::string FirstLine(std::string_view s) { return std::string(s.substr(0, s.find('\n'))); }

class RealHostProbe final : public HostProbe {
 public:
  std::optional<Arch> HostArch() override { return rfl::HostArch(); }
  std::optional<fs::path> FindProgram(std::string_view name) override { return rfl::FindProgram(name); }
  Result<ProcessResult> Run(const Command& command) override { return DefaultRunner().Run(command); }
  std::optional<fs::path> RiscvFirmware() override { return vm::FindRiscvFirmware(); }
  std::string KvmDevice() override {
    std::error_code ec;
    if (!fs::exists("/dev/kvm", ec)) return "missing";
    return access("/dev/kvm", R_OK | W_OK) == 0 ? "ok" : "no-access";
  }
  std::optional<uint64_t> FreeBytes(const fs::path& start) override {
    fs::path dir = start;
    std::error_code ec;
    while (!dir.empty() && !fs::exists(dir, ec)) dir = dir.parent_path();
    struct statvfs st {};
    if (dir.empty() || statvfs(dir.c_str(), &st) != 0) return std::nullopt;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }
};

// QEMU per architecture: the host's own arch is required, others are warnings.
void CheckQemu(HostProbe& host, std::vector<Check>& out) {
  auto native = host.HostArch();
  for (auto arch : {Arch::kX86_64, Arch::kArm64, Arch::kRiscv64}) {
    const auto& p = vm::ProfileFor(arch);
    std::string what = fmt::format("qemu {}", ArchName(arch));
    auto bin = host.FindProgram(p.emulator);
    if (!bin) {
      out.push_back({native == arch ? Level::kFail : Level::kWarn, what,
                     fmt::format("{} not on PATH: {} kernels cannot boot (Debian: qemu-system-{})", p.emulator,
                                 ArchName(arch),
                                 arch == Arch::kX86_64 ? "x86" : arch == Arch::kArm64 ? "arm" : "misc")});
      continue;
    }
    auto ran = host.Run(Command{.argv = {bin->string(), "--version"}, .timeout = std::chrono::seconds(10)});
    if (!ran || !ran->ok()) {
      out.push_back({Level::kFail, what,
                     fmt::format("{} --version failed: {}", bin->string(), ran ? ran->Describe() : ran.error().message)});
      continue;
    }
    out.push_back({Level::kOk, what, fmt::format("{}: {}", bin->string(), FirstLine(ran->output))});
  }
  if (auto fw = host.RiscvFirmware()) {
    out.push_back({Level::kOk, "riscv64 firmware", fmt::format("OpenSBI {}", fw->string())});
  } else {
    out.push_back({Level::kWarn, "riscv64 firmware", "no OpenSBI (install opensbi): riscv64 kernels cannot boot"});
  }
}

// libvirt: the connection, and a real (TCG) guest that prints and stops.
void CheckLibvirt(HostProbe& host, Result<vm::Hypervisor*> hv, const CheckOptions& o, std::vector<Check>& out) {
  if (!hv) {
    out.push_back({Level::kFail, "libvirt", hv.error().message});
    return;
  }
  auto desc = (*hv)->Describe();
  out.push_back({Level::kOk, "libvirt", fmt::format("{} via {}", desc ? *desc : desc.error().message, o.uri)});
  if (host.HostArch() != Arch::kX86_64) return;  // the probe guest is an x86 image
  fs::path dir = o.dirs.state / "probe";
  fs::path image = dir / "tcg-probe.bin";
  Status written = EnsureDir(dir);
  if (written) written = WriteFileAtomic(image, vm::ProbeGuestImage());
  if (!written) {
    out.push_back({Level::kFail, "libvirt guest", written.error().message});
    return;
  }
  vm::BootRequest req;
  req.arch = Arch::kX86_64;
  req.kernel = image;
  req.memory_bytes = 64ull << 20;
  req.accel = vm::ResolvedAccel::kTcg;
  req.timeout = std::chrono::seconds(20);
  req.silence_timeout = std::chrono::milliseconds(0);
  req.console_path = dir / "tcg-probe.console";
  req.agent_channel = false;
  req.name_prefix = "rfl-doctor";
  auto booted = (*hv)->Boot(req);
  auto console = ReadFile(req.console_path).value_or("");
  if (!booted) {
    out.push_back({Level::kFail, "libvirt guest", fmt::format("cannot start a TCG guest: {}", booted.error().message)});
  } else if (console.find(vm::kProbeMarker) == std::string::npos) {
    out.push_back({Level::kFail, "libvirt guest",
                   fmt::format("a TCG probe guest ended ({}) without printing its line", vm::EndReasonName(booted->end))});
  } else {
    out.push_back({Level::kOk, "libvirt guest",
                   fmt::format("a TCG probe guest booted, printed and stopped in {:.2f} s ({})", booted->total.count(),
                               booted->end_detail)});
  }
}

// KVM: the device, then the probe that says whether guests really run.
void CheckKvm(HostProbe& host, Result<vm::Hypervisor*> hv, const CheckOptions& o, std::vector<Check>& out) {
  std::string device = host.KvmDevice();
  if (device == "missing") {
    out.push_back({Level::kWarn, "kvm", "no /dev/kvm: every boot uses TCG (slower; icount timing is unaffected)"});
    return;
  }
  if (device != "ok") {
    out.push_back({Level::kWarn, "kvm", "/dev/kvm exists but is not read-write for this user: TCG"});
    return;
  }
  if (!hv) return;
  auto probe = vm::ProbeKvm(**hv, o.dirs.state, !o.reprobe);
  if (!probe) {
    out.push_back({Level::kWarn, "kvm probe", probe.error().message});
    return;
  }
  std::string when =
      probe->cached ? fmt::format(" (cached {:.0f} s ago; --reprobe to check again)", probe->age_s) : "";
  out.push_back({probe->works ? Level::kOk : Level::kWarn, "kvm probe",
                 fmt::format("{} → accel auto uses {}{}", probe->reason, probe->works ? "KVM" : "TCG", when)});
}

void CheckTools(HostProbe& host, std::vector<Check>& out) {
  // Toolchains: Debian root filesystems made with mmdebstrap, run with bwrap.
  for (std::string_view tool : {"mmdebstrap", "bwrap"}) {
    auto found = host.FindProgram(tool);
    out.push_back({found ? Level::kOk : Level::kWarn, std::string(tool),
                   found ? found->string()
                         : fmt::format("not found: only the 'host' toolchain can build (apt install {})",
                                       tool == "bwrap" ? "bubblewrap" : "mmdebstrap")});
  }
}

void CheckDisk(HostProbe& host, const CheckOptions& o, std::vector<Check>& out) {
  auto free_bytes = host.FreeBytes(o.dirs.cache);
  if (!free_bytes) {
    out.push_back({Level::kWarn, "disk", fmt::format("cannot stat {}", o.dirs.cache.string())});
    return;
  }
  double gib = static_cast<double>(*free_bytes) / static_cast<double>(1ull << 30);
  Level level = *free_bytes < kMinFreeBytes ? Level::kFail : *free_bytes < kWarnFreeBytes ? Level::kWarn : Level::kOk;
  out.push_back({level, "disk",
                 fmt::format("{:.1f} GiB free for the cache {} (a kernel tree + toolchain needs ~5 GiB)", gib,
                             o.dirs.cache.string())});
}

}  // namespace

HostProbe& RealHost() {
  static RealHostProbe host;
  return host;
}

std::vector<Check> RunChecks(HostProbe& host, Result<vm::Hypervisor*> hv, const CheckOptions& o) {
  std::vector<Check> out;
  CheckQemu(host, out);
  CheckLibvirt(host, hv, o, out);
  CheckKvm(host, hv, o, out);
  CheckTools(host, out);
  CheckDisk(host, o, out);
  return out;
}

bool AnyFailed(const std::vector<Check>& checks) {
  return std::any_of(checks.begin(), checks.end(), [](const Check& c) { return c.level == Level::kFail; });
}

}  // namespace rfl::doctor
