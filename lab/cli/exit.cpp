#include "lab/cli/exit.h"

namespace rfl::cli {

ExitCode ExitCodeFor(Error::Kind kind) {
  switch (kind) {
    case Error::Kind::kInput:
    case Error::Kind::kNotFound: return ExitCode::kBadInput;
    case Error::Kind::kCancelled: return ExitCode::kInterrupted;
    case Error::Kind::kInternal:
    case Error::Kind::kTimeout: return ExitCode::kLabFailure;
  }
  return ExitCode::kLabFailure;
}

ExitCode ExitCodeForRun(results::RunStatus status, bool findings) {
  switch (status) {
    case results::RunStatus::kCompleted: return ExitCodeForFindings(findings);
    case results::RunStatus::kInterrupted: return ExitCode::kInterrupted;
    case results::RunStatus::kFailed:
    case results::RunStatus::kRunning: return ExitCode::kLabFailure;
  }
  return ExitCode::kLabFailure;
}

namespace {
int Rank(ExitCode c) {
  switch (c) {
    case ExitCode::kOk: return 0;
    case ExitCode::kFindings: return 1;
    case ExitCode::kBadInput: return 2;
    case ExitCode::kLabFailure: return 3;
    case ExitCode::kInterrupted: return 4;
  }
  return 3;
}
}  // namespace

ExitCode Worst(ExitCode a, ExitCode b) { return Rank(a) >= Rank(b) ? a : b; }

}  // namespace rfl::cli
