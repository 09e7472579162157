#include "lab/util/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace rfl {
void ConfigureLogging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("rfl-lab");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(verbosity < 0 ? spdlog::level::warn
                    : verbosity == 0 ? spdlog::level::info
                                     : spdlog::level::debug);
}
}  // namespace rfl
