// -Zsanitizer=shadow-call-stack (arm64 SHADOW_CALL_STACK, with -Zfixed-x18):
// a function that spills its return address also keeps a copy on the
// shadow stack x18 points to, and returns through that copy — the push
// `str x30, [x18], #8` and, before each `ret`, the pop
// `ldr x30, [x18, #-8]!` (as LLVM's AArch64 frame lowering emits them).
//
// Exceptions, and why:
// - Leaf functions (no `bl`/`blr`, x30 never stored): their return address
//   stays in x30, nothing to protect — not applicable.
// - A non-leaf function that never returns (only tail calls, or noreturn)
//   needs the push only.
// - Hand-written assembly in vmlinux (the shadow-stack switch itself) does
//   its own thing: judge the Rust objects.
// - riscv64 (where the kernel supports SCS with its own sequence on gp) is
//   not judged: the lab has no riscv64 disassembly yet.
#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

bool IsPush(const Instruction& insn) { return insn.mnemonic == "str" && insn.operands == "x30, [x18], #8"; }
bool IsPop(const Instruction& insn) { return insn.mnemonic == "ldr" && insn.operands == "x30, [x18, #-8]!"; }

class ShadowCallStackCheck final : public FlagCheck {
 public:
  explicit ShadowCallStackCheck(std::string flag) : flag_(std::move(flag)) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kArm64; }

  Judgement Judge(const FunctionCode& fn) const override {
    if (!IsArm64NonLeaf(fn)) return {Signature::kNotApplicable, "leaf: the return address never leaves x30"};
    bool pushed = false;
    bool popped = false;
    size_t unprotected = 0;
    for (const Instruction& insn : fn.instructions) {
      if (IsPush(insn)) pushed = true;
      if (IsPop(insn)) popped = true;
      if (insn.mnemonic == "ret") {
        if (!popped) ++unprotected;
        popped = false;
      }
    }
    if (!pushed) return {Signature::kMissing, "non-leaf without the shadow-call-stack push (str x30, [x18], #8)"};
    if (unprotected > 0) {
      return {Signature::kMissing, fmt::format("{} ret without the pop (ldr x30, [x18, #-8]!) before it", unprotected)};
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
