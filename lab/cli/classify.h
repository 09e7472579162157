#pragma once
// rfl-lab classify, callable in process (the subcommand is a thin wrapper), so
// its exact output and exit codes are unit-tested as golden text.
#include <ostream>
#include <string>
#include <vector>

#include "lab/cli/exit.h"

namespace rfl::cli {

struct ClassifyOptions {
  std::string file;                  // a saved console log
  bool json = false;                 // print JSON instead of text
  std::vector<std::string> allowed;  // RE2 patterns excusing matching WARNING reports
};

// Classifies `o.file`, prints the answer to `out` (errors to `err`) and
// returns the exit status: 0 passed, 1 any other class, 2 bad input (missing or
// non-regular file, invalid pattern, or no kernel console in it: class
// `no-console`), 130 interrupted (Ctrl-C while reading).
ExitCode RunClassify(const ClassifyOptions& o, std::ostream& out, std::ostream& err);

}  // namespace rfl::cli
