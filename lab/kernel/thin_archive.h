#pragma once
// The member paths of a GNU thin archive (`!<thin>`), as kbuild writes
// vmlinux.a: every object linked into vmlinux, relative to the archive's
// directory. A thin archive holds only names (and a symbol table), never the
// objects, so this reads the ar headers and the long-name table and nothing
// else.
#include <filesystem>
#include <string>
#include <vector>

#include "lab/util/result.h"

namespace rfl::kernel {

// Member names in archive order ("rust/core.o"). Not a thin archive, or a
// header that runs past the end → Error::Kind::kInput.
[[nodiscard]] Result<std::vector<std::string>> ThinArchiveMembers(const std::filesystem::path& archive);
// The same, from the archive's bytes.
[[nodiscard]] Result<std::vector<std::string>> ParseThinArchive(std::string_view bytes);

}  // namespace rfl::kernel
