#pragma once
// Kernel symbols from a System.map (the one `make` writes next to vmlinux;
// the lab's artifact dir keeps it beside bzImage): text symbols sorted by
// address, so an instruction address resolves to the function that contains
// it by bisection. A function ends where the next text symbol starts.
// Several names at one address (aliases, identical code folded by the
// linker, e.g. two instantiations of one Rust generic) resolve to the first
// name in the file, with the others counted.
//
// Rust symbols (v0 `_R…`, legacy `_ZN…E`) are shown demangled
// (lab/util/demangle.h).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/util/result.h"

namespace rfl::profile {

struct Symbol {
  uint64_t address = 0;
  std::string name;     // as in System.map (mangled)
  int aliases = 0;      // other names at the same address
};

// The function an address falls in, with the offset into it.
struct Resolved {
  const Symbol* symbol = nullptr;
  uint64_t offset = 0;
};

class SystemMap {
 public:
  // Parses System.map text: "<hex address> <type> <name>" per line; keeps
  // text symbols (t, T, w, W); other lines are ignored.
  static SystemMap Parse(std::string_view text);
  [[nodiscard]] static Result<SystemMap> Load(const std::filesystem::path& path);

  // nullopt for an address outside every function of the map: below the
  // first one, in data, past the image (user space, modules).
  std::optional<Resolved> Find(uint64_t address) const;
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<Symbol> symbols_;    // text, sorted by address, one per address
  std::vector<uint64_t> others_;   // addresses of every other symbol, sorted: where text ends
};

// A hex address as System.map and the `profile` record write it ("ffffffff81338f60",
// no 0x); nullopt for anything else.
std::optional<uint64_t> ParseAddress(std::string_view hex);

}  // namespace rfl::profile
