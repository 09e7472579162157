#include "lab/cli/scenario_arg.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "lab/scenario/input_limits.h"

namespace rfl::cli {
namespace {
constexpr const char* kStdinName = "<stdin>";
}  // namespace

std::optional<std::shared_ptr<scenario::LoadedScenario>> LoadScenarioForCli(const std::string& path,
                                                                             const CliContext& ctx) {
  auto catalog = scenario::Catalog::FromDataDir(ctx.Dirs().data);
  std::shared_ptr<scenario::LoadedScenario> loaded;
  if (path == "-") {
    // Standard input: named <stdin> in diagnostics; relative paths in it
    // (fragments, path: sources) resolve from the current directory.
    auto text = scenario::ReadScenarioFd(STDIN_FILENO);
    if (!text) {
      std::cerr << kStdinName << ": error: " << text.error().message << "\n";
      return std::nullopt;
    }
    std::error_code ec;
    auto cwd = std::filesystem::current_path(ec);
    if (ec) {
      std::cerr << kStdinName << ": error: the current directory is gone: " << ec.message() << "\n";
      return std::nullopt;
    }
    loaded = std::make_shared<scenario::LoadedScenario>(scenario::ParseScenario(kStdinName, *text, cwd, catalog));
  } else {
    loaded = std::make_shared<scenario::LoadedScenario>(scenario::LoadScenario(path, catalog));
  }
  const auto& diags = loaded->diagnostics;
  if (!diags.all().empty()) std::cerr << diags.Render();
  if (diags.HasErrors()) {
    int n = diags.ErrorCount();
    std::cerr << (path == "-" ? std::string(kStdinName) : path) << ": " << n << (n == 1 ? " error\n" : " errors\n");
    return std::nullopt;
  }
  return loaded;
}

void AddSelectionOptions(CLI::App* cmd, scenario::Selection& sel, const std::string& variant_help) {
  cmd->add_option("--variant", sel.variants, variant_help);
  cmd->add_option("--arch", sel.arches, "Only these arches: x86_64, arm64, riscv64 (repeatable)");
  cmd->add_option("--toolchain", sel.toolchains, "Only these toolchains (repeatable)");
  cmd->add_option("--kernel", sel.kernels, "Only these kernels: 7.3 or debian:linux-source-7.3 (repeatable)");
}

}  // namespace rfl::cli
