// Each flag's code check on objects a real rustc compiled with and without
// the flag (tests/fixtures/codecheck/, README there): `effective` with it,
// `absent` without it — a check that cannot fail is not a check.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lab/codecheck/check.h"
#include "lab/codecheck/codecheck.h"

namespace rfl::codecheck {
namespace {

std::string Fixture(const std::string& name) { return std::string(RFL_LAB_FIXTURES_DIR) + "/codecheck/" + name; }

FlagResult Check(const std::string& flag, const std::string& object) {
  CodeCheckRequest req;
  req.flags = {flag};
  req.inputs = {Fixture(object)};
  auto report = CheckCode(req);
  EXPECT_TRUE(report.has_value()) << (report ? "" : report.error().message);
  if (!report || report->results.size() != 1) return {};
  return report->results.front();
}

struct Case {
  const char* flag;
  const char* with;     // compiled with the flag
  const char* without;  // the baseline of the same target
};

class CodecheckFlag : public ::testing::TestWithParam<Case> {};

TEST_P(CodecheckFlag, IsEffectiveWithTheFlagAndAbsentWithout) {
  const Case& c = GetParam();
  FlagResult with = Check(c.flag, c.with);
  EXPECT_EQ(VerdictName(with.verdict), "effective") << with.flag;
  EXPECT_GT(with.checked, 0u);
  EXPECT_EQ(with.offenders_total, 0u);
  FlagResult without = Check(c.flag, c.without);
  EXPECT_EQ(VerdictName(without.verdict), "absent") << without.flag;
  EXPECT_GT(without.offenders_total, 0u);
  ASSERT_FALSE(without.offenders.empty());
  EXPECT_FALSE(without.offenders.front().reason.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Codecheck, CodecheckFlag,
    ::testing::Values(Case{"-Zcf-protection=branch", "x86_64-cf-protection-branch.o", "x86_64-baseline.o"},
                      Case{"-Zfunction-return=thunk-extern", "x86_64-function-return-thunk-extern.o",
                           "x86_64-baseline.o"},
                      Case{"-Zpatchable-function-entry=5,2", "x86_64-patchable-function-entry-5-2.o",
                           "x86_64-baseline.o"},
                      Case{"-Zbranch-protection=bti,pac-ret", "arm64-branch-protection-bti-pac-ret.o",
                           "arm64-baseline.o"},
                      Case{"-Zfixed-x18", "arm64-fixed-x18.o", "arm64-baseline.o"},
                      Case{"-Cjump-tables=n", "x86_64-jump-tables-n.o", "x86_64-jump-tables-baseline.o"},
                      Case{"-Zsanitizer=kcfi", "x86_64-kcfi.o", "x86_64-baseline.o"},
                      Case{"-Zretpoline-external-thunk", "x86_64-retpoline-external-thunk.o", "x86_64-baseline.o"},
                      Case{"-Zsanitizer=kcfi", "arm64-kcfi.o", "arm64-baseline.o"},
                      Case{"-Zsanitizer=shadow-call-stack", "arm64-shadow-call-stack.o", "arm64-baseline.o"},
                      Case{"-Zsanitizer=shadow-call-stack", "riscv64-shadow-call-stack.o", "riscv64-baseline.o"}));

TEST(CodecheckOffenders, ReadAsRustPathsAndKeepTheirSymbol) {
  // fixture.rs's address_taken is a mangled Rust function (v0), the C-ABI
  // functions keep their names.
  FlagResult base = Check("-Zcf-protection=branch", "x86_64-baseline.o");
  std::vector<std::string> functions;
  for (const auto& o : base.offenders) {
    functions.push_back(o.function);
    if (o.function == "fixture::address_taken") {
      EXPECT_EQ(o.symbol, "_RNvCshfyhQDN0Pj8_7fixture13address_taken");
    }
    if (o.function == "non_leaf") {
      EXPECT_EQ(o.symbol, "non_leaf");
    }
  }
  EXPECT_THAT(functions, ::testing::IsSupersetOf({"fixture::address_taken", "non_leaf"}));
}

TEST(CodecheckCfProtection, OnlyALocalFunctionNeverAddressTakenIsExempt) {
  // fixture.rs: local_helper is LOCAL and only called; everything else is judged.
  FlagResult with = Check("-Zcf-protection=branch", "x86_64-cf-protection-branch.o");
  EXPECT_EQ(with.exempt, 1u);
  EXPECT_EQ(with.checked, with.functions - 1);
  FlagResult base = Check("-Zcf-protection=branch", "x86_64-baseline.o");
  EXPECT_EQ(base.exempt, 1u);
  bool taken = false;
  bool helper = false;
  for (const auto& o : base.offenders) {
    taken |= o.function.find("address_taken") != std::string::npos;
    helper |= o.function.find("local_helper") != std::string::npos;
  }
  EXPECT_TRUE(taken);
  EXPECT_FALSE(helper);
}

TEST(CodecheckPatchableEntry, AnotherLayoutThanTheFlagSaysIsAbsent) {
  // 5,2 was compiled; asking for 5,0 (no NOP before the entry, 5 after) must not pass.
  FlagResult r = Check("-Zpatchable-function-entry=5,0", "x86_64-patchable-function-entry-5-2.o");
  EXPECT_NE(VerdictName(r.verdict), "effective");
}

TEST(CodecheckBranchProtection, BtiAloneIsJudgedOnLandingPadsOnly) {
  FlagResult r = Check("-Zbranch-protection=bti", "arm64-branch-protection-bti-pac-ret.o");
  EXPECT_EQ(VerdictName(r.verdict), "effective");
  FlagResult base = Check("-Zbranch-protection=pac-ret", "arm64-baseline.o");
  EXPECT_EQ(VerdictName(base.verdict), "absent");
  // pac-ret without leaf: the leaf functions are exempt.
  EXPECT_GT(base.exempt, 0u);
}

TEST(CodecheckFixedX18, NamesTheInstructionThatWritesX18) {
  FlagResult r = Check("-Zfixed-x18", "arm64-baseline.o");
  ASSERT_EQ(r.offenders.size(), 1u);
  EXPECT_EQ(r.offenders[0].function, "register_pressure");
  EXPECT_NE(r.offenders[0].reason.find("x18"), std::string::npos);
}

TEST(CodecheckJumpTables, TheKernelsFormIsAScaledIndirectJump) {
  FlagResult r = Check("-Cjump-tables=n", "x86_64-jump-tables-baseline.o");
  ASSERT_EQ(r.offenders.size(), 1u);
  EXPECT_EQ(r.offenders[0].function, "dispatch");
  EXPECT_NE(r.offenders[0].reason.find("jump table: jmp qword ptr [8*"), std::string::npos) << r.offenders[0].reason;
}

TEST(CodecheckJumpTables, APositionIndependentTableIsARegisterJumpWithRodataPointingIntoTheFunction) {
  FlagResult r = Check("-Cjump-tables=n", "x86_64-jump-tables-pic.o");
  EXPECT_EQ(VerdictName(r.verdict), "absent");
  ASSERT_EQ(r.offenders.size(), 1u);
  EXPECT_EQ(r.offenders[0].function, "dispatch");
  EXPECT_NE(r.offenders[0].reason.find("8 .rodata entries pointing into the function"), std::string::npos)
      << r.offenders[0].reason;
}

TEST(CodecheckJumpTables, CodeWithoutASwitchHasNoTableAndTheOldSpellingIsTheSameCheck) {
  // fixture.rs has indirect calls and a function-pointer table, but no switch.
  EXPECT_EQ(VerdictName(Check("-Cjump-tables=n", "x86_64-baseline.o").verdict), "effective");
  EXPECT_EQ(VerdictName(Check("-Zno-jump-tables", "x86_64-jump-tables-baseline.o").verdict), "absent");
  EXPECT_EQ(VerdictName(Check("-Cjump-tables=n", "arm64-baseline.o").verdict), "not-applicable");
}

TEST(CodecheckRetpoline, TheIndirectCallGoesThroughTheThunkAndFunctionsWithoutOneAreNotJudged) {
  // fixture.rs has one indirect call (call_indirect): `mov r11, rdi; call
  // __x86_indirect_thunk_r11` with the flag (in the kernel's code model).
  FlagResult with = Check("-Zretpoline-external-thunk", "x86_64-retpoline-external-thunk.o");
  EXPECT_EQ(with.with_signature, 1u);
  EXPECT_GT(with.exempt, 0u);
  // The baseline (position-independent): call_indirect's `call rax`, and
  // non_leaf's calls of external_hook through a register loaded from the GOT.
  FlagResult without = Check("-Zretpoline-external-thunk", "x86_64-baseline.o");
  ASSERT_EQ(without.offenders.size(), 2u);
  EXPECT_EQ(without.offenders[0].function, "call_indirect");
  EXPECT_EQ(without.offenders[0].reason, "indirect call rax");
  EXPECT_EQ(without.offenders[1].function, "non_leaf");
}

// LLVM prints a branch whose target it cannot name as the displacement, a
// backward one negative (`jmp -53`). The check first read those as indirect
// jumps: the rethunk kernel of x86-hardening (MITIGATION_RETPOLINE) came out
// `partial`, 244 offenders, in 2026-12-04's run of the check on it. Its
// rust_minimal.o has four backward jumps and no indirect branch at all.
TEST(CodecheckRetpoline, ABackwardJumpIsADirectBranchNotAnIndirectOne) {
  FlagResult r = Check("-Zretpoline-external-thunk", "x86_64-kernel-rust-minimal-objtool-prefix.o");
  EXPECT_EQ(r.offenders_total, 0u) << (r.offenders.empty() ? "" : r.offenders[0].function + ": " + r.offenders[0].reason);
  EXPECT_EQ(Check("-Cjump-tables=n", "x86_64-kernel-rust-minimal-objtool-prefix.o").offenders_total, 0u);
  EXPECT_TRUE(IsX86DirectTarget("-53"));
  EXPECT_TRUE(IsX86DirectTarget("-0x4"));
  EXPECT_TRUE(IsX86DirectTarget("28"));
  EXPECT_FALSE(IsX86DirectTarget("rax"));
  EXPECT_FALSE(IsX86DirectTarget("qword ptr [rbx + 8]"));
}

TEST(CodecheckRetpoline, ASwitchTableIsAnIndirectJumpAndRetpolinesTurnTablesOff) {
  FlagResult table = Check("-Zretpoline-external-thunk", "x86_64-jump-tables-baseline.o");
  EXPECT_EQ(VerdictName(table.verdict), "absent");
  ASSERT_EQ(table.offenders.size(), 1u);
  EXPECT_NE(table.offenders[0].reason.find("indirect jmp qword ptr [8*"), std::string::npos) << table.offenders[0].reason;
  // The same switch compiled with retpolines: no table, nothing indirect.
  EXPECT_EQ(VerdictName(Check("-Cjump-tables=n", "x86_64-jump-tables-retpoline.o").verdict), "effective");
  EXPECT_EQ(Check("-Zretpoline-external-thunk", "x86_64-jump-tables-retpoline.o").offenders_total, 0u);
  EXPECT_EQ(VerdictName(Check("-Zretpoline-external-thunk", "arm64-baseline.o").verdict), "not-applicable");
}

TEST(CodecheckKcfi, EveryFunctionHasItsTypeIdAndTheIndirectCallIsChecked) {
  // fixture.rs: 7 functions, call_indirect's `call rax` behind
  // `mov r10d, -ID; add r10d, [rax - 4]; je; ud2`, the ud2 in .kcfi_traps.
  FlagResult with = Check("-Zsanitizer=kcfi", "x86_64-kcfi.o");
  EXPECT_EQ(with.checked, 7u);
  EXPECT_EQ(with.with_signature, 7u);
  // Without the flag the call is unchecked as well as the preambles gone;
  // local_helper (local, only called) is the exception.
  FlagResult without = Check("-Zsanitizer=kcfi", "x86_64-baseline.o");
  EXPECT_EQ(without.exempt, 1u);
  EXPECT_EQ(without.offenders_total, 6u);
}

TEST(CodecheckPatchableEntry, ObjtoolsPrefixSymbolsArePartOfTheFunctionNotFunctions) {
  // A kernel object (rust_minimal.o of x86-hardening's rethunk variant:
  // CALL_PADDING, so kbuild passes -Zpatchable-function-entry=16,16 and
  // objtool --prefix=16 labels each function's padding `__pfx_<fn>`, STT_FUNC).
  FlagResult r = Check("-Zpatchable-function-entry=16,16", "x86_64-kernel-rust-minimal-objtool-prefix.o");
  EXPECT_EQ(VerdictName(r.verdict), "effective");
  EXPECT_EQ(r.functions, 33u);
  for (const auto& o : r.offenders) EXPECT_FALSE(o.symbol.starts_with("__pfx_")) << o.symbol;
}

// `object` judged for `flag`: `verdict`, from exactly one offender.
void ExpectSoleOffender(const std::string& flag, const std::string& object, std::string_view verdict,
                        const std::string& function, const std::string& reason) {
  FlagResult r = Check(flag, object);
  EXPECT_EQ(VerdictName(r.verdict), verdict);
  ASSERT_EQ(r.offenders_total, 1u);
  EXPECT_EQ(r.offenders.front().function, function);
  EXPECT_EQ(r.offenders.front().reason, reason);
}

TEST(CodecheckKcfi, ATypeCheckWhoseUd2IsNoListedTrapIsAnOffender) {
  // x86_64-kcfi.o with .kcfi_traps' relocations removed: the kernel would
  // take that ud2 for a plain BUG, not a CFI failure.
  ExpectSoleOffender("-Zsanitizer=kcfi", "x86_64-kcfi-no-traps.o", "partial", "call_indirect",
                     "the type check's ud2 at +0x13 is not listed in .kcfi_traps");
}

TEST(CodecheckKcfi, APreambleWithoutItsCfiLabelIsNoPreamble) {
  // x86_64-kcfi.o with address_taken's `__cfi_` symbol stripped: the
  // `mov eax, TYPEID` bytes are still before its entry, but without LLVM's
  // label they could as well be the end of the function before it.
  ExpectSoleOffender("-Zsanitizer=kcfi", "x86_64-kcfi-no-cfi-label.o", "partial",
                     "fixture::address_taken", "no kCFI type id (mov eax, TYPEID) before the entry");
}

TEST(CodecheckKcfi, AnArm64IndirectCallWithoutItsTypeCheckIsAnOffender) {
  // kcfi_off.rs: #[sanitize(kcfi = "off")] keeps the preamble, drops the check.
  ExpectSoleOffender("-Zsanitizer=kcfi", "arm64-kcfi-unchecked-call.o", "absent", "unchecked_call",
                     "br x2 at +0x8 without a type check");
}

TEST(CodecheckShadowCallStack, OnlyNonLeafFunctionsAreJudgedAndTheirPushKeepsFixedX18Effective) {
  // fixture.rs: non_leaf, calls_local and call_indirect call, and
  // register_pressure spills x30 to use it as one more register; the three
  // leaves (leaf_mix, address_taken, local_helper) keep x30 where it is.
  FlagResult scs = Check("-Zsanitizer=shadow-call-stack", "arm64-shadow-call-stack.o");
  EXPECT_EQ(scs.checked, 4u);
  EXPECT_EQ(scs.with_signature, 4u);
  EXPECT_EQ(scs.exempt, 3u);
  // The push and pop write x18 by writeback: the one write -Zfixed-x18 allows.
  FlagResult x18 = Check("-Zfixed-x18", "arm64-shadow-call-stack.o");
  EXPECT_EQ(VerdictName(x18.verdict), "effective");
}

// Shrink-wrapping: LLVM puts the prologue (with the shadow-stack push) on
// the slow path only, and the fast path returns with x30 untouched — a `ret`
// without the pop that needs none. A kernel object (rnull.o of
// arm64-branch-protection's shadow-call-stack variant) has both layouts:
// the early `ret` before the prologue in address order, and after it
// (drop_in_place::<Option<GenDisk<NullBlkDevice>>>: `cbz … early; str x30,
// [x18], #8; …; early: ret`).
TEST(CodecheckShadowCallStack, AShrinkWrappedEarlyReturnNeedsNoPop) {
  FlagResult scs = Check("-Zsanitizer=shadow-call-stack", "arm64-kernel-rnull-scs.o");
  EXPECT_EQ(VerdictName(scs.verdict), "effective");
  EXPECT_GT(scs.with_signature, 100u);
  EXPECT_EQ(scs.offenders_total, 0u);
  // The same object without the pushes is still caught: judged for pac-ret,
  // which it was not built with, every non-leaf is an offender.
  FlagResult pac = Check("-Zbranch-protection=pac-ret", "arm64-kernel-rnull-scs.o");
  EXPECT_EQ(VerdictName(pac.verdict), "absent");
  EXPECT_EQ(pac.offenders_total, scs.with_signature);
}

// A function whose only call never returns (a cold path calling a panic
// function: `auipc ra, 0; jalr ra`, nothing after it) never stores ra, and
// LLVM gives it no push: not a function to judge. rust_minimal.o of the
// riscv64-shadow-call-stack study's two kernels (its shadow-call-stack
// variant and its baseline): 13 functions store ra, 20 do not (among them
// Vec::spare_capacity_mut, which calls the panic path).
TEST(CodecheckShadowCallStack, AFunctionWhoseCallsNeverReturnStoresNoReturnAddressAndIsNotJudged) {
  FlagResult scs = Check("-Zsanitizer=shadow-call-stack", "riscv64-kernel-rust-minimal-scs.o");
  EXPECT_EQ(VerdictName(scs.verdict), "effective");
  EXPECT_EQ(scs.with_signature, 13u);
  EXPECT_EQ(scs.exempt, 20u);
  FlagResult base = Check("-Zsanitizer=shadow-call-stack", "riscv64-kernel-rust-minimal.o");
  EXPECT_EQ(VerdictName(base.verdict), "absent");
  EXPECT_EQ(base.offenders_total, 13u);
  ASSERT_FALSE(base.offenders.empty());
  EXPECT_NE(base.offenders[0].reason.find("without the shadow-call-stack push (sd ra, -8(gp))"), std::string::npos);
}

TEST(CodecheckArch, AFlagOfAnotherArchIsNotApplicable) {
  FlagResult r = Check("-Zfixed-x18", "x86_64-baseline.o");
  EXPECT_EQ(VerdictName(r.verdict), "not-applicable");
  EXPECT_EQ(r.objects, 0u);
  EXPECT_FALSE(r.notes.empty());
}

TEST(CodecheckInput, UnknownFlagsMissingFilesAndNonElfAreInputErrors) {
  auto bad = [](CodeCheckRequest req) {
    auto r = CheckCode(req);
    EXPECT_FALSE(r.has_value());
    return r ? Error{} : r.error();
  };
  Error e = bad({{Fixture("x86_64-baseline.o")}, {"-Zcf-protection=bogus"}, std::nullopt});
  EXPECT_EQ(e.kind, Error::Kind::kInput);
  EXPECT_NE(e.message.find("known:"), std::string::npos) << e.message;
  e = bad({{Fixture("nope.o")}, {"-Zfixed-x18"}, std::nullopt});
  EXPECT_EQ(e.kind, Error::Kind::kInput);
  e = bad({{Fixture("fixture.rs")}, {"-Zfixed-x18"}, std::nullopt});
  EXPECT_EQ(e.kind, Error::Kind::kInput);
  EXPECT_NE(e.message.find("not an ELF"), std::string::npos) << e.message;
  e = bad({{Fixture("x86_64-baseline.o")}, {"-Zpatchable-function-entry=2,5"}, std::nullopt});
  EXPECT_EQ(e.kind, Error::Kind::kInput);
  e = bad({{Fixture("arm64-baseline.o")}, {"-Zfixed-x18"}, Arch::kX86_64});
  EXPECT_EQ(e.kind, Error::Kind::kInput);
}

TEST(CodecheckInput, ADirectoryYieldsItsRustcObjects) {
  CodeCheckRequest req;
  req.flags = {"-Zcf-protection=branch", "-Zfixed-x18"};
  req.inputs = {std::string(RFL_LAB_FIXTURES_DIR) + "/codecheck"};
  auto report = CheckCode(req);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->objects.size(), 24u);  // x86_64 13, arm64 7, riscv64 4
  // Baseline and flagged objects together: some functions with, some without.
  EXPECT_EQ(VerdictName(report->results[0].verdict), "partial");
  EXPECT_EQ(report->results[0].objects, 13u);  // the x86_64 ones
  // A violation anywhere: absent, never partial.
  EXPECT_EQ(VerdictName(report->results[1].verdict), "absent");
}

}  // namespace
}  // namespace rfl::codecheck
