#include "lab/results/test_cases.h"

#include "lab/results/comparison.h"

#include <algorithm>
#include <array>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace rfl::results {
namespace {

constexpr std::array<std::string_view, 6> kWorstFirst = {"crashed", "fail", "todo", "skip", "no-tests", "pass"};

int Rank(std::string_view status) {
  auto it = std::find(kWorstFirst.begin(), kWorstFirst.end(), status);
  return static_cast<int>(it - kWorstFirst.begin());  // unknown statuses rank after pass
}

bool Failing(std::string_view status) { return status == "fail" || status == "crashed"; }


using Tallies = std::map<std::pair<CaseCell, std::string>, std::map<std::pair<std::string, std::string>, CaseTally>>;

// (cell, variant) → (suite, name) → tally.
Tallies Tally(const RunData& run, const std::function<CaseCell(const BootRecord&)>& cell) {
  Tallies out;
  for (const BootRecord* b : FinalAttempts(run)) {
    for (const auto& t : b->test_cases) {
      CaseTally& c = out[{cell(*b), b->variant}][{t.suite, t.name}];
      c.suite = t.suite;
      c.name = t.name;
      ++c.statuses[t.status];
      ++c.boots;
      if (c.reason.empty()) c.reason = t.reason;
      if (c.diagnostics.empty() && Failing(t.status)) c.diagnostics = t.diagnostics;
    }
  }
  return out;
}

CaseCell CellOf(const BootRecord& b) { return {b.arch, b.toolchain, b.kernel}; }

void Compare(const std::map<std::pair<std::string, std::string>, CaseTally>& base,
             const std::map<std::pair<std::string, std::string>, CaseTally>& var, const std::string& cell,
             const std::string& baseline_label, const std::string& variant_label, std::vector<CaseChange>& out) {
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& [k, v] : base) keys.insert(k);
  for (const auto& [k, v] : var) keys.insert(k);
  for (const auto& k : keys) {
    auto b = base.find(k), v = var.find(k);
    std::string before = b == base.end() ? "absent" : b->second.Text();
    std::string after = v == var.end() ? "absent" : v->second.Text();
    if (before == after) continue;
    CaseChange c{cell, variant_label, baseline_label, k.first, k.second, before, after, false, {}};
    bool all_pass = b != base.end() && b->second.statuses.size() == 1 && b->second.statuses.contains("pass");
    bool fails = v != var.end() && std::any_of(v->second.statuses.begin(), v->second.statuses.end(),
                                               [](const auto& s) { return Failing(s.first); });
    c.regression = all_pass && fails;
    if (v != var.end()) c.diagnostics = v->second.diagnostics;
    if (c.diagnostics.empty() && b != base.end()) c.diagnostics = b->second.diagnostics;
    out.push_back(std::move(c));
  }
}

}  // namespace

std::string CaseCell::Text() const { return fmt::format("{}/{}/{}", arch, toolchain, kernel); }

std::string CaseTally::Worst() const {
  std::string worst = "pass";
  int rank = Rank(worst);
  for (const auto& [status, n] : statuses) {
    if (n > 0 && Rank(status) < rank) {
      worst = status;
      rank = Rank(status);
    }
  }
  return statuses.empty() ? "" : worst;
}

std::string CaseTally::Text() const {
  std::vector<std::pair<std::string, int>> by(statuses.begin(), statuses.end());
  std::sort(by.begin(), by.end(), [](const auto& x, const auto& y) { return Rank(x.first) < Rank(y.first); });
  std::string out;
  for (const auto& [status, n] : by) out += fmt::format("{}{} {}/{}", out.empty() ? "" : ", ", status, n, boots);
  return out;
}

std::string CaseChange::Text() const {
  return fmt::format("{} {}: kunit {}/{} {} in {}, {} in {}", cell, variant, suite, name,
                     regression ? "passes" : "is", baseline + " (" + before + ")", regression ? "fails" : "is",
                     variant + " (" + after + ")");
}

std::vector<CellCases> KunitCells(const RunData& run) {
  std::vector<CellCases> out;
  for (auto& [cv, cases] : Tally(run, CellOf)) {
    CellCases c;
    c.run_id = run.run.id;
    c.variant = cv.second;
    c.arch = cv.first.arch;
    c.toolchain = cv.first.toolchain;
    c.kernel = cv.first.kernel;
    for (auto& [k, t] : cases) {
      ++c.cases_by_worst[t.Worst()];
      c.cases.push_back(std::move(t));
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<CaseChange> CaseChanges(const RunData& run, const std::string& baseline) {
  std::vector<CaseChange> out;
  Tallies t = Tally(run, CellOf);
  for (const auto& [cv, cases] : t) {
    if (cv.second == baseline) continue;
    auto base = t.find({cv.first, baseline});
    static const std::map<std::pair<std::string, std::string>, CaseTally> kNone;
    Compare(base == t.end() ? kNone : base->second, cases, cv.first.Text(), baseline, cv.second, out);
  }
  return out;
}

std::vector<CaseChange> CaseChanges(const RunData& a, const RunData& b,
                                    const std::function<CaseCell(const BootRecord&)>& cell_a,
                                    const std::function<CaseCell(const BootRecord&)>& cell_b) {
  std::vector<CaseChange> out;
  Tallies ta = Tally(a, cell_a), tb = Tally(b, cell_b);
  static const std::map<std::pair<std::string, std::string>, CaseTally> kNone;
  for (const auto& [cv, cases] : tb) {
    auto base = ta.find(cv);
    Compare(base == ta.end() ? kNone : base->second, cases, cv.first.Text(),
            fmt::format("run {} {}", a.run.id, cv.second),
            fmt::format("run {} {}", b.run.id, cv.second), out);
  }
  return out;
}

}  // namespace rfl::results
