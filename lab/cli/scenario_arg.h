#pragma once
// Loading a scenario named on the command line: diagnostics go to stderr
// (all of them), and nullopt means "bad input, exit 2". And the options that
// choose a corner of its matrix.
#include <memory>
#include <optional>
#include <string>

#include "lab/cli/context.h"
#include "lab/scenario/load.h"
#include "lab/scenario/select.h"

namespace rfl::cli {

// Loads and validates; prints warnings and errors to stderr. The Scenario is
// heap-held so plans can point at it. `-` reads the scenario from standard
// input (diagnostics name it <stdin>).
std::optional<std::shared_ptr<scenario::LoadedScenario>> LoadScenarioForCli(const std::string& path,
                                                                             const CliContext& ctx);

// --variant, --arch, --toolchain, --kernel (each repeatable) into `sel`;
// `variant_help` says what selecting a variant means for the command.
void AddSelectionOptions(CLI::App* cmd, scenario::Selection& sel, const std::string& variant_help);

}  // namespace rfl::cli
