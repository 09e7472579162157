#pragma once
// State shared by every subcommand: global options, resolved directories,
// the exit status, and the one way to report an error. Subcommand callbacks
// report through Fail()/Raise(); main returns `exit`.
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "lab/cli/exit.h"
#include "lab/util/paths.h"

namespace rfl::cli {

struct CliContext {
  std::optional<std::string> cache_dir_option;
  std::optional<std::string> state_dir_option;
  int verbosity = 0;    // -1 quiet, 0 normal, 1+ verbose
  std::string command;  // the subcommand being run: "run", "toolchain provision"
  ExitCode exit = ExitCode::kOk;

  // Resolved once, when the arguments are parsed (options, then environment,
  // then XDG); a bad one is an argument error before any subcommand runs.
  LabDirs dirs;
  LabDirs Dirs() const { return dirs; }

  // Prints "rfl-lab <command>: error: <message>" to stderr and raises the
  // exit status to what the error's kind means.
  void Fail(const Error& e);
  // The same with an explicit status (a finding, bad input found by the CLI).
  void Fail(ExitCode code, std::string_view message);
  // "rfl-lab <command>: warning: <message>"; the exit status is unchanged.
  void Warn(std::string_view message) const;
  // Raises the exit status to `code` if that is more severe.
  void Raise(ExitCode code) { exit = Worst(exit, code); }
};

// "rfl-lab <command>: " — the prefix of every message the CLI prints itself.
std::string MessagePrefix(std::string_view command);

// Builds the whole command tree on `app`.
void RegisterCommands(CLI::App& app, CliContext& ctx);

}  // namespace rfl::cli
