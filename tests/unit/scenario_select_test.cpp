// A corner of a study from the command line (`run --variant/--arch/
// --toolchain/--kernel`): the scenario narrowed before it becomes a plan.
#include "lab/scenario/select.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lab/scenario/load.h"
#include "lab/scenario/plan.h"

namespace rfl::scenario {
namespace {

Scenario Study() {
  auto loaded = ParseScenario("study.yaml",
                              "name: study\n"
                              "kernel: {source: [debian:linux-source-6.12, debian:linux-source-7.3], fragments: [rust]}\n"
                              "toolchains: [rustc-1.85, rustc-1.96]\n"
                              "arches: [x86_64, arm64]\n"
                              "variants:\n  baseline: {}\n  ibt: {rustflags: [-Zcf-protection=branch]}\n"
                              "  x18: {rustflags: [-Zfixed-x18]}\n"
                              "baseline: baseline\n",
                              ".", Catalog::FromDataDir(RFL_LAB_SOURCE_DIR));
  EXPECT_TRUE(loaded.scenario) << loaded.diagnostics.Render();
  return *loaded.scenario;
}

TEST(SelectCorner, NoSelectionKeepsTheWholeMatrix) {
  Scenario s = Study();
  auto notes = SelectCorner(s, {});
  ASSERT_TRUE(notes.has_value());
  EXPECT_TRUE(notes->empty());
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->builds.size(), 2u * 2u * 2u * 3u);
}

TEST(SelectCorner, OneCellOfTheTruthTableIsOneKernelByOneCompiler) {
  Scenario s = Study();
  Selection sel;
  sel.kernels = {"7.3"};
  sel.toolchains = {"rustc-1.96"};
  sel.arches = {"x86_64"};
  ASSERT_TRUE(SelectCorner(s, sel).has_value());
  auto plan = ExpandPlan(s);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->builds.size(), 3u);  // the three variants
  for (const auto& b : plan->builds) {
    EXPECT_EQ(b.source.Label(), "7.3");
    EXPECT_EQ(b.toolchain, "rustc-1.96");
    EXPECT_EQ(b.arch, Arch::kX86_64);
  }
}

TEST(SelectCorner, AKernelIsNamedByItsLabelOrItsSpec) {
  Scenario s = Study();
  Selection sel;
  sel.kernels = {"debian:linux-source-6.12"};
  ASSERT_TRUE(SelectCorner(s, sel).has_value());
  ASSERT_EQ(s.kernel.sources.size(), 1u);
  EXPECT_EQ(s.kernel.sources[0].Label(), "6.12");
}

TEST(SelectCorner, TheBaselineStaysWithTheSelectedVariantsAndANoteSaysSo) {
  Scenario s = Study();
  Selection sel;
  sel.variants = {"x18"};
  auto notes = SelectCorner(s, sel);
  ASSERT_TRUE(notes.has_value());
  ASSERT_EQ(s.variants.size(), 2u);
  EXPECT_EQ(s.variants[0].name, "baseline");
  EXPECT_EQ(s.variants[1].name, "x18");
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ((*notes)[0], "variant 'baseline' is kept: it is the baseline every comparison needs");
}

TEST(SelectCorner, AValueTheScenarioLacksIsAnInputErrorListingWhatItHas) {
  struct Case {
    Selection sel;
    std::string message;
  };
  std::vector<Case> cases(4);
  cases[0].sel.variants = {"ibt-rust"};
  cases[0].message = "--variant 'ibt-rust': the scenario has no such variant (it has: baseline, ibt, x18)";
  cases[1].sel.arches = {"riscv64"};
  cases[1].message = "--arch 'riscv64': the scenario has no such arch (it has: x86_64, arm64)";
  cases[2].sel.toolchains = {"rustc-1.97"};
  cases[2].message = "--toolchain 'rustc-1.97': the scenario has no such toolchain (it has: rustc-1.85, rustc-1.96)";
  cases[3].sel.kernels = {"7.2"};
  cases[3].message =
      "--kernel '7.2': the scenario has no such kernel (it has: 6.12 (debian:linux-source-6.12), "
      "7.3 (debian:linux-source-7.3))";
  for (const auto& c : cases) {
    Scenario s = Study();
    auto r = SelectCorner(s, c.sel);
    ASSERT_FALSE(r.has_value()) << c.message;
    EXPECT_EQ(r.error().kind, Error::Kind::kInput);
    EXPECT_EQ(r.error().message, c.message);
  }
}

TEST(SelectCorner, TheSelectionIsStoredAsTheOptionsThatMakeIt) {
  Selection sel;
  EXPECT_EQ(FormatSelection(sel), "");
  sel.variants = {"ibt", "x18"};
  sel.arches = {"x86_64"};
  sel.kernels = {"7.3"};
  EXPECT_EQ(FormatSelection(sel), "--kernel 7.3 --arch x86_64 --variant ibt --variant x18");
}

TEST(SelectCorner, ABuildOfTheWholePlanMatchesTheSameCornerAsTheNarrowedScenario) {
  // `build --shard` filters the whole plan's builds instead of narrowing the
  // scenario; both ways must land on the same builds (less the baseline,
  // which only SelectCorner keeps by itself).
  Selection sel;
  sel.kernels = {"debian:linux-source-7.3"};
  sel.arches = {"arm64"};
  sel.variants = {"x18"};
  Scenario whole = Study();
  auto all = ExpandPlan(whole);
  ASSERT_TRUE(all);
  ASSERT_TRUE(CheckSelection(whole, sel).has_value());
  std::vector<std::string> matched;
  for (const auto& b : all->builds) {
    if (Matches(sel, b)) matched.push_back(fmt::format("{} {} {}", b.source.Label(), b.toolchain, b.variants[0]));
  }
  EXPECT_EQ(matched, (std::vector<std::string>{"7.3 rustc-1.85 x18", "7.3 rustc-1.96 x18"}));

  Scenario narrowed = Study();
  ASSERT_TRUE(SelectCorner(narrowed, sel).has_value());
  auto plan = ExpandPlan(narrowed);
  ASSERT_TRUE(plan);
  size_t x18 = 0;
  for (const auto& b : plan->builds) {
    EXPECT_TRUE(Matches(sel, b) || b.variants[0] == "baseline");
    x18 += Matches(sel, b) ? 1 : 0;
  }
  EXPECT_EQ(x18, matched.size());

  sel.kernels = {"6.13"};
  auto bad = CheckSelection(whole, sel);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, Error::Kind::kInput);
}

}  // namespace
}  // namespace rfl::scenario
