#pragma once
// Readable names for symbols: Rust v0 (`_R…`, what the kernel's Rust uses)
// and legacy (`_ZN…17h<hash>E`, hash dropped) symbols and C++ demangled with
// LLVM's demangler (llvm-14-dev, linked for the code checks' disassembler);
// anything else (C functions) as it is. The profile's function table and the
// code checks' offender lists both show these.
#include <string>
#include <string_view>

namespace rfl {

std::string Demangle(std::string_view name);

}  // namespace rfl
