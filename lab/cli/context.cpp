#include "lab/cli/context.h"

#include <iostream>

#include <fmt/format.h>

namespace rfl::cli {

std::string MessagePrefix(std::string_view command) {
  return command.empty() ? std::string("rfl-lab: ") : fmt::format("rfl-lab {}: ", command);
}

void CliContext::Fail(const Error& e) { Fail(ExitCodeFor(e), e.message); }

void CliContext::Fail(ExitCode code, std::string_view message) {
  std::cerr << MessagePrefix(command) << "error: " << message << "\n" << std::flush;
  Raise(code);
}

void CliContext::Warn(std::string_view message) const {
  std::cerr << MessagePrefix(command) << "warning: " << message << "\n" << std::flush;
}

}  // namespace rfl::cli
