// -Zbranch-protection=bti,pac-ret (arm64 ARM64_BTI_KERNEL,
// ARM64_PTR_AUTH_KERNEL). Two signatures, each checked when asked for:
// - bti: the entry is a landing pad for indirect calls — `bti c` (or
//   `bti jc`), or `paciasp`/`pacibsp`, which the architecture treats as an
//   implicit `bti c`.
// - pac-ret: a non-leaf function (one that calls, `bl`/`blr`, or saves x30)
//   signs its return address — `paciasp`/`pacibsp` — and authenticates it
//   before each return: every `ret` is preceded by `autiasp`/`autibsp`
//   since the previous `ret`, or is `retaa`/`retab`.
//
// Exceptions, and why:
// - bti: a local function whose address is never taken — LLVM's
//   AArch64BranchTargets pass, like x86 IBT, only pads functions that are
//   address-taken or not local. Address-taken is read from relocations; a
//   linked image has none (local functions then get the benefit of the doubt).
// - pac-ret: leaf functions are not signed unless `leaf` is asked for
//   (pac-ret,leaf): they never spill x30. Likewise, without `leaf`, a `ret`
//   that no path from the entry reaches after signing, a call or a store of
//   x30 is a shrink-wrapped early exit with x30 untouched: it needs no
//   autiasp (as for the shadow call stack, shadow_call_stack.cpp).
// - A function needing neither is not applicable.
#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

bool IsSign(const std::string& m) { return m == "paciasp" || m == "pacibsp"; }
bool IsAuth(const std::string& m) { return m == "autiasp" || m == "autibsp"; }

class BranchProtectionCheck final : public FlagCheck {
 public:
  BranchProtectionCheck(std::string flag, BranchProtection what) : flag_(std::move(flag)), what_(what) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kArm64; }

  Judgement Judge(const FunctionCode& fn) const override {
    std::vector<std::string> wrong;
    bool judged = false;
    if (what_.bti && (!fn.function.local || fn.address_taken)) {
      judged = true;
      const Instruction* entry = fn.instructions.empty() ? nullptr : &fn.instructions.front();
      bool pad = entry != nullptr && ((entry->mnemonic == "bti" && (entry->operands == "c" || entry->operands == "jc")) ||
                                      IsSign(entry->mnemonic));
      if (!pad) wrong.push_back(fmt::format("no bti c at the entry (starts with {})", entry ? entry->mnemonic : "nothing"));
    }
    if (what_.pac_ret && (what_.leaf || IsArm64NonLeaf(fn))) {
      judged = true;
      bool signs = false;
      size_t unauthenticated = 0;
      bool authenticated = false;
      std::vector<bool> spilled = ReachedAfter(
          fn, [](const Instruction& insn) { return IsSign(insn.mnemonic) || Arm64SpillsReturnAddress(insn); });
      for (size_t i = 0; i < fn.instructions.size(); ++i) {
        const Instruction& insn = fn.instructions[i];
        if (IsSign(insn.mnemonic)) signs = true;
        if (IsAuth(insn.mnemonic)) authenticated = true;
        if (insn.mnemonic == "ret") {
          // With `leaf` every return authenticates; else one no path reaches
          // after signing, a call or a store of x30 is an early exit.
          if (!authenticated && (what_.leaf || spilled[i])) ++unauthenticated;
          authenticated = false;
        } else if (insn.mnemonic == "retaa" || insn.mnemonic == "retab") {
          authenticated = false;
        }
      }
      if (!signs) wrong.push_back("non-leaf without paciasp");
      if (unauthenticated > 0) wrong.push_back(fmt::format("{} ret without autiasp", unauthenticated));
    }
    if (!judged) return {Signature::kNotApplicable, "local, address never taken, leaf"};
    if (wrong.empty()) return {Signature::kPresent, {}};
    std::string reason = wrong.front();
    for (size_t i = 1; i < wrong.size(); ++i) reason += "; " + wrong[i];
    return {Signature::kMissing, reason};
  }

 private:
  std::string flag_;
  BranchProtection what_;
};

}  // namespace

std::unique_ptr<FlagCheck> MakeBranchProtectionCheck(std::string flag, BranchProtection what) {
  return std::make_unique<BranchProtectionCheck>(std::move(flag), what);
}

}  // namespace rfl::codecheck
