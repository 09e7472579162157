// Recipe versions against Debian's real archive: a recipe asking for a rustc
// the archive no longer has fails before mmdebstrap runs, naming what the
// archive offers (the unit tests do the same on captured indices).
#include <gtest/gtest.h>

#include "lab/toolchain/archive.h"
#include "lab/toolchain/recipe.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"

namespace rfl::toolchain {
namespace {
namespace fs = std::filesystem;

TEST(ToolchainArchive, ARecipeForARustcTheArchiveLacksFailsWithTheArchivesOffer) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-archive-");
  ASSERT_TRUE(tmp.has_value());
  fs::path data = tmp->path() / "data", cache = tmp->path() / "cache";
  // rustc 1.50 was never in trixie: whatever the archive has today, this
  // recipe cannot be made, and the message lists today's offer.
  ASSERT_TRUE(WriteFileAtomic(data / "images/toolchains/rustc-1.50.yaml",
                              "name: rustc-1.50\nsuite: trixie\nextra_suites: [trixie-backports]\n"
                              "versions: {rustc: \"1.50.*\"}\npackages: [rustc, rust-src]\n")
                  .has_value());
  auto tc = Provision(cache, data, "rustc-1.50", DefaultRunner());
  ASSERT_FALSE(tc.has_value());
  EXPECT_EQ(tc.error().kind, Error::Kind::kInternal);
  const std::string& m = tc.error().message;
  EXPECT_NE(m.find("toolchain rustc-1.50 wants rustc 1.50.* but http://deb.debian.org/debian (trixie, "
                   "trixie-backports) has no such version"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("(rustc, trixie)"), std::string::npos) << m;
  EXPECT_NE(m.find("(rustc, trixie-backports)"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(cache / "toolchains/rustc-1.50")) << "no rootfs is made";
}

TEST(ToolchainArchive, TheShippedRecipesResolveAgainstTodaysArchive) {
  for (const char* name : {"rustc-1.85", "rustc-1.96", "rustc-1.97"}) {
    auto recipe = FindRecipe(DataDir(), name);
    ASSERT_TRUE(recipe.has_value()) << name;
    auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-archive-");
    ASSERT_TRUE(tmp.has_value());
    auto index = ReadArchiveIndex(*recipe, tmp->path(), DefaultRunner());
    ASSERT_TRUE(index.has_value()) << index.error().message;
    auto pins = ResolvePins(*recipe, *index);
    EXPECT_TRUE(pins.has_value()) << (pins ? "" : pins.error().message);
  }
}

}  // namespace
}  // namespace rfl::toolchain
