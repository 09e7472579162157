#pragma once
// A compiler the user brings as upstream release tarballs:
// `tarball:/path/rust-<ver>-<host>.tar.xz` is the standalone installer that
// static.rust-lang.org publishes (rust-installer version 3: a top directory
// with a `components` list, one directory per component and its
// `manifest.in` of `file:`/`dir:` lines). The kernel also needs the rust-src
// component; it comes from the installer when the installer lists it, else
// from `rust-src-<ver>.tar.*` (the separate rust-src tarball) next to it.
//
// Installing is what install.sh does, without running it: each listed
// component's manifest entries are moved into one prefix, the sysroot. The
// archives are read with libarchive and never trusted: absolute paths, `..`,
// extraction through symlinks, device nodes and manifest paths that leave
// their component are refused with kInput. The sysroot is cached under
// <cache>/toolchains/tarball-<sha>/sysroot, keyed by both files' SHA-256.
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "lab/util/result.h"

namespace rfl::toolchain {

inline constexpr std::string_view kTarballPrefix = "tarball:";

struct InstallerTarballs {
  std::filesystem::path installer;  // rust-<ver>-<host>.tar.xz
  std::filesystem::path rust_src;   // rust-src-<ver>.tar.xz; empty when the installer has rust-src
};

// The files a `tarball:` name stands for (absolute path required). kInput
// names what is missing: the file, or the rust-src tarball next to it.
[[nodiscard]] Result<InstallerTarballs> FindInstallerTarballs(std::string_view name);

// Limits on what an archive may unpack to (a hostile tarball must not fill
// the disk).
struct UnpackLimits {
  std::uintmax_t max_bytes = std::uintmax_t(16) << 30;
  std::uintmax_t max_entries = 500'000;
};

// Unpacks `archive` (any format and compression libarchive reads) into the
// existing directory `dest`, refusing unsafe entries (kInput).
[[nodiscard]] Status UnpackArchive(const std::filesystem::path& archive, const std::filesystem::path& dest,
                                   const UnpackLimits& limits = {});

// Installs every component of the unpacked installer whose top directory is
// `top` (it holds `components`) into `prefix`, as install.sh would.
[[nodiscard]] Status InstallComponents(const std::filesystem::path& top, const std::filesystem::path& prefix);

// The sysroot of `tarballs`: made once (unpack, install, check it has
// bin/rustc and the library sources) and then found in the cache.
[[nodiscard]] Result<std::filesystem::path> InstallTarballs(const InstallerTarballs& tarballs,
                                                            const std::filesystem::path& cache_dir);

// The cached sysroot of `tarballs`, if it was made; nothing is unpacked.
[[nodiscard]] Result<std::filesystem::path> InstalledSysroot(const InstallerTarballs& tarballs,
                                                             const std::filesystem::path& cache_dir);

}  // namespace rfl::toolchain
