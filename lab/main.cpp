// rfl-lab: thin executable; everything lives in lab_core.
#include <algorithm>
#include <iostream>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "lab/cli/context.h"
#include "lab/scenario/diagnostics.h"
#include "lab/util/build_info.h"
#include "lab/util/cancel.h"
#include "lab/util/log.h"

int main(int argc, char** argv) {
  rfl::InstallInterruptHandlers();
  CLI::App app{"rfl-lab: build, boot and benchmark Rust-for-Linux kernels across compiler flags, "
               "rustc versions and architectures"};
  app.set_version_flag("--version", std::string("rfl-lab ") + rfl::build_info::kVersion);
  app.require_subcommand(1);
  rfl::cli::CliContext ctx;
  app.add_option("--cache-dir", ctx.cache_dir_option,
                 "Cache for toolchains, sources, build trees and artifacts "
                 "(env RFL_LAB_CACHE_DIR, default $XDG_CACHE_HOME/rfl-lab)");
  app.add_option("--state-dir", ctx.state_dir_option,
                 "State: results store, libvirt root, consoles "
                 "(env RFL_LAB_STATE_DIR, default $XDG_DATA_HOME/rfl-lab)");
  app.add_flag("-v,--verbose", [&](int64_t n) { ctx.verbosity = static_cast<int>(n); }, "More log output");
  app.add_flag("-q,--quiet", [&](int64_t) { ctx.verbosity = -1; }, "Only warnings and errors");
  app.parse_complete_callback([&] {
    rfl::ConfigureLogging(ctx.verbosity);
    auto dirs = rfl::ResolveLabDirs(ctx.cache_dir_option, ctx.state_dir_option);
    if (!dirs) throw CLI::ValidationError(dirs.error().message);
    ctx.dirs = *dirs;
  });
  rfl::cli::RegisterCommands(app, ctx);
  // Argument errors get the same prefix as every other error of the CLI.
  app.failure_message([&ctx](const CLI::App*, const CLI::Error& e) {
    return rfl::cli::MessagePrefix(ctx.command) + "error: " + e.what() + "\n" +
           "run 'rfl-lab " + (ctx.command.empty() ? std::string() : ctx.command + " ") + "--help' for the options\n";
  });
  // An unknown subcommand is named, with the closest one (CLI11 would only
  // say that a subcommand is required).
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--cache-dir" || a == "--state-dir") {
      ++i;
      continue;
    }
    if (a.starts_with("-")) continue;
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), a) == names.end()) {
      std::string closest;
      size_t best = 3;  // a transposition ("bulid") costs 2
      for (const auto& n : names) {
        if (size_t d = rfl::scenario::EditDistance(a, n); d < best) best = d, closest = n;
      }
      std::cerr << "rfl-lab: error: unknown subcommand '" << a << "'\n"
                << "hint: " << (closest.empty() ? rfl::scenario::SuggestHint(a, names)
                                                : "did you mean '" + closest + "'?")
                << "\n";
      return static_cast<int>(rfl::cli::ExitCode::kBadInput);
    }
    break;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return static_cast<int>(rc == 0 ? rfl::cli::ExitCode::kOk : rfl::cli::ExitCode::kBadInput);
  }
  return static_cast<int>(ctx.exit);
}
