// The code-check stage on a real arm64 kernel (label cross): the quickstart
// baseline cross-built for arm64 and its flag variant `branch-protection`
// (-Zbranch-protection=bti,pac-ret on every Rust crate, passed as
// RUSTFLAGS_KERNEL/RUSTFLAGS_MODULE; a Rust-only rebuild of the baseline's
// tree, rfl::test::TestFlagVariants). The variant's Rust functions carry
// `bti c` and `paciasp`/`autiasp`; the baseline's carry none: the control
// that makes `effective` mean something. scripts/test.sh builds both ahead
// (build/tests/test_kernels arm64 arm64:branch-protection).
#include <gtest/gtest.h>

#include "tests/support/test_kernel.h"

namespace rfl {
namespace {

constexpr const char* kFlag = "-Zbranch-protection=bti,pac-ret";

TEST(CodeCheckCross, Arm64BranchProtectionIsEffectiveInTheVariantAndAbsentInTheBaseline) {
  auto checks = test::QuickstartCodeChecks(Arch::kArm64, {"baseline", "branch-protection"});
  ASSERT_TRUE(checks.has_value()) << checks.error().message;
  const auto* variant = test::FindCheck(*checks, "branch-protection", kFlag);
  ASSERT_NE(variant, nullptr);
  EXPECT_TRUE(variant->claimed) << "the flag reached the Rust crates' command lines";
  EXPECT_EQ(variant->verdict, "effective") << (variant->offenders.empty() ? "" : variant->offenders.front());
  EXPECT_GT(variant->checked, 1000);
  EXPECT_EQ(variant->with_signature, variant->checked);
  const auto* control = test::FindCheck(*checks, "baseline", kFlag);
  ASSERT_NE(control, nullptr);
  EXPECT_FALSE(control->claimed);
  EXPECT_EQ(control->verdict, "absent");
  EXPECT_EQ(control->with_signature, 0);
  EXPECT_GT(control->checked, 1000);
  for (const auto& [v, records] : *checks) {
    for (const auto& c : records) EXPECT_FALSE(results::CodeCheckProblem(c).has_value()) << v << " " << c.flag;
  }
}

}  // namespace
}  // namespace rfl
