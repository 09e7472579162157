#pragma once
// `--ccache-remote URL` for `build` and `run` (env RFL_LAB_CCACHE_REMOTE):
// C compiles share a ccache remote backend, e.g. a Redis server, across
// machines (docs/scaling.md). With it, each machine's local ccache layer
// moves from the shared cache to its own state dir.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "lab/kernel/build.h"
#include "lab/util/paths.h"

namespace rfl::cli {

// Adds the option; CLI11 checks the value with kernel::ValidateCcacheRemote.
void AddCcacheRemoteOption(CLI::App* cmd, std::optional<std::string>& remote);

// Sets the build context's remote backend and local layer from the option.
void ApplyCcacheRemote(const std::optional<std::string>& remote, const LabDirs& dirs, kernel::BuildContext& ctx);

}  // namespace rfl::cli
