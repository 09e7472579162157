#pragma once
// Kernel sources, unpacked once into <cache>/sources/<name>/ and shared by all
// toolchains and arches (builds are out of tree, the source is mounted
// read-only):
//   debian:linux-source-X.Y  apt-get download with a private apt config
//                            (<cache>/sources/apt/: trixie, trixie-backports,
//                            forky), unpack the .deb and its tarball;
//   tarball:FILE             unpacked, keyed by the file's SHA-256;
//   path:DIR                 used in place, never written to.
// Each is unpacked into a temporary dir and renamed, with source.json written
// last, under the source's lock.
#include <filesystem>
#include <optional>
#include <string>

#include "lab/scenario/model.h"
#include "lab/util/process.h"
#include "lab/util/result.h"

namespace rfl::kernel {

struct SourceTree {
  std::filesystem::path dir;  // top of the kernel tree (has Makefile)
  // Identity for artifact keys: "debian:linux-source-7.3=7.3.4-1~bpo13+1",
  // "tarball:<sha256>", "path:/abs/dir".
  std::string id;
  std::string kernel_version;  // "7.3.4", from the Makefile
};

// A source as written on a command line: debian:linux-source-X.Y, path:DIR
// or tarball:FILE (relative paths are made absolute). kInput error otherwise.
[[nodiscard]] Result<scenario::KernelSource> ParseSourceSpec(std::string_view spec);

// The suites the private apt config looks in, in order.
const std::vector<std::string>& DebianSourceSuites();

// The source as already prepared in the cache (no network); path: sources
// are always "prepared".
std::optional<SourceTree> FindPreparedSource(const scenario::KernelSource& source,
                                             const std::filesystem::path& cache_dir);

// Downloads/unpacks as needed. Downloads retry, and a mirror failure is
// reported with apt's own error lines.
[[nodiscard]] Result<SourceTree> PrepareSource(const scenario::KernelSource& source,
                                               const std::filesystem::path& cache_dir, ProcessRunner& runner);

// "7.3.4" from a kernel Makefile's VERSION/PATCHLEVEL/SUBLEVEL lines.
std::string KernelVersionFromMakefile(std::string_view makefile_text);

}  // namespace rfl::kernel
