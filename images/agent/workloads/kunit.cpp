// kunit: KTAP results of the suites that ran at boot, from debugfs
// (/sys/kernel/debug/kunit/<suite>/results) or, without debugfs, from the
// kernel log. One test-case record per leaf test.
#include <fnmatch.h>

#include "images/agent/ktap.h"
#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {
namespace {

bool Selected(const KunitParams& p, const std::string& suite) {
  if (p.suites.empty()) return true;
  for (const auto& glob : p.suites) {
    if (fnmatch(glob.c_str(), suite.c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace

Outcome RunKunit(const KunitParams& p, Reporter& r) {
  std::vector<std::pair<std::string, KtapResult>> parsed;  // (source, result)
  const std::string debugfs = "/sys/kernel/debug/kunit";
  std::string source;
  if (Exists(debugfs)) {
    source = "debugfs";
    for (const auto& suite : ListDir(debugfs)) {
      if (!Selected(p, suite)) continue;
      auto text = ReadText(debugfs + "/" + suite + "/results");
      if (!text) continue;
      parsed.emplace_back(suite, ParseKtap(*text));
    }
  } else {
    source = "kmsg";
    std::string text;
    for (const auto& rec : ReadKmsg()) text += rec.message + "\n";
    parsed.emplace_back("kmsg", ParseKtap(text));
  }
  KtapCounts totals;
  int suites = 0;
  std::vector<std::string> errors;
  for (const auto& [origin, result] : parsed) {
    if (!result.found) continue;
    for (const auto& e : result.errors) errors.push_back(origin + ": " + e);
    for (const auto& c : LeafCases(result)) {
      std::string suite = c.suite;
      std::string top = suite.substr(0, suite.find('/'));
      if (!Selected(p, top.empty() ? origin : top)) continue;
      std::string diagnostics;
      for (const auto& line : c.log) diagnostics += (diagnostics.empty() ? "" : "\n") + line;
      if (diagnostics.size() > 4096) diagnostics.erase(0, diagnostics.size() - 4096);
      r.AddTestCase(suite, c.name, std::string(KtapStatusName(c.status)), c.directive, std::move(diagnostics));
      switch (c.status) {
        case KtapStatus::kPass: ++totals.passed; break;
        case KtapStatus::kFail: ++totals.failed; break;
        case KtapStatus::kSkip: ++totals.skipped; break;
        case KtapStatus::kTodo: ++totals.todo; break;
        case KtapStatus::kCrashed: ++totals.crashed; break;
        case KtapStatus::kNoTests: ++totals.no_tests; break;
      }
    }
    suites += static_cast<int>(result.main.subtests.size());
  }
  for (size_t i = 0; i < errors.size() && i < 20; ++i) r.AddLog("warn", "KTAP: " + errors[i]);
  if (totals.total() == 0) {
    return Outcome::Skipped("no KTAP results in " + source + " (kernel without KUNIT, or no suite matched)");
  }
  for (auto [status, count] : {std::pair{"pass", totals.passed}, std::pair{"fail", totals.failed},
                               std::pair{"skip", totals.skipped}, std::pair{"crashed", totals.crashed}}) {
    r.AddSample("test_cases", Unit::kCount, count, {{"status", status}});
  }
  std::string summary = std::to_string(totals.passed) + " passed, " + std::to_string(totals.failed) +
                        " failed, " + std::to_string(totals.crashed) + " crashed, " +
                        std::to_string(totals.skipped) + " skipped (" + source + ")";
  if (totals.failed > 0 || totals.crashed > 0) return Outcome::Failed(summary);
  return Outcome::Passed(summary);
}

}  // namespace rfl::agent
