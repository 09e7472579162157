// The code-check stage of a run (lab/pipeline/code_check.h): which flags a
// build is judged on, the verdicts on objects a real rustc compiled
// (tests/fixtures/codecheck/), and when a verdict is a finding.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "lab/pipeline/code_check.h"
#include "lab/results/comparison.h"
#include "lab/util/temp_dir.h"

namespace rfl::pipeline {
namespace {
namespace fs = std::filesystem;

scenario::BuildSpec Spec(const std::string& variant, Arch arch, std::vector<std::string> rustflags) {
  scenario::BuildSpec b;
  b.key = variant + "-" + std::string(ArchName(arch));
  b.arch = arch;
  b.rustflags = std::move(rustflags);
  b.variants = {variant};
  return b;
}

scenario::Plan PlanOf(std::vector<scenario::BuildSpec> builds) {
  scenario::Plan p;
  p.builds = std::move(builds);
  return p;
}

TEST(CodeCheckStage, ClaimsTheBuildsEffectiveFlagsAndJudgesOtherVariantsFlagsAsControls) {
  auto plan = PlanOf({Spec("baseline", Arch::kX86_64, {}), Spec("ibt", Arch::kX86_64, {"-Zcf-protection=branch"}),
                      Spec("thunk", Arch::kX86_64, {"-Zfunction-return=thunk-extern", "-Copt-level=2"}),
                      Spec("bti", Arch::kArm64, {"-Zbranch-protection=bti,pac-ret"})});
  // The baseline's effective flags: kbuild's own, one with a check
  // (patchable entries, as CONFIG_CALL_PADDING-like options add).
  std::vector<std::string> effective = {"-Cpanic=abort", "-Zpatchable-function-entry=16,16", "-Zfixed-x18"};
  auto flags = FlagsToCheck(plan, plan.builds[0], effective);
  ASSERT_EQ(flags.size(), 4u);
  EXPECT_EQ(flags[0].flag, "-Zpatchable-function-entry=16,16");
  EXPECT_TRUE(flags[0].claimed);
  EXPECT_EQ(flags[1].flag, "-Zfixed-x18");  // claimed: judged on x86 objects it is not-applicable
  EXPECT_TRUE(flags[1].claimed);
  EXPECT_EQ(flags[2].flag, "-Zcf-protection=branch");
  EXPECT_FALSE(flags[2].claimed);
  EXPECT_EQ(flags[3].flag, "-Zfunction-return=thunk-extern");
  EXPECT_FALSE(flags[3].claimed);
  // The ibt build claims its flag once; the arm64 build's flag is not asked.
  auto ibt = FlagsToCheck(plan, plan.builds[1], {"-Zcf-protection=branch"});
  ASSERT_EQ(ibt.size(), 2u);
  EXPECT_EQ(ibt[0].flag, "-Zcf-protection=branch");
  EXPECT_TRUE(ibt[0].claimed);
  EXPECT_EQ(ibt[1].flag, "-Zfunction-return=thunk-extern");
}

TEST(CodeCheckStage, AFlagAnotherBuildClaimedIsAMissingControlUntilJudged) {
  results::CodeCheckRecord ibt;  // what kbuild added for X86_KERNEL_IBT in a Kconfig variant
  ibt.flag = "-Zcf-protection=branch";
  ibt.claimed = true;
  results::CodeCheckRecord x18 = ibt;  // claimed, but its check does not apply to x86
  x18.flag = "-Zfixed-x18";
  results::CodeCheckRecord control = ibt;  // that build's own control: not a claim
  control.flag = "-Zfunction-return=thunk-extern";
  control.claimed = false;
  std::vector<results::CodeCheckRecord> other = {ibt, x18, control};

  auto missing = MissingControls(Arch::kX86_64, {}, other);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].flag, "-Zcf-protection=branch");
  EXPECT_FALSE(missing[0].claimed);
  EXPECT_EQ(missing[0].expected, "");
  results::CodeCheckRecord judged = ibt;
  judged.claimed = false;
  EXPECT_TRUE(MissingControls(Arch::kX86_64, {judged}, other).empty()) << "judged once";
  EXPECT_TRUE(MissingControls(Arch::kArm64, {}, {ibt}).empty()) << "an x86 check says nothing about arm64";
}

TEST(CodeCheckStage, TakesTheVariantsExpectationForAClaimedFlagOnly) {
  auto ibt = Spec("ibt", Arch::kX86_64, {"-Zcf-protection=branch"});
  ibt.expect_code = {{"-Zcf-protection=branch", "partial"}, {"-Zfunction-return=thunk-extern", "absent"}};
  auto plan = PlanOf({ibt, Spec("thunk", Arch::kX86_64, {"-Zfunction-return=thunk-extern"})});
  auto flags = FlagsToCheck(plan, plan.builds[0], {"-Zcf-protection=branch"});
  ASSERT_EQ(flags.size(), 2u);
  EXPECT_EQ(flags[0].expected, "partial");
  EXPECT_EQ(flags[1].expected, "");  // a control is never a finding
}

// An artifact dir whose object copies are the given fixtures.
kernel::Artifact ArtifactWith(const fs::path& dir, const std::vector<std::string>& fixtures) {
  kernel::Artifact a;
  a.dir = dir;
  for (const auto& f : fixtures) {
    std::string rel = "rust/" + f;
    fs::create_directories(dir / kernel::kRustObjectsDir / "rust");
    fs::copy_file(fs::path(RFL_LAB_FIXTURES_DIR) / "codecheck" / f, dir / kernel::kRustObjectsDir / rel);
    a.rust_objects.push_back({rel, {}});
  }
  return a;
}

TEST(CodeCheckStage, TheVariantsFlagIsEffectiveAndTheBaselineIsAbsent) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-codecheck-stage-");
  ASSERT_TRUE(tmp.has_value());
  auto plan = PlanOf({Spec("baseline", Arch::kX86_64, {}), Spec("ibt", Arch::kX86_64, {"-Zcf-protection=branch"})});

  auto base = ArtifactWith(tmp->path() / "base", {"x86_64-baseline.o"});
  auto base_checks = CheckBuildCode(FlagsToCheck(plan, plan.builds[0], {}), base);
  ASSERT_EQ(base_checks.size(), 1u);
  EXPECT_EQ(base_checks[0].flag, "-Zcf-protection=branch");
  EXPECT_FALSE(base_checks[0].claimed);
  EXPECT_EQ(base_checks[0].verdict, "absent");
  EXPECT_EQ(base_checks[0].with_signature, 0);
  EXPECT_GT(base_checks[0].checked, 0);
  EXPECT_FALSE(base_checks[0].offenders.empty());
  EXPECT_FALSE(results::CodeCheckProblem(base_checks[0]).has_value()) << "a control's absence is the point";

  auto ibt = ArtifactWith(tmp->path() / "ibt", {"x86_64-cf-protection-branch.o"});
  auto ibt_checks = CheckBuildCode(FlagsToCheck(plan, plan.builds[1], {"-Zcf-protection=branch"}), ibt);
  ASSERT_EQ(ibt_checks.size(), 1u);
  EXPECT_TRUE(ibt_checks[0].claimed);
  EXPECT_EQ(ibt_checks[0].verdict, "effective");
  EXPECT_EQ(ibt_checks[0].with_signature, ibt_checks[0].checked);
  EXPECT_FALSE(results::CodeCheckProblem(ibt_checks[0]).has_value());

  // The flag claimed but the objects built without it: the finding the stage exists for.
  auto dropped = CheckBuildCode(FlagsToCheck(plan, plan.builds[1], {"-Zcf-protection=branch"}), base);
  ASSERT_EQ(dropped.size(), 1u);
  auto problem = results::CodeCheckProblem(dropped[0]);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(*problem, fmt::format("-Zcf-protection=branch is absent in the Rust code: 0 of {} functions carry it; "
                                  "first: {}",
                                  dropped[0].checked, dropped[0].offenders.front()));
}

TEST(CodeCheckStage, AnArtifactWithoutObjectCopiesGetsNoRecords) {
  auto plan = PlanOf({Spec("ibt", Arch::kX86_64, {"-Zcf-protection=branch"})});
  kernel::Artifact a;
  a.dir = "/nonexistent/artifact";
  a.rust_objects.push_back({"rust/kernel.o", {}});
  EXPECT_TRUE(CheckBuildCode(FlagsToCheck(plan, plan.builds[0], {"-Zcf-protection=branch"}), a).empty());
}

TEST(CodeCheckStage, AnUnreadableObjectGivesNotApplicableWithTheReason) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-codecheck-stage-");
  ASSERT_TRUE(tmp.has_value());
  kernel::Artifact a;
  a.dir = tmp->path();
  fs::create_directories(a.dir / kernel::kRustObjectsDir / "rust");
  { std::ofstream(a.dir / kernel::kRustObjectsDir / "rust" / "kernel.o") << "not an ELF file"; }
  a.rust_objects.push_back({"rust/kernel.o", {}});
  auto plan = PlanOf({Spec("ibt", Arch::kX86_64, {"-Zcf-protection=branch"})});
  auto checks = CheckBuildCode(FlagsToCheck(plan, plan.builds[0], {"-Zcf-protection=branch"}), a);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].verdict, "not-applicable");
  ASSERT_EQ(checks[0].notes.size(), 1u);
  EXPECT_NE(checks[0].notes[0].find("could not run"), std::string::npos) << checks[0].notes[0];
}

results::CodeCheckRecord Record(bool claimed, std::string verdict, std::string expected = "") {
  results::CodeCheckRecord c;
  c.flag = "-Zcf-protection=branch";
  c.claimed = claimed;
  c.verdict = std::move(verdict);
  c.expected = std::move(expected);
  c.checked = 10;
  c.with_signature = 4;
  return c;
}

TEST(CodeCheckFindings, AClaimedFlagThatIsPartialOrAbsentIsAFindingUnlessExpected) {
  EXPECT_TRUE(results::CodeCheckProblem(Record(true, "partial")).has_value());
  EXPECT_TRUE(results::CodeCheckProblem(Record(true, "absent")).has_value());
  EXPECT_FALSE(results::CodeCheckProblem(Record(true, "effective")).has_value());
  EXPECT_FALSE(results::CodeCheckProblem(Record(true, "not-applicable")).has_value());
  EXPECT_FALSE(results::CodeCheckProblem(Record(false, "absent")).has_value());
  EXPECT_FALSE(results::CodeCheckProblem(Record(false, "effective")).has_value());
  EXPECT_FALSE(results::CodeCheckProblem(Record(true, "partial", "partial")).has_value());
  auto unmet = results::CodeCheckProblem(Record(true, "effective", "partial"));
  ASSERT_TRUE(unmet.has_value());
  EXPECT_EQ(*unmet, "-Zcf-protection=branch is effective in the Rust code, but the scenario expects partial "
                    "(4 of 10 functions carry it)");
}

TEST(CodeCheckFindings, AreFindingsOfTheRunWithTheBuildsCell) {
  results::RunData run;
  run.run.info.variants = {{"ibt", Expect::kPass, {}, {}}};
  results::BuildRecord b;
  b.key = "k";
  b.variants = {"ibt"};
  b.arch = "x86_64";
  b.toolchain = "rustc-1.96";
  b.kernel = "7.3";
  b.code_checks = {Record(true, "partial"), Record(false, "absent")};
  run.builds.push_back(b);
  auto a = results::AnalyzeRun(run);
  ASSERT_EQ(a.findings.code_checks.size(), 1u);
  EXPECT_EQ(a.findings.code_checks[0],
            "x86_64/rustc-1.96/7.3 ibt: -Zcf-protection=branch is partial in the Rust code: 4 of 10 functions carry it");
  EXPECT_TRUE(a.findings.Any());
  EXPECT_EQ(a.findings.All().front().substr(0, 6), "code: ");
}

TEST(CodeCheckFindings, RecordsRoundTripThroughJsonAndToleratePartialRecords) {
  auto c = Record(true, "partial", "partial");
  c.offenders = {"f (no endbr64)"};
  c.notes = {"n"};
  EXPECT_EQ(results::CodeCheckFromJson(results::ToJson(c)), c);
  auto partial = results::CodeCheckFromJson(nlohmann::json{{"flag", "-Zfixed-x18"}, {"checked", "x"}});
  EXPECT_EQ(partial.flag, "-Zfixed-x18");
  EXPECT_EQ(partial.checked, 0);
  EXPECT_EQ(results::CodeCheckFromJson(nlohmann::json::array()).flag, "");
}

}  // namespace
}  // namespace rfl::pipeline
