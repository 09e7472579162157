// The outcome classifier against consoles captured from real boots
// (tests/fixtures/consoles/README.md says how each was made).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>

#include "lab/util/cancel.h"
#include "lab/util/paths.h"
#include "lab/vm/classifier.h"

namespace rfl::vm {
namespace {

std::string Console(const std::string& name) {
  auto text = ReadFile(std::string(RFL_LAB_FIXTURES_DIR) + "/consoles/" + name);
  EXPECT_TRUE(text.has_value()) << name;
  return text.value_or("");
}

Classification ClassifyFixture(const std::string& name, std::optional<EndReason> end = std::nullopt,
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
  auto c = ClassifyFixture("debian-6.1-clean.log", EndReason::kGuestStopped);
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed");
  EXPECT_TRUE(c.findings.empty());
}

TEST(Classifier, NoWorkingInitIsInitFailed) {
  auto c = ClassifyFixture("debian-6.1-missing-init.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "init-failed");
  EXPECT_NE(c.excerpt.find("No working init found"), std::string::npos);
}

TEST(Classifier, UnmountableRootFromCommandLineIsInitFailed) {
  auto c = ClassifyFixture("debian-6.1-panic-forced.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "init-failed");
  EXPECT_NE(c.reason.find("VFS: Unable to mount root fs"), std::string::npos);
}

TEST(Classifier, InitExitingIsInitFailed) {
  auto c = ClassifyFixture("debian-6.1-init-exits.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "init-failed");
  EXPECT_NE(c.reason.find("Attempted to kill init"), std::string::npos);
}

TEST(Classifier, SysrqCrashIsKernelPanic) {
  auto c = ClassifyFixture("debian-6.1-panic-sysrq.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "kernel-panic");
  EXPECT_NE(c.reason.find("sysrq triggered crash"), std::string::npos);
}

TEST(Classifier, ExplicitPanicIsKernelPanic) {
  auto c = ClassifyFixture("debian-6.1-panic-module.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "kernel-panic");
}

TEST(Classifier, NullPointerDereferenceIsOops) {
  auto c = ClassifyFixture("debian-6.1-oops-nullderef.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_NE(c.reason.find("BUG: kernel NULL pointer dereference"), std::string::npos);
}

TEST(Classifier, GeneralProtectionFaultIsOops) {
  auto c = ClassifyFixture("debian-6.1-oops-gpf.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_NE(c.reason.find("general protection fault"), std::string::npos);
}

TEST(Classifier, BugIsOops) {
  auto c = ClassifyFixture("debian-6.1-bug.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_NE(c.reason.find("kernel BUG at"), std::string::npos);
}

TEST(Classifier, WarningIsWarning) {
  auto c = ClassifyFixture("debian-6.1-warning.log", EndReason::kGuestStopped);
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
  EXPECT_NE(c.reason.find("WARNING: CPU:"), std::string::npos);
}

TEST(Classifier, AllowedWarningIsExcusedByItsMessage) {
  // The regex matches the WARN() message printed between "cut here" and WARNING:.
  auto c = ClassifyFixture("debian-6.1-warning.log", EndReason::kGuestStopped, {"deliberate warning"});
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed");
  ASSERT_EQ(c.findings.size(), 1u);
  EXPECT_TRUE(c.findings[0].excused);
  EXPECT_EQ(c.findings[0].excused_by, "deliberate warning");
}

TEST(Classifier, UnrelatedAllowedWarningDoesNotExcuse) {
  auto c = ClassifyFixture("debian-6.1-warning.log", EndReason::kGuestStopped, {"enqueued on deprecated workqueue"});
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
}

TEST(Classifier, InvalidAllowedRegexIsReportedNotFatal) {
  auto c = ClassifyFixture("debian-6.1-warning.log", EndReason::kGuestStopped, {"(unclosed"});
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("(unclosed"), std::string::npos);
}

TEST(Classifier, HungTaskIsHang) {
  auto c = ClassifyFixture("debian-6.1-hung-task.log", EndReason::kTimeout);
  EXPECT_EQ(BootOutcomeName(c.outcome), "hang");
  EXPECT_NE(c.reason.find("blocked for more than"), std::string::npos);
}

TEST(Classifier, SoftLockupIsHangNotOopsDespiteItsBugPrefix) {
  auto c = ClassifyFixture("debian-6.1-soft-lockup.log", EndReason::kTimeout);
  EXPECT_EQ(BootOutcomeName(c.outcome), "hang");
  EXPECT_NE(c.reason.find("soft lockup"), std::string::npos);
}

TEST(Classifier, RcuStallIsHang) {
  auto c = ClassifyFixture("debian-6.1-rcu-stall.log", EndReason::kTimeout);
  EXPECT_EQ(BootOutcomeName(c.outcome), "hang");
  EXPECT_NE(c.reason.find("self-detected stall"), std::string::npos);
}

TEST(Classifier, KasanReportIsOops) {
  auto c = ClassifyFixture("lkml-kasan-slab-use-after-free.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_NE(c.reason.find("BUG: KASAN: slab-use-after-free"), std::string::npos);
}

TEST(Classifier, RustPanicWinsOverTheOopsItCauses) {
  auto c = ClassifyFixture("lkml-rust-panic-binder-syzbot.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "rust-panic");
  EXPECT_EQ(c.line, 1u);
  EXPECT_NE(c.excerpt.find("attempt to subtract with overflow"), std::string::npos);
  bool saw_oops = false;
  for (const auto& f : c.findings) saw_oops |= f.outcome == BootOutcome::kOops;
  EXPECT_TRUE(saw_oops) << "the BUG/Oops is still listed as a finding";
}

TEST(Classifier, RustPanicWinsOverTheKernelPanicItCauses) {
  auto c = ClassifyFixture("lkml-rust-panic-binder-panic-format.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "rust-panic");
  EXPECT_NE(c.reason.find("RUST PANIC: CPU: 0 PID: 1285 at drivers/android/binder/freeze.rs:212"), std::string::npos);
}

TEST(Classifier, RustPanicWinsOverTimeout) {
  auto c = ClassifyFixture("lkml-rust-panic-binder-syzbot.log", EndReason::kTimeout);
  EXPECT_EQ(BootOutcomeName(c.outcome), "rust-panic");
}

TEST(Classifier, OopsWinsOverTimeout) {
  auto c = ClassifyFixture("debian-6.1-oops-nullderef.log", EndReason::kSilent);
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

// ---- Report families beyond the lab's own boots (real public logs; README) ----

TEST(Classifier, ArmUnhandledFaultInInitIsAnOopsNotAnInitFailure) {
  auto c = ClassifyFixture("lkml-arm32-unhandled-fault-init.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_EQ(c.title, "Unhandled fault in vma_merge");
  bool saw_init_panic = false;
  for (const auto& f : c.findings) saw_init_panic |= f.outcome == BootOutcome::kInitFailed;
  EXPECT_TRUE(saw_init_panic) << "the Attempted to kill init panic is still listed";
}

TEST(Classifier, OldLockdepCircularDependencyIsAWarning) {
  auto c = ClassifyFixture("lkml-lockdep-old-circular.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
  EXPECT_EQ(c.line, 2u);
  EXPECT_EQ(c.title, "possible deadlock");  // every frame is mutex_lock: no caller to name
}

TEST(Classifier, NewLockdepInconsistentLockStateIsAWarningTitledByItsSite) {
  auto c = ClassifyFixture("syzkaller-lockdep-inconsistent-x25.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
  EXPECT_EQ(c.title, "inconsistent lock state in x25_kill_by_neigh");
}

TEST(Classifier, KmemleakUnreferencedObjectIsAnOopsTitledByTheLeakingCaller) {
  auto c = ClassifyFixture("lkml-kmemleak-dccp.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_EQ(c.title, "memory leak in dccp_feat_clone_sp_val");
}

TEST(Classifier, HungTaskInIoWaitIsAHang) {
  auto c = ClassifyFixture("syzkaller-hung-task-io-wait.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "hang");
  EXPECT_EQ(c.line, 3u);
  EXPECT_TRUE(c.title.starts_with("INFO: task hung in ")) << c.title;
}

TEST(Classifier, WarningThatPanicsUnderPanicOnWarnIsAWarning) {
  auto c = ClassifyFixture("syzbot-warning-panic-on-warn-arm32.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
  EXPECT_EQ(c.line, 2u);
  EXPECT_EQ(c.title, "WARNING in opt_subreg_zext_lo32_rnd_hi32");
  bool consequence = false;
  for (const auto& f : c.findings) consequence |= f.consequence && f.text.starts_with("Kernel panic - not syncing");
  EXPECT_TRUE(consequence) << "the panic is listed as the warning's consequence";
}

TEST(Classifier, ReportAfterThePanicIsFalloutNotTheClass) {
  // The panic_on_warn panic stops the other CPUs; one of them faults in
  // smp_reboot_interrupt. The GPF is listed, the WARNING is the class.
  auto c = ClassifyFixture("syzkaller-panic-on-warn-then-gpf.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
  EXPECT_EQ(c.title, "WARNING in __switch_to");
  bool gpf_after_panic = false;
  for (const auto& f : c.findings) gpf_after_panic |= f.outcome == BootOutcome::kOops && f.after_panic;
  EXPECT_TRUE(gpf_after_panic);
}

// The fuzz reproducers (tests/fixtures/fuzz/console/*.console): more reports
// than the findings cap must not grow the list with the console.
std::string FuzzConsole(const std::string& name) {
  auto text = ReadFile(std::string(RFL_LAB_FIXTURES_DIR) + "/fuzz/console/" + name);
  EXPECT_TRUE(text.has_value()) << name;
  return text.value_or("");
}

TEST(Classifier, ReportsAfterAPanicPastTheCapAreNotKept) {
  std::string text = FuzzConsole("panic-then-100-oopses.console");
  ClassifyInput in;
  in.console = text;
  auto c = Classify(in);
  EXPECT_EQ(BootOutcomeName(c.outcome), "kernel-panic");
  EXPECT_LE(c.findings.size(), kMaxFindingsBound) << "the list grew with the console";
}

TEST(Classifier, AllowedWarningsPastTheCapAreCountedNotKept) {
  std::string text = FuzzConsole("100-allowed-warnings.console");
  ClassifyInput in;
  in.console = text;
  in.allowed_warnings = {"[a-z]+X"};
  auto c = Classify(in);
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed") << c.reason;
  EXPECT_NE(c.reason.find("(100 allowed warning(s))"), std::string::npos) << c.reason;
  EXPECT_LE(c.findings.size(), kMaxFindingsBound);

  // One warning the pattern does not excuse, after the hundred, still decides.
  size_t last = text.rfind("deliberateX");
  ASSERT_NE(last, std::string::npos);
  text.replace(last, 11, "deliberateY");
  in.console = text;
  auto w = Classify(in);
  EXPECT_EQ(BootOutcomeName(w.outcome), "warning") << w.reason;
  size_t warning_at = text.find("WARNING: CPU", last);
  size_t expected_line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + warning_at, '\n'));
  EXPECT_EQ(w.line, expected_line) << "the hundredth, unexcused warning is the evidence: " << w.reason;
  EXPECT_LE(w.findings.size(), kMaxFindingsBound);
}

TEST(Classifier, PanicOnWarnPanicIsNotExcusedWithItsWarning) {
  auto c = ClassifyFixture("syzbot-warning-panic-on-warn-arm32.log", std::nullopt, {"kernel/bpf/verifier"});
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning") << "the guest panicked: an allowed warning cannot excuse that";
}

TEST(Classifier, DeprecationBannerSayingWarningIsNotAReport) {
  auto c = ClassifyFixture("syzbot-mand-banner.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed");
  EXPECT_TRUE(c.findings.empty());
}

TEST(Classifier, TimestampedBannerAmongUserProgramOutputIsNotAReport) {
  auto c = ClassifyFixture("syzkaller-mand-banner-strace.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed") << c.reason;
  EXPECT_TRUE(c.findings.empty());
  EXPECT_GT(c.kernel_lines, 0u);
}

TEST(Classifier, KasanSlubObjectHeaderAloneIsNotAReport) {
  // 4.x KASAN describes the object through SLUB's slab_bug(): "BUG UNIX (Not
  // tainted): kasan: bad access detected". Without the KASAN header before it,
  // it is not a report (syzkaller's test data 1 expects none either).
  auto c = ClassifyFixture("syzkaller-kasan-slub-object-header-alone.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed") << c.reason;
  EXPECT_TRUE(c.findings.empty());
}

TEST(Classifier, KasanSlubObjectHeaderBelongsToTheKasanReport) {
  auto c = ClassifyFixture("syzkaller-kasan-4.4-slub-object-header.log");
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_EQ(c.title, "KASAN: slab-out-of-bounds in native_queued_spin_lock_slowpath");
  ASSERT_EQ(c.findings.size(), 1u) << "the SLUB header is KASAN's description, not a second report";
  EXPECT_EQ(c.findings[0].line, 2u);
}

TEST(Classifier, TextAfterAPrefixIsNotAReport) {
  // "Comm: …", "usb 1-1: WARNING: …", a user string: only a report's own
  // first line, at the start of a kernel message, counts.
  std::string console = Console("debian-6.1-clean.log");
  std::string line = Line(console, 100);
  size_t at = line.find("] ");
  ASSERT_NE(at, std::string::npos);
  std::string mutated = console + line.substr(0, at + 2) + "usb 5-1: WARNING: CPU: 0 PID: 1 at a.c:1 f+0x0/0x1\n" +
                        line.substr(0, at + 2) + "audit: comm=\"BUG: KASAN: x in f\"\n";
  auto c = Classify(ClassifyInput{.console = mutated});
  EXPECT_EQ(BootOutcomeName(c.outcome), "passed") << c.reason;
}

// ---- Titles of the lab's own boots ----

TEST(Classifier, TitlesNameTheReportsFunction) {
  EXPECT_EQ(ClassifyFixture("debian-6.1-warning.log").title, "WARNING in rfl_crash_init");
  EXPECT_EQ(ClassifyFixture("debian-6.1-bug.log").title, "kernel BUG in rfl_crash_init");
  EXPECT_EQ(ClassifyFixture("debian-6.1-oops-nullderef.log").title,
            "BUG: unable to handle kernel NULL pointer dereference in rfl_crash_init");
  EXPECT_EQ(ClassifyFixture("debian-6.1-soft-lockup.log").title, "BUG: soft lockup in spin_no_preempt");
  EXPECT_EQ(ClassifyFixture("debian-6.1-rcu-stall.log").title, "INFO: rcu detected stall in spin_in_rcu");
  EXPECT_EQ(ClassifyFixture("lkml-kasan-slab-use-after-free.log").title.substr(0, 41), "KASAN: slab-use-after-free Read in _raw_s");
  EXPECT_EQ(ClassifyFixture("debian-6.1-panic-sysrq.log").title, "kernel panic: sysrq triggered crash");
  EXPECT_EQ(ClassifyFixture("debian-6.1-clean.log").title, "");
}

// ---- Streaming and hostile input ----

TEST(Classifier, ChunkingDoesNotChangeTheAnswer) {
  std::string console = Console("debian-6.1-soft-lockup.log");
  auto whole = Classify(ClassifyInput{.console = console});
  ConsoleClassifier bytewise({});
  for (char ch : console) bytewise.Feed(std::string_view(&ch, 1));
  auto c = bytewise.Finish({});
  EXPECT_EQ(c.outcome, whole.outcome);
  EXPECT_EQ(c.line, whole.line);
  EXPECT_EQ(c.title, whole.title);
  EXPECT_EQ(c.excerpt, whole.excerpt);
  EXPECT_EQ(c.findings.size(), whole.findings.size());
}

TEST(Classifier, AllowedWarningPatternIsLinearTimeOnAHugeLine) {
  // std::regex needs seconds (or overflows its stack) for (a+)+b$ on 50k 'a's; RE2 does not.
  std::string console = Console("debian-6.1-warning.log");
  console += std::string(50000, 'a') + "\n";
  auto start = std::chrono::steady_clock::now();
  auto c = Classify(ClassifyInput{.console = console, .allowed_warnings = {"(a+)+b$", "[a-z]+X"}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(BootOutcomeName(c.outcome), "warning");
}

TEST(Classifier, LineLongerThan64KiBIsCutNotHeld) {
  std::string console = std::string(1 << 20, 'x') + "\n" + Console("debian-6.1-bug.log");
  auto c = Classify(ClassifyInput{.console = console});
  EXPECT_EQ(BootOutcomeName(c.outcome), "oops");
  EXPECT_EQ(c.line, 361u);  // one more than in the file itself
}

TEST(Classifier, FileThatIsNotRegularIsRefusedBeforeReading) {
  namespace fs = std::filesystem;
  auto dir = ClassifyFile(fs::temp_directory_path(), {});
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().kind, Error::Kind::kInput);
  EXPECT_NE(dir.error().message.find("is a directory"), std::string::npos) << dir.error().message;
  auto dev = ClassifyFile("/dev/zero", {});
  ASSERT_FALSE(dev.has_value());
  EXPECT_NE(dev.error().message.find("is a character device"), std::string::npos) << dev.error().message;
  fs::path fifo = fs::temp_directory_path() / ("rfl-classify-fifo-" + std::to_string(::getpid()));
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = ClassifyFile(fifo, {});  // would block forever if it were opened
  fs::remove(fifo);
  ASSERT_FALSE(f.has_value());
  EXPECT_NE(f.error().message.find("is a FIFO"), std::string::npos) << f.error().message;
  auto missing = ClassifyFile("/nonexistent/console.log", {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, Error::Kind::kNotFound);
}

TEST(Classifier, InterruptStopsTheReadAsCancelled) {
  RequestCancel();
  auto c = ClassifyFile(std::string(RFL_LAB_FIXTURES_DIR) + "/consoles/debian-6.1-bug.log", {});
  ResetCancelForTesting();
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().kind, Error::Kind::kCancelled);
}

TEST(Classifier, EmptyConsoleHasNoKernelLines) {
  auto c = Classify(ClassifyInput{.console = ""});
  EXPECT_EQ(c.kernel_lines, 0u);
  EXPECT_EQ(c.console_lines, 0u);
  EXPECT_GT(ClassifyFixture("debian-6.1-clean.log").kernel_lines, 300u);
}

TEST(Classifier, InvalidPatternIsAnInputErrorNamingIt) {
  auto s = CheckAllowedWarning("(unclosed");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().kind, Error::Kind::kInput);
  EXPECT_NE(s.error().message.find("'(unclosed'"), std::string::npos) << s.error().message;
  EXPECT_TRUE(CheckAllowedWarning("deprecated workqueue").has_value());
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
