// -Zfixed-x18 (arm64 SHADOW_CALL_STACK; a target modifier): x18 is reserved,
// so no instruction of the crate writes it — neither as a destination
// (`mov x18, …`, `ldr x18, …`, `ldp …, x18, …`, `w18` included) nor through
// base-register writeback (`[x18, #8]!`, `[x18], #8`).
//
// Evidence: a function that never needed x18 proves nothing, so one writer
// makes the verdict `absent` and `partial` is never reported
// (Evidence::kViolationsOnly). The fixtures hold a function with 30 live
// values so the allocator reaches for x18 when it may.
//
// Exceptions, and why:
// - The shadow call stack sequence itself: `str x30, [x18], #8` (push) and
//   `ldr x30, [x18, #-8]!` (pop) write x18 by writeback — the reason x18 is
//   reserved. Only these two exact forms are allowed.
// - Hand-written assembly in vmlinux that switches shadow stacks
//   (cpu_switch_to, the entry code's scs_load) writes x18 by design: it shows
//   up as an offender, so judge the Rust objects.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

// Top-level operands: "x29, x30, [sp, #-16]!" → {"x29", "x30", "[sp, #-16]!"}.
std::vector<std::string_view> Operands(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    char c = i < s.size() ? s[i] : ',';
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      std::string_view op = s.substr(start, i - start);
      while (!op.empty() && op.front() == ' ') op.remove_prefix(1);
      if (!op.empty()) out.push_back(op);
      start = i + 1;
    }
  }
  return out;
}

bool IsX18(std::string_view op) { return op == "x18" || op == "w18"; }

// Mnemonics whose first operand is read, not written (stores, compares,
// branches, system and hint instructions).
bool FirstOperandIsRead(const std::string& m) {
  static constexpr std::array<std::string_view, 24> kRead = {
      "cmp", "cmn", "tst", "ccmp", "ccmn", "fcmp", "fcmpe", "fccmp", "b", "bl", "br", "blr",
      "ret", "cbz", "cbnz", "tbz", "tbnz", "prfm", "msr", "sys", "dc", "ic", "at", "tlbi"};
  if (std::find(kRead.begin(), kRead.end(), m) != kRead.end()) return true;
  if (m.starts_with("b.")) return true;
  // Stores read their data; the exclusive ones write a status register first.
  if (m.starts_with("st") && !m.starts_with("stx") && !m.starts_with("stlx")) return true;
  return false;
}

bool WritesX18(const Instruction& insn) {
  const std::string& m = insn.mnemonic;
  auto ops = Operands(insn.operands);
  // Shadow call stack push / pop: the one legitimate write.
  if ((m == "str" && insn.operands == "x30, [x18], #8") || (m == "ldr" && insn.operands == "x30, [x18, #-8]!")) {
    return false;
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    bool pre = ops[i].starts_with("[x18") && ops[i].ends_with("]!");
    bool post = ops[i] == "[x18]" && i + 1 < ops.size();
    if (pre || post) return true;
  }
  if (ops.empty() || FirstOperandIsRead(m)) return false;
  if (IsX18(ops[0])) return true;
  bool pair = m.starts_with("ldp") || m.starts_with("ldnp") || m.starts_with("ldxp") || m.starts_with("ldaxp") ||
              m.starts_with("casp");
  return pair && ops.size() > 1 && IsX18(ops[1]);
}

class FixedX18Check final : public FlagCheck {
 public:
  explicit FixedX18Check(std::string flag) : flag_(std::move(flag)) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kArm64; }
  Evidence evidence() const override { return Evidence::kViolationsOnly; }

  Judgement Judge(const FunctionCode& fn) const override {
    for (const Instruction& insn : fn.instructions) {
      if (insn.valid() && WritesX18(insn)) {
        return {Signature::kMissing, fmt::format("writes x18: {} {}", insn.mnemonic, insn.operands)};
      }
    }
    return {Signature::kPresent, {}};
  }

 private:
  std::string flag_;
};

}  // namespace

std::unique_ptr<FlagCheck> MakeFixedX18Check(std::string flag) {
  return std::make_unique<FixedX18Check>(std::move(flag));
}

}  // namespace rfl::codecheck
