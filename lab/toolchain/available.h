#pragma once
// `rfl-lab toolchain available`: which rustc, bindgen, clang and kernel
// sources the archive's suites offer now (archive.h reads them), which recipe
// makes each rustc, and a recipe to start from for a rustc without one.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/toolchain/archive.h"
#include "lab/toolchain/recipe.h"

namespace rfl::toolchain {

struct AvailableVersion {
  std::string tool;      // rustc | bindgen | clang | linux-source
  std::string version;   // upstream: 1.96.0
  std::string package;   // rustc-web
  std::string debian_version;
  std::string suite;
  std::vector<std::string> recipes;  // the recipes that deliver exactly this
};

struct Availability {
  std::vector<std::string> suites;
  std::vector<AvailableVersion> versions;  // by tool, then version
  // A recipe to start from for each rustc release no recipe delivers.
  std::vector<std::string> suggestions;
};

Availability SummarizeArchive(const std::vector<IndexEntry>& index, const std::vector<std::string>& suites,
                              const std::vector<Recipe>& recipes);

std::string RenderAvailability(const Availability& a);
nlohmann::json AvailabilityJson(const Availability& a);

}  // namespace rfl::toolchain
