#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "lab/scenario/load.h"
#include "lab/scenario/plan.h"

namespace rfl::scenario {
namespace {

Scenario Load(const std::string& text) {
  auto loaded = ParseScenario("t.yaml", text, ".", Catalog::FromDataDir(RFL_LAB_SOURCE_DIR));
  EXPECT_TRUE(loaded.scenario) << loaded.diagnostics.Render();
  return *loaded.scenario;
}

const char* kBase =
    "name: t\nkernel: {source: debian:linux-source-7.3, fragments: [rust]}\ntoolchains: [rustc-1.96]\n"
    "arches: [x86_64]\n";

TEST(Plan, RustflagOnlyVariantsShareATreeAndDifferInKey) {
  Scenario s = Load(std::string(kBase) +
                    "variants:\n  baseline: {}\n  ibt: {rustflags: [-Zcf-protection=branch]}\n"
                    "  cbinder: {kconfig: {ANDROID_BINDER_IPC: y}}\n");
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->builds.size(), 3u);
  EXPECT_EQ(plan->builds[0].tree_key, plan->builds[1].tree_key);
  EXPECT_NE(plan->builds[0].key, plan->builds[1].key);
  EXPECT_NE(plan->builds[2].tree_key, plan->builds[0].tree_key);
  EXPECT_EQ(plan->builds[1].rustflags, (std::vector<std::string>{"-Zcf-protection=branch"}));
  // The arch base fragment comes first, then the scenario's.
  EXPECT_EQ(plan->builds[0].fragments.front().filename(), "base-x86_64.config");
  EXPECT_EQ(plan->builds[0].fragments.back().filename(), "rust.config");
}

TEST(Plan, TreeSharingBuildsAreAdjacentWhateverTheVariantOrder) {
  Scenario s = Load(std::string(kBase) +
                    "variants:\n  baseline: {}\n  cbinder: {kconfig: {ANDROID_BINDER_IPC: y}}\n"
                    "  ibt: {rustflags: [-Zcf-protection=branch]}\n");
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->builds[0].variants[0], "baseline");
  EXPECT_EQ(plan->builds[1].variants[0], "ibt");
  EXPECT_EQ(plan->builds[2].variants[0], "cbinder");
}

TEST(Plan, IdenticalVariantsShareOneBuild) {
  Scenario s = Load(std::string(kBase) + "variants:\n  a: {}\n  b: {}\nbaseline: a\n");
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->builds.size(), 1u);
  EXPECT_EQ(plan->builds[0].variants, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(plan->boots.size(), 10u);  // still one boot per variant and repetition
}

TEST(Plan, KeysAreStableAcrossExpansions) {
  std::string text = std::string(kBase) + "variants:\n  baseline: {}\n  ibt: {rustflags: [-Zcf-protection=branch]}\n";
  auto a = ExpandPlan(Load(text));
  auto b = ExpandPlan(Load(text));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->builds[0].key, b->builds[0].key);
  EXPECT_EQ(a->builds[1].key, b->builds[1].key);
}

TEST(Plan, MatrixIsSourcesTimesToolchainsTimesArchesTimesVariants) {
  Scenario s = Load(
      "name: m\nkernel: {source: [debian:linux-source-6.12, debian:linux-source-7.3]}\n"
      "toolchains: [rustc-1.85, rustc-1.96, rustc-1.97]\narches: [x86_64, arm64]\n"
      "variants: {baseline: {}, x: {rustflags: [-Copt-level=2]}}\nrepeat: 5\n");
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->builds.size(), 2u * 3u * 2u * 2u);
  EXPECT_EQ(plan->boots.size(), 2u * 3u * 2u * 2u * 5u);
  std::set<std::string> keys;
  for (const auto& b : plan->builds) keys.insert(b.key);
  EXPECT_EQ(keys.size(), plan->builds.size());
}

TEST(Plan, BootsInterleaveVariantsRepetitionByRepetition) {
  Scenario s = Load(std::string(kBase) + "variants:\n  baseline: {}\n  ibt: {rustflags: [-Zcf-protection=branch]}\n"
                                         "repeat: 5\n");
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->boots.size(), 10u);
  for (size_t i = 0; i < plan->boots.size(); ++i) {
    EXPECT_EQ(plan->boots[i].variant, i % 2 == 0 ? "baseline" : "ibt") << i;
    EXPECT_EQ(plan->boots[i].repetition, static_cast<int>(i / 2));
    EXPECT_EQ(plan->boots[i].index, static_cast<int>(i));
  }
}

TEST(Plan, VariantsExpectedToFailBuildingAreBuiltButNotBooted) {
  Scenario s = Load(std::string(kBase) +
                    "variants:\n  baseline: {}\n  nolink: {rustflags: [-Zfunction-return=thunk-extern], expect: "
                    "build-failure}\n");
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->builds.size(), 2u);
  EXPECT_EQ(plan->builds[1].expect, Expect::kBuildFailure);
  for (const auto& b : plan->boots) EXPECT_EQ(b.variant, "baseline");
}

TEST(Plan, FragmentContentIsPartOfTheKey) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "rfl-lab-plan-frag";
  fs::create_directories(dir);
  std::ofstream(dir / "x.config") << "CONFIG_A=y\n";
  std::string text = std::string(kBase) + "variants: {baseline: {}}\n";
  text.replace(text.find("[rust]"), 6, "[rust, ./x.config]");
  auto load = [&] {
    auto l = ParseScenario("t.yaml", text, dir, Catalog::FromDataDir(RFL_LAB_SOURCE_DIR));
    EXPECT_TRUE(l.scenario) << l.diagnostics.Render();
    return *l.scenario;
  };
  Scenario s1 = load();
  auto k1 = ExpandPlan(s1)->builds[0].key;
  std::ofstream(dir / "x.config") << "CONFIG_A=n\n";
  Scenario s2 = load();
  auto k2 = ExpandPlan(s2)->builds[0].key;
  EXPECT_NE(k1, k2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rfl::scenario
