#pragma once
// A corner of a scenario's matrix, chosen on the command line
// (`rfl-lab run FILE --variant V --arch A --toolchain T --kernel K`), so a
// part of a study runs without editing its file. The scenario is narrowed
// before it is expanded into a plan; its text (stored with the run) stays
// the file's.
#include <string>
#include <vector>

#include "lab/scenario/model.h"
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

}  // namespace rfl::scenario
