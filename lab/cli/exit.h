#pragma once
// The one map from what happened to the process's exit status, and the one
// error printer. Libraries return typed results (Error::Kind, findings, a
// run's status); only the CLI turns them into these numbers (README, "Exit
// codes").
#include <string_view>

#include "lab/results/records.h"
#include "lab/util/result.h"

namespace rfl::cli {

enum class ExitCode : int {
  kOk = 0,            // all good
  kFindings = 1,      // a regression, a failed boot, an unexpected build result
  kBadInput = 2,      // the scenario, a file or an argument is wrong
  kLabFailure = 3,    // the lab itself could not work (missing QEMU, no space, mirror down)
  kInterrupted = 130  // Ctrl-C; what was stored is kept
};

// What an operation's failure means for the exit status.
ExitCode ExitCodeFor(Error::Kind kind);
inline ExitCode ExitCodeFor(const Error& e) { return ExitCodeFor(e.kind); }
inline ExitCode ExitCodeForFindings(bool findings) { return findings ? ExitCode::kFindings : ExitCode::kOk; }

// A run that ended: interrupted → 130, failed (or still marked running) → 3,
// completed → 1 with findings, else 0.
ExitCode ExitCodeForRun(results::RunStatus status, bool findings);

// The more severe of two: interrupted > lab failure > bad input > findings > ok.
ExitCode Worst(ExitCode a, ExitCode b);

}  // namespace rfl::cli
