#pragma once
// Documented exit codes (README, docs/cli.md). CI gates on them.
#include "lab/util/result.h"

namespace rfl {
inline constexpr int kExitOk = 0;          // all good
inline constexpr int kExitFindings = 1;    // regressions, failed boots, unexpected build failures
inline constexpr int kExitBadInput = 2;    // the scenario or arguments are wrong
inline constexpr int kExitLabFailure = 3;  // the lab itself could not work
inline constexpr int kExitInterrupted = 130;  // Ctrl-C: stored results are kept

// The exit code for an operation that failed with `e`.
inline int ExitCodeFor(const Error& e) {
  if (e.kind == Error::Kind::kInput || e.kind == Error::Kind::kNotFound) return kExitBadInput;
  if (e.kind == Error::Kind::kCancelled) return kExitInterrupted;
  return kExitLabFailure;
}
}  // namespace rfl
