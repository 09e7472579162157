#include "lab/kernel/kbuild.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/util/paths.h"

namespace rfl::kernel {

std::string_view KbuildArch(Arch arch) {
  switch (arch) {
    case Arch::kX86_64: return "x86_64";
    case Arch::kArm64: return "arm64";
    case Arch::kRiscv64: return "riscv";
  }
  return "x86_64";
}

std::string_view SrcArch(Arch arch) {
  switch (arch) {
    case Arch::kX86_64: return "x86";
    case Arch::kArm64: return "arm64";
    case Arch::kRiscv64: return "riscv";
  }
  return "x86";
}

std::string_view ImageTarget(Arch arch) { return arch == Arch::kX86_64 ? "bzImage" : "Image"; }

std::filesystem::path ImagePathInTree(Arch arch) {
  return std::filesystem::path("arch") / std::string(SrcArch(arch)) / "boot" / std::string(ImageTarget(arch));
}

BaseConfigSteps PlanBaseConfig(std::string_view base, const std::filesystem::path& source_dir, Arch arch) {
  namespace fs = std::filesystem;
  BaseConfigSteps steps{{std::string(base)}, {}};
  if (base != "tinyconfig") return steps;
  // The kernel's rule as 7.3 writes it; any other is left to the kernel's own
  // target.
  constexpr std::string_view kRule =
      "tinyconfig:\n"
      "\t$(Q)KCONFIG_ALLCONFIG=kernel/configs/tiny-base.config $(MAKE) -f $(srctree)/Makefile allnoconfig\n"
      "\t$(Q)$(MAKE) -f $(srctree)/Makefile tiny.config\n";
  auto makefile = ReadFile(source_dir / "scripts/kconfig/Makefile");
  if (!makefile || makefile->find(kRule) == std::string::npos || !fs::is_regular_file(source_dir / "kernel/configs/tiny-base.config")) {
    return steps;
  }
  // tiny.config's fragments, in the order the kernel's configfiles lists them.
  for (fs::path f : {fs::path("kernel/configs/tiny.config"),
                     fs::path("arch") / std::string(SrcArch(arch)) / "configs/tiny.config"}) {
    if (fs::is_regular_file(source_dir / f)) steps.append.push_back(source_dir / f);
  }
  if (steps.append.empty()) return steps;  // the kernel's tiny.config would fail the same way
  steps.first = {"KCONFIG_ALLCONFIG=kernel/configs/tiny-base.config", "allnoconfig"};
  return steps;
}

std::map<std::string, std::string> ReproducibleEnv() {
  return {{"KBUILD_BUILD_TIMESTAMP", "Thu Jan  1 00:00:00 UTC 1970"},
          {"KBUILD_BUILD_VERSION", "1"},
          {"KBUILD_BUILD_USER", "rfl-lab"},
          {"KBUILD_BUILD_HOST", "rfl-lab"},
          {"LC_ALL", "C"}};
}

Command MakeCommand(const MakeInvocation& m) {
  Command c;
  c.argv = {"make",
            "-C",
            m.source.string(),
            fmt::format("O={}", m.tree.string()),
            "LLVM=1",
            fmt::format("ARCH={}", KbuildArch(m.arch)),
            fmt::format("-j{}", std::max(1, m.jobs))};
  if (!m.ccache_dir.empty()) {
    // LLVM=1 would pick clang; ccache in front of it for the kernel's C.
    // Not HOSTCC: kbuild hands it to rustc as `-Clinker=$(HOSTCC)` for the
    // host crates (the `macros` proc-macro), where "ccache clang" is two
    // words and rustc fails ("multiple input filenames provided").
    c.argv.push_back("CC=ccache clang");
  }
  if (!m.rustflags.empty()) {
    std::string flags = fmt::format("{}", fmt::join(m.rustflags, " "));
    if (m.arch == HostArch()) {  // the toolchain root filesystems are the host's
      c.argv.push_back("KRUSTFLAGS=" + flags);
    } else {
      // A cross build: scripts/rust_is_available.sh (6.12 to 7.3) runs
      // `rustc $KRUSTFLAGS --print sysroot` for the host, which refuses a
      // flag only the target's arch has ("-Zbranch-protection is only
      // supported on aarch64", "-Zfixed-x18 … not supported on the x86_64
      // architecture") and fails the build. RUSTFLAGS_KERNEL and
      // RUSTFLAGS_MODULE reach every target crate (core and kernel through
      // rust/Makefile's rust_flags, drivers built in or as modules) and
      // nothing built for the host.
      c.argv.push_back("RUSTFLAGS_KERNEL=" + flags);
      c.argv.push_back("RUSTFLAGS_MODULE=" + flags);
    }
  }
  c.argv.insert(c.argv.end(), m.targets.begin(), m.targets.end());
  c.env = ReproducibleEnv();
  if (!m.ccache_dir.empty()) {
    c.env["CCACHE_DIR"] = m.ccache_dir.string();
    c.env["CCACHE_MAXSIZE"] = "5G";
    // Trees differ in their host path but are all mounted at the same place;
    // do not let the working directory split the cache.
    c.env["CCACHE_NOHASHDIR"] = "1";
    // Depend mode: a miss compiles once and takes the headers from the .d
    // file kbuild asks for (-Wp,-MMD), instead of running the preprocessor
    // first as well. On kernel/ and mm/ of the quickstart's x86 config (187
    // objects, empty cache, 2 cores) that took the cold compile from 189 s to
    // 156 s (median of 2 pairs; per-pair ratio 0.71-0.94). What it gives up,
    // hits on equal preprocessor output from different headers, the lab's
    // trees hardly have: a config change reaches the objects it touches
    // through kbuild's own dependencies, and seeded trees keep their objects.
    c.env["CCACHE_DEPEND"] = "1";
    if (!m.ccache_remote.empty()) c.env["CCACHE_REMOTE_STORAGE"] = m.ccache_remote;
  }
  c.cwd = m.tree;
  return c;
}

Status ValidateCcacheRemote(std::string_view remote) {
  auto bad = [](std::string_view url, std::string_view why) -> Status {
    return FailAs(Error::Kind::kInput,
                  "ccache remote {:?}: {}; use redis://HOST[:PORT], redis+unix:PATH, http(s)://HOST/PATH or "
                  "file:PATH (several: separated by spaces)",
                  url, why);
  };
  if (remote.empty()) return bad(remote, "empty");
  for (char ch : remote) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return bad(remote, "contains a control character");
  }
  size_t urls = 0;
  for (size_t pos = 0; pos < remote.size();) {
    size_t end = remote.find(' ', pos);
    if (end == std::string_view::npos) end = remote.size();
    std::string_view url = remote.substr(pos, end - pos);
    pos = end + 1;
    if (url.empty()) continue;
    ++urls;
    std::string_view location = url.substr(0, url.find('|'));
    static constexpr std::string_view kSchemes[] = {"redis://", "redis+unix:", "http://", "https://", "file:"};
    bool known = false;
    for (auto scheme : kSchemes) {
      if (location.starts_with(scheme) && location.size() > scheme.size()) known = true;
    }
    if (!known) return bad(url, "not a backend ccache has");
  }
  if (urls == 0) return bad(remote, "empty");
  return {};
}

}  // namespace rfl::kernel
