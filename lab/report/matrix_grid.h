#pragma once
// The compiler × kernel truth table of a run: for each (arch, variant), a
// grid with one row per kernel and one column per toolchain, each cell
// saying whether the kernel built, how many boots passed and how many of its
// workloads passed (a workload the kernel lacks is counted as skipped, not
// failed). Shown by the table and HTML reports when a run has more than one
// toolchain or more than one kernel.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lab/results/comparison.h"

namespace rfl::report {

struct MatrixGrid {
  std::string arch;
  std::string variant;
  std::vector<std::string> kernels;     // rows, sorted by label
  std::vector<std::string> toolchains;  // columns, in run order
  std::map<std::string, std::string> rustc;  // toolchain → `rustc -vV` first line of its builds
  std::map<std::string, std::string> versions;  // kernel label → exact version ("7.3.4") when recorded
  // The row's name: the exact version when recorded, else the label.
  std::string KernelName(const std::string& kernel) const;
  std::map<std::pair<std::string, std::string>, const results::OutcomeCell*> cells;  // (kernel, toolchain)
  const results::OutcomeCell* At(const std::string& kernel, const std::string& toolchain) const;
};

// The grids of a run's outcome cells; empty when there is only one
// toolchain and one kernel (the Outcomes table says it all then). Cells of a
// compare's two runs are not mixed: only `run_id`'s (0: all) count.
std::vector<MatrixGrid> MatrixGrids(const std::vector<results::OutcomeCell>& outcomes, int64_t run_id = 0);

// "built · boots 5/5 · workloads 2/3 (binder skipped)", "build failed:
// rustc-too-old", "not run".
std::string GridCellText(const results::OutcomeCell& c);

}  // namespace rfl::report
