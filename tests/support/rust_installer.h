#pragma once
// Tarballs for the `tarball:` toolchain tests: any set of entries as a
// .tar.xz (libarchive), and a sysroot directory repacked in the upstream
// standalone-installer layout (rust-installer version 3) that
// static.rust-lang.org publishes: rust-<ver>-<host>.tar.xz with the
// components rustc and rust-std-<triple>, and rust-src-<ver>.tar.xz.
#include <filesystem>
#include <string>
#include <vector>

#include "lab/util/result.h"

namespace rfl::test {

struct TarEntry {
  enum class Type { kFile, kDir, kSymlink, kHardlink, kFifo };
  std::string path;     // as stored, e.g. "rust-1.85.1-x86_64-unknown-linux-gnu/components"
  Type type = Type::kFile;
  std::string data;     // file contents, or the link target
  unsigned mode = 0644;
};

[[nodiscard]] Status WriteTarXz(const std::filesystem::path& out, const std::vector<TarEntry>& entries);

// Packs `sysroot` (bin/rustc, lib/..., lib/rustlib/<triple>, lib/rustlib/src)
// into `<out_dir>/rust-<version>-<host>.tar.xz` and
// `<out_dir>/rust-src-<version>.tar.xz`; returns the installer's path.
[[nodiscard]] Result<std::filesystem::path> PackInstallerTarballs(const std::filesystem::path& sysroot,
                                                                  const std::filesystem::path& out_dir,
                                                                  const std::string& version,
                                                                  const std::string& host);

}  // namespace rfl::test
