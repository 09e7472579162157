#pragma once
// Loading a scenario: YAML → validated Scenario, or every problem in the file
// as diagnostics with file:line:col, the source line, a caret and a hint.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lab/scenario/diagnostics.h"
#include "lab/scenario/model.h"

namespace rfl::scenario {

// What names the scenario may use: Kconfig fragments (images/kconfig/*.config)
// and toolchain recipes (images/toolchains/*.yaml) of the lab's data dir.
struct Catalog {
  std::filesystem::path kconfig_dir;
  std::filesystem::path toolchain_dir;
  std::vector<std::string> fragments;   // names without .config
  std::vector<std::string> toolchains;  // recipe names, plus "host"
  static Catalog FromDataDir(const std::filesystem::path& data_dir);
};

struct LoadedScenario {
  std::optional<Scenario> scenario;  // set when there is no error
  Diagnostics diagnostics;
};

// Reads and validates a file. Unreadable files are a diagnostic, not a throw.
LoadedScenario LoadScenario(const std::filesystem::path& path, const Catalog& catalog);

// Validates scenario text; `display_name` is used in diagnostics and `base_dir`
// resolves relative paths (fragments, path: sources).
LoadedScenario ParseScenario(const std::string& display_name, const std::string& text,
                             const std::filesystem::path& base_dir, const Catalog& catalog);

// Known workload names, in documentation order.
const std::vector<std::string>& KnownWorkloads();

// A workload with every parameter at its default, exactly as a scenario's
// `- NAME` line gives it (rfl-lab boot --workload NAME); nullopt for an
// unknown name.
std::optional<Workload> DefaultWorkload(std::string_view name);

}  // namespace rfl::scenario
