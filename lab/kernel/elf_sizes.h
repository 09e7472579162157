#pragma once
// ELF section sizes (Berkeley `size` convention) read with libelf: text =
// allocated, non-writable sections (code and read-only data), data =
// allocated writable PROGBITS, bss = allocated NOBITS. The code-size cost of a
// Rust flag is the difference of these between two artifacts.
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "lab/util/result.h"

namespace rfl::kernel {

struct ElfSizes {
  uint64_t text = 0;
  uint64_t data = 0;
  uint64_t bss = 0;
  uint64_t total() const { return text + data + bss; }
  ElfSizes& operator+=(const ElfSizes& o) {
    text += o.text;
    data += o.data;
    bss += o.bss;
    return *this;
  }
  bool operator==(const ElfSizes&) const = default;
};

nlohmann::json ToJson(const ElfSizes& s);
ElfSizes ElfSizesFromJson(const nlohmann::json& j);

// Sizes of one ELF file (object or executable, 32 or 64 bit, any machine).
[[nodiscard]] Result<ElfSizes> ReadElfSizes(const std::filesystem::path& path);

}  // namespace rfl::kernel
