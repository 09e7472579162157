// The agent as PID 1 of a lab-built foreign-arch kernel under TCG: arm64 on
// qemu-system-aarch64 (-M virt -cpu max), riscv64 on qemu-system-riscv64
// (-M virt, OpenSBI). The same records as on x86_64.
//
// Kernel: the quickstart baseline for the arch (rfl::test::QuickstartKernel,
// VIRTIO_MMIO + VIRTIO_CONSOLE), built on first use;
// RFL_LAB_TEST_KERNEL_ARM64 / RFL_LAB_TEST_KERNEL_RISCV64 name another Image
// instead.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "lab/util/process.h"
#include "lab/util/temp_dir.h"
#include "tests/support/qemu_boot.h"
#include "tests/support/arch_param.h"
#include "tests/support/test_kernel.h"

namespace rfl::agent {
namespace {

namespace fs = std::filesystem;

struct CrossArch {
  Arch arch;
  const char* kernel_env;  // names a prebuilt Image instead of the lab's
  const char* machine;     // uname -m in the guest
};

class AgentBootCross : public ::testing::TestWithParam<CrossArch> {};

// The Image the environment names, else the lab-built quickstart baseline.
Result<fs::path> KernelImage(const CrossArch& p) {
  if (const char* k = std::getenv(p.kernel_env); k && *k) return fs::path(k);
  auto artifact = rfl::test::QuickstartKernel(p.arch);
  if (!artifact) return Fail(artifact.error());
  return artifact->image;
}

TEST_P(AgentBootCross, RustKernelRunsBinderBlockAndSamples) {
  const CrossArch& p = GetParam();
  auto kernel_image = KernelImage(p);
  ASSERT_TRUE(kernel_image.has_value()) << kernel_image.error().message;
  const fs::path kernel = *kernel_image;
  auto plan = ParsePlan(R"({"version":1,"boot_id":"cross","workloads":[
    {"name":"boot","timeout_s":10},
    {"name":"rust-samples","timeout_s":10},
    {"name":"binder","timeout_s":300,"params":{"payloads":[0,4096,65536],"iterations":300,"warmup":30}},
    {"name":"block","timeout_s":300,"params":{"devices":["rnull","null_blk"],"ios":3000}}]})");
  ASSERT_TRUE(plan.has_value()) << plan.error();
  testing::QemuBootOptions o;
  o.arch = p.arch;
  o.kernel = kernel;
  o.timeout = std::chrono::seconds(600);
  auto run = testing::BootWithAgent(o, *plan);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  for (const auto& s : run->All<Sample>()) {
    std::printf("  %s %s %s = %.9g %s\n", s.workload.c_str(), s.metric.c_str(),
                s.labels.contains("payload_bytes") ? s.labels.at("payload_bytes").c_str()
                : s.labels.contains("device")      ? s.labels.at("device").c_str()
                                                   : "",
                s.value, s.unit.c_str());
  }
  ASSERT_FALSE(run->timed_out) << run->console;
  EXPECT_TRUE(run->qemu_exited);
  auto hello = run->All<Hello>();
  ASSERT_EQ(hello.size(), 1u) << run->console;
  EXPECT_EQ(hello[0].machine, p.machine);
  for (const char* w : {"boot", "rust-samples", "binder", "block"}) {
    auto r = run->ResultOf(w);
    ASSERT_TRUE(r.has_value()) << w;
    EXPECT_EQ(r->status, Status::kPassed) << w << ": " << r->reason;
  }
  std::set<std::string> devices;
  int binder_samples = 0;
  for (const auto& s : run->All<Sample>()) {
    if (s.workload == "block" && s.metric == "iops") devices.insert(s.labels.at("device"));
    if (s.workload == "binder" && s.metric == "round_trip_p99") ++binder_samples;
  }
  EXPECT_EQ(devices, (std::set<std::string>{"rnull", "null_blk"}));
  EXPECT_EQ(binder_samples, 3);
  EXPECT_EQ(run->All<Done>().size(), 1u);
}

// The lab's own path: `rfl-lab boot` through libvirt, whose domain puts the
// agent's port on the virt machine's virtio-mmio transports (the kernel has
// no PCI). The records must come over that port: a port the guest cannot
// see would leave the agent to fall back to the console.
TEST_P(AgentBootCross, TheLabBootsItThroughLibvirtWithTheAgentOnTheVirtioPort) {
  const CrossArch& p = GetParam();
  auto kernel_image = KernelImage(p);
  ASSERT_TRUE(kernel_image.has_value()) << kernel_image.error().message;
  const fs::path kernel = *kernel_image;
  auto state_dir = TempDir::Create(fs::temp_directory_path(), "rfl-cross-libvirt-" + std::string(ArchName(p.arch)) + "-");
  ASSERT_TRUE(state_dir.has_value()) << state_dir.error().message;
  const fs::path state = state_dir->path();
  Command cmd;
  cmd.argv = {RFL_LAB_BINARY, "--state-dir", state.string(), "boot",       "--kernel",   kernel.string(),
              "--arch",       std::string(ArchName(p.arch)), "--accel", "tcg", "--workload", "boot",
              "--workload",   "rust-samples"};
  cmd.timeout = std::chrono::minutes(5);
  auto r = DefaultRunner().Run(cmd);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("record(s) over virtio-port"), std::string::npos) << r->output;
  EXPECT_NE(r->output.find("rust-samples   passed"), std::string::npos) << r->output;
}

INSTANTIATE_TEST_SUITE_P(Arches, AgentBootCross,
                         ::testing::Values(CrossArch{Arch::kArm64, "RFL_LAB_TEST_KERNEL_ARM64", "aarch64"},
                                           CrossArch{Arch::kRiscv64, "RFL_LAB_TEST_KERNEL_RISCV64",
                                                     "riscv64"}),
                         rfl::test::ArchParamName<CrossArch>);

}  // namespace
}  // namespace rfl::agent
