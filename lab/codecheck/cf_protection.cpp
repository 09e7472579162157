// -Zcf-protection=branch (x86 IBT, the kernel's X86_KERNEL_IBT): every
// function that can be reached by an indirect branch starts with `endbr64`.
//
// Exceptions, and why:
// - A local (STB_LOCAL) function whose address is never taken: LLVM's
//   X86IndirectBranchTracking pass emits ENDBR only for functions that are
//   address-taken or not local ("needsPrologueENDBR"); such a function is
//   not applicable, not an offender. Whether the address is taken is read
//   from the object's relocations (any reference that is not a direct call
//   or jump); a linked vmlinux has none, so there every local function
//   without ENDBR is given the benefit of the doubt (a note says so).
// - vmlinux under X86_KERNEL_IBT: objtool lists ENDBRs of functions whose
//   address is never taken in `.ibt_endbr_seal` and the kernel overwrites
//   them at boot; on disk they are still there. Check the .o files before
//   the link anyway: that is what the compiler produced.
// - Hand-written assembly (SYM_FUNC_START without ENDBR) in vmlinux: an
//   offender by this rule; judge Rust objects, not the image, for the flag.
#include "lab/codecheck/checks.h"

#include <fmt/format.h>

namespace rfl::codecheck {
namespace {

class CfProtectionCheck final : public FlagCheck {
 public:
  explicit CfProtectionCheck(std::string flag) : flag_(std::move(flag)) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kX86_64; }
  bool needs_body() const override { return false; }

  std::vector<std::string> BeginObject(const ElfObject& obj) override {
    if (obj.relocatable) return {};
    return {fmt::format("{} is linked: without relocations a local function's address-taken status is unknown, "
                        "so local functions without endbr64 are not counted",
                        obj.path.filename().string())};
  }

  Judgement Judge(const FunctionCode& fn) const override {
    if (!fn.instructions.empty() && fn.instructions.front().mnemonic == "endbr64") return {Signature::kPresent, {}};
    if (fn.function.local && !fn.address_taken) {
      return {Signature::kNotApplicable, "local, address never taken: the compiler may omit endbr64"};
    }
    std::string first = fn.instructions.empty() ? "nothing" : fn.instructions.front().mnemonic;
    return {Signature::kMissing, fmt::format("no endbr64 at the entry (starts with {})", first)};
  }

 private:
  std::string flag_;
};

}  // namespace

std::unique_ptr<FlagCheck> MakeCfProtectionCheck(std::string flag) {
  return std::make_unique<CfProtectionCheck>(std::move(flag));
}

}  // namespace rfl::codecheck
