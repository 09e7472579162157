// What doctor concludes from what it finds: a fake machine (HostProbe) and a
// fake hypervisor, so every rule is checked without the machine it describes.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "lab/doctor/checks.h"
#include "lab/vm/accel.h"
#include "tests/support/run_fakes.h"

namespace rfl::doctor {
namespace {
namespace fs = std::filesystem;

class FakeHost final : public HostProbe {
 public:
  std::optional<Arch> arch = Arch::kX86_64;
  std::set<std::string> programs = {"qemu-system-x86_64", "qemu-system-aarch64", "qemu-system-riscv64", "mmdebstrap",
                                    "bwrap"};
  std::optional<fs::path> firmware = fs::path("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin");
  std::string kvm = "missing";
  std::optional<uint64_t> free = 100ull << 30;

  std::optional<Arch> HostArch() override { return arch; }
  std::optional<fs::path> FindProgram(std::string_view name) override {
    if (!programs.count(std::string(name))) return std::nullopt;
    return fs::path("/usr/bin") / name;
  }
  Result<ProcessResult> Run(const Command& c) override {
    ProcessResult r;
    r.exit_code = 0;
    r.output = "QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u18)\n" + c.argv[0];
    return r;
  }
  std::optional<fs::path> RiscvFirmware() override { return firmware; }
  std::string KvmDevice() override { return kvm; }
  std::optional<uint64_t> FreeBytes(const fs::path&) override { return free; }
};

std::map<std::string, Check> ByName(const std::vector<Check>& checks) {
  std::map<std::string, Check> out;
  for (const auto& c : checks) out[c.what] = c;
  return out;
}

struct Doctor {
  test::RunFixture lab{"name: d\nkernel: {source: debian:linux-source-7.3}\ntoolchains: [host]\narches: [x86_64]\n"
                       "variants: {baseline: {}}\n"};
  CheckOptions Options() const { return {lab.dirs(), "fake://", false}; }
};

test::FakeHypervisor PrintingProbe(bool prints) {
  return test::FakeHypervisor([prints](const vm::BootRequest&, const std::string&, int) {
    test::ScriptedBoot b;
    b.console = prints ? std::string(vm::kProbeMarker) + "\n" : "";
    return b;
  });
}

TEST(DoctorChecks, AHealthyMachineCanRunTheLab) {
  Doctor d;
  FakeHost host;
  auto hv = PrintingProbe(true);
  auto checks = RunChecks(host, &hv, d.Options());
  EXPECT_FALSE(AnyFailed(checks));
  auto c = ByName(checks);
  EXPECT_EQ(c["libvirt guest"].level, Level::kOk) << c["libvirt guest"].detail;
  EXPECT_EQ(c["kvm"].level, Level::kWarn) << "no /dev/kvm is a warning: TCG still works";
  EXPECT_EQ(c["disk"].level, Level::kOk);
}

TEST(DoctorChecks, MissingQemuForTheHostArchFailsForAForeignArchWarns) {
  Doctor d;
  FakeHost host;
  host.programs.erase("qemu-system-x86_64");
  host.programs.erase("qemu-system-riscv64");
  auto hv = PrintingProbe(true);
  auto c = ByName(RunChecks(host, &hv, d.Options()));
  EXPECT_EQ(c["qemu x86_64"].level, Level::kFail);
  EXPECT_EQ(c["qemu riscv64"].level, Level::kWarn);
  EXPECT_NE(c["qemu riscv64"].detail.find("qemu-system-misc"), std::string::npos) << c["qemu riscv64"].detail;
}

TEST(DoctorChecks, AGuestThatDoesNotPrintItsLineIsAFailure) {
  Doctor d;
  FakeHost host;
  auto hv = PrintingProbe(false);
  auto checks = RunChecks(host, &hv, d.Options());
  EXPECT_TRUE(AnyFailed(checks));
  EXPECT_EQ(ByName(checks)["libvirt guest"].level, Level::kFail);
}

TEST(DoctorChecks, NoLibvirtIsAFailureNamingWhy) {
  Doctor d;
  FakeHost host;
  auto checks = RunChecks(host, std::unexpected(Error{Error::Kind::kInternal, "cannot connect to qemu:///system"}),
                          d.Options());
  EXPECT_TRUE(AnyFailed(checks));
  EXPECT_EQ(ByName(checks)["libvirt"].detail, "cannot connect to qemu:///system");
}

TEST(DoctorChecks, DiskSpaceThresholds) {
  Doctor d;
  auto hv = PrintingProbe(true);
  for (auto [gib, level] : {std::pair{3ull, Level::kFail}, {10ull, Level::kWarn}, {30ull, Level::kOk}}) {
    FakeHost host;
    host.free = gib << 30;
    EXPECT_EQ(ByName(RunChecks(host, &hv, d.Options()))["disk"].level, level) << gib << " GiB";
  }
}

TEST(DoctorChecks, MissingToolchainToolsAndFirmwareAreWarnings) {
  Doctor d;
  FakeHost host;
  host.programs.erase("mmdebstrap");
  host.firmware.reset();
  auto hv = PrintingProbe(true);
  auto checks = RunChecks(host, &hv, d.Options());
  EXPECT_FALSE(AnyFailed(checks));
  auto c = ByName(checks);
  EXPECT_EQ(c["mmdebstrap"].level, Level::kWarn);
  EXPECT_EQ(c["riscv64 firmware"].level, Level::kWarn);
}

TEST(DoctorChecks, KvmThatDoesNotRunGuestsFallsBackToTcg) {
  Doctor d;
  FakeHost host;
  host.kvm = "ok";
  // The KVM probe guest (the same image) prints nothing: KVM exists but does not run guests.
  auto hv = test::FakeHypervisor([](const vm::BootRequest& req, const std::string&, int) {
    test::ScriptedBoot b;
    b.console = req.accel == vm::ResolvedAccel::kKvm ? "" : std::string(vm::kProbeMarker) + "\n";
    return b;
  });
  auto c = ByName(RunChecks(host, &hv, d.Options()));
  EXPECT_EQ(c["kvm probe"].level, Level::kWarn) << c["kvm probe"].detail;
  EXPECT_NE(c["kvm probe"].detail.find("accel auto uses TCG"), std::string::npos) << c["kvm probe"].detail;
}

}  // namespace
}  // namespace rfl::doctor
