// Recipe versions against the archive: the Packages stanzas in
// tests/fixtures/toolchain/packages/ are cut from Debian's real indices of
// 2026-11-30 (trixie, trixie-backports, forky; see the README there).
#include "lab/toolchain/archive.h"
#include "tests/support/golden.h"
#include "lab/toolchain/available.h"
#include "lab/toolchain/recipe.h"
#include "lab/toolchain/toolchain.h"
#include "lab/toolchain/versions.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "lab/util/paths.h"

namespace rfl::toolchain {
namespace {
namespace fs = std::filesystem;

const fs::path kData = RFL_LAB_SOURCE_DIR;
const fs::path kPackages = kData / "tests/fixtures/toolchain/packages";

std::vector<IndexEntry> Index(std::initializer_list<const char*> suites) {
  std::vector<IndexEntry> all;
  for (const char* suite : suites) {
    auto text = ReadFile(kPackages / (std::string(suite) + ".Packages"));
    EXPECT_TRUE(text.has_value()) << suite;
    auto entries = ParsePackagesIndex(*text, suite);
    all.insert(all.end(), entries.begin(), entries.end());
  }
  return all;
}

Recipe Shipped(const std::string& name) {
  auto r = FindRecipe(kData, name);
  EXPECT_TRUE(r.has_value()) << name;
  return *r;
}

TEST(DebianVersion, UpstreamPartDropsEpochRevisionAndRepackSuffix) {
  EXPECT_EQ(UpstreamVersion("1.96.0+dfsg1-1~deb13u1+b1"), "1.96.0");
  EXPECT_EQ(UpstreamVersion("1:19.0-63"), "19.0");
  EXPECT_EQ(UpstreamVersion("0.71.1-6"), "0.71.1");
  EXPECT_EQ(UpstreamVersion("7.3.4-1~bpo13+1"), "7.3.4");
  EXPECT_EQ(UpstreamVersion("1.0"), "1.0");
}

TEST(DebianVersion, ComparesAsDpkgDoes) {
  EXPECT_LT(CompareDebianVersions("1.96.0+dfsg1-1~deb13u1", "1.96.0+dfsg1-1~deb13u1+b1"), 0);
  EXPECT_LT(CompareDebianVersions("1.97.1+dfsg1-1~bpo13+1", "1.97.1+dfsg1-1"), 0);  // ~ sorts first
  EXPECT_GT(CompareDebianVersions("7.2.12-1~bpo13+1", "7.2.9-1~bpo13+1"), 0);
  EXPECT_GT(CompareDebianVersions("1:19.0-63", "21.1.8-1"), 0);  // the epoch wins
  EXPECT_EQ(CompareDebianVersions("0.71.1-6", "0.71.1-6"), 0);
  EXPECT_LT(CompareDebianVersions("1.0", "1.0a"), 0);
}

TEST(DebianVersion, PatternsMatchWholeComponents) {
  EXPECT_TRUE(VersionMatches("1.96.0", "1.96.*"));
  EXPECT_TRUE(VersionMatches("1.96", "1.96.*"));
  EXPECT_FALSE(VersionMatches("1.960.0", "1.96.*"));
  EXPECT_FALSE(VersionMatches("1.97.1", "1.96.*"));
  EXPECT_TRUE(VersionMatches("1.96.0", "1.96.0"));
  EXPECT_FALSE(VersionMatches("1.96.1", "1.96.0"));
  EXPECT_FALSE(VersionMatches("", "1.96.*"));
  EXPECT_TRUE(IsVersionPattern("19.*"));
  EXPECT_FALSE(IsVersionPattern("1.9*"));
  EXPECT_FALSE(IsVersionPattern("*"));
  EXPECT_FALSE(IsVersionPattern("1..2"));
}

TEST(ToolVersions, ReadFromWhatTheToolsPrint) {
  Versions v;
  v.rustc = "1.96.0";
  v.bindgen = "bindgen 0.71.1";
  v.clang = "Debian clang version 19.1.7 (3+b1)";
  EXPECT_EQ(ReportedVersion("rustc", v), "1.96.0");
  EXPECT_EQ(ReportedVersion("bindgen", v), "0.71.1");
  EXPECT_EQ(ReportedVersion("clang", v), "19.1.7");
  EXPECT_TRUE(CheckVersions(Shipped("rustc-1.96"), v).has_value());
}

// What a fresh provisioning of the old recipe got on 2026-11-30.
TEST(ToolVersions, ARootfsWithAnotherRustcIsRefusedNamingIt) {
  Versions v;
  v.rustc = "1.97.1";
  v.bindgen = "bindgen 0.71.1";
  v.clang = "";
  auto st = CheckVersions(Shipped("rustc-1.96"), v);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message,
            "toolchain rustc-1.96: rustc is 1.97.1 where the recipe says 1.96.*; clang is missing where the recipe "
            "says 19.*");
}

TEST(PackagesIndex, KeepsNameVersionAndProvides) {
  auto index = Index({"trixie"});
  auto web = std::find_if(index.begin(), index.end(), [](const IndexEntry& e) { return e.package == "rustc-web"; });
  ASSERT_NE(web, index.end());
  EXPECT_EQ(web->version, "1.96.0+dfsg1-1~deb13u1+b1");
  EXPECT_EQ(web->suite, "trixie");
  EXPECT_EQ(web->provides, (std::vector<std::string>{"rustc"}));
  EXPECT_TRUE(Delivers(*web, "rustc"));
  IndexEntry clang19{"clang-19", "1:19.1.7-3+b1", "trixie", {}};
  EXPECT_TRUE(Delivers(clang19, "clang"));
  EXPECT_FALSE(Delivers(IndexEntry{"clang-tools", "1", "trixie", {}}, "clang"));
  auto filtered = ParsePackagesIndex("Package: a\nVersion: 1\n\nPackage: b\nVersion: 2\nProvides: x,\n y (= 2)\n",
                                     "s", [](const IndexEntry& e) { return e.package == "b"; });
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0].provides, (std::vector<std::string>{"x", "y"}));
}

TEST(Pins, ShippedRecipesResolveToExactArchiveVersions) {
  auto pins = ResolvePins(Shipped("rustc-1.96"), Index({"trixie"}));
  ASSERT_TRUE(pins.has_value()) << pins.error().message;
  ASSERT_EQ(pins->size(), 3u);
  EXPECT_EQ((*pins)[0].package, "rustc-web");
  EXPECT_EQ((*pins)[0].version, "1.96.0+dfsg1-1~deb13u1+b1");
  auto packages = PinnedPackages(Shipped("rustc-1.96"), *pins);
  for (const char* p : {"rustc-web=1.96.0+dfsg1-1~deb13u1+b1", "bindgen=0.71.1-6", "clang=1:19.0-63", "lld"}) {
    EXPECT_NE(std::find(packages.begin(), packages.end(), p), packages.end()) << p;
  }
  auto old = ResolvePins(Shipped("rustc-1.85"), Index({"trixie"}));
  ASSERT_TRUE(old.has_value()) << old.error().message;
  EXPECT_EQ((*old)[0].version, "1.85.1+dfsg1-1+deb13u1");
  auto testing = ResolvePins(Shipped("rustc-1.97"), Index({"forky"}));
  ASSERT_TRUE(testing.has_value()) << testing.error().message;
  EXPECT_EQ((*testing)[1].version, "0.72.1-1+b3");
}

// The recipe before this fix: rustc from trixie-backports, which moved on.
TEST(Pins, AVersionTheArchiveNoLongerHasFailsNamingWhatItOffers) {
  auto r = ParseRecipe(
      "name: rustc-1.96\nsuite: trixie\nextra_suites: [trixie-backports]\npin:\n  suite: trixie-backports\n"
      "  packages: [rustc, rust-src]\nversions: {rustc: \"1.96.*\"}\npackages: [rustc, rust-src, clang]\n",
      "rustc-1.96.yaml");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  auto pins = ResolvePins(*r, Index({"trixie", "trixie-backports"}));
  ASSERT_FALSE(pins.has_value());
  EXPECT_EQ(pins.error().kind, Error::Kind::kInternal);  // exit 3: the archive changed, not the input
  EXPECT_EQ(pins.error().message,
            "toolchain rustc-1.96 wants rustc 1.96.* but http://deb.debian.org/debian (trixie, trixie-backports) has "
            "no such version of the recipe's packages; it offers rustc 1.85.1 (rustc, trixie), 1.96.0 (rustc-web, "
            "trixie), 1.97.1 (rustc, trixie-backports)");
}

TEST(Pins, ARecipeWhosePackagesCannotDeliverTheToolSaysSo) {
  auto r = ParseRecipe("name: t\nsuite: trixie\nversions: {bindgen: \"0.71.*\"}\npackages: [clang]\n", "t.yaml");
  ASSERT_TRUE(r.has_value());
  auto pins = ResolvePins(*r, Index({"trixie"}));
  ASSERT_FALSE(pins.has_value());
  EXPECT_EQ(pins.error().message,
            "toolchain t: no package of the recipe (clang) delivers bindgen in http://deb.debian.org/debian (trixie); "
            "the archive offers bindgen 0.71.1 (bindgen, trixie)");
}

}  // namespace
}  // namespace rfl::toolchain

namespace rfl::toolchain {
namespace {

std::vector<IndexEntry> AllSuites() {
  std::vector<IndexEntry> all;
  for (const char* suite : {"trixie", "trixie-backports", "forky"}) {
    auto text = ReadFile(kPackages / (std::string(suite) + ".Packages"));
    EXPECT_TRUE(text.has_value());
    auto e = ParsePackagesIndex(*text, suite);
    all.insert(all.end(), e.begin(), e.end());
  }
  return all;
}

// `rfl-lab toolchain available` on the captured indices and the shipped
// recipes; regenerate with RFL_LAB_UPDATE_GOLDEN=1 and review the diff.
TEST(Available, ListsEachVersionWithTheRecipesThatDeliverIt) {
  std::vector<Recipe> recipes;
  for (const auto& n : ListRecipeNames(kData)) recipes.push_back(*FindRecipe(kData, n));
  auto a = SummarizeArchive(AllSuites(), {"trixie", "trixie-backports", "forky"}, recipes);
  std::string got = RenderAvailability(a);
  fs::path golden = kData / "tests/fixtures/toolchain/available.golden";
  test::ExpectMatchesGolden(golden, got);
  EXPECT_TRUE(a.suggestions.empty()) << "every rustc release here has a recipe";
}

TEST(Available, ARustcWithoutARecipeGetsOneToStartFrom) {
  std::vector<Recipe> recipes{*FindRecipe(kData, "rustc-1.85")};
  auto a = SummarizeArchive(AllSuites(), {"trixie", "trixie-backports", "forky"}, recipes);
  ASSERT_EQ(a.suggestions.size(), 2u);
  EXPECT_NE(a.suggestions[0].find("name: rustc-1.96\nsuite: trixie\n"), std::string::npos) << a.suggestions[0];
  EXPECT_NE(a.suggestions[0].find("rustc-web, rust-web-src, rustfmt-web"), std::string::npos) << a.suggestions[0];
  EXPECT_NE(a.suggestions[1].find("name: rustc-1.97\nsuite: trixie-backports\n"), std::string::npos);
  // The suggestion is a recipe the lab accepts.
  std::string text = a.suggestions[0].substr(a.suggestions[0].find('\n') + 1);
  auto parsed = ParseRecipe(text, "rustc-1.96.yaml");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_TRUE(ResolvePins(*parsed, AllSuites()).has_value());
}

}  // namespace
}  // namespace rfl::toolchain
