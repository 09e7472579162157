#pragma once
// Where the lab keeps things: a cache (toolchains, sources, build trees,
// artifacts; safe to delete) and a state dir (results store, libvirt root,
// consoles; the user's data). Resolution order for each: the command-line
// option, the environment (RFL_LAB_CACHE_DIR / RFL_LAB_STATE_DIR), then the
// XDG base directories.
#include <filesystem>
#include <optional>
#include <string>

#include "lab/util/result.h"

namespace rfl {

struct LabDirs {
  std::filesystem::path cache;  // $XDG_CACHE_HOME/rfl-lab
  std::filesystem::path state;  // $XDG_DATA_HOME/rfl-lab
  std::filesystem::path data;   // the repository: images/, scenarios/
};

// Resolves the directories; options win over the environment. Kind::kInput
// when a directory is given as "" or cannot be made absolute (the current
// directory was deleted).
Result<LabDirs> ResolveLabDirs(const std::optional<std::string>& cache_option,
                               const std::optional<std::string>& state_option);

// The directory holding images/ (kconfig fragments, toolchain recipes) and
// scenarios/: RFL_LAB_DATA_DIR, else the source tree the binary was built from.
std::filesystem::path DataDir();

// Creates `dir` and its parents; the error names the path.
Status EnsureDir(const std::filesystem::path& dir);

// Reads a whole file; the error names the path and errno text.
Result<std::string> ReadFile(const std::filesystem::path& path);

// Writes to `path.tmp` then renames, so readers never see half a file.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view content);

// Writes the filesystem holding `path` to disk (syncfs): one flush for a tree
// written without a flush per file (a toolchain rootfs unpacked with dpkg's
// unsafe-io) before it is renamed into the cache.
Status SyncFilesystemOf(const std::filesystem::path& path);

}  // namespace rfl
