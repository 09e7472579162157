// The ABI check against the real rustc 1.96 of the lab cache (provisioned
// on first use, shared with every other test): -Zfixed-x18 is a target modifier, -Zcf-protection is
// not — the check must tell them apart. Prints the time per flag.
#include <gtest/gtest.h>

#include <iostream>

#include "lab/codecheck/abi_check.h"
#include "lab/pipeline/abi_checker.h"
#include "lab/report/report.h"
#include "lab/results/comparison.h"
#include "lab/results/store.h"
#include "lab/util/temp_dir.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/paths.h"
#include "tests/support/test_kernel.h"

namespace rfl::codecheck {
namespace {

std::optional<toolchain::Toolchain> Provisioned(const std::string& name) {
  auto tc = toolchain::Provision(test::TestCacheDir(), DataDir(), name, DefaultRunner());
  EXPECT_TRUE(tc.has_value()) << (tc ? "" : tc.error().message);
  return tc ? std::optional(*tc) : std::nullopt;
}

std::optional<toolchain::Toolchain> Rustc196() { return Provisioned("rustc-1.96"); }

AbiCheckResult Check(const toolchain::Toolchain& tc, Arch arch, std::string_view flag) {
  AbiCheckOptions options;
  options.cache_dir = test::TestCacheDir();
  options.on_progress = [](std::string_view line) { std::cout << "  " << line << "\n"; };
  auto r = CheckAbiEnforcement(tc, arch, flag, options);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (!r) return {};
  std::cout << ToJson(*r).dump(2) << "\n"
            << flag << " on " << ArchName(arch) << ": " << r->elapsed.count() / 1000.0 << " s"
            << (r->core_with_flag.verdict == AbiVerdict::kNotRun ? " (no core needed)"
                : r->cores_cached                                   ? " (cores cached)"
                                                                    : " (cores built)")
            << "\n";
  return *r;
}

TEST(AbiCheck, FixedX18IsRejectedBothWaysOnArm64AndTheEscapeHatchWorks) {
  auto tc = Rustc196();
  if (!tc) return;
  auto r = Check(*tc, Arch::kArm64, "-Zfixed-x18");
  EXPECT_TRUE(r.known_target_modifier);
  EXPECT_EQ(r.crate_with_flag.verdict, AbiVerdict::kRejected) << r.crate_with_flag.excerpt;
  EXPECT_EQ(r.core_with_flag.verdict, AbiVerdict::kRejected) << r.core_with_flag.excerpt;
  EXPECT_EQ(r.escape_hatch, EscapeHatch::kWorks) << r.escape_hatch_case.excerpt;
  EXPECT_EQ(r.rustdoc_mismatch.verdict, AbiVerdict::kRejected) << r.rustdoc_mismatch.excerpt;
  EXPECT_EQ(r.rustdoc_matched.verdict, AbiVerdict::kAccepted) << r.rustdoc_matched.excerpt;
  EXPECT_FALSE(r.Finding());
}

// The newest compiler the lab knows (Debian's trixie-backports rustc,
// 1.97 since November 2026; scripts/test.sh provisions it beside the test
// build): it must enforce -Zfixed-x18 as 1.96 does.
TEST(AbiCheck, Rustc197RejectsFixedX18MixedOnArm64AndTheEscapeHatchWorks) {
  auto tc = Provisioned("rustc-1.97");
  if (!tc) return;
  ASSERT_TRUE(tc->versions.rustc.starts_with("1.97")) << tc->versions.rustc_vv;
  auto r = Check(*tc, Arch::kArm64, "-Zfixed-x18");
  EXPECT_TRUE(r.known_target_modifier);
  EXPECT_EQ(r.crate_with_flag.verdict, AbiVerdict::kRejected) << r.crate_with_flag.excerpt;
  EXPECT_NE(r.crate_with_flag.excerpt.find("mixing `-Zfixed-x18` will cause an ABI mismatch"), std::string::npos)
      << r.crate_with_flag.excerpt;
  EXPECT_EQ(r.core_with_flag.verdict, AbiVerdict::kRejected) << r.core_with_flag.excerpt;
  EXPECT_EQ(r.escape_hatch, EscapeHatch::kWorks) << r.escape_hatch_case.excerpt;
  EXPECT_EQ(r.escape_hatch_case.verdict, AbiVerdict::kAccepted);
  EXPECT_EQ(r.rustdoc_mismatch.verdict, AbiVerdict::kRejected) << r.rustdoc_mismatch.excerpt;
  EXPECT_EQ(r.rustdoc_matched.verdict, AbiVerdict::kAccepted) << r.rustdoc_matched.excerpt;
  EXPECT_FALSE(r.Finding());
}

// rustc refuses the shadow call stack on aarch64-unknown-none-softfloat
// unless x18 is reserved ("not supported for this target"); the kernel
// passes -Zfixed-x18 with it, so the check does too, on both sides, and
// then only the sanitizer differs. The plain side's core is -Zfixed-x18's
// flagged core of the test above (one core build, not two).
TEST(AbiCheck, ShadowCallStackOnArm64IsJudgedWithFixedX18OnBothSidesAndIsRejected) {
  auto tc = Rustc196();
  if (!tc) return;
  auto r = Check(*tc, Arch::kArm64, "-Zsanitizer=shadow-call-stack");
  EXPECT_EQ(r.companions, std::vector<std::string>{"-Zfixed-x18"});
  EXPECT_TRUE(r.known_target_modifier);
  EXPECT_EQ(r.crate_with_flag.verdict, AbiVerdict::kRejected) << r.crate_with_flag.excerpt;
  EXPECT_NE(r.crate_with_flag.excerpt.find("sanitizer"), std::string::npos) << r.crate_with_flag.excerpt;
  EXPECT_EQ(r.core_with_flag.verdict, AbiVerdict::kRejected) << r.core_with_flag.excerpt;
  EXPECT_EQ(r.escape_hatch, EscapeHatch::kWorks) << r.escape_hatch_case.excerpt;
  EXPECT_EQ(r.rustdoc_matched.verdict, AbiVerdict::kAccepted) << r.rustdoc_matched.excerpt;
  EXPECT_FALSE(r.Inconclusive());
  EXPECT_FALSE(r.Finding());
}

TEST(AbiCheck, CfProtectionIsNotATargetModifierSoTheMixIsAccepted) {
  auto tc = Rustc196();
  if (!tc) return;
  auto r = Check(*tc, Arch::kX86_64, "-Zcf-protection=branch");
  EXPECT_FALSE(r.known_target_modifier);
  EXPECT_EQ(r.crate_with_flag.verdict, AbiVerdict::kAccepted) << r.crate_with_flag.excerpt;
  EXPECT_EQ(r.core_with_flag.verdict, AbiVerdict::kAccepted) << r.core_with_flag.excerpt;
  EXPECT_EQ(r.escape_hatch, EscapeHatch::kNotApplicable);
  EXPECT_EQ(r.rustdoc_mismatch.verdict, AbiVerdict::kAccepted) << r.rustdoc_mismatch.excerpt;
}

TEST(AbiCheck, AFlagThisRustcDoesNotKnowIsUnknownAndBuildsNoCore) {
  auto tc = Rustc196();
  if (!tc) return;
  auto r = Check(*tc, Arch::kArm64, "-Zno-such-flag-rfl-lab");
  EXPECT_EQ(r.crate_with_flag.verdict, AbiVerdict::kUnknownFlag) << r.crate_with_flag.excerpt;
  EXPECT_EQ(r.core_with_flag.verdict, AbiVerdict::kNotRun);
}

// kCFI across the language boundary on the real clang 19 and rustc 1.96:
// with the kernel's CFI flags every probed callback type has one id; the
// two controls (no normalization; rustc merging functions) must differ.
TEST(AbiCheck, KcfiGivesCAndRustTheSameTypeIdsWithTheKernelsFlagsOnly) {
  auto tc = Rustc196();
  if (!tc) return;
  auto r = Check(*tc, Arch::kX86_64, "-Zsanitizer=kcfi");
  ASSERT_TRUE(r.kcfi_types.has_value());
  const auto& k = *r.kcfi_types;
  EXPECT_TRUE(k.error.empty()) << k.error;
  EXPECT_EQ(k.pairs.size(), 11u);
  EXPECT_EQ(k.Matching(), k.pairs.size());
  EXPECT_LT(k.PlainMatching(), k.pairs.size());
  EXPECT_LT(k.MergeableMatching(), k.pairs.size());
  EXPECT_TRUE(k.clang.starts_with("Debian clang version")) << k.clang;
  EXPECT_FALSE(r.Finding());
  EXPECT_FALSE(r.Inconclusive());
  std::cout << "kCFI type-id probe: " << k.elapsed.count() / 1000.0 << " s\n";
}

// The run's ABI-check stage on the real toolchain (the cores the test above
// built are cached): what a scenario's `abi_checks:` stores and reports.
TEST(AbiCheck, TheRunsCheckerStoresFixedX18AsEnforcedAndReportsIt) {
  if (!Rustc196()) return;
  pipeline::ToolchainAbiChecker checker(test::TestCacheDir(), DataDir());
  auto r = checker.Check({"rustc-1.96", Arch::kArm64, "-Zfixed-x18"}, {});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->toolchain, "rustc-1.96");
  EXPECT_EQ(r->crate_with_flag, "rejected");
  EXPECT_EQ(r->core_with_flag, "rejected");
  EXPECT_EQ(r->escape_hatch, "works");
  EXPECT_EQ(r->rustdoc_matched, "accepted");
  EXPECT_FALSE(r->finding);
  EXPECT_FALSE(r->inconclusive);

  auto dir = TempDir::Create(std::filesystem::temp_directory_path(), "rfl-abi-store-");
  ASSERT_TRUE(dir.has_value());
  auto store = results::OpenSqliteStore(dir->path() / "r.sqlite3");
  ASSERT_TRUE(store.has_value()) << store.error().message;
  results::RunInfo info;
  info.scenario_name = "abi";
  info.baseline = "baseline";
  info.variants = {{"baseline", Expect::kPass, {}, {}}};
  auto run = (*store)->BeginRun(info);
  ASSERT_TRUE(run.has_value());
  ASSERT_TRUE((*store)->RecordAbiCheck(*run, *r).has_value());
  auto data = (*store)->LoadRun(*run);
  ASSERT_TRUE(data.has_value());
  auto analysis = results::AnalyzeRun(*data);
  EXPECT_TRUE(analysis.findings.abi_checks.empty());
  std::string table = report::RenderTable(analysis, false);
  std::cout << table;
  EXPECT_NE(table.find("-Zfixed-x18  arm64"), std::string::npos) << table;
  EXPECT_NE(table.find("rejected / rejected"), std::string::npos) << table;
}

TEST(AbiCheck, AValueThisRustcRefusesIsAnInconclusiveRecordNotAnError) {
  if (!Rustc196()) return;
  pipeline::ToolchainAbiChecker checker(test::TestCacheDir(), DataDir());
  auto r = checker.Check({"rustc-1.96", Arch::kArm64, "-Zbranch-protection=no-such-protection"}, {});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->inconclusive);
  EXPECT_EQ(r->crate_with_flag, "error");
  std::string why = r->detail["crate_with_flag"]["excerpt"].get<std::string>();
  EXPECT_NE(why.find("refuses"), std::string::npos) << why;
  std::cout << why << "\n";
}

}  // namespace
}  // namespace rfl::codecheck
