// rfl-lab doctor [--connect URI] [--reprobe]: can this machine run the lab,
// and with what? Checks QEMU per arch, libvirt (and that it starts a guest),
// /dev/kvm and the KVM probe, riscv64 firmware, the toolchain tools and disk
// space. Each line says what was found and why it matters. Exit 3 when the lab
// cannot work here, 0 otherwise (warnings included).
#include <sys/statvfs.h>
#include <unistd.h>

#include <iostream>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"
#include "lab/vm/accel.h"
#include "lab/vm/arch_profile.h"
#include "lab/vm/hypervisor.h"

namespace rfl::cli {
namespace fs = std::filesystem;

namespace {

enum class Level { kOk, kWarn, kFail };

struct Report {
  bool failed = false;
  void Line(Level level, std::string_view what, std::string_view detail) {
    const char* tag = level == Level::kOk ? "ok  " : level == Level::kWarn ? "warn" : "FAIL";
    if (level == Level::kFail) failed = true;
    std::cout << fmt::format("  {}  {:<18} {}\n", tag, what, detail);
  }
};

std::string FirstLine(std::string_view s) {
  auto nl = s.find('\n');
  return std::string(s.substr(0, nl));
}

// Free bytes on the file system holding `dir` (or its nearest existing parent).
std::optional<uint64_t> FreeBytes(fs::path dir) {
  std::error_code ec;
  while (!dir.empty() && !fs::exists(dir, ec)) dir = dir.parent_path();
  struct statvfs st {};
  if (dir.empty() || statvfs(dir.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kMinFreeBytes = 5 * kGiB;    // one kernel tree + artifacts
constexpr uint64_t kWarnFreeBytes = 20 * kGiB;  // several trees and toolchains

}  // namespace

void RegisterDoctorCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("doctor", "Check that this machine can run the lab and say what it will use");
  struct Options {
    std::optional<std::string> connect;
    bool reprobe = false;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("--connect", opt->connect, "libvirt URI (default: the embedded driver under the state dir)");
  cmd->add_flag("--reprobe", opt->reprobe, "Probe KVM again instead of using a recent cached verdict");
  cmd->callback([&ctx, opt] {
    Report r;
    LabDirs dirs = ctx.Dirs();
    std::cout << "rfl-lab doctor\n";

    // QEMU per architecture: the host's own arch is required, others are warnings.
    auto host = vm::HostArch();
    for (auto arch : {Arch::kX86_64, Arch::kArm64, Arch::kRiscv64}) {
      const auto& p = vm::ProfileFor(arch);
      std::string what = fmt::format("qemu {}", ArchName(arch));
      auto bin = FindProgram(p.emulator);
      if (!bin) {
        r.Line(host == arch ? Level::kFail : Level::kWarn, what,
               fmt::format("{} not on PATH: {} kernels cannot boot (Debian: qemu-system-{})", p.emulator,
                           ArchName(arch), arch == Arch::kX86_64 ? "x86" : arch == Arch::kArm64 ? "arm" : "misc"));
        continue;
      }
      Command c{.argv = {bin->string(), "--version"}, .timeout = std::chrono::seconds(10)};
      auto ran = DefaultRunner().Run(c);
      if (!ran || !ran->ok()) {
        r.Line(Level::kFail, what, fmt::format("{} --version failed: {}", bin->string(),
                                               ran ? ran->Describe() : ran.error().message));
        continue;
      }
      r.Line(Level::kOk, what, fmt::format("{}: {}", bin->string(), FirstLine(ran->output)));
    }
    if (auto fw = vm::FindRiscvFirmware()) {
      r.Line(Level::kOk, "riscv64 firmware", fmt::format("OpenSBI {}", fw->string()));
    } else {
      r.Line(Level::kWarn, "riscv64 firmware", "no OpenSBI (install opensbi): riscv64 kernels cannot boot");
    }

    // libvirt: open the connection and start a real (TCG) guest.
    std::string uri = opt->connect.value_or(vm::DefaultConnectUri(dirs.state));
    auto hv = vm::OpenLibvirt(uri);
    if (!hv) {
      r.Line(Level::kFail, "libvirt", hv.error().message);
    } else {
      auto desc = (*hv)->Describe();
      r.Line(Level::kOk, "libvirt", fmt::format("{} via {}", desc ? *desc : desc.error().message, uri));
      fs::path dir = dirs.state / "probe";
      fs::path image = dir / "tcg-probe.bin";
      Status written = EnsureDir(dir);
      if (written) written = WriteFileAtomic(image, vm::ProbeGuestImage());
      if (!written) {
        r.Line(Level::kFail, "libvirt guest", written.error().message);
      } else if (host == Arch::kX86_64) {
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
          r.Line(Level::kFail, "libvirt guest", fmt::format("cannot start a TCG guest: {}", booted.error().message));
        } else if (console.find(vm::kProbeMarker) == std::string::npos) {
          r.Line(Level::kFail, "libvirt guest", fmt::format("a TCG probe guest ended ({}) without printing its line",
                                                            vm::EndReasonName(booted->end)));
        } else {
          r.Line(Level::kOk, "libvirt guest", fmt::format("a TCG probe guest booted, printed and stopped in {:.2f} s ({})",
                                                          booted->total.count(), booted->end_detail));
        }
      }
    }

    // KVM: the device, then the probe that says whether guests really run.
    std::error_code ec;
    if (!fs::exists("/dev/kvm", ec)) {
      r.Line(Level::kWarn, "kvm", "no /dev/kvm: every boot uses TCG (slower; icount timing is unaffected)");
    } else if (access("/dev/kvm", R_OK | W_OK) != 0) {
      r.Line(Level::kWarn, "kvm", "/dev/kvm exists but is not read-write for this user: TCG");
    } else if (hv) {
      auto probe = vm::ProbeKvm(**hv, dirs.state, !opt->reprobe);
      if (!probe) {
        r.Line(Level::kWarn, "kvm probe", probe.error().message);
      } else {
        std::string when = probe->cached ? fmt::format(" (cached {:.0f} s ago; --reprobe to check again)", probe->age_s) : "";
        r.Line(probe->works ? Level::kOk : Level::kWarn, "kvm probe",
               fmt::format("{} → accel auto uses {}{}", probe->reason, probe->works ? "KVM" : "TCG", when));
      }
    }

    // Toolchains: Debian root filesystems made with mmdebstrap, run with bwrap.
    for (std::string_view tool : {"mmdebstrap", "bwrap"}) {
      auto found = FindProgram(tool);
      r.Line(found ? Level::kOk : Level::kWarn, tool,
             found ? found->string() : fmt::format("not found: only the 'host' toolchain can build (apt install {})",
                                                    tool == "bwrap" ? "bubblewrap" : "mmdebstrap"));
    }

    auto free_bytes = FreeBytes(dirs.cache);
    if (!free_bytes) {
      r.Line(Level::kWarn, "disk", fmt::format("cannot stat {}", dirs.cache.string()));
    } else {
      double gib = static_cast<double>(*free_bytes) / static_cast<double>(kGiB);
      Level level = *free_bytes < kMinFreeBytes ? Level::kFail : *free_bytes < kWarnFreeBytes ? Level::kWarn : Level::kOk;
      r.Line(level, "disk", fmt::format("{:.1f} GiB free for the cache {} (a kernel tree + toolchain needs ~5 GiB)", gib,
                                        dirs.cache.string()));
    }

    if (r.failed) {
      std::cout << "verdict: the lab cannot work here (see FAIL lines)\n";
      ctx.Raise(ExitCode::kLabFailure);
    } else {
      std::cout << "verdict: the lab can work here\n";
    }
  });
}

}  // namespace rfl::cli
