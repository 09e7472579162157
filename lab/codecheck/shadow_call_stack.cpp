// -Zsanitizer=shadow-call-stack (SHADOW_CALL_STACK): a function that spills
// its return address also keeps a copy on the shadow stack, and returns
// through that copy. As LLVM's frame lowering emits it:
// - arm64 (with -Zfixed-x18; x18 points to the shadow stack): the push
//   `str x30, [x18], #8` and, before each `ret`, the pop `ldr x30, [x18, #-8]!`.
// - riscv64 (gp points to it, arch/riscv/include/asm/scs.h): the push
//   `addi gp, gp, 8` + `sd ra, -8(gp)` and, before each `ret`, the pop
//   `ld ra, -8(gp)` + `addi gp, gp, -8`.
//
// Exceptions, and why:
// - Leaf functions (no call, the return address never stored): it stays in
//   x30 / ra, nothing to protect — not applicable.
// - A non-leaf function that never returns (only tail calls, or noreturn)
//   needs the push only.
// - Shrink-wrapping: LLVM may place the prologue (and with it the push) on
//   the slow path only, e.g. `cmp; b.ls slow; ret; slow: str x30, [x18],
//   #8; …` or `b.ne early; <prologue>…; early: mov x0, xzr; ret`. A `ret`
//   that no path from the entry reaches after a push, call or store of the
//   return address (followed through the function's branches) returns with
//   it untouched in x30 / ra: it needs no pop. Seen in 69 of 2,277 Rust
//   functions of an arm64 SHADOW_CALL_STACK kernel (2026-12-03): 39 with the
//   early `ret` before the prologue in address order, 30 after it.
// - Hand-written assembly in vmlinux (the shadow-stack switch itself) does
//   its own thing: judge the Rust objects.
#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

// One arch's spelling of the push and the pop, as LLVM prints them.
struct ScsSequence {
  std::string_view push_mnemonic, push_operands;
  std::string_view pop_mnemonic, pop_operands;
  std::string_view leaf_reason;
  bool (*non_leaf)(const FunctionCode&);
  bool (*spills)(const Instruction&);
};

constexpr ScsSequence kArm64{"str", "x30, [x18], #8", "ldr", "x30, [x18, #-8]!",
                             "leaf: the return address never leaves x30", IsArm64NonLeaf,
                             Arm64SpillsReturnAddress};
constexpr ScsSequence kRiscv64{"sd", "ra, -8(gp)", "ld", "ra, -8(gp)", "leaf: the return address never leaves ra",
                               IsRiscv64NonLeaf, Riscv64SpillsReturnAddress};

class ShadowCallStackCheck final : public FlagCheck {
 public:
  explicit ShadowCallStackCheck(std::string flag) : flag_(std::move(flag)) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kArm64 || arch == Arch::kRiscv64; }

  Judgement Judge(const FunctionCode& fn) const override {
    const ScsSequence& s = fn.disassembler.arch() == Arch::kRiscv64 ? kRiscv64 : kArm64;
    if (!s.non_leaf(fn)) return {Signature::kNotApplicable, std::string(s.leaf_reason)};
    bool pushed = false;
    bool popped = false;
    size_t unprotected = 0;
    auto is_push = [&](const Instruction& insn) {
      return insn.mnemonic == s.push_mnemonic && insn.operands == s.push_operands;
    };
    std::vector<bool> spilled = ReachedAfter(fn, [&](const Instruction& insn) { return is_push(insn) || s.spills(insn); });
    for (size_t i = 0; i < fn.instructions.size(); ++i) {
      const Instruction& insn = fn.instructions[i];
      if (is_push(insn)) pushed = true;
      if (insn.mnemonic == s.pop_mnemonic && insn.operands == s.pop_operands) popped = true;
      if (insn.mnemonic == "ret") {
        if (!popped && spilled[i]) ++unprotected;  // no push on any path to it: a shrink-wrapped early exit
        popped = false;
      }
    }
    if (!pushed) {
      return {Signature::kMissing,
              fmt::format("non-leaf without the shadow-call-stack push ({} {})", s.push_mnemonic, s.push_operands)};
    }
    if (unprotected > 0) {
      return {Signature::kMissing,
              fmt::format("{} ret without the pop ({} {}) before it", unprotected, s.pop_mnemonic, s.pop_operands)};
    }
    return {Signature::kPresent, {}};
  }

 private:
  std::string flag_;
};

}  // namespace

std::unique_ptr<FlagCheck> MakeShadowCallStackCheck(std::string flag) {
  return std::make_unique<ShadowCallStackCheck>(std::move(flag));
}

}  // namespace rfl::codecheck
