#pragma once
// Logging: spdlog to stderr. Levels: --quiet = warn, default = info,
// --verbose = debug. User-facing results go to stdout, never through here.
#include <spdlog/spdlog.h>

namespace rfl {
void ConfigureLogging(int verbosity);  // -1 quiet, 0 normal, 1+ verbose
}
