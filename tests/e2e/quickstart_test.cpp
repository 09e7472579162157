// The main job end to end: `rfl-lab run scenarios/quickstart.yaml` under TCG
// from whatever the cache holds (empty in CI), into a fresh state dir.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "lab/results/comparison.h"
#include "lab/results/store.h"
#include "lab/util/process.h"

namespace rfl {
namespace {
namespace fs = std::filesystem;

TEST(Quickstart, EveryVariantEndsAsExpectedWithSamplesAndDeltas) {
  fs::path state = fs::temp_directory_path() / "rfl-lab-e2e-quickstart";
  fs::remove_all(state);
  Command cmd;
  cmd.argv = {RFL_LAB_BINARY, "--state-dir", state.string(), "run", "scenarios/quickstart.yaml"};
  cmd.cwd = RFL_LAB_SOURCE_DIR;
  cmd.timeout = std::chrono::minutes(55);
  cmd.log_file = state.string() + ".log";
  fs::create_directories(state);
  auto start = std::chrono::steady_clock::now();
  auto r = DefaultRunner().Run(cmd);
  ASSERT_TRUE(r.has_value());
  double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
  std::printf("quickstart wall time: %.1f min (exit %d)\n", minutes, r->exit_code);
  // 0: nothing found; 1: a regression between variants (a finding, not a lab
  // failure). Failed boots are checked below, one by one.
  ASSERT_TRUE(r->exit_code == 0 || r->exit_code == 1) << r->output;

  auto store = results::OpenSqliteStore(results::DefaultStorePath(state));
  ASSERT_TRUE(store.has_value());
  auto latest = (*store)->LatestRun("quickstart");
  ASSERT_TRUE(latest.has_value() && latest->has_value());
  auto run = (*store)->LoadRun(**latest);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->run.status, results::RunStatus::kCompleted);

  std::map<std::string, results::BuildOutcome> build_of;
  for (const auto& b : run->builds) {
    for (const auto& v : b.variants) build_of[v] = b.outcome;
  }
  EXPECT_EQ(build_of["rethunk-without-thunk"], results::BuildOutcome::kExpectedFailure);
  for (const char* v : {"baseline", "ibt-rust", "c-binder"}) {
    ASSERT_TRUE(build_of.count(v)) << v;
    EXPECT_TRUE(results::BuildSucceeded(build_of[v])) << v;
  }
  for (const auto& b : run->builds) {
    // Exactly which kernel, the failed build's included: 7.3.x from Debian.
    EXPECT_TRUE(b.kernel_version.starts_with("7.3.")) << b.key << ": '" << b.kernel_version << "'";
    EXPECT_TRUE(b.source_id.starts_with("debian:linux-source-7.3=7.3.")) << b.source_id;
    if (b.variants[0] == "rethunk-without-thunk") {
      EXPECT_EQ(b.failure_class, "link-error");
      EXPECT_NE(b.failure_excerpt.find("__x86_return_thunk"), std::string::npos) << b.failure_excerpt;
    }
  }

  std::map<std::string, std::set<std::string>> workloads_of;  // variant → workloads with samples
  std::map<std::string, int> passed;
  for (const auto& boot : run->boots) {
    EXPECT_EQ(boot.outcome, BootOutcome::kPassed) << boot.variant << "#" << boot.repetition << "\n"
                                                           << boot.evidence;
    if (boot.outcome == BootOutcome::kPassed) passed[boot.variant]++;
    for (const auto& s : boot.samples) workloads_of[boot.variant].insert(s.workload);
  }
  for (const char* v : {"baseline", "ibt-rust", "c-binder"}) {
    EXPECT_EQ(passed[v], 5) << v;
    EXPECT_TRUE(workloads_of[v].count("binder")) << v;
    EXPECT_TRUE(workloads_of[v].count("block")) << v;
  }

  auto analysis = results::AnalyzeRun(*run);
  std::set<std::string> compared;
  for (const auto& d : analysis.deltas) compared.insert(d.variant);
  EXPECT_TRUE(compared.count("ibt-rust"));
  EXPECT_TRUE(compared.count("c-binder"));
  EXPECT_TRUE(analysis.findings.unexpected_build_failures.empty());
  EXPECT_TRUE(analysis.findings.failed_boots.empty());
  EXPECT_TRUE(analysis.findings.code_checks.empty()) << analysis.findings.code_checks.front();
  // The code-check stage ran on every successful build: IBT claimed and
  // effective in ibt-rust, a control that is absent in the baseline.
  std::map<std::string, std::string> ibt_verdict;  // variant → "claimed effective"
  for (const auto& b : run->builds) {
    for (const auto& c : b.code_checks) {
      if (c.flag == "-Zcf-protection=branch") {
        ibt_verdict[b.variants[0]] = std::string(c.claimed ? "claimed " : "control ") + c.verdict;
      }
    }
  }
  EXPECT_EQ(ibt_verdict["ibt-rust"], "claimed effective");
  EXPECT_EQ(ibt_verdict["baseline"], "control absent");
  EXPECT_NE(r->output.find("code check -Zcf-protection=branch (claimed): effective"), std::string::npos);
  // The summary on stdout shows the deltas.
  EXPECT_NE(r->output.find("ibt-rust"), std::string::npos);
}

}  // namespace
}  // namespace rfl
