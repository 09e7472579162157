// The outcome classifier against consoles captured from real boots
// (tests/fixtures/consoles/README.md says how each was made).
#include <gtest/gtest.h>

#include <string>

#include "lab/util/paths.h"
#include "lab/vm/classifier.h"

namespace rfl::vm {
namespace {

std::string Console(const std::string& name) {
  auto text = ReadFile(std::string(RFL_LAB_FIXTURES_DIR) + "/consoles/" + name);
  EXPECT_TRUE(text.has_value()) << name;
  return text.value_or("");
}

Classification ClassifyFile(const std::string& name, std::optional<EndReason> end = std::nullopt,
                            std::vector<std::string> allowed = {}) {
  static std::string keep;  // the console outlives the string_view in the input
  keep = Console(name);
  ClassifyInput in;
  in.console = keep;
  in.end = end;
  in.allowed_warnings = std::move(allowed);
  return Classify(in);
}

// Line n (1-based) without its line ending (serial consoles end lines in CR LF).
std::string Line(const std::string& text, size_t n) {
  size_t start = 0;
  for (size_t i = 1; i < n; ++i) start = text.find('\n', start) + 1;
  std::string line = text.substr(start, text.find('\n', start) - start);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

TEST(Classifier, CleanBootPasses) {
  auto c = ClassifyFile("debian-6.1-clean.log", EndReason::kGuestStopped);
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed");
  EXPECT_TRUE(c.findings.empty());
}

TEST(Classifier, NoWorkingInitIsInitFailed) {
  auto c = ClassifyFile("debian-6.1-missing-init.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "init-failed");
  EXPECT_NE(c.excerpt.find("No working init found"), std::string::npos);
}

TEST(Classifier, UnmountableRootFromCommandLineIsInitFailed) {
  auto c = ClassifyFile("debian-6.1-panic-forced.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "init-failed");
  EXPECT_NE(c.reason.find("VFS: Unable to mount root fs"), std::string::npos);
}

TEST(Classifier, InitExitingIsInitFailed) {
  auto c = ClassifyFile("debian-6.1-init-exits.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "init-failed");
  EXPECT_NE(c.reason.find("Attempted to kill init"), std::string::npos);
}

TEST(Classifier, SysrqCrashIsKernelPanic) {
  auto c = ClassifyFile("debian-6.1-panic-sysrq.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "kernel-panic");
  EXPECT_NE(c.reason.find("sysrq triggered crash"), std::string::npos);
}

TEST(Classifier, ExplicitPanicIsKernelPanic) {
  auto c = ClassifyFile("debian-6.1-panic-module.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "kernel-panic");
}

TEST(Classifier, NullPointerDereferenceIsOops) {
  auto c = ClassifyFile("debian-6.1-oops-nullderef.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_NE(c.reason.find("BUG: kernel NULL pointer dereference"), std::string::npos);
}

TEST(Classifier, GeneralProtectionFaultIsOops) {
  auto c = ClassifyFile("debian-6.1-oops-gpf.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_NE(c.reason.find("general protection fault"), std::string::npos);
}

TEST(Classifier, BugIsOops) {
  auto c = ClassifyFile("debian-6.1-bug.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_NE(c.reason.find("kernel BUG at"), std::string::npos);
}

TEST(Classifier, WarningIsWarning) {
  auto c = ClassifyFile("debian-6.1-warning.log", EndReason::kGuestStopped);
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
  EXPECT_NE(c.reason.find("WARNING: CPU:"), std::string::npos);
}

TEST(Classifier, AllowedWarningIsExcusedByItsMessage) {
  // The regex matches the WARN() message printed between "cut here" and WARNING:.
  auto c = ClassifyFile("debian-6.1-warning.log", EndReason::kGuestStopped, {"deliberate warning"});
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed");
  ASSERT_EQ(c.findings.size(), 1u);
  EXPECT_TRUE(c.findings[0].excused);
  EXPECT_EQ(c.findings[0].excused_by, "deliberate warning");
}

TEST(Classifier, UnrelatedAllowedWarningDoesNotExcuse) {
  auto c = ClassifyFile("debian-6.1-warning.log", EndReason::kGuestStopped, {"enqueued on deprecated workqueue"});
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
}

TEST(Classifier, InvalidAllowedRegexIsReportedNotFatal) {
  auto c = ClassifyFile("debian-6.1-warning.log", EndReason::kGuestStopped, {"(unclosed"});
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("(unclosed"), std::string::npos);
}

TEST(Classifier, HungTaskIsHang) {
  auto c = ClassifyFile("debian-6.1-hung-task.log", EndReason::kTimeout);
  EXPECT_EQ(BootOutcomeName(c.outcome), "hang");
  EXPECT_NE(c.reason.find("blocked for more than"), std::string::npos);
}

TEST(Classifier, SoftLockupIsHangNotOopsDespiteItsBugPrefix) {
  auto c = ClassifyFile("debian-6.1-soft-lockup.log", EndReason::kTimeout);
  EXPECT_EQ(BootOutcomeName(c.outcome), "hang");
  EXPECT_NE(c.reason.find("soft lockup"), std::string::npos);
}

TEST(Classifier, RcuStallIsHang) {
  auto c = ClassifyFile("debian-6.1-rcu-stall.log", EndReason::kTimeout);
  EXPECT_EQ(BootOutcomeName(c.outcome), "hang");
  EXPECT_NE(c.reason.find("self-detected stall"), std::string::npos);
}

TEST(Classifier, KasanReportIsOops) {
  auto c = ClassifyFile("lkml-kasan-slab-use-after-free.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_NE(c.reason.find("BUG: KASAN: slab-use-after-free"), std::string::npos);
}

TEST(Classifier, RustPanicWinsOverTheOopsItCauses) {
  auto c = ClassifyFile("lkml-rust-panic-binder-syzbot.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "rust-panic");
  EXPECT_EQ(c.line, 1u);
  EXPECT_NE(c.excerpt.find("attempt to subtract with overflow"), std::string::npos);
  bool saw_oops = false;
  for (const auto& f : c.findings) saw_oops |= f.outcome == BootOutcome::kOops;
  EXPECT_TRUE(saw_oops) << "the BUG/Oops is still listed as a finding";
}

TEST(Classifier, RustPanicWinsOverTheKernelPanicItCauses) {
  auto c = ClassifyFile("lkml-rust-panic-binder-panic-format.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "rust-panic");
  EXPECT_NE(c.reason.find("RUST PANIC: CPU: 0 PID: 1285 at drivers/android/binder/freeze.rs:212"), std::string::npos);
}

TEST(Classifier, RustPanicWinsOverTimeout) {
  auto c = ClassifyFile("lkml-rust-panic-binder-syzbot.log", EndReason::kTimeout);
  EXPECT_EQ(BootOutcomeName(c.outcome), "rust-panic");
}

TEST(Classifier, OopsWinsOverTimeout) {
  auto c = ClassifyFile("debian-6.1-oops-nullderef.log", EndReason::kSilent);
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
}

TEST(Classifier, TimeoutWithoutReportIsBootTimeoutWithTheLastLines) {
  std::string console = Console("debian-6.1-clean.log");
  ClassifyInput in{.console = console, .end = EndReason::kTimeout, .end_detail = "no end after 5 s"};
  auto c = Classify(in);
  EXPECT_EQ(BootOutcomeName(c.outcome), "boot-timeout");
  EXPECT_NE(c.reason.find("no end after 5 s"), std::string::npos);
  EXPECT_NE(c.excerpt.find("reboot: machine restart"), std::string::npos);
}

TEST(Classifier, GuestStoppingBeforeAgentHelloIsAgentLost) {
  std::string console = Console("debian-6.1-clean.log");
  ClassifyInput in{.console = console, .agent = AgentSummary{}, .end = EndReason::kGuestStopped};
  EXPECT_EQ(BootOutcomeName(Classify(in).outcome), "agent-lost");
}

TEST(Classifier, AgentWithoutDoneIsAgentLost) {
  std::string console = Console("debian-6.1-clean.log");
  ClassifyInput in{.console = console, .agent = AgentSummary{.hello_seen = true}, .end = EndReason::kGuestStopped};
  auto c = Classify(in);
  EXPECT_EQ(BootOutcomeName(c.outcome), "agent-lost");
  EXPECT_NE(c.reason.find("stopped before reporting done"), std::string::npos);
}

TEST(Classifier, FailedWorkloadIsWorkloadFailed) {
  std::string console = Console("debian-6.1-clean.log");
  ClassifyInput in{.console = console,
                   .agent = AgentSummary{.hello_seen = true, .done_seen = true, .failed_workloads = {"binder"}},
                   .end = EndReason::kGuestStopped};
  auto c = Classify(in);
  EXPECT_EQ(BootOutcomeName(c.outcome), "workload-failed");
  EXPECT_NE(c.reason.find("binder"), std::string::npos);
}

TEST(Classifier, WorkloadFailureWinsOverWarning) {
  std::string console = Console("debian-6.1-warning.log");
  ClassifyInput in{.console = console,
                   .agent = AgentSummary{.hello_seen = true, .done_seen = true, .failed_workloads = {"block"}},
                   .end = EndReason::kGuestStopped};
  EXPECT_EQ(BootOutcomeName(Classify(in).outcome), "workload-failed");
}

TEST(Classifier, KernelReportWinsOverLostAgent) {
  std::string console = Console("debian-6.1-bug.log");
  ClassifyInput in{.console = console, .agent = AgentSummary{}, .end = EndReason::kGuestStopped};
  EXPECT_EQ(BootOutcomeName(Classify(in).outcome), "oops");
}

TEST(Classifier, BuildFailureWinsOverEverything) {
  ClassifyInput in{.build_failed = true, .build_detail = "undefined symbol: __x86_return_thunk"};
  auto c = Classify(in);
  EXPECT_EQ(BootOutcomeName(c.outcome), "build-failed");
  EXPECT_EQ(c.reason, "undefined symbol: __x86_return_thunk");
}

TEST(Classifier, ExcerptIsTheConsoleLinesAroundTheReport) {
  std::string console = Console("debian-6.1-bug.log");
  ClassifyInput in{.console = console};
  auto c = Classify(in);
  ASSERT_GT(c.line, 3u);
  std::string expected;
  for (size_t n = c.line - 3; n <= c.line + 8; ++n) expected += Line(console, n) + "\n";
  EXPECT_EQ(c.excerpt, expected);
  EXPECT_EQ(Line(console, c.line).find("kernel BUG at"), 15u);  // "[    3.083360] kernel BUG at …"
}

TEST(Classifier, OutcomeNamesRoundTrip) {
  for (BootOutcome o : AllBootOutcomes()) {
    auto parsed = ParseBootOutcome(BootOutcomeName(o));
    ASSERT_TRUE(parsed.has_value()) << BootOutcomeName(o);
    EXPECT_EQ(*parsed, o);
  }
  EXPECT_FALSE(ParseBootOutcome("crashed").has_value());
}

}  // namespace
}  // namespace rfl::vm
