// The compiler × kernel grid: one per (arch, variant), kernels as rows and
// toolchains as columns; a cell says built / boots / workloads, and a
// workload the kernel lacks counts as skipped, not failed.
#include <gtest/gtest.h>

#include "lab/report/matrix_grid.h"

namespace rfl::report {
namespace {
using results::BuildOutcome;
using results::OutcomeCell;

OutcomeCell Cell(const std::string& toolchain, const std::string& kernel, const std::string& variant = "baseline") {
  OutcomeCell c;
  c.run_id = 1;
  c.arch = "x86_64";
  c.toolchain = toolchain;
  c.kernel = kernel;
  c.variant = variant;
  c.build = BuildOutcome::kBuilt;
  return c;
}

TEST(MatrixGrid, OneToolchainAndOneKernelNeedNoGrid) {
  std::vector<OutcomeCell> cells{Cell("rustc-1.96", "7.3"), Cell("rustc-1.96", "7.3", "ibt")};
  EXPECT_TRUE(MatrixGrids(cells).empty());
}

TEST(MatrixGrid, KernelsAreRowsToolchainsColumnsOneGridPerVariant) {
  std::vector<OutcomeCell> cells{Cell("rustc-1.96", "7.3"), Cell("rustc-1.85", "7.3"), Cell("rustc-1.96", "6.12"),
                                 Cell("rustc-1.85", "6.12"), Cell("rustc-1.96", "7.3", "kcfi")};
  cells[0].rustc_version = "rustc 1.96.0 (17067e9ac 2026-05-09)";
  auto grids = MatrixGrids(cells);
  ASSERT_EQ(grids.size(), 2u);
  EXPECT_EQ(grids[0].variant, "baseline");
  EXPECT_EQ(grids[0].kernels, (std::vector<std::string>{"6.12", "7.3"}));
  EXPECT_EQ(grids[0].toolchains, (std::vector<std::string>{"rustc-1.96", "rustc-1.85"}));
  EXPECT_EQ(grids[0].rustc.at("rustc-1.96"), "rustc 1.96.0 (17067e9ac 2026-05-09)");
  EXPECT_EQ(grids[0].At("6.12", "rustc-1.85"), &cells[3]);
  EXPECT_EQ(grids[0].KernelName("7.3"), "7.3");  // no exact version recorded
  cells[0].kernel_version = "7.3.4";
  EXPECT_EQ(MatrixGrids(cells)[0].KernelName("7.3"), "7.3.4");
  EXPECT_EQ(grids[1].variant, "kcfi");
  EXPECT_EQ(grids[1].At("6.12", "rustc-1.96"), nullptr);
  // A compare: only the named run's cells.
  cells[1].run_id = 2;
  EXPECT_EQ(MatrixGrids(cells, 2).size(), 0u);
}

TEST(MatrixGrid, ACellSaysBuiltBootsAndWorkloadsWithSkippedOnesNamed) {
  OutcomeCell c = Cell("rustc-1.85", "6.12");
  c.boots = 2;
  c.passed = 2;
  c.workloads["boot"] = {2, 0, 0, ""};
  c.workloads["rust-samples"] = {2, 0, 0, ""};
  c.workloads["binder"] = {0, 0, 2, "the kernel lacks CONFIG_ANDROID_BINDER_IPC_RUST"};
  EXPECT_EQ(GridCellText(c), "built · boots 2/2 · workloads 2/2 (binder skipped)");
  c.workloads["rust-samples"] = {1, 1, 0, "sample missing"};
  c.passed = 1;
  c.build = BuildOutcome::kCacheHit;
  EXPECT_EQ(GridCellText(c), "built (cached) · boots 1/2 · workloads 1/2 (binder skipped, rust-samples failed)");
}

TEST(MatrixGrid, ABuildFailureShowsItsClass) {
  OutcomeCell c = Cell("rustc-1.85", "7.3");
  c.build = BuildOutcome::kFailed;
  c.failure_class = "rustc-too-old";
  EXPECT_EQ(GridCellText(c), "build failed: rustc-too-old");
  c.build.reset();
  EXPECT_EQ(GridCellText(c), "not run");
}

}  // namespace
}  // namespace rfl::report
