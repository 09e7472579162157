// Whole runs through pipeline::RunScenario with a fake builder, a fake
// hypervisor and a real SQLite store in a temporary directory: what is
// stored, in which order, and how the run ends. Milliseconds per run.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "lab/pipeline/run.h"
#include "lab/results/comparison.h"
#include "lab/util/cancel.h"
#include "lab/vm/classifier.h"
#include "tests/support/run_fakes.h"

namespace rfl::test {
namespace {
namespace fs = std::filesystem;

const char* kTwoVariants = R"(name: fake
kernel: {source: debian:linux-source-7.3, fragments: [rust]}
toolchains: [host]
arches: [x86_64]
variants:
  baseline: {}
  ibt: {rustflags: [-Zcf-protection=branch]}
  c-binder: {kconfig: {ANDROID_BINDER_IPC: y}}
boot: {accel: tcg, timing: icount}
repeat: {min: 2, max: 2}
)";

struct Ran {
  Result<pipeline::RunResult> result;
  std::vector<std::string> log;
};

Ran RunWith(RunFixture& f, pipeline::KernelBuilder& builder, vm::Hypervisor& hv, std::stop_token stop = {},
            std::optional<int64_t> resume = {}, int parallel = 1, pipeline::AbiChecker* abi = nullptr) {
  Ran ran{std::unexpected(Error{}), {}};
  std::mutex mu;
  pipeline::RunDeps deps{builder, hv, f.store(), stop,
                         [&](std::string_view l) {
                           std::lock_guard lock(mu);
                           ran.log.emplace_back(l);
                         },
                         abi};
  pipeline::RunOptions options;
  options.dirs = f.dirs();
  options.resume_run = resume;
  options.max_parallel_boots = parallel;
  options.build_slots = 2;  // as on a machine of two or more cores
  options.agent_dir = f.agent_dir();
  ran.result = pipeline::RunScenario(f.plan(), deps, options);
  return ran;
}

std::vector<std::string> StoredBoots(results::Store& store, int64_t run) {
  std::vector<std::string> out;
  auto data = store.LoadRun(run);
  EXPECT_TRUE(data.has_value());
  if (!data) return out;
  for (const auto& b : data->boots) {
    out.push_back(fmt::format("{}#{}a{}:{}", b.variant, b.repetition, b.attempt, BootOutcomeName(b.outcome)));
  }
  return out;
}

std::string Joined(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, "\n")); }

// Entries equal to `s` (exact) or starting with it.
long Count(const std::vector<std::string>& v, const std::string& s, bool exact) {
  return std::count_if(v.begin(), v.end(), [&](const std::string& e) { return exact ? e == s : e.starts_with(s); });
}

TEST(RunExecutor, RunsEveryCellInterleavedAndStoresEveryBoot) {
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot({{"round_trip_p50", 1e-5}}); });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value()) << ran.result.error().message;
  EXPECT_EQ(ran.result->status, results::RunStatus::kCompleted) << Joined(ran.log);
  // The Kconfig variant's new tree first (it copies the baseline's tree),
  // then ibt in the baseline's tree beside it (RunScheduler's build rules).
  EXPECT_EQ(builder.built(), (std::vector<std::string>{"baseline", "c-binder", "ibt"}));
  auto started = hv.started();
  std::sort(started.begin(), started.end());
  EXPECT_EQ(started, (std::vector<std::string>{"baseline", "baseline", "c-binder", "c-binder", "ibt", "ibt"}));
  auto stored = StoredBoots(f.store(), ran.result->run_id);
  EXPECT_EQ(stored.size(), 6u);
  auto data = f.store().LoadRun(ran.result->run_id);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->run.status, results::RunStatus::kCompleted);
  for (const auto& b : data->boots) {
    EXPECT_EQ(b.samples.size(), 3u) << "the agent's sample and the two host milestones";
    EXPECT_TRUE(fs::exists(b.console_path)) << b.console_path;
    ASSERT_EQ(b.workloads.size(), 1u);
    EXPECT_EQ(b.workloads[0].status, "passed");
  }
  EXPECT_NE(Joined(ran.log).find("[boot 6/6]"), std::string::npos) << Joined(ran.log);
}

TEST(RunExecutor, WallTimingBootsOnlyAfterEveryBuildInABABOrder) {
  std::string yaml = kTwoVariants;
  yaml.replace(yaml.find("timing: icount"), 14, "timing: wall");
  RunFixture f(yaml);
  std::mutex mu;
  std::vector<std::string> timeline;
  FakeBuilder builder(f.root() / "images", [&](const scenario::BuildSpec& spec, std::stop_token) {
    std::lock_guard lock(mu);
    timeline.push_back("build " + spec.variants[0]);
    return Result<kernel::BuildOutcome>(BuiltOutcome(spec, f.root() / "images"));
  });
  FakeHypervisor hv([&](const vm::BootRequest&, const std::string& variant, int) {
    std::lock_guard lock(mu);
    timeline.push_back("boot " + variant);
    return PassingBoot();
  });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value());
  ASSERT_EQ(timeline.size(), 9u) << Joined(timeline);
  // ibt and c-binder build side by side: either may get to its script first.
  std::sort(timeline.begin() + 1, timeline.begin() + 3);
  EXPECT_EQ(timeline, (std::vector<std::string>{"build baseline", "build c-binder", "build ibt", "boot baseline",
                                                "boot ibt", "boot c-binder", "boot baseline", "boot ibt",
                                                "boot c-binder"}));
}

TEST(RunExecutor, IcountBootsRunWhileTheNextBuildCompiles) {
  RunFixture f(kTwoVariants);
  std::atomic<bool> boot_started{false};
  std::atomic<bool> overlapped{false};
  FakeBuilder builder(f.root() / "images", [&](const scenario::BuildSpec& spec, std::stop_token) {
    if (spec.variants[0] == "ibt") {
      // Hold the second build until a boot of the first has started.
      for (int i = 0; i < 500 && !boot_started; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      overlapped = boot_started.load();
    }
    return Result<kernel::BuildOutcome>(BuiltOutcome(spec, f.root() / "images"));
  });
  FakeHypervisor hv([&](const vm::BootRequest&, const std::string&, int) {
    boot_started = true;
    return PassingBoot();
  });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value());
  EXPECT_TRUE(overlapped) << "a boot of the first build started while the second build ran";
}

TEST(RunExecutor, RemoteWorkersTakeMoreBootsAtOnceThanThisMachineHasCores) {
  // Six boots (3 cells x 2 repetitions), each held until the others could
  // start: locally --parallel is capped by cores and memory (2 on a 2-core
  // machine); on LAVA the server's devices are the limit, not this machine.
  for (bool remote : {false, true}) {
    RunFixture f(kTwoVariants);
    FakeBuilder builder(f.root() / "images");
    FakeHypervisor hv([&](const vm::BootRequest&, const std::string&, int) {
      ScriptedBoot b = PassingBoot();
      b.on_start = [] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); };
      return b;
    });
    hv.set_remote(remote);
    auto ran = RunWith(f, builder, hv, {}, {}, 3 * pipeline::ParallelBootSlots(512ull << 20));
    ASSERT_TRUE(ran.result.has_value()) << ran.result.error().message;
    if (remote) {
      EXPECT_GT(hv.max_concurrent(), pipeline::ParallelBootSlots(512ull << 20)) << Joined(ran.log);
    } else {
      EXPECT_LE(hv.max_concurrent(), pipeline::ParallelBootSlots(512ull << 20));
    }
  }
}

TEST(RunExecutor, AFailedBootIsRetriedOnceAndBothAttemptsAreKeptWithTheirOwnConsoles) {
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images");
  std::atomic<bool> panicked{false};
  FakeHypervisor hv([&](const vm::BootRequest&, const std::string& variant, int) {
    return variant == "ibt" && !panicked.exchange(true) ? PanickingBoot() : PassingBoot();
  });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value());
  auto stored = StoredBoots(f.store(), ran.result->run_id);
  EXPECT_EQ(Count(stored, "ibt#0a0:", false), 1) << Joined(stored);
  EXPECT_EQ(Count(stored, "ibt#0a1:passed", true), 1) << Joined(stored);
  EXPECT_EQ(stored.size(), 7u) << Joined(stored);
  auto data = f.store().LoadRun(ran.result->run_id);
  std::set<std::string> consoles;
  for (const auto& b : data->boots) {
    EXPECT_TRUE(fs::exists(b.console_path));
    consoles.insert(b.console_path);
  }
  EXPECT_EQ(consoles.size(), data->boots.size()) << "every attempt has its own console";
  std::string log = Joined(ran.log);
  EXPECT_NE(log.find("will retry"), std::string::npos) << log;
  EXPECT_NE(log.find("retry of #"), std::string::npos) << log;
}

TEST(RunExecutor, AFailedBootIsStoredWithTheTitleOfItsKernelReport) {
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string& variant, int) {
    return variant == "ibt" ? PanickingBoot() : PassingBoot();
  });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value()) << ran.result.error().message;
  // The title the classifier gives the same real console.
  vm::ClassifyInput in;
  std::string console = PanickingBoot().console;
  in.console = console;
  std::string title = vm::Classify(in).title;
  ASSERT_FALSE(title.empty());
  auto data = f.store().LoadRun(ran.result->run_id);
  ASSERT_TRUE(data.has_value());
  int panicked = 0;
  for (const auto& b : data->boots) {
    if (b.variant == "ibt") {
      ++panicked;
      EXPECT_EQ(b.outcome, BootOutcome::kInitFailed);
      EXPECT_EQ(b.title, title);
    } else {
      EXPECT_EQ(b.title, "") << b.variant << " passed: no kernel report, no title";
    }
  }
  EXPECT_EQ(panicked, 4) << "two repetitions, each retried once";
}

TEST(RunExecutor, AnExpectedBootFailureIsNotRetried) {
  std::string yaml = kTwoVariants;
  yaml.replace(yaml.find("ibt: {rustflags: [-Zcf-protection=branch]}"), 42,
               "ibt: {rustflags: [-Zcf-protection=branch], expect: boot-failure}");
  RunFixture f(yaml);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string& variant, int) {
    return variant == "ibt" ? PanickingBoot() : PassingBoot();
  });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value());
  auto stored = StoredBoots(f.store(), ran.result->run_id);
  EXPECT_EQ(stored.size(), 6u) << Joined(stored);
}

TEST(RunExecutor, ALabErrorEndsTheRunAsFailedKeepsWhatWasStoredAndLeavesCtrlCAlone) {
  ResetCancelForTesting();
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int call) {
    ScriptedBoot b = PassingBoot();
    if (call == 2) b.error = Error{Error::Kind::kInternal, "libvirt: connection lost"};
    return b;
  });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value());
  EXPECT_EQ(ran.result->status, results::RunStatus::kFailed);
  EXPECT_NE(ran.result->message.find("libvirt: connection lost"), std::string::npos) << ran.result->message;
  EXPECT_EQ(StoredBoots(f.store(), ran.result->run_id).size(), 2u) << "the two boots before the error are kept";
  EXPECT_EQ(hv.started().size(), 3u) << "no boot starts after the error";
  auto data = f.store().LoadRun(ran.result->run_id);
  EXPECT_EQ(data->run.status, results::RunStatus::kFailed);
  EXPECT_FALSE(CancelRequested()) << "a worker's error must not look like Ctrl-C to the rest of the process";
}

TEST(RunExecutor, CtrlCEndsTheRunAsInterruptedAndResumeFinishesIt) {
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images");
  std::stop_source ctrl_c;
  FakeHypervisor hv([&](const vm::BootRequest&, const std::string&, int call) {
    ScriptedBoot b = PassingBoot();
    if (call == 3) {
      b.on_start = [&] { ctrl_c.request_stop(); };
      b.block_until_stopped = true;
    }
    return b;
  });
  auto ran = RunWith(f, builder, hv, ctrl_c.get_token());
  ASSERT_TRUE(ran.result.has_value());
  EXPECT_EQ(ran.result->status, results::RunStatus::kInterrupted);
  EXPECT_NE(ran.result->message.find("--resume"), std::string::npos);
  int64_t run = ran.result->run_id;
  EXPECT_EQ(StoredBoots(f.store(), run).size(), 3u) << "the interrupted boot is not stored";

  FakeHypervisor hv2([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  auto resumed = RunWith(f, builder, hv2, {}, run);
  ASSERT_TRUE(resumed.result.has_value()) << resumed.result.error().message;
  EXPECT_EQ(resumed.result->status, results::RunStatus::kCompleted);
  EXPECT_EQ(hv2.started().size(), 3u) << "only what was missing";
  EXPECT_EQ(StoredBoots(f.store(), run).size(), 6u);
}

// The resume bug: a resumed repetition with one failed attempt got two more
// attempts, attempt 0 was stored twice, and the first attempt's stored
// console was deleted by the second boot in the same directory.
TEST(RunExecutor, AResumedFailedAttemptGetsOneRetryWithTheNextNumberAndItsOwnConsole) {
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images");
  std::stop_source ctrl_c;
  FakeHypervisor hv([&](const vm::BootRequest&, const std::string& variant, int) {
    if (variant != "ibt") return PassingBoot();
    ScriptedBoot b = PanickingBoot();
    b.on_start = [&] { ctrl_c.request_stop(); };  // Ctrl-C while ibt#0's first attempt runs
    return b;
  });
  auto ran = RunWith(f, builder, hv, ctrl_c.get_token());
  ASSERT_TRUE(ran.result.has_value());
  int64_t run = ran.result->run_id;
  auto before = StoredBoots(f.store(), run);
  ASSERT_EQ(Count(before, "ibt#0a0:", false), 1) << Joined(before);
  std::string first_console;
  auto first_run = f.store().LoadRun(run);
  ASSERT_TRUE(first_run.has_value());
  for (const auto& b : first_run->boots) {
    if (b.variant == "ibt") first_console = b.console_path;
  }

  FakeHypervisor hv2([](const vm::BootRequest&, const std::string& variant, int) {
    return variant == "ibt" ? PanickingBoot() : PassingBoot();
  });
  auto resumed = RunWith(f, builder, hv2, {}, run);
  ASSERT_TRUE(resumed.result.has_value());
  auto after = StoredBoots(f.store(), run);
  EXPECT_EQ(Count(after, "ibt#0a0:", false), 1) << Joined(after);
  EXPECT_EQ(Count(after, "ibt#0a1:", false), 1) << Joined(after);
  EXPECT_EQ(Count(after, "ibt#0", false), 2) << "exactly one retry after the resume: " << Joined(after);
  EXPECT_TRUE(fs::exists(first_console)) << "the first attempt's console is still where its row points: "
                                         << first_console;
}

TEST(RunExecutor, ExtraRoundsAreAddedWhileVerdictsAreInconclusiveUpToTheMaximum) {
  std::string yaml = kTwoVariants;
  yaml.replace(yaml.find("repeat: {min: 2, max: 2}"), 24, "repeat: {min: 5, max: 7}");
  RunFixture f(yaml);
  FakeBuilder builder(f.root() / "images");
  // Overlapping, shifting samples: never a clear verdict.
  std::atomic<int> n{0};
  FakeHypervisor hv([&](const vm::BootRequest&, const std::string&, int) {
    int i = n++;
    return PassingBoot({{"round_trip_p50", 1e-5 * (1.0 + 0.3 * ((i * 7) % 5) / 5.0)}});
  });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value());
  auto stored = StoredBoots(f.store(), ran.result->run_id);
  EXPECT_EQ(stored.size(), 21u) << "7 rounds of 3 cells, never more: " << Joined(ran.log);
  EXPECT_NE(Joined(ran.log).find("adding repetition 7"), std::string::npos) << Joined(ran.log);
  EXPECT_EQ(Joined(ran.log).find("adding repetition 8"), std::string::npos);
}

TEST(RunExecutor, AFailedBuildIsStoredItsCellsGetNoBootsAndTheRunGoesOn) {
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images", [&](const scenario::BuildSpec& spec, std::stop_token) {
    if (spec.variants[0] == "c-binder") {
      return Result<kernel::BuildOutcome>(
          FailedOutcome(spec, kernel::FailureClass::kKconfigUnmet, "kconfig-unmet: CONFIG_ANDROID_BINDER_IPC"));
    }
    return Result<kernel::BuildOutcome>(BuiltOutcome(spec, f.root() / "images"));
  });
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value());
  EXPECT_EQ(ran.result->status, results::RunStatus::kCompleted);
  auto data = f.store().LoadRun(ran.result->run_id);
  EXPECT_EQ(data->builds.size(), 3u);
  EXPECT_EQ(StoredBoots(f.store(), ran.result->run_id).size(), 4u);
  // The denominator is the plan as known when the boot ended: "4/6" when a
  // boot ends before the failed build takes its cells' boots out, "4/4" after.
  EXPECT_NE(Joined(ran.log).find("[boot 4/"), std::string::npos) << Joined(ran.log);
  EXPECT_EQ(Joined(ran.log).find("[boot 5/"), std::string::npos) << Joined(ran.log);
}

// A scenario asked for rust-samples without the samples fragment: the final
// .config lacks them, so the workload is recorded as skipped with the missing
// symbol instead of failing (and retrying) every boot.
TEST(RunExecutor, AWorkloadTheKernelLacksIsSkippedNotBootedIntoFailure) {
  std::string yaml = kTwoVariants;
  yaml += "workloads: [boot, rust-samples]\n";
  RunFixture f(yaml);
  FakeBuilder builder(f.root() / "images", [&](const scenario::BuildSpec& spec, std::stop_token) {
    return Result<kernel::BuildOutcome>(
        BuiltOutcome(spec, f.root() / "images", "CONFIG_RUST=y\n# CONFIG_SAMPLES_RUST is not set\n"));
  });
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value());
  auto data = f.store().LoadRun(ran.result->run_id);
  ASSERT_EQ(data->boots.size(), 6u) << "no retries: " << Joined(ran.log);
  for (const auto& b : data->boots) {
    EXPECT_EQ(b.outcome, BootOutcome::kPassed);
    ASSERT_FALSE(b.workloads.empty());
    EXPECT_EQ(b.workloads[0].name, "rust-samples");
    EXPECT_EQ(b.workloads[0].status, "skipped");
    EXPECT_EQ(b.workloads[0].reason,
              "the kernel lacks CONFIG_SAMPLE_RUST_MINIMAL (default expect), CONFIG_SAMPLE_RUST_PRINT (default expect)");
  }
  EXPECT_NE(Joined(ran.log).find("workload rust-samples skipped"), std::string::npos) << Joined(ran.log);
}

// kbuild adds -Zcf-protection=branch for X86_KERNEL_IBT: the Kconfig
// variant claims it (its effective flags), and the baseline, with no variant
// asking for it in `rustflags`, is judged on it as a control — the control
// that makes `effective` mean something — whichever of the two is built
// first. Objects: rustc 1.96 fixtures with and without the flag.
struct IbtRun {
  std::vector<std::string> built;
  std::map<std::string, std::vector<std::string>> checks;  // variant → "flag claimed|control verdict"
  std::string log;
  results::RunStatus status = results::RunStatus::kFailed;
};
IbtRun RunBaselineAndKconfigIbt(const std::string& first, const std::string& second) {
  const std::map<std::string, std::string> variants = {{"baseline", "{}"},
                                                       {"c-ibt", "{kconfig: {X86_KERNEL_IBT: y}}"}};
  RunFixture f(fmt::format(R"(name: fake
kernel: {{source: debian:linux-source-7.3, fragments: [rust]}}
toolchains: [host]
arches: [x86_64]
variants:
  {}: {}
  {}: {}
baseline: baseline
boot: {{accel: tcg, timing: icount}}
repeat: {{min: 1, max: 1}}
)",
                           first, variants.at(first), second, variants.at(second)));
  FakeBuilder builder(f.root() / "images", [&](const scenario::BuildSpec& spec, std::stop_token) {
    auto o = BuiltOutcome(spec, f.root() / "images");
    bool ibt = spec.variants.front() == "c-ibt";
    if (ibt) o.artifact->effective_rustflags_kernel = {"-Cpanic=abort", "-Zcf-protection=branch"};
    std::string rel = "rust/kernel.o";
    fs::create_directories(o.artifact->dir / kernel::kRustObjectsDir / "rust");
    fs::copy_file(fs::path(RFL_LAB_FIXTURES_DIR) / "codecheck" /
                      (ibt ? "x86_64-cf-protection-branch.o" : "x86_64-baseline.o"),
                  o.artifact->dir / kernel::kRustObjectsDir / rel);
    o.artifact->rust_objects.push_back({rel, {}});
    return Result<kernel::BuildOutcome>(std::move(o));
  });
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  auto ran = RunWith(f, builder, hv);
  IbtRun out;
  EXPECT_TRUE(ran.result.has_value()) << (ran.result ? "" : ran.result.error().message);
  if (!ran.result) return out;
  out.built = builder.built();
  out.log = Joined(ran.log);
  out.status = ran.result->status;
  auto data = f.store().LoadRun(ran.result->run_id);
  EXPECT_TRUE(data.has_value());
  if (!data) return out;
  for (const auto& b : data->builds) {
    for (const auto& c : b.code_checks) {
      out.checks[b.variants.front()].push_back(
          fmt::format("{} {} {}", c.flag, c.claimed ? "claimed" : "control", c.verdict));
    }
  }
  return out;
}

TEST(RunExecutor, AFlagKbuildAddsForAKconfigVariantIsJudgedInTheBaselineAsAControl) {
  IbtRun r = RunBaselineAndKconfigIbt("baseline", "c-ibt");
  EXPECT_EQ(r.built, (std::vector<std::string>{"baseline", "c-ibt"}));
  EXPECT_EQ(r.checks["c-ibt"], (std::vector<std::string>{"-Zcf-protection=branch claimed effective"}));
  EXPECT_EQ(r.checks["baseline"], (std::vector<std::string>{"-Zcf-protection=branch control absent"}));
  EXPECT_NE(r.log.find("code check -Zcf-protection=branch (control, in baseline): absent"), std::string::npos)
      << r.log;
  EXPECT_EQ(r.status, results::RunStatus::kCompleted);
}

TEST(RunExecutor, ABaselineBuiltAfterTheKconfigVariantIsJudgedOnItsFlagToo) {
  IbtRun r = RunBaselineAndKconfigIbt("c-ibt", "baseline");
  EXPECT_EQ(r.built, (std::vector<std::string>{"c-ibt", "baseline"}));
  EXPECT_EQ(r.checks["c-ibt"], (std::vector<std::string>{"-Zcf-protection=branch claimed effective"}));
  EXPECT_EQ(r.checks["baseline"], (std::vector<std::string>{"-Zcf-protection=branch control absent"}));
  EXPECT_NE(r.log.find("code check -Zcf-protection=branch (control): absent"), std::string::npos) << r.log;
  EXPECT_EQ(r.status, results::RunStatus::kCompleted);
}

TEST(RunExecutor, ResumingARunOfAnotherScenarioIsBadInput) {
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  auto ran = RunWith(f, builder, hv);
  ASSERT_TRUE(ran.result.has_value());
  RunFixture other(std::string(kTwoVariants) + "description: another text\n");
  pipeline::RunDeps deps{builder, hv, f.store(), {}, {}};
  pipeline::RunOptions options;
  options.dirs = f.dirs();
  options.resume_run = ran.result->run_id;
  auto r = pipeline::RunScenario(other.plan(), deps, options);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, Error::Kind::kInput);
}

TEST(RunExecutor, ResumingWithAnotherCornerOfTheMatrixIsBadInput) {
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  pipeline::RunDeps deps{builder, hv, f.store(), {}, {}};
  pipeline::RunOptions first;
  first.dirs = f.dirs();
  first.agent_dir = f.agent_dir();
  first.corner = "--variant ibt";
  auto ran = pipeline::RunScenario(f.plan(), deps, first);
  ASSERT_TRUE(ran.has_value()) << ran.error().message;

  pipeline::RunOptions again = first;
  again.resume_run = ran->run_id;
  again.corner = "--variant baseline";
  auto other = pipeline::RunScenario(f.plan(), deps, again);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().kind, Error::Kind::kInput);
  EXPECT_EQ(other.error().message,
            fmt::format("run {} was limited to a corner of the scenario (--variant ibt); resume it with the same options",
                        ran->run_id));
  again.corner = "";
  auto whole = pipeline::RunScenario(f.plan(), deps, again);
  ASSERT_FALSE(whole.has_value());
  EXPECT_EQ(whole.error().kind, Error::Kind::kInput);

  again.corner = "--variant ibt";
  auto same = pipeline::RunScenario(f.plan(), deps, again);
  EXPECT_TRUE(same.has_value()) << same.error().message;
}

TEST(RunExecutor, TheRunRecordsItsBackendAndAResumeOnAnotherBackendIsBadInput) {
  RunFixture f(kTwoVariants);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  hv.set_backend("lava");
  pipeline::RunDeps deps{builder, hv, f.store(), {}, {}};
  pipeline::RunOptions first;
  first.dirs = f.dirs();
  first.agent_dir = f.agent_dir();
  auto ran = pipeline::RunScenario(f.plan(), deps, first);
  ASSERT_TRUE(ran.has_value()) << ran.error().message;
  auto data = f.store().LoadRun(ran->run_id);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->run.info.backend, "lava");
  EXPECT_EQ(data->run.info.backend_uri, "fake://");

  pipeline::RunOptions again = first;
  again.resume_run = ran->run_id;
  hv.set_backend("libvirt");
  auto other = pipeline::RunScenario(f.plan(), deps, again);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().kind, Error::Kind::kInput);
  EXPECT_EQ(other.error().message,
            fmt::format("run {} booted on lava fake://; resume it with the same --backend and its URI", ran->run_id));
  hv.set_backend("lava");
  auto same = pipeline::RunScenario(f.plan(), deps, again);
  EXPECT_TRUE(same.has_value()) << same.error().message;
}

// The ABI-check stage's boundary, scripted: each flag gets the verdicts the
// test gives it (every case `rejected` unless told), and calls are counted.
class FakeAbiChecker final : public pipeline::AbiChecker {
 public:
  std::map<std::string, std::string> crate_with_flag;  // flag → verdict
  std::map<std::string, Error> errors;                 // flag → the lab's error
  std::vector<std::string> calls;
  Result<results::AbiCheckRecord> Check(const scenario::AbiCheckSpec& spec, std::stop_token) override {
    std::lock_guard lock(mu_);
    calls.push_back(fmt::format("{} {} {}", spec.flag, ArchName(spec.arch), spec.toolchain));
    if (auto e = errors.find(spec.flag); e != errors.end()) return std::unexpected(e->second);
    std::string with = crate_with_flag.count(spec.flag) ? crate_with_flag[spec.flag] : "rejected";
    nlohmann::json j = {{"flag", spec.flag},
                        {"arch", ArchName(spec.arch)},
                        {"toolchain", spec.toolchain},
                        {"rustc", "1.97.1"},
                        {"modifier", spec.flag.substr(2)},
                        {"known_target_modifier", spec.flag == "-Zfixed-x18"},
                        {"crate_with_flag", {{"verdict", with}}},
                        {"core_with_flag", {{"verdict", with}}},
                        {"escape_hatch", with == "rejected" ? "works" : "n/a"},
                        {"rustdoc_mismatch", {{"verdict", with}}},
                        {"rustdoc_matched", {{"verdict", "accepted"}}},
                        {"finding", spec.flag == "-Zfixed-x18" && with == "accepted"},
                        {"inconclusive", false},
                        {"seconds", 1.5}};
    return results::AbiCheckFromJson(j);
  }

 private:
  std::mutex mu_;
};

const char* kWithAbiChecks = R"(name: fake
kernel: {source: debian:linux-source-7.3, fragments: [rust]}
toolchains: [host]
arches: [x86_64, arm64]
variants:
  baseline: {}
boot: {accel: tcg, timing: icount}
repeat: {min: 1, max: 1}
abi_checks:
  - {flag: -Zfixed-x18, arches: [arm64]}
  - -Zcf-protection=branch
)";

TEST(RunExecutor, AbiChecksRunOncePerFlagToolchainAndArchAndAreStoredWithTheRun) {
  RunFixture f(kWithAbiChecks);
  ASSERT_EQ(f.plan().abi_checks.size(), 3u) << f.diagnostics();
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  FakeAbiChecker abi;
  auto ran = RunWith(f, builder, hv, {}, {}, 1, &abi);
  ASSERT_TRUE(ran.result.has_value()) << ran.result.error().message;
  EXPECT_EQ(ran.result->status, results::RunStatus::kCompleted) << ran.result->message;
  EXPECT_EQ(Joined(abi.calls), "-Zcf-protection=branch x86_64 host\n-Zfixed-x18 arm64 host\n-Zcf-protection=branch arm64 host");
  auto data = f.store().LoadRun(ran.result->run_id);
  ASSERT_TRUE(data.has_value());
  ASSERT_EQ(data->abi_checks.size(), 3u);
  EXPECT_EQ(data->abi_checks[1].flag, "-Zfixed-x18");
  EXPECT_EQ(data->abi_checks[1].arch, "arm64");
  EXPECT_EQ(data->abi_checks[1].crate_with_flag, "rejected");
  EXPECT_EQ(data->abi_checks[1].escape_hatch, "works");
  EXPECT_FALSE(results::AnalyzeRun(*data).findings.Any()) << Joined(results::AnalyzeRun(*data).findings.All());
  EXPECT_EQ(Count(ran.log, "abi check -Zfixed-x18 arm64 host (rustc 1.97.1): rejected both ways", false), 1)
      << Joined(ran.log);
}

TEST(RunExecutor, AKnownTargetModifierMixedSilentlyIsAFindingOfTheRun) {
  RunFixture f(kWithAbiChecks);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  FakeAbiChecker abi;
  abi.crate_with_flag["-Zfixed-x18"] = "accepted";
  abi.crate_with_flag["-Zcf-protection=branch"] = "accepted";  // not a target modifier: no finding
  auto ran = RunWith(f, builder, hv, {}, {}, 1, &abi);
  ASSERT_TRUE(ran.result.has_value()) << ran.result.error().message;
  auto data = f.store().LoadRun(ran.result->run_id);
  ASSERT_TRUE(data.has_value());
  auto findings = results::AnalyzeRun(*data).findings;
  ASSERT_EQ(findings.abi_checks.size(), 1u) << Joined(findings.All());
  EXPECT_EQ(findings.abi_checks[0],
            "arm64/host: -Zfixed-x18 on arm64 (rustc 1.97.1): `fixed-x18` is a target modifier, but a crate with the "
            "flag links silently against a core without it; a crate without the flag links silently against a core "
            "with it; rustdoc --test mixes them silently");
}

TEST(RunExecutor, AnAbiCheckTheLabCouldNotRunIsStoredAsInconclusiveAndTheRunGoesOn) {
  RunFixture f(kWithAbiChecks);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  FakeAbiChecker abi;
  abi.errors.emplace("-Zfixed-x18", Error{Error::Kind::kInternal, "bwrap: cannot mount the toolchain"});
  auto ran = RunWith(f, builder, hv, {}, {}, 1, &abi);
  ASSERT_TRUE(ran.result.has_value()) << ran.result.error().message;
  EXPECT_EQ(ran.result->status, results::RunStatus::kCompleted) << ran.result->message;
  auto data = f.store().LoadRun(ran.result->run_id);
  ASSERT_TRUE(data.has_value());
  ASSERT_EQ(data->abi_checks.size(), 3u);
  EXPECT_TRUE(data->abi_checks[1].inconclusive);
  EXPECT_EQ(data->abi_checks[1].detail["crate_with_flag"]["excerpt"], "bwrap: cannot mount the toolchain");
  EXPECT_EQ(StoredBoots(f.store(), ran.result->run_id).size(), 2u);
}

TEST(RunExecutor, AResumedRunDoesNotRepeatTheAbiChecksItStored) {
  RunFixture f(kWithAbiChecks);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  FakeAbiChecker abi;
  auto ran = RunWith(f, builder, hv, {}, {}, 1, &abi);
  ASSERT_TRUE(ran.result.has_value()) << ran.result.error().message;
  FakeAbiChecker again;
  auto resumed = RunWith(f, builder, hv, {}, ran.result->run_id, 1, &again);
  ASSERT_TRUE(resumed.result.has_value()) << resumed.result.error().message;
  EXPECT_TRUE(again.calls.empty()) << Joined(again.calls);
  auto data = f.store().LoadRun(ran.result->run_id);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->abi_checks.size(), 3u);
}

TEST(RunExecutor, APlanWithAbiChecksAndNoCheckerIsRefused) {
  RunFixture f(kWithAbiChecks);
  FakeBuilder builder(f.root() / "images");
  FakeHypervisor hv([](const vm::BootRequest&, const std::string&, int) { return PassingBoot(); });
  auto ran = RunWith(f, builder, hv);
  ASSERT_FALSE(ran.result.has_value());
  EXPECT_NE(ran.result.error().message.find("no ABI checker"), std::string::npos);
}

}  // namespace
}  // namespace rfl::test
