// The agent as PID 1 of a real kernel under QEMU TCG: hello, binder samples,
// block samples for rnull and null_blk, rust-samples passed, done, and the
// guest ends itself; a workload that overruns its timeout is killed and
// reported failed and the guest still restarts.
//
// Kernel: the quickstart baseline (rfl::test::QuickstartKernel: Rust binder,
// rnull, null_blk, SAMPLES_RUST, VIRTIO_CONSOLE), built on first use;
// RFL_LAB_TEST_KERNEL_X86_64 names another bzImage instead.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "lab/results/parity.h"
#include "tests/support/qemu_boot.h"
#include "tests/support/test_kernel.h"

namespace rfl::agent {
namespace {

namespace fs = std::filesystem;
using testing::BootWithAgent;
using testing::QemuBootOptions;
using testing::QemuBootRun;

Result<fs::path> TestKernel(Arch arch, const char* env) {
  if (const char* k = std::getenv(env); k && *k) return fs::path(k);
  auto artifact = rfl::test::QuickstartKernel(arch);
  if (!artifact) return std::unexpected(artifact.error());
  return artifact->image;
}

Plan FullPlan() {
  auto plan = ParsePlan(R"({"version":1,"boot_id":"it","workloads":[
    {"name":"boot","timeout_s":10},
    {"name":"rust-samples","timeout_s":10},
    {"name":"binder","timeout_s":240,"params":{"payloads":[0,4096,65535,65536,65537],"iterations":500,"warmup":50}},
    {"name":"block","timeout_s":240,"params":{"devices":["rnull","null_blk"],"pattern":"randread","ios":5000}},
    {"name":"command","timeout_s":10,"params":{"argv":["/init","--version"]}}]})");
  EXPECT_TRUE(plan.has_value()) << plan.error();
  return *plan;
}

void PrintRun(const QemuBootRun& run) {
  std::printf("boot: %.1f s host wall, initramfs %.1f ms, %zu records, %d rejected lines\n", run.seconds,
              run.initramfs_seconds * 1e3, run.records.size(), run.rejected_lines);
  for (const auto& s : run.All<Sample>()) {
    std::string labels;
    for (const auto& [k, v] : s.labels) labels += " " + k + "=" + v;
    std::printf("  %s %s%s = %.9g %s\n", s.workload.c_str(), s.metric.c_str(), labels.c_str(), s.value,
                s.unit.c_str());
  }
  for (const auto& w : run.All<WorkloadResult>()) {
    std::printf("  %s: %s %s\n", w.workload.c_str(), std::string(StatusName(w.status)).c_str(), w.reason.c_str());
  }
}

void ExpectFullRun(const QemuBootRun& run) {
  PrintRun(run);
  ASSERT_FALSE(run.timed_out) << run.console.substr(run.console.size() > 4000 ? run.console.size() - 4000 : 0);
  EXPECT_TRUE(run.qemu_exited);
  auto hello = run.All<Hello>();
  ASSERT_EQ(hello.size(), 1u) << run.console;
  EXPECT_EQ(hello[0].boot_id, "it");
  EXPECT_EQ(hello[0].transport, "virtio-port");
  EXPECT_FALSE(hello[0].kernel_release.empty());
  EXPECT_EQ(run.rejected_lines, 0);

  for (const char* w : {"boot", "rust-samples", "binder", "block", "command"}) {
    auto r = run.ResultOf(w);
    ASSERT_TRUE(r.has_value()) << w;
    EXPECT_EQ(r->status, Status::kPassed) << w << ": " << r->reason;
  }
  std::set<std::string> binder_payloads, block_devices;
  for (const auto& s : run.All<Sample>()) {
    if (s.workload == "binder" && s.metric == "round_trip_p50") {
      EXPECT_GT(s.value, 0);
      EXPECT_LT(s.value, 1.0);
      binder_payloads.insert(s.labels.at("payload_bytes"));
    }
    if (s.workload == "block" && s.metric == "iops") {
      EXPECT_GT(s.value, 0);
      block_devices.insert(s.labels.at("device"));
    }
  }
  EXPECT_EQ(binder_payloads, (std::set<std::string>{"0", "4096", "65535", "65536", "65537"}));
  // A clock fine enough for per-operation latencies (an x86 kernel without
  // ACPI under TCG with real time gets it from the lab's tsc_early_khz=;
  // without it, refined-jiffies: 4 ms steps).
  for (const auto& s : run.All<Sample>()) {
    if (s.metric == "clock_resolution") {
      EXPECT_LT(s.value, 1e-6) << s.workload << ": " << s.value << " s";
    }
  }
  EXPECT_EQ(block_devices, (std::set<std::string>{"rnull", "null_blk"}));
  // Parity, end to end: each device's attributes came with its samples, and
  // every attribute both drivers have holds the same value (the equal setup).
  std::map<std::string, std::map<std::string, std::string>> block_attrs;
  for (const auto& a : run.All<Attributes>()) {
    if (a.workload == "block") block_attrs[a.labels.at("device")] = a.values;
    if (a.workload == "binder") {
      EXPECT_EQ(a.values.at("sched/policy"), "fifo");
    }
  }
  ASSERT_EQ(block_attrs.size(), 2u);
  EXPECT_EQ(block_attrs["rnull"].at("queue/scheduler"), block_attrs["null_blk"].at("queue/scheduler"));
  EXPECT_TRUE(block_attrs["rnull"].at("queue/scheduler").find("[none]") != std::string::npos)
      << block_attrs["rnull"].at("queue/scheduler");
  auto diffs = results::CommonDifferences(block_attrs["null_blk"], block_attrs["rnull"]);
  EXPECT_TRUE(diffs.empty()) << results::DescribeDifferences(diffs);
  auto done = run.All<Done>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].passed, 5);
  EXPECT_EQ(done[0].failed, 0);
}

TEST(AgentBoot, X86RustKernelRunsEveryWorkloadOverTheVirtioPort) {
  auto kernel = TestKernel(Arch::kX86_64, "RFL_LAB_TEST_KERNEL_X86_64");
  ASSERT_TRUE(kernel.has_value()) << kernel.error().message;
  QemuBootOptions o;
  o.arch = Arch::kX86_64;
  o.kernel = *kernel;
  auto run = BootWithAgent(o, FullPlan());
  ASSERT_TRUE(run.has_value()) << run.error().message;
  ExpectFullRun(*run);
}

// No virtio-serial device: the records come over the console (this test also
// passes on kernels without virtio drivers, e.g. a stock distribution kernel).
TEST(AgentBoot, StalledWorkloadIsKilledReportedFailedAndTheGuestStillEndsOverTheConsole) {
  auto kernel = TestKernel(Arch::kX86_64, "RFL_LAB_TEST_KERNEL_X86_64");
  ASSERT_TRUE(kernel.has_value()) << kernel.error().message;
  auto plan = ParsePlan(R"({"version":1,"boot_id":"stall","workloads":[
    {"name":"command","timeout_s":1,"params":{"argv":["/init","--stall","600"]}},
    {"name":"boot","timeout_s":10}]})");
  ASSERT_TRUE(plan.has_value());
  QemuBootOptions o;
  o.kernel = *kernel;
  o.virtio_port = false;
  o.timeout = std::chrono::seconds(180);
  auto run = BootWithAgent(o, *plan);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  PrintRun(*run);
  ASSERT_FALSE(run->timed_out) << run->console;
  EXPECT_TRUE(run->qemu_exited);
  auto hello = run->All<Hello>();
  ASSERT_EQ(hello.size(), 1u) << run->console;
  EXPECT_EQ(hello[0].transport, "console");
  auto stalled = run->ResultOf("command");
  ASSERT_TRUE(stalled.has_value()) << run->console;
  EXPECT_EQ(stalled->status, Status::kFailed);
  EXPECT_EQ(stalled->reason, "timed out after 1 s (killed)");
  EXPECT_GE(stalled->duration_s, 1.0);
  EXPECT_LT(stalled->duration_s, 10.0);
  auto boot = run->ResultOf("boot");
  ASSERT_TRUE(boot.has_value());
  EXPECT_EQ(boot->status, Status::kPassed) << boot->reason;
  auto done = run->All<Done>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].failed, 1);
  EXPECT_EQ(done[0].passed, 1);
}

}  // namespace
}  // namespace rfl::agent
