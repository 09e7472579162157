#pragma once
// KUnit test cases across boots: what each cell ran (per case, how many of
// its boots saw which status) and what changed against the baseline, as
// kunit.py shows every case and a case that passes in the baseline and fails
// in a variant is a finding (docs/statistics.md, "KUnit test cases").
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lab/results/records.h"

namespace rfl::results {

// The axes a case is tallied under (a compare may rename one: 7.2→7.3).
struct CaseCell {
  std::string arch, toolchain, kernel;
  auto operator<=>(const CaseCell&) const = default;
  std::string Text() const;  // "x86_64/rustc-1.96/7.3"
};

// One case over a cell's boots (final attempts).
struct CaseTally {
  std::string suite;
  std::string name;
  std::map<std::string, int> statuses;  // status → boots
  int boots = 0;                        // boots that reported the case
  std::string reason;                   // first non-empty directive
  std::string diagnostics;              // of the first failed or crashed boot
  // The least good status seen: crashed > fail > todo > skip > no-tests > pass.
  std::string Worst() const;
  // "pass 5/5", "fail 2/5, pass 3/5"
  std::string Text() const;
};

// The cases of one cell (variant on arch/toolchain/kernel).
struct CellCases {
  int64_t run_id = 0;
  std::string arch, toolchain, kernel, variant;
  std::map<std::string, int> cases_by_worst;  // worst status → cases
  std::vector<CaseTally> cases;               // every case, suite/name order
  int total() const { return static_cast<int>(cases.size()); }
};

// A case whose statuses differ between the baseline and a variant.
struct CaseChange {
  std::string cell;      // "x86_64/rustc-1.96/7.3"
  std::string variant;   // the compared variant ("kcfi", or "run 12 kcfi")
  std::string baseline;  // the baseline side's label
  std::string suite, name;
  std::string before;    // CaseTally::Text of the baseline ("pass 5/5"; "absent")
  std::string after;
  // Passed in every baseline boot, failed or crashed in a variant boot.
  bool regression = false;
  std::string diagnostics;  // of the failing side
  std::string Text() const;  // one line, for findings and tables
};

// Cases per cell of a run, over final attempts; cells without cases left out.
std::vector<CellCases> KunitCells(const RunData& run);

// Changes of every non-baseline variant against the run's baseline variant
// in the same cell.
std::vector<CaseChange> CaseChanges(const RunData& run, const std::string& baseline);

// Changes of run B against run A; `cell_a`/`cell_b` name a boot's cell so
// that an axis the comparison drops (7.2→7.3) matches.
std::vector<CaseChange> CaseChanges(const RunData& a, const RunData& b,
                                    const std::function<CaseCell(const BootRecord&)>& cell_a,
                                    const std::function<CaseCell(const BootRecord&)>& cell_b);

}  // namespace rfl::results
