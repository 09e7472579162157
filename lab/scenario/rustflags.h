#pragma once
// Rust flag safety and knowledge. Flags reach make as KRUSTFLAGS=...; make
// expands $(...) in command-line variables and kbuild passes flags through a
// shell, so anything either would interpret is refused, never passed on.
#include <string>
#include <string_view>
#include <vector>

namespace rfl::scenario {

// Why `flag` is not a single safe rustc flag, or "" when it is.
std::string UnsafeRustflagReason(std::string_view flag);

// Flags the kernel passes or that REFERENCE.md lists (spelling without value).
const std::vector<std::string>& KnownRustflags();

// A known flag that `flag` is probably a typo of, or "" (exact matches and
// unrelated flags give "").
std::string ClosestKnownRustflag(std::string_view flag);

}  // namespace rfl::scenario
