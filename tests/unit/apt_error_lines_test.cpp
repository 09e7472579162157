// What a failed apt or mmdebstrap run is summed up as, on a captured log.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "lab/toolchain/private_apt.h"
#include "lab/util/paths.h"

namespace rfl::toolchain {
namespace {

// mmdebstrap 1.3.5 on bookworm, six sources.list lines naming `main` again
// and again (18 "configured multiple times" warnings) and a package that
// does not exist: the E: lines come after the warnings.
TEST(AptErrorLines, KeepTheErrorsAheadOfARunOfWarnings) {
  auto log = ReadFile(std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "toolchain" /
                      "mmdebstrap-unknown-package-duplicate-sources.log");
  ASSERT_TRUE(log.has_value());
  std::string lines = AptErrorLines(*log);
  EXPECT_EQ(lines.substr(0, lines.find('\n')), "E: Unable to locate package rfl-no-such-package");
  EXPECT_NE(lines.find("E: mmdebstrap failed to run"), std::string::npos) << lines;
  EXPECT_NE(lines.find("W: Target Packages"), std::string::npos) << "warnings fill what the errors leave";
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 7) << "at most 8 lines";
}

TEST(AptErrorLines, ATransferErrorAnywhereInALineCounts) {
  std::string out = "Ign:2 http://deb.debian.org/debian x InRelease\nErr:3 http://deb.debian.org/debian x Release\n"
                    "  404  Not Found\nE: The repository 'x' does not have a Release file.\n";
  EXPECT_EQ(AptErrorLines(out), "Err:3 http://deb.debian.org/debian x Release\n"
                                "E: The repository 'x' does not have a Release file.");
}

TEST(AptErrorLines, WithoutAnAptLineTheTailSaysIt) {
  EXPECT_EQ(AptErrorLines("some tool said\nno\n\n"), "some tool said\nno");
}

}  // namespace
}  // namespace rfl::toolchain
