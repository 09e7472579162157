// The ABI check's pure parts on rustc 1.96's real output (captured by
// tests/fixtures/abicheck/make.sh): how a run is judged, which escape hatch
// rustc suggests, what a flag's target-modifier name is.
#include <gtest/gtest.h>

#include <filesystem>

#include "lab/codecheck/abi_check.h"
#include "lab/util/paths.h"

namespace rfl::codecheck {
namespace {

std::string Captured(std::string_view name) {
  auto text = ReadFile(std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "abicheck" / (std::string(name) + ".txt"));
  EXPECT_TRUE(text.has_value()) << name;
  return text.value_or("");
}

TEST(AbiClassify, AMismatchAgainstCoreIsRejectedInBothDirections) {
  EXPECT_EQ(ClassifyCompile(false, Captured("rustc-fixed-x18-crate-only")), AbiVerdict::kRejected);
  EXPECT_EQ(ClassifyCompile(false, Captured("rustc-fixed-x18-core-only")), AbiVerdict::kRejected);
  EXPECT_EQ(ClassifyCompile(false, Captured("rustc-branch-protection-crate-only")), AbiVerdict::kRejected);
  EXPECT_EQ(ClassifyCompile(false, Captured("rustc-kcfi-crate-only")), AbiVerdict::kRejected);
}

TEST(AbiClassify, ASilentSuccessIsAccepted) {
  // -Zcf-protection and -Zfunction-return are not target modifiers: rustc says nothing.
  EXPECT_EQ(Captured("rustc-cf-protection-crate-only"), "");
  EXPECT_EQ(ClassifyCompile(true, Captured("rustc-cf-protection-crate-only")), AbiVerdict::kAccepted);
  EXPECT_EQ(ClassifyCompile(true, Captured("rustc-function-return-crate-only")), AbiVerdict::kAccepted);
  EXPECT_EQ(ClassifyCompile(true, Captured("rustc-fixed-x18-escape-hatch")), AbiVerdict::kAccepted);
}

TEST(AbiClassify, AnUnknownOptionIsUnknownFlagNotError) {
  EXPECT_EQ(ClassifyCompile(false, Captured("rustc-unknown-flag")), AbiVerdict::kUnknownFlag);
  EXPECT_FALSE(RefusedValue(Captured("rustc-unknown-flag")));
}

TEST(AbiClassify, ABadValueIsRefusedNotUnknown) {
  const std::string out = Captured("rustc-branch-protection-bad-value");
  EXPECT_TRUE(RefusedValue(out));
  EXPECT_EQ(ClassifyCompile(false, out), AbiVerdict::kError);
}

TEST(AbiClassify, AnyOtherFailureIsErrorWithItsLinesKept) {
  const std::string out = Captured("rustc-no-core");
  EXPECT_EQ(ClassifyCompile(false, out), AbiVerdict::kError);
  std::string excerpt = ErrorExcerpt(out);
  EXPECT_TRUE(excerpt.starts_with("error[E0461]: couldn't find crate `core` with expected target triple"))
      << excerpt;
  EXPECT_FALSE(excerpt.contains("aborting due to"));
  EXPECT_FALSE(excerpt.contains("pub fn add_one")) << "source lines are not part of the excerpt";
}

TEST(AbiClassify, RustdocRejectsTheMismatchAndAcceptsTheMatchedBuild) {
  EXPECT_EQ(ClassifyCompile(false, Captured("rustdoc-fixed-x18-crate-only")), AbiVerdict::kRejected);
  EXPECT_EQ(ClassifyCompile(true, Captured("rustdoc-fixed-x18-matched")), AbiVerdict::kAccepted);
}

TEST(AbiEscapeHatch, TheNameIsTheOneRustcSuggests) {
  EXPECT_EQ(SuggestedEscapeHatch(Captured("rustc-fixed-x18-crate-only")), "fixed-x18");
  EXPECT_EQ(SuggestedEscapeHatch(Captured("rustc-branch-protection-crate-only")), "branch-protection");
  EXPECT_EQ(SuggestedEscapeHatch(Captured("rustc-kcfi-crate-only")), "sanitizer");
  EXPECT_EQ(SuggestedEscapeHatch(Captured("rustc-unknown-flag")), std::nullopt);
  // The excerpt keeps the suggestion (it is what the check reads).
  EXPECT_EQ(SuggestedEscapeHatch(ErrorExcerpt(Captured("rustc-fixed-x18-crate-only"))), "fixed-x18");
}

// -Zretpoline-external-thunk implies -Zretpoline: rustc 1.96 reports both
// mismatches, and the hatch must allow both (with one name it is refused
// again for the other, which the check first read as "escape hatch fails").
TEST(AbiEscapeHatch, AFlagThatImpliesAnotherNeedsBothNamesAndTheyAreEnough) {
  const std::string crate_only = Captured("rustc-retpoline-crate-only");
  EXPECT_EQ(SuggestedEscapeHatch(crate_only), "retpoline,retpoline-external-thunk");
  EXPECT_EQ(SuggestedEscapeHatch(ErrorExcerpt(crate_only)), "retpoline,retpoline-external-thunk");
  EXPECT_EQ(ClassifyCompile(true, Captured("rustc-retpoline-escape-hatch")), AbiVerdict::kAccepted);
}

// rustdoc 1.96 does not imply -Zretpoline from -Zretpoline-external-thunk:
// against a core built with the flag, the doctest is refused — a finding the
// check reports (rustdoc refusing a matched build), not an error.
TEST(AbiClassify, RustdocRefusesARetpolineMatchedBuildForTheImpliedOption) {
  const std::string matched = Captured("rustdoc-retpoline-matched");
  EXPECT_EQ(ClassifyCompile(false, matched), AbiVerdict::kRejected);
  EXPECT_NE(matched.find("unset `-Zretpoline` in this crate is incompatible with `-Zretpoline=true` in dependency `core`"),
            std::string::npos);
}

TEST(AbiModifierName, IsTheOptionNameRustcUsesForTheEscapeHatch) {
  EXPECT_EQ(ModifierName("-Zfixed-x18"), "fixed-x18");
  EXPECT_EQ(ModifierName("-Zbranch-protection=bti,pac-ret"), "branch-protection");
  EXPECT_EQ(ModifierName("-Zsanitizer=kcfi"), "sanitizer");
  EXPECT_EQ(ModifierName("-Zsanitizer_cfi_normalize_integers"), "sanitizer-cfi-normalize-integers");
  EXPECT_EQ(ModifierName("-Cunsafe-allow-abi-mismatch=x"), "unsafe-allow-abi-mismatch");
}

TEST(AbiModifierName, AMalformedFlagIsBadInput) {
  for (std::string_view bad : {"", "-Z", "fixed-x18", "--fixed-x18", "-Z fixed-x18", "-Zfoo;reboot", "-Z=1",
                               "-Zfoo=$(id)", "-X18"}) {
    auto r = ModifierName(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().kind, Error::Kind::kInput) << bad;
  }
}

TEST(AbiResult, OnlyAKnownTargetModifierMixedSilentlyIsAFinding) {
  AbiCheckResult r;
  r.known_target_modifier = true;
  r.crate_with_flag.verdict = AbiVerdict::kRejected;
  r.core_with_flag.verdict = AbiVerdict::kRejected;
  r.escape_hatch = EscapeHatch::kWorks;
  r.rustdoc_mismatch.verdict = AbiVerdict::kRejected;
  r.rustdoc_matched.verdict = AbiVerdict::kAccepted;
  EXPECT_FALSE(r.Finding());
  r.core_with_flag.verdict = AbiVerdict::kAccepted;
  EXPECT_TRUE(r.Finding());
  r.core_with_flag.verdict = AbiVerdict::kRejected;
  r.rustdoc_matched.verdict = AbiVerdict::kRejected;  // rust-lang/rust #146465
  EXPECT_TRUE(r.Finding());
  AbiCheckResult plain;  // -Zcf-protection: mixing is allowed
  plain.crate_with_flag.verdict = AbiVerdict::kAccepted;
  plain.core_with_flag.verdict = AbiVerdict::kAccepted;
  EXPECT_FALSE(plain.Finding());
  EXPECT_FALSE(plain.Inconclusive());
  plain.core_with_flag.verdict = AbiVerdict::kError;
  EXPECT_TRUE(plain.Inconclusive());
}

TEST(AbiCompanions, Arm64ShadowCallStackIsJudgedWithX18ReservedAndOtherFlagsAlone) {
  EXPECT_EQ(AbiCompanionFlags("-Zsanitizer=shadow-call-stack", Arch::kArm64), std::vector<std::string>{"-Zfixed-x18"});
  EXPECT_TRUE(AbiCompanionFlags("-Zsanitizer=shadow-call-stack", Arch::kRiscv64).empty());
  EXPECT_TRUE(AbiCompanionFlags("-Zfixed-x18", Arch::kArm64).empty());
  EXPECT_TRUE(AbiCompanionFlags("-Zbranch-protection=bti,pac-ret", Arch::kArm64).empty());
}

TEST(AbiTarget, IsTheKernelsBuiltInTargetPerArch) {
  EXPECT_EQ(KernelRustTarget(Arch::kArm64), "aarch64-unknown-none-softfloat");
  EXPECT_EQ(KernelRustTarget(Arch::kRiscv64), "riscv64imac-unknown-none-elf");
  EXPECT_EQ(KernelRustTarget(Arch::kX86_64), "x86_64-unknown-none");
}

}  // namespace
}  // namespace rfl::codecheck
