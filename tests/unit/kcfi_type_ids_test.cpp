// The kCFI type-id comparison on the probe's objects as the rustc-1.96
// toolchain's clang 19 and rustc 1.96 compile them
// (tests/fixtures/abicheck/make.sh): with the kernel's CFI flags every
// kernel callback type has one id; without integer normalization the
// integer-typed ones differ, and with rustc merging functions (no
// -Zmerge-functions=disabled) callbacks with the same code share one id —
// the two ways the comparison fails on real compiler output.
#include <gtest/gtest.h>

#include <filesystem>

#include "lab/codecheck/abi_check.h"
#include "lab/codecheck/kcfi_type_ids.h"
#include "lab/results/records.h"

namespace rfl::codecheck {
namespace {

ElfObject Probe(std::string_view name) {
  auto obj = ReadElfObject(std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "abicheck" /
                           fmt::format("kcfi-types-{}.o", name));
  EXPECT_TRUE(obj.has_value()) << name << ": " << (obj ? "" : obj.error().message);
  return obj.value_or(ElfObject{});
}

std::vector<std::string> Names(const std::vector<KcfiTypePair>& pairs, bool (KcfiTypePair::*matches)() const,
                               bool want) {
  std::vector<std::string> out;
  for (const auto& p : pairs) {
    if ((p.*matches)() == want) out.push_back(p.name);
  }
  return out;
}

// Only the types without an integer (pointers to structs, void, the
// hrtimer_restart enum by its cfi_encoding) agree without normalization.
const std::vector<std::string> kPlainMatching = {"hrtimer", "release", "work"};
// Merged into mmap and release, whose ids they then carry.
const std::vector<std::string> kMergeDiffer = {"open", "poll", "show", "work"};

KcfiTypeIdResult Result(std::string_view arch, std::string_view rust = "rust") {
  KcfiTypeIdResult r;
  ElfObject c = Probe(fmt::format("{}-c", arch)), rs = Probe(fmt::format("{}-{}", arch, rust));
  ElfObject cp = Probe(fmt::format("{}-c-plain", arch)), rp = Probe(fmt::format("{}-rust-plain", arch));
  ElfObject rm = Probe(fmt::format("{}-rust-mergeable", arch));
  r.pairs = PairKcfiTypeIds({c, rs, cp, rp, rm});
  return r;
}

TEST(KcfiTypeIds, ReadsOneIdPerProbeFunctionOnEachSide) {
  for (std::string_view arch : {"x86_64", "arm64"}) {
    auto c = KcfiTypeIdsByName(Probe(fmt::format("{}-c", arch)), "c_");
    auto rust = KcfiTypeIdsByName(Probe(fmt::format("{}-rust", arch)), "r_");
    EXPECT_EQ(c.size(), 11u) << arch;
    EXPECT_EQ(rust.size(), 11u) << arch;
    EXPECT_TRUE(c.contains("queue_rq") && rust.contains("hrtimer")) << arch;
  }
}

TEST(KcfiTypeIds, WithTheKernelsFlagsClangAndRustcAgreeOnEveryCallbackType) {
  for (std::string_view arch : {"x86_64", "arm64"}) {
    auto r = Result(arch);
    ASSERT_EQ(r.pairs.size(), 11u) << arch;
    EXPECT_EQ(r.Matching(), 11u) << arch << ": differ: "
                                 << fmt::format("{}", fmt::join(Names(r.pairs, &KcfiTypePair::Matches, false), ", "));
    EXPECT_FALSE(r.Finding()) << arch;
    EXPECT_FALSE(r.Inconclusive()) << arch;
  }
}

TEST(KcfiTypeIds, WithoutNormalizationTheIntegerTypedCallbacksDiffer) {
  for (std::string_view arch : {"x86_64", "arm64"}) {
    auto r = Result(arch);
    EXPECT_EQ(Names(r.pairs, &KcfiTypePair::PlainMatches, true), kPlainMatching) << arch;
  }
}

TEST(KcfiTypeIds, MergedRustFunctionsCarryOneTypesIdForAll) {
  // rustc 1.96 (LLVM 22) folds callbacks with the same code — `0` returned
  // from open, mmap, poll, show; the empty work and release — into one
  // function whose single preamble has one type's id (llvm/llvm-project#217629).
  for (std::string_view arch : {"x86_64", "arm64"}) {
    auto r = Result(arch);
    EXPECT_EQ(Names(r.pairs, &KcfiTypePair::MergeableMatches, false), kMergeDiffer) << arch;
    for (const auto& p : r.pairs) {
      if (p.name == "work") {
        EXPECT_EQ(p.rust_merged_with, std::vector<std::string>{"release"}) << arch;
      }
    }
  }
}

TEST(KcfiTypeIds, ARustSideWithoutNormalizationIsAFindingNamingTheTypes) {
  // A kernel built with CONFIG_CFI_ICALL_NORMALIZE_INTEGERS whose rustc did
  // not get -Zsanitizer-cfi-normalize-integers: C normalized, Rust not. No
  // type agrees, not even those without integers (clang's normalized
  // encoding differs for them too).
  KcfiTypeIdResult r = Result("x86_64", "rust-plain");
  EXPECT_TRUE(r.Finding());
  EXPECT_EQ(r.Matching(), 0u);

  AbiCheckResult check;
  check.flag = "-Zsanitizer=kcfi";
  check.arch = Arch::kX86_64;
  check.rustc = "1.96.0";
  check.modifier = "sanitizer";
  check.known_target_modifier = true;
  check.crate_with_flag.verdict = AbiVerdict::kRejected;
  check.core_with_flag.verdict = AbiVerdict::kRejected;
  check.escape_hatch = EscapeHatch::kWorks;
  check.rustdoc_mismatch.verdict = AbiVerdict::kRejected;
  check.rustdoc_matched.verdict = AbiVerdict::kAccepted;
  check.kcfi_types = r;
  EXPECT_TRUE(check.Finding());
  auto record = results::AbiCheckFromJson(ToJson(check));
  EXPECT_EQ(record.kcfi_types, 11u);
  EXPECT_EQ(record.kcfi_matching, 0u);
  EXPECT_EQ(record.kcfi_matching_plain, 3u);
  EXPECT_EQ(record.kcfi_matching_mergeable, 7u);
  auto problem = results::AbiCheckProblem(record);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(*problem,
            "-Zsanitizer=kcfi on x86_64 (rustc 1.96.0): with the kernel's CFI flags, clang and rustc give 11 of 11 "
            "kernel callback types different kCFI type ids (hrtimer, llseek, mmap, open, poll, queue_rq, read, "
            "release, show, unlocked_ioctl, work): C's indirect calls into Rust through them would trap");
  EXPECT_EQ(results::AbiCheckSummary(record),
            "rejected both ways; escape hatch works; rustdoc rejected / accepted; kCFI type ids C = Rust 0/11 "
            "(without normalization 3/11, without -Zmerge-functions=disabled 7/11)");
}

TEST(KcfiTypeIds, AProbeWithoutIdsIsInconclusiveNotAFinding) {
  // The baseline objects of the code checks carry no kCFI preambles.
  auto plain = ReadElfObject(std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "codecheck" / "x86_64-baseline.o");
  ASSERT_TRUE(plain.has_value());
  KcfiTypeIdResult r;
  ElfObject c = Probe("x86_64-c"), cp = Probe("x86_64-c-plain");
  r.pairs = PairKcfiTypeIds({c, *plain, cp, *plain, *plain});
  EXPECT_TRUE(r.Inconclusive());
  EXPECT_FALSE(r.Finding());
}

TEST(KcfiTypeIds, OnlyKcfiFlagsRunTheProbe) {
  EXPECT_TRUE(FlagWantsKcfiTypeIds("-Zsanitizer=kcfi"));
  EXPECT_TRUE(FlagWantsKcfiTypeIds("-Zsanitizer=shadow-call-stack,kcfi"));
  EXPECT_TRUE(FlagWantsKcfiTypeIds("-Zsanitizer-cfi-normalize-integers"));
  EXPECT_FALSE(FlagWantsKcfiTypeIds("-Zsanitizer=kernel-address"));
  EXPECT_FALSE(FlagWantsKcfiTypeIds("-Zsanitizer=kcfi2"));
  EXPECT_FALSE(FlagWantsKcfiTypeIds("-Zfixed-x18"));
}

}  // namespace
}  // namespace rfl::codecheck
