// -Zfunction-return=thunk-extern (the kernel's MITIGATION_RETHUNK): no `ret`
// instruction; every return is `jmp __x86_return_thunk`. In a .o that jump
// is `e9 00 00 00 00` with a relocation against __x86_return_thunk at its
// operand; in a linked image the jump's target is the thunk's address.
//
// Exceptions, and why:
// - A function that never returns (only tail calls, or noreturn) has
//   neither: not applicable.
// - The return thunks themselves (__x86_return_thunk, srso_*/retbleed_*
//   return thunks, entry_untrain_ret) and other hand-written assembly in
//   vmlinux end in `ret` by design: the thunk functions are exempted by
//   name; other assembly shows up as offenders, so judge the Rust objects.
#include "lab/codecheck/checks.h"

#include <fmt/format.h>

namespace rfl::codecheck {
namespace {

constexpr std::string_view kThunk = "__x86_return_thunk";

class FunctionReturnCheck final : public FlagCheck {
 public:
  explicit FunctionReturnCheck(std::string flag) : flag_(std::move(flag)) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kX86_64; }

  std::vector<std::string> BeginObject(const ElfObject& obj) override {
    thunk_address_ = obj.relocatable ? std::nullopt : obj.SymbolAddress(std::string(kThunk));
    return {};
  }

  Judgement Judge(const FunctionCode& fn) const override {
    const std::string& name = fn.function.name;
    if (name.find("return_thunk") != std::string::npos || name.find("untrain_ret") != std::string::npos) {
      return {Signature::kNotApplicable, "a return thunk itself"};
    }
    size_t rets = 0;
    size_t thunks = 0;
    for (const Instruction& insn : fn.instructions) {
      if (insn.mnemonic == "ret") {
        ++rets;
      } else if (insn.mnemonic == "jmp" && IsThunkJump(fn, insn)) {
        ++thunks;
      }
    }
    if (rets > 0) return {Signature::kMissing, fmt::format("{} ret instruction(s)", rets)};
    if (thunks > 0) return {Signature::kPresent, {}};
    return {Signature::kNotApplicable, "never returns (tail calls or noreturn)"};
  }

 private:
  // `jmp rel32` (e9) whose target is the thunk.
  bool IsThunkJump(const FunctionCode& fn, const Instruction& insn) const {
    if (fn.object.relocatable) {
      const ElfRelocation* r = Rel32BranchRelocation(fn, insn);
      return r != nullptr && r->symbol == kThunk;
    }
    auto target = X86Rel32Target(fn, insn);
    return target && thunk_address_ && *target == *thunk_address_;
  }

  std::string flag_;
  std::optional<uint64_t> thunk_address_;
};

}  // namespace

std::unique_ptr<FlagCheck> MakeFunctionReturnCheck(std::string flag) {
  return std::make_unique<FunctionReturnCheck>(std::move(flag));
}

}  // namespace rfl::codecheck
