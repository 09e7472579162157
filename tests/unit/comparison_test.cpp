// Run analysis, cross-run comparison, gating and adaptive repetitions on
// synthetic runs (constructed data: lab/results/synthetic.h) written to a
// real SQLite store in a temporary directory.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lab/results/comparison.h"
#include "tests/support/synthetic_run.h"

namespace rfl::results {
namespace {

namespace fs = std::filesystem;

class Comparison : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "rfl-cmp-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    auto s = OpenSqliteStore(dir_ / "r.sqlite3");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  RunData Load(const SyntheticOptions& o = {}) {
    auto id = WriteSyntheticRun(*store_, o);
    EXPECT_TRUE(id) << id.error().message;
    auto data = store_->LoadRun(*id);
    EXPECT_TRUE(data) << data.error().message;
    return *data;
  }
  static std::vector<const MetricDelta*> Of(const RunAnalysis& a, const std::string& variant) {
    std::vector<const MetricDelta*> out;
    for (const auto& d : a.deltas) {
      if (d.variant == variant) out.push_back(&d);
    }
    return out;
  }
  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(Comparison, AaVariantWithIdenticalBuildIsNoChangeForEveryMetric) {
  RunAnalysis a = AnalyzeRun(Load());
  auto same = Of(a, "same");
  ASSERT_EQ(same.size(), 4u);  // time_to_init, 2 × binder latency, iops
  for (const auto* d : same) {
    EXPECT_EQ(d->stats.verdict, Verdict::kNoChange) << d->key.Text() << ": " << d->stats.reason;
    ASSERT_TRUE(d->stats.ci);
    EXPECT_EQ(d->stats.ci->lo, d->stats.ci->hi);  // icount: zero-width interval
  }
}

TEST_F(Comparison, InjectedSlowdownIsARegressionInTheRightDirection) {
  RunAnalysis a = AnalyzeRun(Load());
  int regressions = 0;
  for (const auto* d : Of(a, "slow")) {
    if (d->key.metric == "time_to_init_seconds") {
      EXPECT_EQ(d->stats.verdict, Verdict::kNoChange) << d->stats.reason;
      continue;
    }
    EXPECT_EQ(d->stats.verdict, Verdict::kRegression) << d->key.Text() << ": " << d->stats.reason;
    ++regressions;
    if (d->key.metric == "iops") {
      EXPECT_NEAR(d->stats.ratio, 1 / 1.05, 1e-9);
    } else {
      EXPECT_NEAR(d->stats.ratio, 1.05, 1e-9);
    }
  }
  EXPECT_EQ(regressions, 3);
  EXPECT_EQ(a.findings.regressions.size(), 3u);
}

TEST_F(Comparison, InjectedSpeedupIsAnImprovementInWallMode) {
  SyntheticOptions o;
  o.timing = "wall";
  o.slow_factor = 0.9;  // "slow" is now 10 % faster
  o.repetitions = 12;
  RunAnalysis a = AnalyzeRun(Load(o));
  for (const auto* d : Of(a, "slow")) {
    if (d->key.workload == "binder" || d->key.workload == "block") {
      EXPECT_EQ(d->stats.verdict, Verdict::kImprovement) << d->key.Text() << ": " << d->stats.reason;
    }
  }
  EXPECT_TRUE(a.findings.regressions.empty());
}

TEST_F(Comparison, WallClockSamplesFromDifferentLavaWorkersGetNoVerdict) {
  SyntheticOptions o;
  o.timing = "wall";
  o.slow_factor = 0.9;
  o.repetitions = 12;
  RunData run = Load(o);
  // Every boot on one device: the speed-up stands.
  for (auto& b : run.boots) b.worker = "lab-worker/qemu-01";
  RunAnalysis one = AnalyzeRun(run);
  for (const auto* d : Of(one, "slow")) {
    if (d->key.workload == "binder") {
      EXPECT_EQ(d->stats.verdict, Verdict::kImprovement) << d->stats.reason;
    }
  }
  // Boots spread over two devices: wall-clock samples are the devices' own.
  for (auto& b : run.boots) b.worker = b.repetition % 2 ? "lab-worker/qemu-02" : "lab-worker/qemu-01";
  RunAnalysis a = AnalyzeRun(run);
  int refused = 0;
  for (const auto* d : Of(a, "slow")) {
    if (d->key.workload != "binder") continue;
    EXPECT_EQ(d->stats.verdict, Verdict::kInconclusive);
    EXPECT_EQ(d->stats.reason,
              "wall-clock samples from 2 workers (lab-worker/qemu-01, lab-worker/qemu-02): not comparable; use "
              "timing: icount, or pin one device (--lava-tag)");
    EXPECT_FALSE(d->stats.more_samples_may_help);
    ++refused;
  }
  EXPECT_GT(refused, 0);
  EXPECT_TRUE(a.findings.regressions.empty());
  // Under icount the worker does not matter.
  o.timing = "icount";
  RunData icount = Load(o);
  for (auto& b : icount.boots) b.worker = b.repetition % 2 ? "w/qemu-02" : "w/qemu-01";
  RunAnalysis under_icount = AnalyzeRun(icount);
  for (const auto* d : Of(under_icount, "slow")) {
    if (d->key.workload == "binder") {
      EXPECT_EQ(d->stats.reason.find("workers"), std::string::npos) << d->stats.reason;
    }
  }
}

TEST_F(Comparison, OutcomeMatrixCountsFinalAttemptsAndKnowsExpectedFailures) {
  RunAnalysis a = AnalyzeRun(Load());
  ASSERT_EQ(a.outcomes.size(), 5u);
  std::map<std::string, const OutcomeCell*> by;
  for (const auto& c : a.outcomes) by[c.variant] = &c;
  EXPECT_EQ(a.outcomes.front().variant, "base");  // scenario order
  EXPECT_EQ(by["base"]->Status(), "passed");
  EXPECT_EQ(by["base"]->boots, 8);
  EXPECT_DOUBLE_EQ(by["same"]->success_rate(), 1.0);
  EXPECT_EQ(by["thunk"]->Status(), "expected-failure");
  EXPECT_EQ(by["thunk"]->boots, 0);
  EXPECT_EQ(by["panicky"]->Status(), "failed");
  EXPECT_EQ(by["panicky"]->boots, 8);  // 16 boot records, 8 final attempts
  EXPECT_EQ(by["panicky"]->retried, 8);
  EXPECT_EQ(by["panicky"]->outcomes.at("rust-panic"), 8);
  EXPECT_NE(by["panicky"]->first_failure_evidence.find("panicked at"), std::string::npos);
}

TEST_F(Comparison, GateFailsOnFailedBootsAndRegressionsButNotExpectedBuildFailures) {
  RunAnalysis a = AnalyzeRun(Load());
  EXPECT_TRUE(a.findings.unexpected_build_failures.empty());
  EXPECT_EQ(a.findings.failed_boots.size(), 8u);
  EXPECT_NE(a.findings.failed_boots[0].find("rust-panic (after a retry)"), std::string::npos);
  EXPECT_TRUE(a.findings.Any());
  EXPECT_FALSE(Findings{}.Any());
}

TEST_F(Comparison, UnexpectedBuildFailureIsAFinding) {
  RunData run = Load();
  for (auto& b : run.builds) {
    if (b.key == "slow0000") b.outcome = BuildOutcome::kFailed;
  }
  RunAnalysis a = AnalyzeRun(run);
  ASSERT_EQ(a.findings.unexpected_build_failures.size(), 1u);
  EXPECT_NE(a.findings.unexpected_build_failures[0].find("slow"), std::string::npos);
}

TEST_F(Comparison, CodeSizeDeltasAreExact) {
  RunAnalysis a = AnalyzeRun(Load());
  auto it = std::find_if(a.sizes.begin(), a.sizes.end(), [](const SizeDelta& z) {
    return z.variant == "slow" && z.object == "vmlinux" && z.section == "text";
  });
  ASSERT_NE(it, a.sizes.end());
  EXPECT_EQ(it->delta(), 4096);
  for (const auto& z : a.sizes) {
    if (z.variant == "same") {
      EXPECT_EQ(z.delta(), 0);
    }
    EXPECT_NE(z.variant, "thunk");  // no size for a failed build
  }
}

TEST_F(Comparison, CompareRunsMatchesGroupsAcrossRuns) {
  RunData a = Load();
  SyntheticOptions faster;
  faster.slow_factor = 1.0;  // in run B, "slow" is no longer slow
  RunData b = Load(faster);
  RunAnalysis c = CompareRuns(a, b);
  ASSERT_EQ(c.runs.size(), 2u);
  bool saw = false;
  for (const auto& d : c.deltas) {
    if (d.variant == "slow" && d.key.workload == "binder") {
      EXPECT_EQ(d.stats.verdict, Verdict::kImprovement) << d.stats.reason;
      saw = true;
    }
    if (d.variant == "base") {
      EXPECT_EQ(d.stats.verdict, Verdict::kNoChange) << d.stats.reason;
    }
  }
  EXPECT_TRUE(saw);
  EXPECT_TRUE(c.findings.regressions.empty());
  // The reverse direction is a regression.
  RunAnalysis r = CompareRuns(b, a);
  EXPECT_EQ(r.findings.regressions.size(), 3u);
}

// What happened to rustc-1.96 when trixie-backports moved to 1.97.
TEST_F(Comparison, AToolchainNameThatStandsForAnotherCompilerIsNamed) {
  RunData a = Load();
  RunData b = Load();
  EXPECT_TRUE(ToolchainDrift(a, b).empty());
  ASSERT_FALSE(b.builds.empty());
  for (auto& build : a.builds) build.rustc_version = "rustc 1.96.0 (ac68faa20 2026-05-25)";
  for (auto& build : b.builds) build.rustc_version = "rustc 1.97.1 (8bab26f4f 2026-07-14)";
  b.run.id = a.run.id + 1;
  auto drift = ToolchainDrift(a, b);
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0], fmt::format("toolchain {} is rustc 1.96.0 (ac68faa20 2026-05-25) in run {} but rustc 1.97.1 "
                                  "(8bab26f4f 2026-07-14) in run {}: the runs differ in compiler, not only in what "
                                  "you meant to compare",
                                  a.builds[0].toolchain, a.run.id, b.run.id));
}

TEST_F(Comparison, CompareRunsDropsTheAxisThatDiffers) {
  RunData a = Load();
  RunData b = Load();
  for (auto& boot : b.boots) boot.kernel = "7.4";
  for (auto& build : b.builds) build.kernel = "7.4";
  RunAnalysis c = CompareRuns(a, b);
  ASSERT_FALSE(c.deltas.empty());
  for (const auto& d : c.deltas) {
    EXPECT_EQ(d.key.kernel, "7.3→7.4");
    EXPECT_FALSE(d.baseline_values.empty());
    EXPECT_FALSE(d.variant_values.empty());
  }
}

// rustc 1.85 → 1.96 with the same kernel: a flag that reached every Rust
// function before and only some now is shown, as is a control that stopped
// being absent; an unchanged verdict is not.
TEST_F(Comparison, CompareRunsShowsCodeChecksWhoseVerdictChanged) {
  RunData a = Load();
  RunData b = Load();
  ASSERT_FALSE(a.builds.empty());
  auto check = [](std::string flag, bool claimed, std::string verdict, int64_t with, int64_t checked) {
    CodeCheckRecord c;
    c.flag = std::move(flag);
    c.claimed = claimed;
    c.verdict = std::move(verdict);
    c.with_signature = with;
    c.checked = checked;
    return c;
  };
  a.builds[0].code_checks = {check("-Zcf-protection=branch", true, "effective", 2171, 2171),
                             check("-Zfunction-return=thunk-extern", false, "absent", 0, 1797),
                             check("-Cjump-tables=n", false, "absent", 2323, 2325)};
  b.builds[0].code_checks = {check("-Zcf-protection=branch", true, "partial", 606, 1796),
                             check("-Zfunction-return=thunk-extern", false, "partial", 606, 1796),
                             check("-Cjump-tables=n", false, "absent", 2323, 2325)};
  for (auto& build : b.builds) build.toolchain = "rustc-1.96";
  for (auto& boot : b.boots) boot.toolchain = "rustc-1.96";
  RunAnalysis c = CompareRuns(a, b);
  ASSERT_EQ(c.code_check_changes.size(), 2u * b.builds[0].variants.size());
  const std::string cell =
      fmt::format("{}/{}→rustc-1.96/{} {}", a.builds[0].arch, a.builds[0].toolchain, a.builds[0].kernel,
                  b.builds[0].variants[0]);
  EXPECT_EQ(c.code_check_changes[0].Text(),
            cell + ": -Zcf-protection=branch (claimed) effective (2171/2171) → partial (606/1796)");
  EXPECT_EQ(c.code_check_changes[1].Text(),
            cell + ": -Zfunction-return=thunk-extern (control) absent (0/1797) → partial (606/1796)");
  // The claimed flag that went partial is a finding through run B itself.
  EXPECT_FALSE(c.findings.code_checks.empty());
  EXPECT_TRUE(CompareRuns(a, a).code_check_changes.empty());
}

TEST_F(Comparison, RepetitionsUntilMinThenWhileInconclusiveUpToMax) {
  SyntheticOptions o;
  o.repetitions = 3;
  o.timing = "wall";
  RunData run = Load(o);
  auto advice = NeedMoreRepetitions(run, 5, 20);
  EXPECT_TRUE(advice.more);
  EXPECT_EQ(advice.completed, 3);
  // icount with every verdict settled: stop at min.
  o.repetitions = 5;
  o.timing = "icount";
  advice = NeedMoreRepetitions(Load(o), 5, 20);
  EXPECT_FALSE(advice.more) << advice.reason;
  EXPECT_TRUE(advice.inconclusive.empty());
  // Noisy wall clock with a tiny effect stays inconclusive: more, until max.
  o.timing = "wall";
  o.slow_factor = 1.012;
  RunData noisy = Load(o);
  advice = NeedMoreRepetitions(noisy, 5, 20);
  EXPECT_TRUE(advice.more) << advice.reason;
  EXPECT_FALSE(advice.inconclusive.empty());
  advice = NeedMoreRepetitions(noisy, 3, 5);
  EXPECT_FALSE(advice.more);
  EXPECT_NE(advice.reason.find("cap"), std::string::npos) << advice.reason;
}

// The captured quickstart run (icount): its host-clock boot metrics spread
// with the host's load (one baseline boot reached the console after 6.8 s
// instead of 2.7 s), so they are shown but never judged.
TEST(ComparisonOnCapturedRun, HostClockMetricsInIcountRunsGetNoVerdict) {
  fs::path dir = fs::temp_directory_path() / ("rfl-cmp-captured-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(fs::path(RFL_LAB_FIXTURES_DIR) / "report" / "quickstart.sqlite3", dir / "copy.sqlite3");
  {
    auto store = OpenSqliteStore(dir / "copy.sqlite3");
    ASSERT_TRUE(store) << store.error().message;
    auto id = (*store)->LatestRun("quickstart");
    ASSERT_TRUE(id && id->has_value());
    auto run = (*store)->LoadRun(**id);
    ASSERT_TRUE(run);
    ASSERT_EQ(run->run.info.timing, "icount");
    auto a = AnalyzeRun(*run);
    int host = 0, guest_settled = 0;
    for (const auto& d : a.deltas) {
      if (d.key.metric.starts_with("host_")) {
        ++host;
        EXPECT_EQ(d.stats.verdict, Verdict::kInconclusive) << d.key.Text();
        EXPECT_FALSE(d.stats.more_samples_may_help);
        EXPECT_NE(d.stats.reason.find("host-clock"), std::string::npos) << d.stats.reason;
      } else if (d.stats.verdict != Verdict::kInconclusive) {
        ++guest_settled;
      }
    }
    EXPECT_EQ(host, 4) << "host_agent_ready_seconds and host_first_console_seconds, 2 variants";
    EXPECT_GT(guest_settled, 0) << "guest-clock metrics still get verdicts";
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rfl::results
