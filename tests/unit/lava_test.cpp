// The LAVA backend's pure parts: the job definition, the job log (captured
// from a real LAVA, tests/fixtures/lava/), and how a finished job maps to
// the end of a boot.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include "images/agent/protocol.h"
#include "lab/lava/job_definition.h"
#include "lab/lava/job_log.h"
#include "lab/lava/lava_hypervisor.h"
#include "lab/util/paths.h"
#include "lab/vm/agent_stream.h"
#include "tests/support/golden.h"

namespace rfl::lava {
namespace {
namespace fs = std::filesystem;

const fs::path kDir = fs::path(RFL_LAB_FIXTURES_DIR) / "lava";

std::vector<LogEntry> Load(const char* name) {
  auto text = ReadFile(kDir / name);
  EXPECT_TRUE(text.has_value()) << name;
  auto log = ParseLogChunk(*text);
  EXPECT_TRUE(log.has_value()) << (log ? "" : log.error().message);
  return log.value_or(std::vector<LogEntry>{});
}

bool KernelStarted(const std::vector<LogEntry>& log) {
  for (const auto& e : log) {
    if (IsGuestOutput(e) && e.text.find("Linux version ") != std::string::npos) return true;
  }
  return false;
}

JobSpec QuickstartSpec() {
  JobSpec s;
  s.name = "baseline-x86_64-rustc-1.96-7.3-r0-a0";
  s.arch = Arch::kX86_64;
  s.kernel_url = "http://127.0.0.1:8089/a/0123/bzImage";
  s.initrd_url = "http://127.0.0.1:8089/a/4567/initramfs.cpio.gz";
  s.cmdline = "console=ttyS0 panic=-1";
  s.memory_bytes = 512ull << 20;
  s.timing = Timing::kIcount;
  s.boot_timeout = std::chrono::seconds(300);
  return s;
}

TEST(LavaJob, QuickstartBootMatchesGoldenDefinition) {
  auto def = JobDefinition(QuickstartSpec());
  ASSERT_TRUE(def) << def.error().message;
  test::ExpectMatchesGolden(kDir / "job-x86_64-icount.golden", *def);
}

TEST(LavaJob, Arm64TakesMachineAndCpuFromTheDeviceTypeContext) {
  JobSpec s = QuickstartSpec();
  s.arch = Arch::kArm64;
  s.cmdline = "console=ttyAMA0";
  s.timing = Timing::kWall;
  auto def = JobDefinition(s);
  ASSERT_TRUE(def) << def.error().message;
  YAML::Node job = YAML::Load(*def);
  EXPECT_EQ(job["context"]["machine"].as<std::string>(), "virt");
  EXPECT_EQ(job["context"]["cpu"].as<std::string>(), "max");  // PAC and BTI
  std::vector<std::string> extra = job["context"]["extra_options"].as<std::vector<std::string>>();
  EXPECT_EQ(std::count(extra.begin(), extra.end(), "-rtc base=utc"), 1);
  for (const auto& o : extra) EXPECT_EQ(o.find("icount"), std::string::npos) << o;
}

TEST(LavaJob, CommandLineWordsThatLavaWouldSplitAreRefused) {
  for (const char* bad : {"console=ttyS0 foo=\"a b\"", "x=a\\b", "dyndbg='file x +p'"}) {
    JobSpec s = QuickstartSpec();
    s.cmdline = bad;
    auto def = JobDefinition(s);
    ASSERT_FALSE(def) << bad;
    EXPECT_EQ(def.error().kind, Error::Kind::kInput);
  }
}

TEST(LavaJob, KvmWithIcountOrOffX86IsRefused) {
  JobSpec s = QuickstartSpec();
  s.kvm = true;
  EXPECT_FALSE(JobDefinition(s));
  s.timing = Timing::kWall;
  EXPECT_TRUE(JobDefinition(s));
  s.arch = Arch::kRiscv64;
  EXPECT_FALSE(JobDefinition(s));
}

TEST(LavaLog, GuestLineUndoesLavasQuoteEscaping) {
  EXPECT_EQ(GuestLine(R"(rust_print: \"hello, world\")"), R"(rust_print: "hello, world")");
  // A backslash the guest printed before a quote survives: LAVA turned
  // \" into \\" and only its own backslash goes.
  EXPECT_EQ(GuestLine(R"(a \\"b\\" c)"), R"(a \"b\" c)");
  EXPECT_EQ(GuestLine(R"(C:\path\)"), R"(C:\path\)");
}

TEST(LavaLog, AgentRecordsFromARealJobDecodeWithTheirChecksums) {
  auto log = Load("complete-binder.log");
  vm::AgentStream stream;
  int guest_lines = 0;
  for (const auto& e : log) {
    if (!IsGuestOutput(e)) continue;
    ++guest_lines;
    stream.OnConsoleLine(GuestLine(e.text), vm::Seconds{0});
  }
  EXPECT_EQ(guest_lines, 286);  // 282 target lines, 4 feedback lines after the prompt
  EXPECT_EQ(stream.transport(), "console");
  EXPECT_EQ(stream.rejected_lines(), 0);
  EXPECT_EQ(stream.missing_records(), 0u);
  EXPECT_EQ(stream.records().size(), 18u);
  EXPECT_TRUE(stream.done_at().has_value());
}

TEST(LavaLog, WithoutUnescapingTheRecordsAreRejected) {
  // The check above can fail: the raw logged lines do not decode.
  auto log = Load("complete-binder.log");
  vm::AgentStream stream;
  for (const auto& e : log) {
    if (IsGuestOutput(e)) stream.OnConsoleLine(e.text, vm::Seconds{0});
  }
  EXPECT_TRUE(stream.records().empty());
  EXPECT_GT(stream.rejected_lines(), 0);
}

TEST(LavaLog, NotALavaLogIsAnError) {
  EXPECT_FALSE(ParseLogChunk("{a: 1}"));
  EXPECT_FALSE(ParseLogChunk("- [1, 2]"));
  EXPECT_FALSE(ParseLogChunk("- {dt: \"x\", msg: \"unterminated"));
  auto empty = ParseLogChunk("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(LavaJobEnd, CompleteJobIsAGuestThatStopped) {
  auto log = Load("complete-binder.log");
  JobEnd end = DecideJobEnd({"Finished", "Complete", "qemu-01", ""}, log, KernelStarted(log), false);
  EXPECT_EQ(end.kind, JobEnd::Kind::kBoot);
  EXPECT_EQ(end.end, vm::EndReason::kGuestStopped);
}

TEST(LavaJobEnd, PanicThatLavaCallsInfrastructureIsTheKernelsNotARetry) {
  auto log = Load("panic-no-init.log");
  ASSERT_TRUE(KernelStarted(log));
  JobEnd end = DecideJobEnd({"Finished", "Incomplete", "qemu-01", ""}, log, true, false);
  EXPECT_EQ(end.kind, JobEnd::Kind::kBoot);
  EXPECT_EQ(end.end, vm::EndReason::kGuestStopped);
  EXPECT_EQ(end.detail, "LAVA Incomplete — Infrastructure: Connection closed");
}

TEST(LavaJobEnd, InfrastructureFailureBeforeTheKernelIsRetried) {
  auto log = Load("panic-no-init.log");
  // The same verdict without a kernel on the console: the worker failed.
  std::vector<LogEntry> no_guest;
  for (const auto& e : log) {
    if (!IsGuestOutput(e)) no_guest.push_back(e);
  }
  JobEnd end = DecideJobEnd({"Finished", "Incomplete", "qemu-01", ""}, no_guest, false, false);
  EXPECT_EQ(end.kind, JobEnd::Kind::kRetry);
}

TEST(LavaJobEnd, AMissingArtifactIsTheLabsErrorNotTheKernels) {
  auto log = Load("missing-initrd.log");
  JobEnd end = DecideJobEnd({"Finished", "Incomplete", "qemu-01", ""}, log, KernelStarted(log), false);
  EXPECT_EQ(end.kind, JobEnd::Kind::kLabError);
  EXPECT_NE(end.detail.find("Resource unavailable"), std::string::npos) << end.detail;
}

TEST(LavaJobEnd, CancelledJobsAreCancelledBootsOnlyWhenTheLabAsked) {
  std::vector<LogEntry> log;
  EXPECT_EQ(DecideJobEnd({"Finished", "Canceled", "", ""}, log, false, true).end, vm::EndReason::kCancelled);
  EXPECT_EQ(DecideJobEnd({"Finished", "Canceled", "", ""}, log, false, false).kind, JobEnd::Kind::kRetry);
}

}  // namespace
}  // namespace rfl::lava
