// The KTAP parser on the logs the kernel's own kunit_tool tests use
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

TEST(Ktap, CapturedRustKunitConsoleOfALabKernel) {
  std::ifstream in(fs::path(RFL_LAB_FIXTURES_DIR) / "agent" / "ktap-rust-kunit-x86_64-7.3-console.log");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  KtapResult r = ParseKtap(text.str());
  ASSERT_TRUE(r.found);
  EXPECT_TRUE(r.ktap);
  EXPECT_EQ(r.version, 1);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.main.expected_count, 10);
  std::vector<std::string> suites;
  for (const auto& t : r.main.subtests) {
    suites.push_back(t.name);
    EXPECT_EQ(t.status, KtapStatus::kPass) << t.name;
  }
  EXPECT_EQ(suites, (std::vector<std::string>{"rust_kernel_fmt", "rust_kernel_str", "rust_kernel_kunit",
                                              "rust_kernel_bitmap", "rust_kernel_bitfield", "rust_kvec",
                                              "rust_allocator", "rust_spinlock_irq_condvar", "rust_atomics",
                                              "rust_doctests_kernel"}));
  EXPECT_EQ(r.counts.passed, 397);
  EXPECT_EQ(r.counts.skipped, 1);
  EXPECT_EQ(r.counts.failed + r.counts.crashed, 0);
  auto cases = LeafCases(r);
  EXPECT_EQ(cases.size(), 398u);
  auto skipped = std::find_if(cases.begin(), cases.end(), [](const KtapCase& c) { return c.status == KtapStatus::kSkip; });
  ASSERT_NE(skipped, cases.end());
  EXPECT_EQ(skipped->suite, "rust_kernel_kunit");
  EXPECT_EQ(skipped->name, "rust_test_kunit_always_disabled_test");
  size_t doctests = std::count_if(cases.begin(), cases.end(), [](const KtapCase& c) { return c.suite == "rust_doctests_kernel"; });
  EXPECT_GT(doctests, 300u);
}

// Hand-written KTAP v1 in the layout the kernel prints today (indented
// subtests with their own version lines, parameterized tests, directives).
TEST(Ktap, NestedKtapV1WithParameterizedCasesAndDirectives) {
  auto r = ParseKtap(
      "KTAP version 1\n"
      "1..2\n"
      "    KTAP version 1\n"
      "    # Subtest: rust_doctests_kernel\n"
      "    # speed: normal\n"
      "    1..3\n"
      "    ok 1 rust_doctest_kernel_alloc_0\n"
      "        KTAP version 1\n"
      "        # Subtest: param\n"
      "        ok 1 a\n"
      "        ok 2 b # SKIP not on this arch\n"
      "    # param: pass:1 fail:0 skip:1 total:2\n"
      "    ok 2 param\n"
      "    not ok 3 rust_doctest_kernel_sync_1 # TODO known broken\n"
      "# rust_doctests_kernel: pass:2 fail:0 skip:0 total:3\n"
      "ok 1 rust_doctests_kernel\n"
      "    KTAP version 1\n"
      "    # Subtest: rust_kernel_kunit\n"
      "    1..1\n"
      "    not ok 1 rust_test_kunit_example_test\n"
      "not ok 2 rust_kernel_kunit\n");
  EXPECT_TRUE(r.found && r.ktap);
  EXPECT_EQ(r.version, 1);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  auto cases = LeafCases(r);
  ASSERT_EQ(cases.size(), 5u);
  EXPECT_EQ(cases[0].suite, "rust_doctests_kernel");
  EXPECT_EQ(cases[1].suite, "rust_doctests_kernel/param");
  EXPECT_EQ(cases[2].status, KtapStatus::kSkip);
  EXPECT_EQ(cases[2].directive, "SKIP not on this arch");
  EXPECT_EQ(cases[3].status, KtapStatus::kTodo);
  EXPECT_EQ(cases[4].status, KtapStatus::kFail);
  EXPECT_EQ(r.counts.passed, 2);
  EXPECT_EQ(r.status, KtapStatus::kFail);
}

TEST(Ktap, AFailedCaseKeepsTheAssertionKunitPrintedBeforeItsResult) {
  auto r = ParseKtap(
      "KTAP version 1\n"
      "1..1\n"
      "    KTAP version 1\n"
      "    # Subtest: example\n"
      "    1..2\n"
      "    ok 1 example_simple_test\n"
      "    # example_fail_test: EXPECTATION FAILED at lib/kunit/kunit-example-test.c:42\n"
      "    Expected 1 + 1 == 3, but\n"
      "        1 + 1 == 2 (0x2)\n"
      "    not ok 2 example_fail_test\n"
      "not ok 1 example\n");
  auto cases = LeafCases(r);
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_TRUE(cases[0].log.empty()) << "a passing case carries no diagnostics";
  ASSERT_EQ(cases[1].status, KtapStatus::kFail);
  ASSERT_EQ(cases[1].log.size(), 3u);
  EXPECT_NE(cases[1].log[0].find("EXPECTATION FAILED at lib/kunit/kunit-example-test.c:42"), std::string::npos)
      << cases[1].log[0];
  EXPECT_NE(cases[1].log[1].find("Expected 1 + 1 == 3"), std::string::npos);
}

TEST(Ktap, MissingResultsAfterACrashBecomeCrashedCases) {
  auto r = ParseKtap(
      "[    1.000000] KTAP version 1\n"
      "[    1.000000] 1..1\n"
      "[    1.000000]     # Subtest: s\n"
      "[    1.000000]     1..3\n"
      "[    1.000000]     ok 1 first\n"
      "[    1.000100]     BUG: kernel NULL pointer dereference, address: 0000000000000000\n");
  EXPECT_EQ(r.status, KtapStatus::kCrashed);
  EXPECT_EQ(r.counts.passed, 1);
  EXPECT_EQ(r.counts.crashed, 2);
  ASSERT_EQ(r.main.subtests.size(), 1u);
  ASSERT_EQ(r.main.subtests[0].subtests.size(), 3u);
  // The oops text stays with the case that never finished.
  ASSERT_FALSE(r.main.subtests[0].subtests[1].log.empty());
  EXPECT_NE(r.main.subtests[0].subtests[1].log[0].find("BUG:"), std::string::npos);
}

// kunit_tool_test.py's test_parse_late_test_plan.
TEST(Ktap, LatePlanCountsTheResultAndTwoErrors) {
  auto r = ParseKtap("TAP version 13\nok 4 test4\n1..4\n");
  EXPECT_EQ(r.status, KtapStatus::kPass);
  EXPECT_EQ(r.counts.passed, 1);
  EXPECT_EQ(r.errors.size(), 2u);
}

TEST(Ktap, WrongTestNumberIsReported) {
  auto r = ParseKtap("KTAP version 1\n1..2\nok 1 a\nok 3 b\n");
  EXPECT_EQ(r.counts.passed, 2);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "b: Expected test number 2 but found 3");
}

}  // namespace
}  // namespace rfl::agent
