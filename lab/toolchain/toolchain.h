#pragma once
// Toolchains: one Debian root filesystem per rustc version, made with
// mmdebstrap from a recipe (recipe.h) and cached under
// <cache>/toolchains/<name>/{rootfs/, toolchain.json}. It is made in a
// temporary directory and renamed into place with toolchain.json already
// written, so a directory without toolchain.json (an interrupted provisioning
// of an older lab) is half-made: it is removed and redone, never used.
//
// Commands run inside with bubblewrap: the rootfs read-only as /, the kernel
// source read-only at /src, the build tree writable at /build. The "host"
// toolchain runs commands directly with the tools on PATH.
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/toolchain/recipe.h"
#include "lab/util/process.h"
#include "lab/util/result.h"

namespace rfl::toolchain {

// What a toolchain reports about itself; recorded with every artifact.
struct Versions {
  std::string rustc_vv;  // `rustc -vV`, verbatim
  std::string rustc;     // "1.96.1"
  std::string bindgen;   // "bindgen 0.71.1"
  std::string clang;     // "Debian clang version 19.1.7 (3+b1)"
  std::string rustfmt;   // "rustfmt 1.9.0"
};
nlohmann::json ToJson(const Versions& v);
Versions VersionsFromJson(const nlohmann::json& j);

// A host directory visible to the command; `inside` is its path in the
// sandbox (ignored for the host toolchain, where paths are the host's).
struct Mount {
  std::filesystem::path host;
  std::filesystem::path inside;
  bool writable = false;
};

struct Toolchain {
  std::string name;                // rustc-1.96 | host | dir:/path/to/sysroot | tarball:/path/rust-….tar.xz
  std::filesystem::path dir;       // <cache>/toolchains/<name> (empty for host)
  std::filesystem::path rootfs;    // dir/rootfs (empty for host)
  std::string recipe_hash;         // empty for host
  Versions versions;
  // Identity for artifact keys: recipe + the exact tool versions.
  std::string id;
  // A `dir:` compiler: its sysroot bound over the rootfs, and the
  // environment that puts it first.
  std::vector<Mount> overlays;
  std::map<std::string, std::string> env;

  bool is_host() const { return rootfs.empty(); }
};

// `dir:/path` names a compiler the user brings: a sysroot with bin/rustc and
// lib/rustlib/src/rust/library (a rust-lang/rust stage1/stage2 build, a
// rustup toolchain), layered read-only at /opt/rust over the Debian base
// rootfs of images/toolchains/base/trixie.yaml (clang, lld, bindgen, make).
inline constexpr std::string_view kSysrootPrefix = "dir:";
inline const std::filesystem::path kSysrootMountPoint = "/opt/rust";
// What kbuild does not notice when it changes in a build tree: the C
// compiler and linker (clang, lld: CC_VERSION_TEXT only re-runs Kconfig) and
// bindgen (its output is not tracked by its version). A rustc change is
// tracked (core.o depends on RUSTC_VERSION_TEXT, every Rust object on
// core's metadata), so trees of toolchains that differ only in rustc can
// seed each other. Falls back to the toolchain id when clang is unknown.
std::string UntrackedToolsId(const Toolchain& tc);

// A compiler the user brings: `dir:` or `tarball:` (installer.h), layered
// the same way over the base rootfs.
bool IsBroughtCompiler(std::string_view name);
// A dir:/tarball: name with a relative path, made absolute against `base`
// (the scenario file's directory; empty: the current directory) and
// normalized; other names unchanged.
std::string AbsoluteToolchainName(const std::string& name, const std::filesystem::path& base = {});
// The sysroot a `dir:` name points at (absolute, normalized); kInput otherwise.
[[nodiscard]] Result<std::filesystem::path> SysrootOf(std::string_view name);
// kInput naming what a sysroot directory lacks.
[[nodiscard]] Status CheckSysroot(const std::filesystem::path& dir);

// Where a toolchain's sandbox sees the kernel source and the build tree.
inline const std::filesystem::path kSourceMountPoint = "/src";
inline const std::filesystem::path kBuildMountPoint = "/build";

// Rewrites `cmd` to run inside the toolchain (bwrap), or returns it unchanged
// for "host". The command's cwd is an inside path.
Command InToolchain(const Toolchain& tc, Command cmd, const std::vector<Mount>& mounts);

// The path a command inside `tc` uses for `m` (m.inside, or m.host for host).
std::filesystem::path InsidePath(const Toolchain& tc, const Mount& m);

struct ProvisionOptions {
  bool force = false;                              // redo even if complete
  int attempts = 3;                                // mmdebstrap retries
  std::function<void(std::string_view)> on_line;   // mmdebstrap output lines
};

// The toolchain as cached, when complete and made from the current recipe.
std::optional<Toolchain> FindProvisioned(const std::filesystem::path& cache_dir,
                                         const std::filesystem::path& data_dir, const std::string& name);

// Makes (or reuses) a toolchain; "host" queries the tools on PATH. Takes the
// toolchain's lock, so concurrent lab processes provision it once.
[[nodiscard]] Result<Toolchain> Provision(const std::filesystem::path& cache_dir,
                                          const std::filesystem::path& data_dir, const std::string& name,
                                          ProcessRunner& runner, const ProvisionOptions& options = {});

// Runs the version commands inside the toolchain. Without `need_rustc` (a
// base rootfs), a missing rustc leaves the rustc fields empty.
[[nodiscard]] Result<Versions> QueryVersions(const Toolchain& tc, ProcessRunner& runner, bool need_rustc = true);

// Parses the "release:" line of `rustc -vV`.
std::string RustcRelease(std::string_view rustc_vv);

// argv for an interactive shell inside the toolchain (`toolchain shell`).
std::vector<std::string> ShellArgv(const Toolchain& tc, const std::vector<Mount>& mounts);

}  // namespace rfl::toolchain
