#pragma once
// Kernel artifacts: what a successful build leaves in the content-addressed
// cache, <cache>/artifacts/<key>/ with metadata.json beside the files.
//
// The key hashes the BuildSpec key (source spec, base config, fragment
// contents, variant Kconfig, toolchain name, arch, Rust flags) with the
// identities of what those names resolved to: the source id (Debian package
// version or tarball SHA-256) and the toolchain id (recipe + exact rustc,
// bindgen and clang versions). The final .config is a function of these, and
// its SHA-256 is recorded. An artifact dir is made under a temporary name and
// renamed, so a killed build never leaves half an artifact.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/kernel/elf_sizes.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/result.h"

namespace rfl::scenario {
struct BuildSpec;
}

namespace rfl::kernel {

struct ObjectSizes {
  std::string path;  // relative to the build tree: rust/kernel.o
  ElfSizes sizes;
};

// What the last kbuild run rebuilt (objects whose mtime changed).
struct RebuildSummary {
  std::string kind;                       // full | seeded | incremental | noop
  size_t objects = 0;                     // .o files written by this run
  std::vector<std::string> rust_objects;  // of which Rust (rustc in their .cmd)
  std::vector<std::string> c_objects;     // the others (at most 200 listed)
  std::string seeded_from;                // kind seeded: the tree key of the tree copied in
};

struct Artifact {
  std::string key;                 // artifact key (the directory name)
  std::string build_key;           // BuildSpec::key
  std::string tree_key;            // BuildSpec::tree_key
  std::filesystem::path dir;       // <cache>/artifacts/<key>
  // Files inside dir (absolute once loaded).
  std::filesystem::path image;     // bzImage | Image
  std::filesystem::path vmlinux;
  std::filesystem::path config;    // the final .config
  std::filesystem::path system_map;
  std::filesystem::path build_log;

  std::string arch;                // x86_64 | arm64 | riscv64
  std::string source_spec;         // debian:linux-source-7.3
  std::string source_id;           // debian:linux-source-7.3=7.3.4-1~bpo13+1
  std::string kernel_version;      // 7.3.4
  std::string toolchain;           // rustc-1.96
  std::string toolchain_id;
  toolchain::Versions versions;    // rustc -vV, bindgen, clang, rustfmt
  std::vector<std::string> variants;
  std::vector<std::string> requested_rustflags;  // KRUSTFLAGS as asked
  // Fragment symbols this kernel's Kconfig lacks, left out of the config:
  // "CONFIG_ANDROID_BINDER_IPC_RUST (from binder-rust.config)".
  std::vector<std::string> absent_symbols;
  // Effective rustc flags from rust/.core.o.cmd and rust/.kernel.o.cmd.
  std::vector<std::string> effective_rustflags_core;
  std::vector<std::string> effective_rustflags_kernel;
  std::string config_sha256;
  double build_seconds = 0;        // the make run that produced it
  RebuildSummary rebuild;
  ElfSizes vmlinux_sizes;
  ElfSizes rust_sizes;             // sum over rust_objects
  // The Rust objects of this kernel: linked into vmlinux (members of
  // vmlinux.a) or listed in modules.order; not stale objects of the tree.
  std::vector<ObjectSizes> rust_objects;
  int64_t created_at = 0;          // unix seconds
};

// Inside an artifact dir: a copy of every Rust object of the build
// (rust_objects, same relative paths), kept for the code checks.
inline constexpr std::string_view kRustObjectsDir = "rust-objects";
// The copies, absolute; an artifact made before they were kept has none.
std::vector<std::filesystem::path> RustObjectCopies(const Artifact& a);

nlohmann::json ToJson(const Artifact& a);           // paths relative to dir
Result<Artifact> ArtifactFromJson(const nlohmann::json& j, const std::filesystem::path& dir);

// Reads <dir>/metadata.json; checks that the image is there.
[[nodiscard]] Result<Artifact> LoadArtifact(const std::filesystem::path& dir);

// The artifact key for a spec once its source and toolchain are resolved.
std::string ArtifactKey(const scenario::BuildSpec& spec, const std::string& source_id, const std::string& toolchain_id);

std::filesystem::path ArtifactsDir(const std::filesystem::path& cache_dir);

// The cached artifact of `spec`, without building or downloading anything:
// the source and toolchain ids come from the cache's stamps (the "host"
// toolchain runs `rustc -vV`). nullopt when not built yet.
std::optional<Artifact> LookupCachedArtifact(const scenario::BuildSpec& spec, const std::filesystem::path& cache_dir);

}  // namespace rfl::kernel
