// The run's decisions, driven directly: no threads, no store, no VM.
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "lab/pipeline/scheduler.h"

namespace rfl::pipeline {
namespace {

using Action = RunScheduler::Action;

// Two builds (A: baseline, B: variant) with one cell each.
RunScheduler TwoCells(Timing timing, int slots = 1, int min = 2, int max = 2, std::vector<StoredAttempt> stored = {},
                      Expect b_expect = Expect::kPass) {
  return RunScheduler({timing, slots, min, max}, {{"ka", Expect::kPass}, {"kb", Expect::kPass}},
                      {{"ka", "base", Expect::kPass}, {"kb", "var", b_expect}}, stored);
}

std::vector<BootTask> Boots(const std::vector<Action>& actions) {
  std::vector<BootTask> out;
  for (const auto& a : actions) {
    if (const auto* b = std::get_if<RunScheduler::StartBoot>(&a)) out.push_back(b->task);
  }
  return out;
}

std::vector<std::string> Builds(const std::vector<Action>& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) {
    if (const auto* b = std::get_if<RunScheduler::StartBuild>(&a)) out.push_back(b->key);
  }
  return out;
}

std::string Label(const BootTask& t) {
  return t.variant + "#" + std::to_string(t.repetition) + "a" + std::to_string(t.attempt);
}

// Runs every started boot to `outcome(task)` one at a time; returns the
// labels in start order.
template <typename F>
std::vector<std::string> Drain(RunScheduler& s, F outcome, std::vector<Action> first = {}) {
  std::vector<std::string> order;
  std::vector<BootTask> running = Boots(first);
  for (int guard = 0; guard < 1000; ++guard) {
    auto actions = s.Next();
    for (auto& t : Boots(actions)) running.push_back(t);
    for (const auto& a : actions) {
      if (std::holds_alternative<RunScheduler::DecideExtension>(a)) s.ExtensionDecided(false);
    }
    if (running.empty()) break;
    BootTask t = running.front();
    running.erase(running.begin());
    order.push_back(Label(t));
    s.BootDone(t, outcome(t));
  }
  return order;
}

TEST(RunScheduler, BuildsRunOneAtATimeInPlanOrder) {
  auto s = TwoCells(Timing::kIcount);
  EXPECT_EQ(Builds(s.Next()), std::vector<std::string>{"ka"});
  EXPECT_TRUE(Builds(s.Next()).empty()) << "a second build started while one runs";
  s.BuildDone("ka", true);
  EXPECT_EQ(Builds(s.Next()), std::vector<std::string>{"kb"});
}

// The quickstart's shape, then another arch: a baseline and two
// KRUSTFLAGS variants in one tree, a Kconfig variant in a second tree of the
// same family, and an arm64 baseline (a family of its own).
RunScheduler QuickstartShape(int build_slots, Timing timing = Timing::kIcount) {
  const std::string x86 = "7.3\nrustc-1.96\nx86_64", arm = "7.3\nrustc-1.96\narm64";
  std::vector<SchedulerBuild> builds{{"base", Expect::kPass, "t0", x86},
                                     {"ibt", Expect::kPass, "t0", x86},
                                     {"rethunk", Expect::kBuildFailure, "t0", x86},
                                     {"cbinder", Expect::kPass, "t1", x86},
                                     {"arm", Expect::kPass, "t2", arm}};
  std::vector<SchedulerCell> cells;
  for (const auto& b : builds) cells.push_back({b.key, b.key, b.expect});
  return RunScheduler({timing, 2, 1, 1, build_slots}, builds, cells);
}

TEST(RunScheduler, OneBuildSlotKeepsPlanOrderOneBuildAtATime) {
  auto s = QuickstartShape(1);
  std::vector<std::string> order;
  for (const char* key : {"base", "ibt", "rethunk", "cbinder", "arm"}) {
    auto started = Builds(s.Next());
    ASSERT_EQ(started.size(), 1u) << "before " << key;
    order.push_back(started[0]);
    s.BuildTreeReady(started[0]);
    EXPECT_TRUE(Builds(s.Next()).empty()) << "a second build started beside " << started[0];
    s.BuildDone(started[0], true);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"base", "ibt", "rethunk", "cbinder", "arm"}));
}

TEST(RunScheduler, WithTwoBuildSlotsTheNewTreeStartsFirstAndATreeVariantJoinsItOnceItHasItsTree) {
  auto s = QuickstartShape(2);
  EXPECT_EQ(Builds(s.Next()), std::vector<std::string>{"base"});
  s.BuildTreeReady("base");
  EXPECT_TRUE(Builds(s.Next()).empty()) << "a family's first build (maybe a full one) runs alone";
  s.BuildDone("base", true);
  EXPECT_EQ(Builds(s.Next()), std::vector<std::string>{"cbinder"}) << "the new tree copies its seed first";
  EXPECT_TRUE(Builds(s.Next()).empty()) << "a build of the family started while the new tree copies its seed";
  s.BuildTreeReady("cbinder");
  EXPECT_EQ(Builds(s.Next()), std::vector<std::string>{"ibt"});
  s.BuildTreeReady("ibt");
  EXPECT_TRUE(Builds(s.Next()).empty()) << "two builds run; the next of ibt's tree waits for it";
  s.BuildDone("ibt", true);
  EXPECT_EQ(Builds(s.Next()), std::vector<std::string>{"rethunk"});
  s.BuildTreeReady("rethunk");
  s.BuildDone("cbinder", true);
  EXPECT_TRUE(Builds(s.Next()).empty()) << "another family's first build started beside a running build";
  s.BuildDone("rethunk", false);
  EXPECT_EQ(Builds(s.Next()), std::vector<std::string>{"arm"});
}

TEST(RunScheduler, ABuildThatEndsWithoutSayingItHasItsTreeFreesItsFamily) {
  auto s = QuickstartShape(2);
  s.Next();
  s.BuildDone("base", true);
  EXPECT_EQ(Builds(s.Next()), std::vector<std::string>{"cbinder"});
  s.BuildDone("cbinder", true);  // a cache hit says nothing before it ends
  EXPECT_EQ(Builds(s.Next()), std::vector<std::string>{"ibt"});
}

TEST(RunScheduler, StopWithTwoBuildsRunningEndsWhenBothHaveEnded) {
  auto s = QuickstartShape(2, Timing::kWall);  // no boots beside the builds
  s.Next();
  s.BuildDone("base", true);
  s.Next();
  s.BuildTreeReady("cbinder");
  ASSERT_EQ(Builds(s.Next()), std::vector<std::string>{"ibt"});
  s.Stop(results::RunStatus::kInterrupted, "Ctrl-C");
  s.BuildAborted("ibt");
  EXPECT_FALSE(s.Finished()) << "cbinder still builds";
  s.BuildAborted("cbinder");
  EXPECT_TRUE(s.Finished());
}

TEST(RunScheduler, IcountBootsOfABuildStartWhenItsBuildEnds) {
  auto s = TwoCells(Timing::kIcount, 2);
  s.Next();
  s.BuildDone("ka", true);
  auto actions = s.Next();
  EXPECT_EQ(Builds(actions), std::vector<std::string>{"kb"});
  auto boots = Boots(actions);
  ASSERT_EQ(boots.size(), 2u) << "the first build's boots run while the second build compiles";
  EXPECT_EQ(Label(boots[0]), "base#0a0");
  EXPECT_EQ(Label(boots[1]), "base#1a0");
}

TEST(RunScheduler, WallBootsWaitForEveryBuildThenRunAlone) {
  auto s = TwoCells(Timing::kWall, 4);
  s.Next();
  s.BuildDone("ka", true);
  EXPECT_TRUE(Boots(s.Next()).empty()) << "a wall-clock boot started while a build runs";
  s.BuildDone("kb", true);
  auto boots = Boots(s.Next());
  ASSERT_EQ(boots.size(), 1u) << "wall timing boots one VM at a time";
}

TEST(RunScheduler, BootsInterleaveAcrossCellsABAB) {
  auto s = TwoCells(Timing::kWall, 1, 3, 3);
  s.Next();
  s.BuildDone("ka", true);
  s.Next();
  s.BuildDone("kb", true);
  auto order = Drain(s, [](const BootTask&) { return BootOutcome::kPassed; });
  EXPECT_EQ(order, (std::vector<std::string>{"base#0a0", "var#0a0", "base#1a0", "var#1a0", "base#2a0", "var#2a0"}));
  EXPECT_TRUE(s.Finished());
  EXPECT_EQ(s.Status(), results::RunStatus::kCompleted);
}

TEST(RunScheduler, AFailedBootIsRetriedOnceWithTheNextAttemptNumber) {
  auto s = TwoCells(Timing::kWall, 1, 1, 1);
  s.Next();
  s.BuildDone("ka", true);
  s.Next();
  s.BuildDone("kb", true);
  auto order = Drain(s, [](const BootTask& t) {
    return t.variant == "var" ? BootOutcome::kKernelPanic : BootOutcome::kPassed;
  });
  EXPECT_EQ(order, (std::vector<std::string>{"base#0a0", "var#0a0", "var#0a1"})) << "one retry, not two";
  EXPECT_EQ(s.done_units(), 2);
  EXPECT_EQ(s.planned_units(), 2);
}

TEST(RunScheduler, NoRetryWhenTheVariantExpectsABootFailure) {
  auto s = TwoCells(Timing::kWall, 1, 1, 1, {}, Expect::kBootFailure);
  s.Next();
  s.BuildDone("ka", true);
  s.Next();
  s.BuildDone("kb", true);
  auto order = Drain(s, [](const BootTask& t) {
    return t.variant == "var" ? BootOutcome::kKernelPanic : BootOutcome::kPassed;
  });
  EXPECT_EQ(order, (std::vector<std::string>{"base#0a0", "var#0a0"}));
}

// The bug a review found: a resumed unit with one stored failed attempt got
// two more attempts, and attempt 0 was stored twice.
TEST(RunScheduler, ResumeContinuesAttemptNumbersAndRetriesAtMostOnce) {
  std::vector<StoredAttempt> stored = {
      {"ka", "base", 0, 0, BootOutcome::kPassed},
      {"kb", "var", 0, 0, BootOutcome::kKernelPanic},  // its retry is still owed
      {"ka", "base", 1, 0, BootOutcome::kOops},
      {"ka", "base", 1, 1, BootOutcome::kOops},        // retried already: done
  };
  auto s = TwoCells(Timing::kWall, 1, 2, 2, stored);
  EXPECT_EQ(s.planned_units(), 2) << "var#0 (its retry) and var#1 are owed";
  s.Next();
  s.BuildDone("ka", true);
  s.Next();
  s.BuildDone("kb", true);
  auto order = Drain(s, [](const BootTask&) { return BootOutcome::kKernelPanic; });
  EXPECT_EQ(order, (std::vector<std::string>{"var#0a1", "var#1a0", "var#1a1"}));
}

TEST(RunScheduler, ResumeKeepsRoundsThatAnEarlierRunAdded) {
  std::vector<StoredAttempt> stored = {{"ka", "base", 2, 0, BootOutcome::kPassed}};
  auto s = TwoCells(Timing::kWall, 1, 2, 4, stored);
  EXPECT_EQ(s.planned_units(), 5) << "rounds 0-2 of two cells, minus the stored pass";
}

TEST(RunScheduler, ExtraRoundsAreAskedForUntilTheMaximum) {
  auto s = TwoCells(Timing::kIcount, 1, 1, 3);
  s.Next();
  s.BuildDone("ka", true);
  std::vector<BootTask> running = Boots(s.Next());
  s.BuildDone("kb", true);
  int asked = 0;
  for (int guard = 0; guard < 100 && !s.Finished(); ++guard) {
    for (const auto& a : s.Next()) {
      if (const auto* b = std::get_if<RunScheduler::StartBoot>(&a)) running.push_back(b->task);
      if (const auto* d = std::get_if<RunScheduler::DecideExtension>(&a)) {
        EXPECT_EQ(d->repetition, 1 + asked);
        ++asked;
        s.ExtensionDecided(true);
      }
    }
    if (!running.empty()) {
      s.BootDone(running.front(), BootOutcome::kPassed);
      running.erase(running.begin());
    }
  }
  EXPECT_TRUE(s.Finished());
  EXPECT_EQ(asked, 2) << "rounds 2 and 3, then the maximum";
  EXPECT_EQ(s.done_units(), 6);
  EXPECT_EQ(s.planned_units(), 6);
}

TEST(RunScheduler, AFailedBuildHasNoBootsAndTheRunOwesFewer) {
  auto s = TwoCells(Timing::kIcount, 1, 2, 2);
  EXPECT_EQ(s.planned_units(), 4);
  s.Next();
  s.BuildDone("ka", false);
  EXPECT_EQ(s.planned_units(), 2);
  auto first = s.Next();
  s.BuildDone("kb", true);
  auto order = Drain(s, [](const BootTask&) { return BootOutcome::kPassed; }, first);
  EXPECT_EQ(order, (std::vector<std::string>{"var#0a0", "var#1a0"}));
  EXPECT_EQ(s.done_units(), s.planned_units()) << "progress never reads 3/2";
}

TEST(RunScheduler, ACellExpectingABuildFailureHasNoBoots) {
  RunScheduler s({Timing::kIcount, 1, 1, 1}, {{"ka", Expect::kPass}, {"kx", Expect::kBuildFailure}},
                 {{"ka", "base", Expect::kPass}, {"kx", "thunk", Expect::kBuildFailure}});
  EXPECT_EQ(s.planned_units(), 1);
  s.Next();
  s.BuildDone("ka", true);
  auto first = s.Next();
  s.BuildDone("kx", false);
  auto order = Drain(s, [](const BootTask&) { return BootOutcome::kPassed; }, first);
  EXPECT_EQ(order, std::vector<std::string>{"base#0a0"});
}

TEST(RunScheduler, SlotsBoundTheBootsRunningAtOnce) {
  RunScheduler s({Timing::kIcount, 2, 3, 3}, {{"ka", Expect::kPass}}, {{"ka", "base", Expect::kPass}});
  s.Next();
  s.BuildDone("ka", true);
  EXPECT_EQ(Boots(s.Next()).size(), 2u);
  EXPECT_TRUE(Boots(s.Next()).empty());
  EXPECT_EQ(s.running_boots(), 2);
}

TEST(RunScheduler, StopStartsNothingMoreAndEndsWhenTheRunningEnd) {
  auto s = TwoCells(Timing::kIcount, 1, 2, 2);
  s.Next();
  s.BuildDone("ka", true);
  auto boots = Boots(s.Next());  // build kb and base#0 are running
  ASSERT_EQ(boots.size(), 1u);
  s.Stop(results::RunStatus::kInterrupted, "Ctrl-C");
  EXPECT_TRUE(s.Next().empty());
  EXPECT_FALSE(s.Finished()) << "a build and a boot are still running";
  s.BootAborted(boots[0]);
  s.BuildAborted("kb");
  EXPECT_TRUE(s.Finished());
  EXPECT_EQ(s.Status(), results::RunStatus::kInterrupted);
  EXPECT_EQ(s.StopMessage(), "Ctrl-C");
}

TEST(RunScheduler, AFailureAfterStopLeavesItsRetryToAResume) {
  auto s = TwoCells(Timing::kIcount, 1, 1, 1);
  s.Next();
  s.BuildDone("ka", true);
  auto boots = Boots(s.Next());
  s.Stop(results::RunStatus::kFailed, "libvirt went away");
  auto p = s.BootDone(boots[0], BootOutcome::kKernelPanic);
  EXPECT_FALSE(p.unit_done);
  EXPECT_EQ(s.done_units(), 0);
  s.BuildAborted("kb");
  EXPECT_TRUE(s.Finished());
  EXPECT_EQ(s.Status(), results::RunStatus::kFailed);
}

}  // namespace
}  // namespace rfl::pipeline
