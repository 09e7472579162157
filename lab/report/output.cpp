#include "lab/report/output.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "lab/util/paths.h"

namespace rfl::report {

Status WriteReport(std::string_view text, const std::string& output) {
  if (output.empty() || output == "-") {
    std::cout << text;
    std::cout.flush();
    if (!std::cout) return Fail("writing the report to stdout failed");
    return {};
  }
  return WriteFileAtomic(output, text);
}

bool ColorFor(const std::string& output) {
  return (output.empty() || output == "-") && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
}

}  // namespace rfl::report
