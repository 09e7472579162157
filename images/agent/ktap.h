#pragma once
// A KTAP parser (Documentation/dev-tools/ktap.rst), following the structure
// and recovery rules of the kernel's own tools/testing/kunit/kunit_parser.py
// so the lab and kunit_tool agree on the same logs:
//
//  * KTAP output starts at a "KTAP version N" / "TAP version N" line; the
//    characters before it on that line (a console timestamp, a log prefix)
//    are stripped from every following line.
//  * A test is: optional version line, optional "# Subtest: name", optional
//    plan "1..N", its subtests, then its result line
//    "ok|not ok <n> [- ]<name>[ # SKIP|TODO reason]". Nesting is found by
//    structure, not indentation (real logs mix tabs, spaces and stray
//    unindented kernel lines).
//  * Anything else is a diagnostic line, kept in the log of the test being
//    parsed. A test whose result line never comes (the kernel crashed) is
//    "crashed"; a plan that announces more subtests than arrive adds crashed
//    placeholders, as kunit_tool does.
#include <string>
#include <string_view>
#include <vector>

namespace rfl::agent {

enum class KtapStatus { kPass, kFail, kSkip, kTodo, kCrashed, kNoTests };
std::string_view KtapStatusName(KtapStatus s);  // pass fail skip todo crashed no-tests

struct KtapTest {
  std::string name;
  int number = 0;              // from its result line
  KtapStatus status = KtapStatus::kCrashed;
  std::string directive;       // "SKIP reason" / "TODO reason", as written
  int expected_count = -1;     // from its plan; -1 = no plan
  std::vector<KtapTest> subtests;
  std::vector<std::string> log;     // diagnostic lines
  std::vector<std::string> errors;  // parse problems (missing result, wrong number)
};

struct KtapCounts {
  int passed = 0, failed = 0, skipped = 0, todo = 0, crashed = 0, no_tests = 0;
  int total() const { return passed + failed + skipped + todo + crashed + no_tests; }
};

struct KtapResult {
  bool found = false;      // a version line was seen
  int version = 0;         // from the first version line
  bool ktap = false;       // "KTAP version" (true) or "TAP version" (false)
  KtapTest main;           // name "main"; suites are its subtests
  KtapCounts counts;       // over leaf test cases (and parents failing on their own)
  std::vector<std::string> errors;  // all parse errors, "test name: message"
  // Overall, as kunit_tool decides it: no-tests if no case ran, crashed if
  // any crashed, else fail if any failed, else pass if any passed, else skip.
  KtapStatus status = KtapStatus::kNoTests;
};

// Parses kernel output (a console log, /dev/kmsg text, or a debugfs
// kunit/<suite>/results file).
KtapResult ParseKtap(std::string_view text);

// One leaf test case with its path: "suite" is the parent names joined by
// '/' (without "main"). A parent that reports "not ok" while none of its
// cases failed (suite init/exit failure) is listed too, as a failed case.
struct KtapCase {
  std::string suite;
  std::string name;
  KtapStatus status;
  std::string directive;
  // Diagnostic lines of a failed or crashed case (its last kMaxCaseLog
  // lines: the assertion text KUnit prints before "not ok").
  std::vector<std::string> log;
};
inline constexpr size_t kMaxCaseLog = 20;
std::vector<KtapCase> LeafCases(const KtapResult& result);

}  // namespace rfl::agent
