// -Zsanitizer=shadow-call-stack (SHADOW_CALL_STACK): a function that spills
// its return address also keeps a copy on the shadow stack, and returns
// through that copy. As LLVM's frame lowering emits it:
// - arm64 (with -Zfixed-x18; x18 points to the shadow stack): the push
//   `str x30, [x18], #8` and, before each `ret`, the pop `ldr x30, [x18, #-8]!`.
// - riscv64 (gp points to it, arch/riscv/include/asm/scs.h): the push
//   `addi gp, gp, 8` + `sd ra, -8(gp)` and, before each `ret`, the pop
//   `ld ra, -8(gp)` + `addi gp, gp, -8`.
//
// Which functions: those that store their return address (to the stack, or
// by the push itself). A function that calls, returns, and never saved its
// return address cannot exist, so one that calls without storing it calls
// only functions that never return (a cold path calling a panic function:
// `auipc ra, 0; jalr ra` with nothing after it), and LLVM gives it no push.
//
// Exceptions, and why:
// - Functions that never store the return address — leaves, and those whose
//   calls never return (152 of 1,409 Rust functions of the riscv64
//   SHADOW_CALL_STACK kernel, 2026-12-03; a "calls anything" rule read them
//   as offenders): it stays in x30 / ra — not applicable.
// - A function that never returns (only tail calls) needs the push only.
// - Shrink-wrapping: LLVM may place the prologue (and with it the push) on
//   the slow path only, e.g. `cmp; b.ls slow; ret; slow: str x30, [x18],
//   #8; …` or `b.ne early; <prologue>…; early: mov x0, xzr; ret`. A `ret`
//   that no path from the entry reaches after a store of the return address
//   (followed through the function's branches) returns with it untouched:
//   it needs no pop. Seen in 69 of 2,277 Rust functions of an arm64
//   SHADOW_CALL_STACK kernel (2026-12-03): 39 with the early `ret` before the
//   prologue in address order, 30 after it.
// - Hand-written assembly in vmlinux (the shadow-stack switch itself) does
//   its own thing: judge the Rust objects.
#include <algorithm>

#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

// One arch's spelling of the push and the pop, as LLVM prints them.
struct ScsSequence {
  std::string_view push_mnemonic, push_operands;
  std::string_view pop_mnemonic, pop_operands;
  std::string_view leaf_reason;
  bool (*stores_return_address)(const Instruction&);  // the push, or a spill to the stack
};

constexpr ScsSequence kArm64{"str", "x30, [x18], #8", "ldr", "x30, [x18, #-8]!",
                             "the return address never leaves x30 (a leaf, or its calls never return)", Arm64StoresX30};
constexpr ScsSequence kRiscv64{"sd", "ra, -8(gp)", "ld", "ra, -8(gp)",
                               "the return address never leaves ra (a leaf, or its calls never return)", Riscv64StoresRa};

class ShadowCallStackCheck final : public FlagCheck {
 public:
  explicit ShadowCallStackCheck(std::string flag) : flag_(std::move(flag)) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kArm64 || arch == Arch::kRiscv64; }

  Judgement Judge(const FunctionCode& fn) const override {
    const ScsSequence& s = fn.disassembler.arch() == Arch::kRiscv64 ? kRiscv64 : kArm64;
    const auto& insns = fn.instructions;
    if (std::none_of(insns.begin(), insns.end(), s.stores_return_address)) {
      return {Signature::kNotApplicable, std::string(s.leaf_reason)};
    }
    auto is_push = [&](const Instruction& insn) {
      return insn.mnemonic == s.push_mnemonic && insn.operands == s.push_operands;
    };
    std::vector<bool> spilled = ReachedAfter(fn, s.stores_return_address);
    bool pushed = false;
    bool popped = false;
    size_t unprotected = 0;
    for (size_t i = 0; i < insns.size(); ++i) {
      if (is_push(insns[i])) pushed = true;
      if (insns[i].mnemonic == s.pop_mnemonic && insns[i].operands == s.pop_operands) popped = true;
      if (insns[i].mnemonic == "ret") {
        if (!popped && spilled[i]) ++unprotected;  // no store on any path to it: a shrink-wrapped early exit
        popped = false;
      }
    }
    if (!pushed) {
      return {Signature::kMissing,
              fmt::format("stores its return address without the shadow-call-stack push ({} {})", s.push_mnemonic,
                          s.push_operands)};
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
