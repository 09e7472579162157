// An A/A run: two variants with the same build (the quickstart baseline
// kernel, one artifact), booted in icount mode, interleaved. Whatever spread
// the boots show is noise, so the statistics must not call anything a
// regression or an improvement, and the run must report no finding.
//
// The workloads run under SCHED_FIFO (sched: fifo). Under SCHED_OTHER a boot
// fell into one of a few discrete timings (binder 0 B round trip p50 22.2,
// 24.1 or 24.5 us; rnull 11.4 or 11.6 us per read) because the scheduler's
// state decides the path a wakeup takes, and those metrics stayed
// inconclusive; under SCHED_FIFO 12 boots gave the same binder p50 to the
// nanosecond and rnull within 0.3 % (docs/statistics.md). boot/init_to_agent
// is 315 us in most boots and 470 us in about one in four, so with 5 boots a
// side it can stay inconclusive; with repeat: {min: 5, max: 20} it settled
// at no-change after 19 boots a side (measured; 8 min, too long for every CI
// run). The two host-clock metrics never get a verdict under icount.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "lab/results/comparison.h"
#include "lab/results/store.h"
#include "lab/util/process.h"

namespace rfl {
namespace {
namespace fs = std::filesystem;

// The quickstart kernel (same source, config, fragments, toolchain, flags:
// the same build key, so a cache hit after the quickstart or the integration
// tests), twice.
constexpr const char* kScenario = R"(name: aa-icount
kernel:
  source: debian:linux-source-7.3
  config: tinyconfig
  fragments: [rust, rust-samples, binder-rust, rnull, null-blk, debugfs]
toolchains: [rustc-1.96]
arches: [x86_64]
variants:
  a: {}
  b: {description: the same kernel again}
baseline: a
boot: {accel: tcg, timing: icount, memory: 512M, cpus: 1, timeout: 120s}
repeat: 5
workloads:
  - boot
  - binder: {payloads: [0, 4096], iterations: 500, sched: fifo}
  - block: {devices: [rnull, null_blk], pattern: randread, block_size: 4096, ios: 5000, sched: fifo}
thresholds: {noise: 1%, alpha: 0.05}
allowed_warnings: ["enqueued on deprecated workqueue"]
)";

TEST(AaRun, IdenticalBuildsInIcountModeShowNoChangeForEveryWorkloadMetric) {
  fs::path dir = fs::temp_directory_path() / "rfl-lab-e2e-aa";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::path scenario = dir / "aa.yaml";
  std::ofstream(scenario) << kScenario;

  Command cmd;
  cmd.argv = {RFL_LAB_BINARY, "--state-dir", (dir / "state").string(), "run", scenario.string()};
  cmd.cwd = RFL_LAB_SOURCE_DIR;
  cmd.timeout = std::chrono::minutes(40);
  cmd.log_file = (dir / "run.log").string();
  auto r = DefaultRunner().Run(cmd);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->exit_code, 0) << r->output;

  auto store = results::OpenSqliteStore(results::DefaultStorePath(dir / "state"));
  ASSERT_TRUE(store.has_value());
  auto latest = (*store)->LatestRun("aa-icount");
  ASSERT_TRUE(latest.has_value() && latest->has_value());
  auto run = (*store)->LoadRun(**latest);
  ASSERT_TRUE(run.has_value());
  ASSERT_EQ(run->builds.size(), 1u) << "two variants with the same content share one build";
  EXPECT_EQ(run->builds[0].variants.size(), 2u);

  auto analysis = results::AnalyzeRun(*run);
  std::map<std::string, int> verdicts;
  int compared = 0, workload_metrics = 0;
  for (const auto& d : analysis.deltas) {
    ++compared;
    ++verdicts[std::string(results::VerdictName(d.stats.verdict))];
    std::printf("%-70s ratio %.4f  %s: %s\n", d.key.Text().c_str(), d.stats.ratio,
                std::string(results::VerdictName(d.stats.verdict)).c_str(), d.stats.reason.c_str());
    EXPECT_NE(d.stats.verdict, results::Verdict::kRegression) << d.key.Text() << ": " << d.stats.reason;
    EXPECT_NE(d.stats.verdict, results::Verdict::kImprovement) << d.key.Text() << ": " << d.stats.reason;
    const bool workload = d.key.workload == "binder" || d.key.workload == "block";
    if (workload || d.key.metric == "run_init" || d.key.metric == "agent_start") {
      EXPECT_EQ(d.stats.verdict, results::Verdict::kNoChange) << d.key.Text() << ": " << d.stats.reason;
    }
    if (workload) ++workload_metrics;
  }
  std::printf("A/A: %d metrics compared:", compared);
  for (const auto& [v, n] : verdicts) std::printf(" %s %d", v.c_str(), n);
  std::printf("\n");
  EXPECT_GE(compared, 20);
  EXPECT_GE(workload_metrics, 18) << "binder and block metrics for both payloads and devices";
  EXPECT_TRUE(analysis.findings.regressions.empty());
  EXPECT_TRUE(analysis.findings.failed_boots.empty());
  EXPECT_GE(verdicts["no-change"], compared - 3) << "all but the two host-clock metrics and init_to_agent";
}

}  // namespace
}  // namespace rfl
