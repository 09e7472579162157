#pragma once
// kbuild invocations: `make -C <src> O=<tree> LLVM=1 ARCH=<karch> …` as an
// argument vector (flags never pass through a shell), with the
// KBUILD_BUILD_* variables fixed so builds are reproducible.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lab/scenario/model.h"
#include "lab/util/process.h"
#include "lab/util/result.h"

namespace rfl::kernel {

// kbuild's ARCH= value: x86_64, arm64, riscv.
std::string_view KbuildArch(Arch arch);
// The arch/ subdirectory: x86, arm64, riscv.
std::string_view SrcArch(Arch arch);
// The boot image target and its path in the tree:
// bzImage → arch/x86/boot/bzImage, Image → arch/arm64/boot/Image, arch/riscv/boot/Image.
std::string_view ImageTarget(Arch arch);
std::filesystem::path ImagePathInTree(Arch arch);

// How a tree's base .config is made. `make tinyconfig` is allnoconfig with
// kernel/configs/tiny-base.config, then tiny.config merged and olddefconfig:
// three parses of the top Makefile (each re-running its compiler probes, ~30 s
// apiece on 2 cores) and two Kconfig passes, before the lab appends its
// requests and runs Kconfig a third time (and kbuild's syncconfig a fourth).
// When the source's scripts/kconfig/Makefile defines tinyconfig exactly so,
// the lab runs allnoconfig with tiny-base itself and appends tiny.config's
// files ahead of its own requests, for one olddefconfig: two Kconfig passes
// in a fresh tree, the kernel's own merge (later assignments win, defaults
// for what becomes visible). Otherwise (another kernel's tinyconfig, defconfig,
// allnoconfig) `first` is the kernel's own target.
struct BaseConfigSteps {
  std::vector<std::string> first;                  // make arguments that write the base .config
  std::vector<std::filesystem::path> append;       // source files appended to it before the requests
};
BaseConfigSteps PlanBaseConfig(std::string_view base, const std::filesystem::path& source_dir, Arch arch);

// Environment for reproducible builds (KBUILD_BUILD_TIMESTAMP, …).
std::map<std::string, std::string> ReproducibleEnv();

struct MakeInvocation {
  std::filesystem::path source;  // as seen by the command (inside the toolchain)
  std::filesystem::path tree;    // O=, as seen by the command
  Arch arch = Arch::kX86_64;
  int jobs = 1;
  // Extra rustc flags for the kernel's own crates, joined by spaces: as
  // KRUSTFLAGS when the kernel's arch is the host's, else as
  // RUSTFLAGS_KERNEL and RUSTFLAGS_MODULE (see MakeCommand).
  std::vector<std::string> rustflags;
  std::vector<std::string> targets;    // tinyconfig | olddefconfig | vmlinux bzImage | rustavailable
  // When set, C compiles (target and host) go through ccache with this cache
  // directory (as seen by the command). Every make of a tree must agree, or
  // kbuild sees a changed compiler command and rebuilds.
  std::filesystem::path ccache_dir;
  // With ccache_dir: a remote backend shared by machines (ccache's
  // remote_storage, CCACHE_REMOTE_STORAGE), e.g. "redis://build-cache:6379".
  // Not part of the make recipe: where a cached object comes from does not
  // change the object.
  std::string ccache_remote;
};

// The make command (argv, env); the caller wraps it into the toolchain.
Command MakeCommand(const MakeInvocation& m);

// Checks a ccache remote_storage value before any build: one or more
// space-separated URLs of the backends ccache has (redis://, redis+unix:,
// http://, https://, file:), each optionally with "|attribute=value" parts,
// and no control characters. Kind::kInput, naming the URL, otherwise.
Status ValidateCcacheRemote(std::string_view remote);

}  // namespace rfl::kernel
