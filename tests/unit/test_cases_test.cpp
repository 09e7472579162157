// KUnit test cases across boots (lab/results/test_cases.h): every case is
// kept by name, and a case that passes in the baseline and fails in a
// variant is a finding.
#include "lab/results/test_cases.h"

#include <gtest/gtest.h>

#include <set>

#include "lab/report/report.h"
#include "lab/results/comparison.h"

namespace rfl::results {
namespace {

TestCaseResult Case(std::string suite, std::string name, std::string status, std::string diagnostics = {}) {
  std::string reason = status == "skip" ? "SKIP no hw" : "";
  return {"kunit", std::move(suite), std::move(name), std::move(status), std::move(reason), std::move(diagnostics)};
}

// baseline: both cases pass (sync skips); kcfi: alloc_0 fails in boots 1 and 3.
RunData KunitRun() {
  RunData run;
  run.run.id = 7;
  run.run.info.baseline = "baseline";
  run.run.info.variants = {{"baseline", Expect::kPass, {}, {}}, {"kcfi", Expect::kPass, {"-Zsanitizer=kcfi"}, {}}};
  int64_t id = 0;
  for (std::string variant : {"baseline", "kcfi"}) {
    for (int rep = 0; rep < 5; ++rep) {
      BootRecord b;
      b.id = ++id;
      b.variant = variant;
      b.arch = "x86_64";
      b.toolchain = "rustc-1.96";
      b.kernel = "7.3";
      b.repetition = rep;
      b.build_key = variant;
      bool fails = variant == "kcfi" && rep % 2 == 1;
      b.test_cases = {Case("rust_doctests_kernel", "rust_doctest_kernel_alloc_0", fails ? "fail" : "pass",
                           fails ? "# rust_doctest_kernel_alloc_0: ASSERTION FAILED at rust/kernel/alloc.rs:12" : ""),
                      Case("rust_doctests_kernel", "rust_doctest_kernel_sync_1", "skip"),
                      Case("rust_kernel_kunit", "rust_test_kunit_example_test", "pass")};
      b.outcome = fails ? BootOutcome::kWorkloadFailed : BootOutcome::kPassed;
      run.boots.push_back(std::move(b));
    }
  }
  return run;
}

TEST(TestCases, EveryCaseIsCountedByItsWorstStatusOverTheBoots) {
  auto cells = KunitCells(KunitRun());
  ASSERT_EQ(cells.size(), 2u);
  const CellCases& kcfi = cells[0].variant == "kcfi" ? cells[0] : cells[1];
  EXPECT_EQ(kcfi.total(), 3);
  EXPECT_EQ(kcfi.cases_by_worst.at("pass"), 1);
  EXPECT_EQ(kcfi.cases_by_worst.at("fail"), 1);
  EXPECT_EQ(kcfi.cases_by_worst.at("skip"), 1);
  const CaseTally& alloc = kcfi.cases[0];
  EXPECT_EQ(alloc.name, "rust_doctest_kernel_alloc_0");
  EXPECT_EQ(alloc.Text(), "fail 2/5, pass 3/5");
  EXPECT_NE(alloc.diagnostics.find("ASSERTION FAILED"), std::string::npos);
  EXPECT_EQ(kcfi.cases[1].reason, "SKIP no hw");
}

TEST(TestCases, ACaseThatPassesInTheBaselineAndFailsInAVariantIsAFinding) {
  RunAnalysis a = AnalyzeRun(KunitRun());
  ASSERT_EQ(a.case_changes.size(), 1u);
  const CaseChange& c = a.case_changes[0];
  EXPECT_TRUE(c.regression);
  EXPECT_EQ(c.before, "pass 5/5");
  EXPECT_EQ(c.after, "fail 2/5, pass 3/5");
  ASSERT_EQ(a.findings.test_cases.size(), 1u);
  EXPECT_EQ(a.findings.test_cases[0],
            "x86_64/rustc-1.96/7.3 kcfi: kunit rust_doctests_kernel/rust_doctest_kernel_alloc_0 passes in baseline "
            "(pass 5/5), fails in kcfi (fail 2/5, pass 3/5)");
  EXPECT_TRUE(a.findings.Any());
}

TEST(TestCases, ACaseThatAlreadyFailedInTheBaselineIsAChangeNotAFinding) {
  RunData run = KunitRun();
  for (auto& b : run.boots) {
    if (b.variant == "baseline" && b.repetition == 0) b.test_cases[0].status = "fail";
  }
  RunAnalysis a = AnalyzeRun(run);
  ASSERT_EQ(a.case_changes.size(), 1u);
  EXPECT_FALSE(a.case_changes[0].regression);
  EXPECT_TRUE(a.findings.test_cases.empty());
}

TEST(TestCases, TheTableListsTheCasesThatDidNotPassByName) {
  std::string t = report::RenderTable(AnalyzeRun(KunitRun()), false);
  EXPECT_NE(t.find("KUnit test cases"), std::string::npos) << t;
  EXPECT_NE(t.find("kcfi fail rust_doctests_kernel/rust_doctest_kernel_alloc_0 (fail 2/5, pass 3/5)"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("# rust_doctest_kernel_alloc_0: ASSERTION FAILED"), std::string::npos) << t;
  EXPECT_NE(t.find("skip rust_doctests_kernel/rust_doctest_kernel_sync_1 (skip 5/5): SKIP no hw"), std::string::npos)
      << t;
  EXPECT_NE(t.find("kunit: x86_64/rustc-1.96/7.3 kcfi: kunit"), std::string::npos) << "a finding: " << t;
}

TEST(TestCases, KcidbHasOneTestPerCaseWithTheFailureLines) {
  RunAnalysis a = AnalyzeRun(KunitRun());
  auto doc = report::KcidbJson(a, "rfl_lab");
  int cases = 0, failed = 0;
  std::set<std::string> ids;
  for (const auto& t : doc["tests"]) {
    EXPECT_TRUE(ids.insert(t["id"].get<std::string>()).second) << t["id"];
    if (!t["path"].get<std::string>().starts_with("rfl_lab.kunit.")) continue;
    ++cases;
    if (t["status"] == "FAIL") {
      ++failed;
      EXPECT_EQ(t["path"], "rfl_lab.kunit.rust_doctests_kernel.rust_doctest_kernel_alloc_0");
      EXPECT_NE(t["log_excerpt"].get<std::string>().find("ASSERTION FAILED"), std::string::npos);
    }
  }
  EXPECT_EQ(cases, 30);  // 3 cases × 10 boots
  EXPECT_EQ(failed, 2);
}

}  // namespace
}  // namespace rfl::results
