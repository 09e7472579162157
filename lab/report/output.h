#pragma once
// Where a rendered report goes: a file (written atomically) or stdout, with
// colour only for a terminal and never when NO_COLOR is set.
#include <string>
#include <string_view>

#include "lab/util/result.h"

namespace rfl::report {

// `output` empty or "-" means stdout.
[[nodiscard]] Status WriteReport(std::string_view text, const std::string& output);
bool ColorFor(const std::string& output);

}  // namespace rfl::report
