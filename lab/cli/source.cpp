// rfl-lab source fetch SPEC...: download and unpack kernel sources into the
// cache (what `build` and `run` do on first use), and say where they are.
#include <iostream>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/kernel/source.h"

namespace rfl::cli {

void RegisterSourceCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("source", "Kernel sources in the cache (shared by every toolchain and arch)");
  cmd->require_subcommand(1);
  auto specs = std::make_shared<std::vector<std::string>>();
  auto* fetch = cmd->add_subcommand("fetch", "Download and unpack kernel sources; print version, id and directory");
  fetch->add_option("spec", *specs, "debian:linux-source-X.Y, path:DIR or tarball:FILE")->required();
  fetch->callback([&ctx, specs] {
    auto dirs = ctx.Dirs();
    for (const auto& spec : *specs) {
      auto source = kernel::ParseSourceSpec(spec);
      auto tree = source ? kernel::PrepareSource(*source, dirs.cache, DefaultRunner())
                         : Result<kernel::SourceTree>(std::unexpected(source.error()));
      if (!tree) {
        ctx.Fail(source ? tree.error().Wrap(spec) : tree.error());  // a bad spec names itself
        continue;
      }
      std::cout << fmt::format("{}: Linux {} ({}) in {}\n", spec, tree->kernel_version, tree->id, tree->dir.string());
    }
  });
}

}  // namespace rfl::cli
