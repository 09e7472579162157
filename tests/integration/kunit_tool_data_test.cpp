// Integration: the KTAP parser on the logs the kernel's own kunit_tool tests use
// (tools/testing/kunit/test_data/ in the kernel source the lab unpacks), with
// the verdicts kunit_tool_test.py asserts for them, plus hand-written edge
// cases. The logs are read from the source tree at test time, never copied.
#include "images/agent/ktap.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace rfl::agent {
namespace {

namespace fs = std::filesystem;

// Finds tools/testing/kunit/test_data in an unpacked kernel source under the
// lab cache (RFL_LAB_CACHE_DIR, XDG_CACHE_HOME/rfl-lab or ~/.cache/rfl-lab),
// a few directory levels below sources/. RFL_LAB_KUNIT_TEST_DATA overrides.
std::optional<fs::path> FindKunitTestData() {
  if (const char* dir = std::getenv("RFL_LAB_KUNIT_TEST_DATA"); dir && *dir) return fs::path(dir);
  std::vector<fs::path> roots;
  if (const char* c = std::getenv("RFL_LAB_CACHE_DIR"); c && *c) roots.push_back(fs::path(c));
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) roots.push_back(fs::path(x) / "rfl-lab");
  if (const char* h = std::getenv("HOME"); h && *h) roots.push_back(fs::path(h) / ".cache" / "rfl-lab");
  const fs::path rel = "tools/testing/kunit/test_data";
  for (const auto& root : roots) {
    std::deque<std::pair<fs::path, int>> todo{{root / "sources", 0}, {root, 0}};
    while (!todo.empty()) {
      auto [dir, depth] = todo.front();
      todo.pop_front();
      std::error_code ec;
      if (fs::exists(dir / rel / "test_skip_tests.log", ec)) return dir / rel;
      if (depth >= 4 || fs::exists(dir / "Makefile", ec)) continue;  // don't walk into other trees
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.is_directory(ec) && !e.is_symlink(ec)) todo.emplace_back(e.path(), depth + 1);
      }
    }
  }
  return std::nullopt;
}

class KunitToolData : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = FindKunitTestData();
    if (!dir) {
      GTEST_SKIP() << "kernel source not unpacked yet: no tools/testing/kunit/test_data under the lab cache "
                      "(RFL_LAB_CACHE_DIR or ~/.cache/rfl-lab/sources); run a lab build first or set "
                      "RFL_LAB_KUNIT_TEST_DATA";
    }
    dir_ = *dir;
  }
  KtapResult Parse(const std::string& name) {
    std::ifstream in(dir_ / name);
    EXPECT_TRUE(in.good()) << (dir_ / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ParseKtap(ss.str());
  }
  fs::path dir_;
};

TEST_F(KunitToolData, AllPassed) {
  auto r = Parse("test_is_test_passed-all_passed.log");
  EXPECT_TRUE(r.found);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.status, KtapStatus::kPass);
  EXPECT_GT(r.counts.passed, 0);
  EXPECT_EQ(r.counts.failed + r.counts.crashed, 0);
}

TEST_F(KunitToolData, AllPassedNested) {
  auto r = Parse("test_is_test_passed-all_passed_nested.log");
  EXPECT_EQ(r.status, KtapStatus::kPass);
  ASSERT_EQ(r.main.subtests.size(), 2u);
  EXPECT_EQ(r.main.subtests[0].name, "sysctl_test");
  // sysctl_test holds a nested "example" suite as its second case.
  ASSERT_EQ(r.main.subtests[0].subtests.size(), 4u);
  EXPECT_EQ(r.main.subtests[0].subtests[1].name, "example");
  EXPECT_EQ(r.main.subtests[0].subtests[1].subtests.size(), 2u);
  auto cases = LeafCases(r);
  ASSERT_FALSE(cases.empty());
  EXPECT_EQ(cases[1].suite, "sysctl_test/example");
  EXPECT_EQ(cases[1].name, "example_simple_test");
}

TEST_F(KunitToolData, KselftestNested) {
  auto r = Parse("test_is_test_passed-kselftest.log");
  EXPECT_EQ(r.status, KtapStatus::kPass);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
}

TEST_F(KunitToolData, Failure) {
  auto r = Parse("test_is_test_passed-failure.log");
  EXPECT_EQ(r.status, KtapStatus::kFail);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_GT(r.counts.failed, 0);
  // The failed case carries the expectation KUnit printed, as kunit.py
  // shows it; a passing one carries nothing.
  bool seen = false;
  for (const auto& c : LeafCases(r)) {
    if (c.name != "example_simple_test") {
      EXPECT_TRUE(c.log.empty()) << c.name;
      continue;
    }
    seen = true;
    std::string log;
    for (const auto& line : c.log) log += line + "\n";
    EXPECT_NE(log.find("EXPECTATION FAILED at lib/kunit/example-test.c:30"), std::string::npos) << log;
    EXPECT_NE(log.find("Expected 1 + 1 == 3, but"), std::string::npos) << log;
  }
  EXPECT_TRUE(seen);
}

TEST_F(KunitToolData, NoHeaderIsNotKtap) {
  auto r = Parse("test_is_test_passed-no_tests_run_no_header.log");
  EXPECT_FALSE(r.found);
  EXPECT_TRUE(r.main.subtests.empty());
}

TEST_F(KunitToolData, MissingPlanIsNotAnError) {
  auto r = Parse("test_is_test_passed-missing_plan.log");
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.counts.total(), 10);
  EXPECT_EQ(r.status, KtapStatus::kPass);
}

TEST_F(KunitToolData, HeaderWithoutTests) {
  auto r = Parse("test_is_test_passed-no_tests_run_with_header.log");
  EXPECT_TRUE(r.main.subtests.empty());
  EXPECT_EQ(r.status, KtapStatus::kNoTests);
}

TEST_F(KunitToolData, SubtestWithoutPlanOrCases) {
  auto r = Parse("test_is_test_passed-no_tests_no_plan.log");
  ASSERT_EQ(r.main.subtests.size(), 1u);
  ASSERT_EQ(r.main.subtests[0].subtests.size(), 1u);
  const KtapTest& c = r.main.subtests[0].subtests[0];
  EXPECT_TRUE(c.subtests.empty());
  EXPECT_EQ(c.status, KtapStatus::kNoTests);
  EXPECT_EQ(r.errors.size(), 1u);
}

TEST_F(KunitToolData, FailureNested) {
  auto r = Parse("test_is_test_passed-failure-nested.log");
  EXPECT_EQ(r.status, KtapStatus::kFail);
  // "not ok 1 subtest 1" over a passing case is a failure of its own.
  EXPECT_EQ(r.counts.failed, 2);
  ASSERT_EQ(r.main.subtests.size(), 2u);
  EXPECT_EQ(r.main.subtests[0].status, KtapStatus::kFail);
  EXPECT_EQ(r.main.subtests[0].subtests[0].status, KtapStatus::kPass);
  EXPECT_EQ(r.main.subtests[1].subtests[0].status, KtapStatus::kFail);
  auto cases = LeafCases(r);
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[1].name, "subtest 1");
  EXPECT_EQ(cases[1].status, KtapStatus::kFail);
}

TEST_F(KunitToolData, KtapV1WithoutSubtestHeader) {
  auto r = Parse("test_parse_ktap_output.log");
  EXPECT_EQ(r.counts.passed, 3);
  EXPECT_EQ(r.counts.total(), 3);
  ASSERT_EQ(r.main.subtests.size(), 1u);
  EXPECT_EQ(r.main.subtests[0].name, "suite");
  EXPECT_EQ(r.main.subtests[0].subtests[0].name, "case_1");
  EXPECT_EQ(r.main.subtests[0].subtests[1].name, "case_2");
}

TEST_F(KunitToolData, AttributesStayInTheirTestsLog) {
  auto r = Parse("test_parse_attributes.log");
  EXPECT_EQ(r.status, KtapStatus::kPass);
  EXPECT_EQ(r.counts.passed, 1);
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.main.subtests.size(), 1u);
  const auto& suite = r.main.subtests[0];
  EXPECT_EQ(suite.name, "suite");
  EXPECT_NE(std::find(suite.log.begin(), suite.log.end(), "  # module: example"), suite.log.end());
  ASSERT_EQ(suite.subtests.size(), 1u);
  EXPECT_NE(std::find(suite.subtests[0].log.begin(), suite.subtests[0].log.end(), "  # test.speed: slow"),
            suite.subtests[0].log.end());
}

TEST_F(KunitToolData, SkippedCaseDoesNotFailTheSuite) {
  auto r = Parse("test_skip_tests.log");
  EXPECT_EQ(r.status, KtapStatus::kPass);
  EXPECT_EQ(r.counts.passed, 4);
  EXPECT_EQ(r.counts.skipped, 1);
  auto cases = LeafCases(r);
  ASSERT_EQ(cases.size(), 5u);
  EXPECT_EQ(cases[4].suite, "example");
  EXPECT_EQ(cases[4].name, "example_skip_test");
  EXPECT_EQ(cases[4].directive, "SKIP this test should be skipped");
}

TEST_F(KunitToolData, AllSkipped) {
  auto r = Parse("test_skip_all_tests.log");
  EXPECT_EQ(r.status, KtapStatus::kSkip);
  EXPECT_EQ(r.counts.skipped, 5);
  EXPECT_EQ(r.main.subtests[0].status, KtapStatus::kSkip);
  EXPECT_EQ(r.main.subtests[0].subtests[0].directive, "SKIP all tests skipped");
}

TEST_F(KunitToolData, HyphenIsStripped) {
  auto r = Parse("test_strip_hyphen.log");
  EXPECT_EQ(r.status, KtapStatus::kPass);
  ASSERT_GE(r.main.subtests.size(), 2u);
  EXPECT_EQ(r.main.subtests[0].name, "sysctl_test");
  EXPECT_EQ(r.main.subtests[1].name, "example");
}

TEST_F(KunitToolData, PrefixesAreStripped) {
  for (const char* log : {"test_config_printk_time.log", "test_multiple_prefixes.log",
                          "test_interrupted_tap_output.log", "test_pound_sign.log", "test_pound_no_prefix.log"}) {
    auto r = Parse(log);
    EXPECT_EQ(r.status, KtapStatus::kPass) << log;
    ASSERT_FALSE(r.main.subtests.empty()) << log;
    EXPECT_EQ(r.main.subtests[0].name, "kunit-resource-test") << log;
  }
}

TEST_F(KunitToolData, KernelPanicEndsTheOutputAsCrashed) {
  auto r = Parse("test_kernel_panic_interrupt.log");
  EXPECT_EQ(r.status, KtapStatus::kCrashed);
  ASSERT_FALSE(r.main.subtests.empty());
  EXPECT_EQ(r.main.subtests[0].name, "kunit-resource-test");
}

// Real KTAP from a lab-built kernel: the whole serial console of one boot of
// scenarios/rust-doctests.yaml's baseline (7.3.4, rustc 1.96.1, KUNIT +
// RUST_KERNEL_DOCTESTS + the Rust KUnit suites) under QEMU TCG with icount,
// kernel messages and printk timestamps included. The agent read the same
// run from debugfs: 397 passed, 1 skipped (tests/fixtures/agent/README.md).
}  // namespace
}  // namespace rfl::agent
