// rfl-lab: thin executable; everything lives in lab_core.
#include <CLI/CLI.hpp>

#include "lab/cli/context.h"
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
  app.parse_complete_callback([&] { rfl::ConfigureLogging(ctx.verbosity); });
  rfl::cli::RegisterCommands(app, ctx);
  // Argument errors get the same prefix as every other error of the CLI.
  app.failure_message([&ctx](const CLI::App*, const CLI::Error& e) {
    return rfl::cli::MessagePrefix(ctx.command) + "error: " + e.what() + "\n" +
           "run 'rfl-lab " + (ctx.command.empty() ? std::string() : ctx.command + " ") + "--help' for the options\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return static_cast<int>(rc == 0 ? rfl::cli::ExitCode::kOk : rfl::cli::ExitCode::kBadInput);
  }
  return static_cast<int>(ctx.exit);
}
