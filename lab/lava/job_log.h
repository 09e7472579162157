#pragma once
// A LAVA job's log as its REST API serves it (/api/v0.2/jobs/<id>/logs/):
// a YAML list, one entry per line, `{dt, lvl, msg}`. What the guest printed
// has lvl `target` (and `feedback` after the boot action matched its prompt);
// the job's own verdict is the `results` entry of case `job`.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/util/result.h"

namespace rfl::lava {

struct LogEntry {
  double at = 0;       // dt as seconds since the epoch (UTC); 0 when unreadable
  std::string level;   // target, feedback, info, debug, error, results, input …
  std::string text;    // msg when it is a string (empty for lists and maps)
  // Set for `results` entries: the case, its result and, for case `job`,
  // LAVA's error type and message.
  std::string result_case, result, error_type, error_msg;
};

// Parses one chunk of the log (any number of whole entries). Kind::kInternal
// when the text is not LAVA's log format.
[[nodiscard]] Result<std::vector<LogEntry>> ParseLogChunk(std::string_view yaml_text);

// A guest line as the guest printed it. LAVA's dispatcher escapes every '"'
// as '\"' in target lines (lava_dispatcher/shell.py, ShellLogger, "escape
// double quotes for YAML syntax") and drops '\r' and ESC; this undoes the
// escaping, so the agent's checksummed records decode.
std::string GuestLine(std::string_view logged);

// True for lines the guest printed (target and feedback).
bool IsGuestOutput(const LogEntry& e);

}  // namespace rfl::lava
