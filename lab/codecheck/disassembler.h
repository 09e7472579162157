#pragma once
// Instructions decoded by LLVM's C disassembler (llvm-c/Disassembler.h, from
// Debian's llvm-14-dev). One instruction at a time: its size and LLVM's
// printing of it, split into a mnemonic and operands — the printing of one
// decoded instruction, never a tool's text output parsed back. x86 is printed
// in Intel syntax ("ret", "endbr64", "jmp 0x0"), arm64 with v8.5-A features
// so hint-space instructions print by name ("bti c", "paciasp").
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lab/core/arch.h"
#include "lab/util/result.h"

namespace rfl::codecheck {

struct Instruction {
  uint64_t offset = 0;   // from the start of the bytes given to Decode
  uint32_t size = 0;     // 0: undecodable byte (size 1 is skipped)
  std::string mnemonic;  // lower case, prefixes (cs, data16, notrack…) removed
  std::string operands;  // as printed, e.g. "x29, x30, [sp, #-16]!"
  bool valid() const { return size != 0; }
};

class Disassembler {
 public:
  // A disassembler for `arch`; fails if this LLVM lacks the target.
  [[nodiscard]] static Result<Disassembler> Create(Arch arch);

  // Decodes `bytes` as code at `address` (only used for printing
  // PC-relative operands). Undecodable bytes become invalid instructions of
  // one byte (x86) or four (arm64) so decoding resynchronizes.
  std::vector<Instruction> Decode(std::span<const uint8_t> bytes, uint64_t address) const;

  Arch arch() const { return arch_; }

 private:
  struct Dispose {
    void operator()(void* dc) const;
  };
  Disassembler(Arch arch, void* dc) : arch_(arch), dc_(dc) {}
  Arch arch_;
  std::unique_ptr<void, Dispose> dc_;  // LLVMDisasmContextRef
};

}  // namespace rfl::codecheck
