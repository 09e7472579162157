#include "lab/report/matrix_grid.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <tuple>

namespace rfl::report {
namespace {

template <typename T>
void AddOnce(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

}  // namespace

const results::OutcomeCell* MatrixGrid::At(const std::string& kernel, const std::string& toolchain) const {
  auto it = cells.find({kernel, toolchain});
  return it == cells.end() ? nullptr : it->second;
}

std::string MatrixGrid::KernelName(const std::string& kernel) const {
  auto it = versions.find(kernel);
  return it == versions.end() ? kernel : it->second;
}

std::vector<MatrixGrid> MatrixGrids(const std::vector<results::OutcomeCell>& outcomes, int64_t run_id) {
  std::set<std::string> toolchains, kernels;
  for (const auto& c : outcomes) {
    if (run_id != 0 && c.run_id != run_id) continue;
    toolchains.insert(c.toolchain);
    kernels.insert(c.kernel);
  }
  if (toolchains.size() <= 1 && kernels.size() <= 1) return {};
  std::vector<MatrixGrid> grids;
  for (const auto& c : outcomes) {
    if (run_id != 0 && c.run_id != run_id) continue;
    auto it = std::find_if(grids.begin(), grids.end(),
                           [&](const MatrixGrid& g) { return g.arch == c.arch && g.variant == c.variant; });
    if (it == grids.end()) {
      grids.push_back({c.arch, c.variant, {}, {}, {}, {}, {}});
      it = grids.end() - 1;
    }
    AddOnce(it->kernels, c.kernel);
    AddOnce(it->toolchains, c.toolchain);
    if (!c.rustc_version.empty()) it->rustc.try_emplace(c.toolchain, c.rustc_version);
    if (!c.kernel_version.empty()) it->versions.try_emplace(c.kernel, c.kernel_version);
    it->cells[{c.kernel, c.toolchain}] = &c;
  }
  for (auto& g : grids) std::sort(g.kernels.begin(), g.kernels.end());
  return grids;
}

std::string GridCellText(const results::OutcomeCell& c) {
  std::string status = c.Status();
  if (status == "build-failed") return c.failure_class.empty() ? "build failed" : "build failed: " + c.failure_class;
  if (status == "expected-failure" && c.boots == 0) return "build failed as expected";
  if (status == "not-run") return "not run";
  std::vector<std::string> parts{c.build == results::BuildOutcome::kCacheHit ? "built (cached)" : "built"};
  if (c.boots > 0) parts.push_back(fmt::format("boots {}/{}", c.passed, c.boots));
  int ran = 0, all_passed = 0;
  std::vector<std::string> notes;
  for (const auto& [name, t] : c.workloads) {
    if (t.passed + t.failed == 0) {
      notes.push_back(name + " skipped");
      continue;
    }
    ++ran;
    if (t.failed == 0) {
      ++all_passed;
    } else {
      notes.push_back(name + " failed");
    }
  }
  if (ran > 0 || !notes.empty()) {
    parts.push_back(fmt::format("workloads {}/{}{}", all_passed, ran,
                                notes.empty() ? "" : fmt::format(" ({})", fmt::join(notes, ", "))));
  }
  return fmt::format("{}", fmt::join(parts, " · "));
}

}  // namespace rfl::report
