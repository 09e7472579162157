#include <gtest/gtest.h>

#include <fstream>
#include <map>
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

TEST(Plan, AbiChecksAreEachFlagOnItsArchesForEveryToolchain) {
  Scenario s = Load(
      "name: t\nkernel: {source: debian:linux-source-7.3}\ntoolchains: [rustc-1.96, rustc-1.97]\n"
      "arches: [x86_64, arm64]\nvariants: {baseline: {}}\n"
      "abi_checks: [-Zsanitizer=kcfi, {flag: -Zfixed-x18, arches: [arm64]}]\n");
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  std::vector<std::string> got;
  for (const auto& a : plan->abi_checks) got.push_back(a.toolchain + " " + std::string(ArchName(a.arch)) + " " + a.flag);
  EXPECT_EQ(got, (std::vector<std::string>{"rustc-1.96 x86_64 -Zsanitizer=kcfi", "rustc-1.96 arm64 -Zsanitizer=kcfi",
                                           "rustc-1.96 arm64 -Zfixed-x18", "rustc-1.97 x86_64 -Zsanitizer=kcfi",
                                           "rustc-1.97 arm64 -Zsanitizer=kcfi", "rustc-1.97 arm64 -Zfixed-x18"}));
  // Without abi_checks, none.
  Scenario plain = Load(std::string(kBase) + "variants: {baseline: {}}\n");
  auto p2 = ExpandPlan(plain);
  ASSERT_TRUE(p2);
  EXPECT_TRUE(p2->abi_checks.empty());
}

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

TEST(Plan, ShardsSplitTheBuildTreesExactlyOnceAndNeverSplitATree) {
  // 12 trees (2 sources x 3 toolchains x 2 arches), each with 2 builds
  // (baseline and a KRUSTFLAGS variant), plus a Kconfig variant's own tree.
  Scenario s = Load(
      "name: m\nkernel: {source: [debian:linux-source-6.12, debian:linux-source-7.3]}\n"
      "toolchains: [rustc-1.85, rustc-1.96, rustc-1.97]\narches: [x86_64, arm64]\n"
      "variants: {baseline: {}, x: {rustflags: [-Copt-level=2]}, c: {kconfig: {ANDROID_BINDER_IPC: y}}}\n");
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->builds.size(), 36u);
  for (int n : {1, 2, 3, 5, 24, 40}) {
    std::map<std::string, int> shard_of_build, shard_of_tree;
    size_t largest = 0, smallest = plan->builds.size();
    for (int i = 1; i <= n; ++i) {
      auto share = ShardBuilds(*plan, i, n);
      largest = std::max(largest, share.size());
      smallest = std::min(smallest, share.size());
      for (const auto* b : share) {
        EXPECT_TRUE(shard_of_build.emplace(b->key, i).second) << b->key << " in two shards of " << n;
        auto [it, fresh] = shard_of_tree.emplace(b->tree_key, i);
        EXPECT_EQ(it->second, i) << "tree " << b->tree_key << " split over shards of " << n;
      }
    }
    EXPECT_EQ(shard_of_build.size(), plan->builds.size()) << n;  // every build in some shard
    if (n <= 24) {
      EXPECT_LE(largest - smallest, 2u) << n;  // whole trees: within one tree's builds
    }
  }
  // The same plan gives the same split on every machine.
  auto again = ExpandPlan(s);
  ASSERT_TRUE(again);
  auto a = ShardBuilds(*plan, 2, 3), b = ShardBuilds(*again, 2, 3);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i]->key, b[i]->key);
}

TEST(Plan, ShardTextIsIOverN) {
  EXPECT_EQ(*ParseShard("1/2"), (std::pair{1, 2}));
  EXPECT_EQ(*ParseShard("3/3"), (std::pair{3, 3}));
  for (const char* bad : {"0/2", "3/2", "1/0", "1", "/2", "1/", "a/b", "1/2/3", "-1/2", "1/99999", ""}) {
    auto r = ParseShard(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, Error::Kind::kInput) << bad;
  }
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
