// -Zpatchable-function-entry=N,M (the kernel's CALL_PADDING on x86, ftrace's
// CALL_OPS on arm64; GCC's -fpatchable-function-entry semantics): N NOPs in
// all, M of them before the function's entry and N−M after it, and the
// address of the first NOP recorded in a `__patchable_function_entries`
// section. A NOP unit is a byte on x86 (M one-byte NOPs before the entry,
// N−M bytes of NOPs, possibly multi-byte, after it) and an instruction on
// arm64 (4 bytes each) — measured on rustc 1.96 output (fixtures).
//
// Exceptions, and why:
// - A landing pad comes first: with IBT/BTI the entry is `endbr64`/`bti c`
//   and the N−M NOPs follow it.
// - NOPs before an entry can be alignment padding (x86 pads code with NOPs),
//   so in an object the listing in __patchable_function_entries is what
//   proves the flag, the NOP count what proves the layout. A linked vmlinux
//   has no such section (the kernel's linker script folds it into
//   mcount_loc / its own tables): there only the NOPs are checked.
#include <set>

#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

class PatchableEntryCheck final : public FlagCheck {
 public:
  PatchableEntryCheck(std::string flag, uint32_t total, uint32_t prefix)
      : flag_(std::move(flag)), total_(total), prefix_(prefix) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kX86_64 || arch == Arch::kArm64; }

  std::vector<std::string> BeginObject(const ElfObject& obj) override {
    unit_ = obj.arch == Arch::kArm64 ? 4 : 1;
    listed_.clear();
    check_listing_ = obj.relocatable;
    has_section_ = false;
    if (!obj.relocatable) {
      return {fmt::format("{} is linked: __patchable_function_entries is not kept there, only the NOPs are checked",
                          obj.path.filename().string())};
    }
    for (size_t i = 1; i < obj.sections.size(); ++i) {
      if (obj.sections[i].name != "__patchable_function_entries") continue;
      has_section_ = true;
      for (const ElfRelocation& r : obj.relocations[i]) {
        if (r.symbol_section == 0) continue;
        listed_.insert({r.symbol_section, r.symbol_value + static_cast<uint64_t>(r.addend)});
      }
    }
    return {};
  }

  Judgement Judge(const FunctionCode& fn) const override {
    std::vector<std::string> wrong;
    // Before the entry: exactly the last M units of the section's bytes are NOPs.
    uint64_t want_before = uint64_t{prefix_} * unit_;
    if (want_before > 0) {
      if (fn.before.size() < want_before) {
        wrong.push_back(fmt::format("only {} byte(s) before the entry, {} NOP byte(s) expected", fn.before.size(),
                                    want_before));
      } else {
        auto tail = fn.before.subspan(fn.before.size() - want_before);
        auto insns = fn.disassembler.Decode(tail, fn.address - want_before);
        NopRun run = CountNops(fn.disassembler.arch(), insns);
        if (run.next != insns.size()) {
          wrong.push_back(fmt::format("{} of {} byte(s) before the entry are NOPs", run.bytes, want_before));
        }
      }
    }
    // After it: an optional landing pad, then (N−M) units of NOPs.
    uint64_t want_after = uint64_t{total_ - prefix_} * unit_;
    size_t first = 0;
    if (!fn.instructions.empty()) {
      const std::string& m = fn.instructions.front().mnemonic;
      if (m == "endbr64" || m == "bti") first = 1;
    }
    NopRun after = CountNops(fn.disassembler.arch(), fn.instructions, first);
    if (after.bytes < want_after) {
      wrong.push_back(fmt::format("{} NOP byte(s) after the entry, {} expected", after.bytes, want_after));
    }
    if (check_listing_) {
      uint64_t site = fn.function.offset - std::min(want_before, fn.function.offset);
      if (!has_section_) {
        wrong.push_back("the object has no __patchable_function_entries section");
      } else if (!listed_.contains({fn.function.section, site})) {
        wrong.push_back("not listed in __patchable_function_entries");
      }
    }
    if (wrong.empty()) return {Signature::kPresent, {}};
    std::string reason = wrong.front();
    for (size_t i = 1; i < wrong.size(); ++i) reason += "; " + wrong[i];
    return {Signature::kMissing, reason};
  }

 private:
  std::string flag_;
  uint32_t total_;
  uint32_t prefix_;
  uint32_t unit_ = 1;
  bool check_listing_ = false;
  bool has_section_ = false;
  std::set<std::pair<size_t, uint64_t>> listed_;  // (section, offset of the first NOP)
};

}  // namespace

std::unique_ptr<FlagCheck> MakePatchableEntryCheck(std::string flag, uint32_t total, uint32_t prefix) {
  return std::make_unique<PatchableEntryCheck>(std::move(flag), total, prefix);
}

}  // namespace rfl::codecheck
