#pragma once
// A corner of a scenario's matrix, chosen on the command line
// (`rfl-lab run FILE --variant V --arch A --toolchain T --kernel K`), so a
// part of a study runs without editing its file. The scenario is narrowed
// before it is expanded into a plan; its text (stored with the run) stays
// the file's.
#include <string>
#include <vector>

#include "lab/scenario/model.h"
#include "lab/scenario/plan.h"
#include "lab/util/result.h"

namespace rfl::scenario {

struct Selection {
  std::vector<std::string> variants;
  std::vector<std::string> arches;      // x86_64 | arm64 | riscv64
  std::vector<std::string> toolchains;  // as the scenario names them
  std::vector<std::string> kernels;     // a source's label ("7.3") or its spec ("debian:linux-source-7.3")
  bool empty() const { return variants.empty() && arches.empty() && toolchains.empty() && kernels.empty(); }
};

// Keeps, on each axis with a selection, the values selected, in the file's
// order. Every selected value must be one the scenario has: Kind::kInput
// otherwise, naming the value and the scenario's values. The baseline
// variant is kept whatever --variant says (every comparison needs it); the
// returned notes say so, one line each.
[[nodiscard]] Result<std::vector<std::string>> SelectCorner(Scenario& scenario, const Selection& selection);

// The selection as the options that make it, in a fixed order ("--kernel
// 7.3 --toolchain rustc-1.96 --arch x86_64 --variant ibt"); '' when empty.
// What a run stores and its reports show.
std::string FormatSelection(const Selection& selection);

// The check SelectCorner starts with, alone: every selected value is one the
// scenario has (Kind::kInput otherwise). For a caller that filters the
// expanded plan instead of narrowing the scenario (`build --shard`).
[[nodiscard]] Status CheckSelection(const Scenario& scenario, const Selection& selection);

// Whether a kernel source is selected: by its label or its spec (or no
// --kernel given).
bool SelectsKernel(const Selection& selection, const KernelSource& source);

// Whether a build of the expanded plan is in the selection: on each axis
// with a selection, its value is selected (a shared build: any of its
// variants). Unlike SelectCorner, the baseline is not kept by itself.
bool Matches(const Selection& selection, const BuildSpec& build);

}  // namespace rfl::scenario
