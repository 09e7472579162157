#pragma once
// State shared by every subcommand: global options and resolved directories.
// Subcommand callbacks set `exit_code`; main returns it.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "lab/util/paths.h"

namespace rfl::cli {

struct CliContext {
  std::optional<std::string> cache_dir_option;
  std::optional<std::string> state_dir_option;
  int verbosity = 0;  // -1 quiet, 0 normal, 1+ verbose
  int exit_code = 0;
  // Resolved after parsing (options, then environment, then XDG).
  LabDirs Dirs() const { return ResolveLabDirs(cache_dir_option, state_dir_option); }
};

// Builds the whole command tree on `app`.
void RegisterCommands(CLI::App& app, CliContext& ctx);

}  // namespace rfl::cli
