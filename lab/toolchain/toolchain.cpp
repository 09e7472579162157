#include "lab/toolchain/toolchain.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "lab/toolchain/archive.h"
#include "lab/toolchain/installer.h"
#include "lab/toolchain/private_apt.h"
#include "lab/toolchain/versions.h"
#include "lab/util/file_lock.h"
#include "lab/util/cancel.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"

namespace rfl::toolchain {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kStampName = "toolchain.json";
constexpr const char* kSandboxPath = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

std::string FirstLine(std::string_view s) {
  auto nl = s.find('\n');
  return std::string(s.substr(0, nl));
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<Toolchain> LoadStamp(const fs::path& dir) {
  auto text = ReadFile(dir / kStampName);
  if (!text) return Fail(text.error());
  try {
    json j = json::parse(*text);
    Toolchain tc;
    tc.name = j.at("name").get<std::string>();
    tc.dir = dir;
    tc.rootfs = dir / "rootfs";
    tc.recipe_hash = j.at("recipe_hash").get<std::string>();
    tc.versions = VersionsFromJson(j.at("versions"));
    tc.id = j.at("id").get<std::string>();
    return tc;
  } catch (const json::exception& e) {
    return Fail("{}: {}", (dir / kStampName).string(), e.what());
  }
}

std::string ToolchainId(const std::string& name, const std::string& recipe_hash, const Versions& v) {
  return KeyHasher().Add("toolchain-v1").Add(name).Add(recipe_hash).Add(v.rustc_vv).Add(v.bindgen).Add(v.clang).Short();
}

Result<Toolchain> HostToolchain(ProcessRunner& runner) {
  Toolchain tc;
  tc.name = std::string(kHostToolchain);
  auto v = QueryVersions(tc, runner);
  if (!v) return Fail(v.error());
  tc.versions = *v;
  tc.id = ToolchainId(tc.name, "", tc.versions);
  return tc;
}

}  // namespace

json ToJson(const Versions& v) {
  return json{{"rustc_vv", v.rustc_vv}, {"rustc", v.rustc}, {"bindgen", v.bindgen}, {"clang", v.clang},
              {"rustfmt", v.rustfmt}};
}

Versions VersionsFromJson(const json& j) {
  Versions v;
  v.rustc_vv = j.value("rustc_vv", "");
  v.rustc = j.value("rustc", "");
  v.bindgen = j.value("bindgen", "");
  v.clang = j.value("clang", "");
  v.rustfmt = j.value("rustfmt", "");
  return v;
}

std::string RustcRelease(std::string_view vv) {
  auto pos = vv.find("release: ");
  if (pos == std::string_view::npos) return "";
  auto rest = vv.substr(pos + 9);
  return std::string(rest.substr(0, rest.find('\n')));
}

fs::path InsidePath(const Toolchain& tc, const Mount& m) { return tc.is_host() ? m.host : m.inside; }

namespace {
std::vector<std::string> SandboxPrefix(const Toolchain& tc, const std::vector<Mount>& mounts) {
  std::vector<std::string> argv{"bwrap", "--ro-bind", tc.rootfs.string(), "/", "--dev", "/dev", "--proc",
                                "/proc", "--tmpfs", "/tmp", "--tmpfs", "/run"};
  for (const auto& list : {tc.overlays, mounts}) {
    for (const auto& m : list) {
      argv.push_back(m.writable ? "--bind" : "--ro-bind");
      argv.push_back(m.host.string());
      argv.push_back(m.inside.string());
    }
  }
  std::map<std::string, std::string> env = {
      {"PATH", kSandboxPath}, {"HOME", "/tmp"}, {"LANG", "C.UTF-8"}, {"TERM", "dumb"}};
  for (const auto& [k, v] : tc.env) env[k] = v;
  for (const auto& [k, v] : env) argv.insert(argv.end(), {"--setenv", k, v});
  argv.insert(argv.end(), {"--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname",
                           "rfl-lab"});
  return argv;
}
}  // namespace

Command InToolchain(const Toolchain& tc, Command cmd, const std::vector<Mount>& mounts) {
  if (tc.is_host()) return cmd;
  std::vector<std::string> argv = SandboxPrefix(tc, mounts);
  for (const auto& [k, v] : cmd.env) {
    argv.push_back("--setenv");
    argv.push_back(k);
    argv.push_back(v);
  }
  cmd.env.clear();
  if (cmd.cwd) {
    argv.push_back("--chdir");
    argv.push_back(cmd.cwd->string());
    cmd.cwd.reset();
  }
  argv.push_back("--");
  argv.insert(argv.end(), cmd.argv.begin(), cmd.argv.end());
  cmd.argv = std::move(argv);
  return cmd;
}

std::vector<std::string> ShellArgv(const Toolchain& tc, const std::vector<Mount>& mounts) {
  if (tc.is_host()) {
    const char* shell = std::getenv("SHELL");
    return {shell ? shell : "/bin/sh"};
  }
  auto argv = SandboxPrefix(tc, mounts);
  // Interactive: keep the user's terminal type.
  if (const char* term = std::getenv("TERM")) {
    argv.insert(argv.end(), {"--setenv", "TERM", term});
  }
  argv.insert(argv.end(), {"--setenv", "PS1", fmt::format("({}) \\w\\$ ", tc.name), "--", "/bin/bash", "--norc"});
  return argv;
}

Result<Versions> QueryVersions(const Toolchain& tc, ProcessRunner& runner, bool need_rustc) {
  Versions v;
  auto run = [&](std::vector<std::string> argv) -> Result<std::string> {
    Command c;
    c.argv = std::move(argv);
    c.timeout = std::chrono::seconds(60);
    auto r = runner.Run(InToolchain(tc, c, {}));
    if (!r) return Fail(r.error());
    if (!r->ok()) return Fail("`{}` in toolchain {}: {}: {}", fmt::join(c.argv, " "), tc.name, r->Describe(), Trim(r->output));
    return Trim(r->output);
  };
  auto rustc = run({"rustc", "-vV"});
  if (rustc) {
    v.rustc_vv = *rustc + "\n";
    v.rustc = RustcRelease(v.rustc_vv);
  } else if (need_rustc) {
    return Fail(rustc.error());
  }
  // bindgen, clang and rustfmt are needed by a Rust kernel build, but their
  // absence is reported by `make rustavailable`, not here.
  if (auto b = run({"bindgen", "--version"})) v.bindgen = FirstLine(*b);
  if (auto c = run({"clang", "--version"})) v.clang = FirstLine(*c);
  if (auto f = run({"rustfmt", "--version"})) v.rustfmt = FirstLine(*f);
  return v;
}

namespace {

std::optional<Toolchain> FindProvisionedRecipe(const fs::path& cache_dir, const Recipe& recipe) {
  fs::path dir = cache_dir / "toolchains" / recipe.name;
  auto tc = LoadStamp(dir);
  if (!tc || tc->recipe_hash != recipe.ContentHash()) return std::nullopt;
  // A rootfs is used only if its tools are what the recipe says.
  if (auto st = CheckVersions(recipe, tc->versions); !st) {
    spdlog::warn("{} (cached in {}): not using it", st.error().message, dir.string());
    return std::nullopt;
  }
  return *tc;
}

Result<Toolchain> ProvisionRecipe(const fs::path& cache_dir, const Recipe& recipe, ProcessRunner& runner,
                                  const ProvisionOptions& options);

// The Debian root filesystem a `dir:` compiler is layered over.
Result<Recipe> BaseRecipe(const fs::path& data_dir) { return LoadRecipe(RecipeDir(data_dir) / "base" / "trixie.yaml"); }

// A `dir:` toolchain over a made base rootfs; its identity is the compiler's
// own `rustc -vV`, asked every time (a rebuilt stage1 keeps its path).
Result<Toolchain> LayerSysroot(const Toolchain& base, const std::string& name, const fs::path& sysroot,
                               ProcessRunner& runner) {
  if (auto st = CheckSysroot(sysroot); !st) return Fail(st.error());
  Toolchain tc = base;
  tc.name = name;
  tc.overlays = {{sysroot, kSysrootMountPoint, false}};
  tc.env = {{"PATH", fmt::format("{}/bin:{}", kSysrootMountPoint.string(), kSandboxPath)},
            // rustc of a Debian-style tree finds librustc_driver here; an
            // upstream one has an RPATH and ignores it.
            {"LD_LIBRARY_PATH", fmt::format("{0}/lib:{0}/lib/x86_64-linux-gnu:{0}/lib/aarch64-linux-gnu",
                                            kSysrootMountPoint.string())}};
  auto v = QueryVersions(tc, runner);
  if (!v) return Fail(v.error().Wrap(fmt::format("toolchain {}", name)));
  if (v->rustc.empty()) return FailAs(Error::Kind::kInput, "toolchain {}: bin/rustc -vV printed no release", name);
  tc.versions = *v;
  tc.id = ToolchainId(name, base.recipe_hash, tc.versions);
  return tc;
}

// The sysroot of a dir: or tarball: name, checked; a tarball's is unpacked
// into the cache when `install` (else only found there).
Result<fs::path> BroughtSysroot(const fs::path& cache_dir, const std::string& name, bool install) {
  if (name.starts_with(kTarballPrefix)) {
    auto tarballs = FindInstallerTarballs(name);
    if (!tarballs) return Fail(tarballs.error());
    return install ? InstallTarballs(*tarballs, cache_dir) : InstalledSysroot(*tarballs, cache_dir);
  }
  auto sysroot = SysrootOf(name);
  if (!sysroot) return Fail(sysroot.error());
  if (auto st = CheckSysroot(*sysroot); !st) return Fail(st.error());
  return *sysroot;
}

}  // namespace

std::string UntrackedToolsId(const Toolchain& tc) {
  if (tc.versions.clang.empty()) return tc.id;
  return KeyHasher().Add("untracked-tools-v1").Add(tc.versions.clang).Add(tc.versions.bindgen).Short();
}

std::string AbsoluteToolchainName(const std::string& name, const fs::path& base) {
  for (std::string_view prefix : {kSysrootPrefix, kTarballPrefix}) {
    if (!name.starts_with(prefix)) continue;
    fs::path p(name.substr(prefix.size()));
    if (p.empty()) return name;
    std::error_code ec;
    fs::path abs = p.is_absolute() ? p : fs::absolute(base / p, ec);
    return ec ? name : std::string(prefix) + abs.lexically_normal().string();
  }
  return name;
}

bool IsBroughtCompiler(std::string_view name) {
  return name.starts_with(kSysrootPrefix) || name.starts_with(kTarballPrefix);
}

Result<fs::path> SysrootOf(std::string_view name) {
  if (!name.starts_with(kSysrootPrefix)) return FailAs(Error::Kind::kInput, "'{}' is not a dir: toolchain", name);
  fs::path p(name.substr(kSysrootPrefix.size()));
  if (p.empty() || !p.is_absolute()) {
    return FailAs(Error::Kind::kInput, "toolchain {}: give the sysroot as an absolute path (dir:/path/to/stage1)", name);
  }
  p = p.lexically_normal();
  if (!p.has_filename() && p != p.root_path()) p = p.parent_path();  // "/x/stage1/" → "/x/stage1"
  return p;
}

Status CheckSysroot(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return FailAs(Error::Kind::kInput, "{} is not a directory", dir.string());
  if (!fs::is_regular_file(dir / "bin" / "rustc", ec)) {
    return FailAs(Error::Kind::kInput, "{} has no bin/rustc: a sysroot is a directory with bin/rustc and "
                  "lib/rustlib/src/rust/library (a rust-lang/rust stage1/stage2 build or a rustup toolchain)",
                  dir.string());
  }
  if (!fs::is_directory(dir / "lib" / "rustlib" / "src" / "rust" / "library", ec)) {
    return FailAs(Error::Kind::kInput, "{} has no lib/rustlib/src/rust/library: the kernel builds core from it "
                  "(install the rust-src component)", dir.string());
  }
  return {};
}

std::optional<Toolchain> FindProvisioned(const fs::path& cache_dir, const fs::path& data_dir,
                                         const std::string& name) {
  if (name == kHostToolchain) return std::nullopt;
  if (IsBroughtCompiler(name)) {
    auto sysroot = BroughtSysroot(cache_dir, name, /*install=*/false);
    if (!sysroot) return std::nullopt;
    auto base_recipe = BaseRecipe(data_dir);
    if (!base_recipe) return std::nullopt;
    auto base = FindProvisionedRecipe(cache_dir, *base_recipe);
    if (!base) return std::nullopt;
    auto tc = LayerSysroot(*base, name, *sysroot, DefaultRunner());
    if (!tc) return std::nullopt;
    return *tc;
  }
  auto recipe = FindRecipe(data_dir, name);
  if (!recipe) return std::nullopt;
  return FindProvisionedRecipe(cache_dir, *recipe);
}

Result<Toolchain> Provision(const fs::path& cache_dir, const fs::path& data_dir, const std::string& name,
                            ProcessRunner& runner, const ProvisionOptions& options) {
  if (name == kHostToolchain) return HostToolchain(runner);
  if (IsBroughtCompiler(name)) {
    auto sysroot = BroughtSysroot(cache_dir, name, /*install=*/true);
    if (!sysroot) return Fail(sysroot.error());
    auto base_recipe = BaseRecipe(data_dir);
    if (!base_recipe) return Fail(base_recipe.error());
    auto base = ProvisionRecipe(cache_dir, *base_recipe, runner, options);
    if (!base) return Fail(base.error().Wrap(fmt::format("toolchain {}: its base rootfs", name)));
    return LayerSysroot(*base, name, *sysroot, runner);
  }
  auto recipe = FindRecipe(data_dir, name);
  if (!recipe) return Fail(recipe.error());
  return ProvisionRecipe(cache_dir, *recipe, runner, options);
}

namespace {

Result<Toolchain> ProvisionRecipe(const fs::path& cache_dir, const Recipe& recipe, ProcessRunner& runner,
                                  const ProvisionOptions& options) {
  const std::string& name = recipe.name;
  fs::path root = cache_dir / "toolchains";
  if (auto st = EnsureDir(root); !st) return Fail(st.error());
  auto lock = FileLock::Acquire(root / (name + ".lock"), std::chrono::hours(1), [&] {
    spdlog::info("waiting for another rfl-lab provisioning toolchain {}", name);
  });
  if (!lock) return Fail(lock.error());

  fs::path dir = root / name;
  if (!options.force) {
    if (auto tc = FindProvisionedRecipe(cache_dir, recipe)) return *tc;
  }
  std::error_code ec;
  if (fs::exists(dir)) {
    if (!fs::exists(dir / kStampName)) spdlog::warn("toolchain {}: half-made rootfs found, redoing it", name);
    else spdlog::info("toolchain {}: recipe changed, tools differ from it, or --force: reprovisioning", name);
    fs::remove_all(dir, ec);
    if (ec) return Fail("cannot remove {}: {}", dir.string(), ec.message());
  }
  if (!FindProgram("mmdebstrap")) return Fail("mmdebstrap not found on PATH (Debian package mmdebstrap)");
  if (!FindProgram("bwrap")) return Fail("bwrap not found on PATH (Debian package bubblewrap)");

  fs::path tmp = root / fmt::format(".tmp-{}-{}", name, ::getpid());
  fs::remove_all(tmp, ec);
  if (auto st = EnsureDir(tmp); !st) return Fail(st.error());
  // Remove the temporary dir on every failure path.
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      if (!p.empty()) fs::remove_all(p, e);
    }
  } cleanup{tmp};

  // Hold the packages to the versions the recipe states, read from the
  // archive's own indices: an archive that moved on is an error naming what
  // it has now, never a silent substitute.
  std::vector<std::string> packages = recipe.packages;
  if (!recipe.versions.empty()) {
    spdlog::info("toolchain {}: reading the archive's package indices ({})", name, fmt::join(recipe.SuiteNames(), ", "));
    auto index = ReadArchiveIndex(recipe, root / ".apt" / name, runner);
    if (!index) return Fail(index.error().Wrap(fmt::format("provisioning toolchain {}", name)));
    auto pins = ResolvePins(recipe, *index);
    if (!pins) return Fail(pins.error());
    for (const auto& pin : *pins) spdlog::info("toolchain {}: {} from {}={} ({})", name, pin.tool, pin.package, pin.version, pin.suite);
    packages = PinnedPackages(recipe, *pins);
  }

  std::string prefs = recipe.AptPreferences();
  if (!prefs.empty()) {
    if (auto st = WriteFileAtomic(tmp / "prefs" / "rfl-lab", prefs); !st) return Fail(st.error());
  }
  Command cmd;
  // dpkg without an fsync per unpacked file (force-unsafe-io): the rootfs is
  // made in a temporary directory and synced once before it is renamed into
  // the cache. The rustc-1.96 recipe's packages, two pairs on 2 cores: 92.8
  // and 107.6 s with dpkg's fsyncs, 81.9 and 83.1 s without (docs/builds.md).
  cmd.argv = {"mmdebstrap", "--variant=apt", "--aptopt=Acquire::Retries \"5\"", "--dpkgopt=force-unsafe-io",
              fmt::format("--include={}", fmt::join(packages, ","))};
  for (const auto& o : recipe.apt_options) cmd.argv.push_back("--aptopt=" + o);
  if (!prefs.empty()) {
    cmd.argv.push_back("--setup-hook=mkdir -p \"$1\"/etc/apt/preferences.d");
    cmd.argv.push_back(fmt::format("--setup-hook=copy-in {} /etc/apt/preferences.d", (tmp / "prefs" / "rfl-lab").string()));
  }
  // Mount points for the sandbox (the rootfs is bound read-only).
  cmd.argv.push_back("--customize-hook=mkdir -p \"$1\"/src \"$1\"/build \"$1\"/ccache \"$1\"/opt/rust");
  cmd.argv.push_back(recipe.suite);
  cmd.argv.push_back((tmp / "rootfs").string());
  for (const auto& line : recipe.SourcesLines()) cmd.argv.push_back(line);
  cmd.timeout = std::chrono::minutes(40);
  cmd.on_line = options.on_line;
  cmd.log_file = tmp / "mmdebstrap.log";

  std::string last_error;
  bool made = false;
  for (int attempt = 1; attempt <= std::max(1, options.attempts); ++attempt) {
    spdlog::info("toolchain {}: mmdebstrap {} ({}{}), attempt {}", name, recipe.suite,
                 fmt::join(recipe.extra_suites, " "), recipe.pin_suite.empty() ? "" : " pinned", attempt);
    auto r = runner.Run(cmd);
    if (!r) return Fail(r.error().Wrap(fmt::format("provisioning toolchain {}", name)));
    if (r->ok()) {
      made = true;
      break;
    }
    last_error = fmt::format("mmdebstrap {}: {}", r->Describe(), AptErrorLines(r->output));
    spdlog::warn("toolchain {}: attempt {} failed: {}", name, attempt, last_error);
    fs::remove_all(tmp / "rootfs", ec);
    if (CancelRequested()) return FailAs(Error::Kind::kCancelled, "cancelled provisioning {}", name);
    if (attempt < options.attempts) std::this_thread::sleep_for(std::chrono::seconds(5 * attempt));
  }
  if (!made) {
    return Fail("could not provision toolchain {} from {} ({}): {}", name, recipe.mirror, recipe.suite, last_error);
  }
  if (auto st = SyncFilesystemOf(tmp / "rootfs"); !st) return Fail(st.error());

  Toolchain tc;
  tc.name = name;
  tc.dir = dir;
  tc.rootfs = tmp / "rootfs";
  tc.recipe_hash = recipe.ContentHash();
  bool need_rustc = std::any_of(recipe.versions.begin(), recipe.versions.end(),
                                [](const auto& kv) { return kv.first == "rustc"; });
  auto versions = QueryVersions(tc, runner, need_rustc);
  if (!versions) return Fail(versions.error().Wrap(fmt::format("toolchain {} was made but", name)));
  tc.versions = *versions;
  if (auto st = CheckVersions(recipe, tc.versions); !st) return Fail(st.error());
  tc.id = ToolchainId(name, tc.recipe_hash, tc.versions);
  json stamp{{"name", name},
             {"recipe_hash", tc.recipe_hash},
             {"suite", recipe.suite},
             {"extra_suites", recipe.extra_suites},
             {"versions", ToJson(tc.versions)},
             {"id", tc.id},
             {"provisioned_at", std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()}};
  if (auto st = WriteFileAtomic(tmp / kStampName, stamp.dump(2) + "\n"); !st) return Fail(st.error());
  fs::remove_all(tmp / "prefs", ec);
  fs::rename(tmp, dir, ec);
  if (ec) return Fail("cannot rename {} to {}: {}", tmp.string(), dir.string(), ec.message());
  cleanup.p.clear();
  tc.rootfs = dir / "rootfs";
  spdlog::info("toolchain {}: rustc {}, {}, {}", name, tc.versions.rustc, tc.versions.bindgen, tc.versions.clang);
  return tc;
}

}  // namespace

}  // namespace rfl::toolchain
