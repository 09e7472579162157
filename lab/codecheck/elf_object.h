#pragma once
// One ELF file (a relocatable .o or a linked vmlinux) as the code checks need
// it: the machine, the executable sections' bytes, the function symbols with
// their binding, and every relocation with its addend.
//
// Read with libelf, not LLVM's C Object API (llvm-c/Object.h): the C API of
// LLVM 14 exposes neither a symbol's type (STT_FUNC) nor its binding
// (STB_LOCAL), nor a section's flags (SHF_EXECINSTR), nor a relocation's
// addend — and the checks need all four (which symbols are functions, which
// may legitimately lack a landing pad, which sections hold code, and where a
// section-relative relocation points). Instructions are decoded by LLVM's
// disassembler (disassembler.h).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lab/core/arch.h"
#include "lab/util/result.h"

namespace rfl::codecheck {

struct ElfSection {
  std::string name;
  uint64_t address = 0;  // sh_addr: 0 in a .o, the load address in vmlinux
  uint64_t size = 0;
  bool executable = false;
  bool allocated = false;
  std::vector<uint8_t> bytes;  // loaded for executable sections, .comment and __patchable_function_entries
  // Offsets of the `$d` mapping symbols in an executable section (arm64,
  // riscv64: data among code — kCFI type ids, literal pools), sorted.
  std::vector<uint64_t> data_marks;
  bool HasDataMarkAt(uint64_t offset) const;
};

struct ElfRelocation {
  uint64_t offset = 0;  // within the section it applies to
  uint32_t type = 0;    // R_X86_64_* / R_AARCH64_*
  int64_t addend = 0;
  std::string symbol;   // empty for a section symbol
  size_t symbol_section = 0;  // section index of the symbol (0: undefined)
  uint64_t symbol_value = 0;
  bool symbol_is_section = false;
};

struct ElfFunction {
  std::string name;
  size_t section = 0;   // index into ElfObject::sections
  uint64_t offset = 0;  // of the entry within the section
  uint64_t size = 0;
  bool local = false;   // STB_LOCAL: the compiler may omit landing pads when the address is never taken
  // Other function names at the same entry (LLVM's MergeFunctions makes a
  // function with the same code an alias of another).
  std::vector<std::string> aliases;
};

struct ElfObject {
  std::filesystem::path path;
  Arch arch = Arch::kX86_64;
  bool relocatable = false;  // ET_REL (.o) rather than a linked image
  std::string comment;       // .comment: the producers, e.g. "rustc version 1.96.0 …"
  bool from_rustc() const { return comment.find("rustc version") != std::string::npos; }
  std::vector<ElfSection> sections;  // by section index; [0] is the null section
  // STT_FUNC with a size, in executable sections; aliases folded; kCFI's
  // `__cfi_<fn>` and objtool's `__pfx_<fn>` labels of the bytes before <fn>
  // left out.
  std::vector<ElfFunction> functions;
  // Relocations by the index of the section they apply to.
  std::vector<std::vector<ElfRelocation>> relocations;
  // Defined symbols' addresses by name (vmlinux: where a jump lands).
  std::optional<uint64_t> SymbolAddress(const std::string& name) const;
  std::vector<std::pair<std::string, uint64_t>> symbol_addresses;  // sorted by name

  // The section called `name`, if any.
  const ElfSection* FindSection(std::string_view name) const;
};

// Reads `path`. Not an ELF file, an ELF of a machine the checks do not know,
// or an unreadable file → Error::Kind::kInput.
[[nodiscard]] Result<ElfObject> ReadElfObject(const std::filesystem::path& path);

}  // namespace rfl::codecheck
