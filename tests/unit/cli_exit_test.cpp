// The one map from outcomes to exit statuses (README, "Exit codes").
#include <gtest/gtest.h>

#include "lab/cli/exit.h"

namespace rfl::cli {
namespace {

TEST(ExitCodes, ErrorKindsMapToTheDocumentedStatuses) {
  EXPECT_EQ(ExitCodeFor(Error::Kind::kInput), ExitCode::kBadInput);
  EXPECT_EQ(ExitCodeFor(Error::Kind::kNotFound), ExitCode::kBadInput);
  EXPECT_EQ(ExitCodeFor(Error::Kind::kCancelled), ExitCode::kInterrupted);
  EXPECT_EQ(ExitCodeFor(Error::Kind::kInternal), ExitCode::kLabFailure);
  EXPECT_EQ(ExitCodeFor(Error::Kind::kTimeout), ExitCode::kLabFailure);
  EXPECT_EQ(static_cast<int>(ExitCode::kOk), 0);
  EXPECT_EQ(static_cast<int>(ExitCode::kFindings), 1);
  EXPECT_EQ(static_cast<int>(ExitCode::kBadInput), 2);
  EXPECT_EQ(static_cast<int>(ExitCode::kLabFailure), 3);
  EXPECT_EQ(static_cast<int>(ExitCode::kInterrupted), 130);
}

TEST(ExitCodes, EveryRunStatusAndFindingsMix) {
  using results::RunStatus;
  EXPECT_EQ(ExitCodeForRun(RunStatus::kCompleted, false), ExitCode::kOk);
  EXPECT_EQ(ExitCodeForRun(RunStatus::kCompleted, true), ExitCode::kFindings);
  EXPECT_EQ(ExitCodeForRun(RunStatus::kInterrupted, false), ExitCode::kInterrupted);
  EXPECT_EQ(ExitCodeForRun(RunStatus::kInterrupted, true), ExitCode::kInterrupted)
      << "an interrupted run's findings are partial; resume it";
  EXPECT_EQ(ExitCodeForRun(RunStatus::kFailed, false), ExitCode::kLabFailure);
  EXPECT_EQ(ExitCodeForRun(RunStatus::kFailed, true), ExitCode::kLabFailure);
  EXPECT_EQ(ExitCodeForRun(RunStatus::kRunning, false), ExitCode::kLabFailure);
}

TEST(ExitCodes, WorstKeepsTheMostSevere) {
  EXPECT_EQ(Worst(ExitCode::kOk, ExitCode::kFindings), ExitCode::kFindings);
  EXPECT_EQ(Worst(ExitCode::kBadInput, ExitCode::kFindings), ExitCode::kBadInput);
  EXPECT_EQ(Worst(ExitCode::kLabFailure, ExitCode::kBadInput), ExitCode::kLabFailure);
  EXPECT_EQ(Worst(ExitCode::kLabFailure, ExitCode::kInterrupted), ExitCode::kInterrupted);
  EXPECT_EQ(Worst(ExitCode::kInterrupted, ExitCode::kOk), ExitCode::kInterrupted);
}

}  // namespace
}  // namespace rfl::cli
