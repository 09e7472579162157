// The ABI check against the real rustc 1.96 of the lab cache (provisioned
// on first use, shared with every other test): -Zfixed-x18 is a target modifier, -Zcf-protection is
// not — the check must tell them apart. Prints the time per flag.
#include <gtest/gtest.h>

#include <iostream>

#include "lab/codecheck/abi_check.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/paths.h"
#include "tests/support/test_kernel.h"

namespace rfl::codecheck {
namespace {

std::optional<toolchain::Toolchain> Rustc196() {
  auto tc = toolchain::Provision(test::TestCacheDir(), DataDir(), "rustc-1.96", DefaultRunner());
  EXPECT_TRUE(tc.has_value()) << (tc ? "" : tc.error().message);
  return tc ? std::optional(*tc) : std::nullopt;
}

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

}  // namespace
}  // namespace rfl::codecheck
