#include "lab/kernel/source.h"

#include <chrono>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "lab/toolchain/private_apt.h"
#include "lab/util/file_lock.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"

namespace rfl::kernel {
namespace fs = std::filesystem;
using nlohmann::json;
using scenario::KernelSource;

namespace {

constexpr const char* kMirror = "http://deb.debian.org/debian";
constexpr const char* kKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
constexpr const char* kStamp = "source.json";

fs::path SourceCacheDir(const KernelSource& source, const fs::path& cache_dir) {
  switch (source.kind) {
    case KernelSource::Kind::kDebian: return cache_dir / "sources" / ("debian-" + source.value);
    case KernelSource::Kind::kTarball: {
      auto sha = Sha256File(source.value);
      return cache_dir / "sources" / ("tarball-" + (sha ? sha->substr(0, 16) : std::string("unreadable")));
    }
    case KernelSource::Kind::kPath: return source.value;
  }
  return {};
}

std::optional<SourceTree> LoadStamp(const fs::path& dir) {
  auto text = ReadFile(dir / kStamp);
  if (!text) return std::nullopt;
  try {
    json j = json::parse(*text);
    SourceTree t;
    t.dir = dir / "tree";
    t.id = j.at("id").get<std::string>();
    t.kernel_version = j.value("kernel_version", "");
    if (!fs::exists(t.dir / "Makefile")) return std::nullopt;
    return t;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// The kernel tree inside an unpacked directory: itself, or its only subdirectory.
std::optional<fs::path> FindKernelTop(const fs::path& dir) {
  if (fs::exists(dir / "Makefile") && fs::exists(dir / "Kconfig")) return dir;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory() && fs::exists(e.path() / "Makefile") && fs::exists(e.path() / "Kconfig")) return e.path();
  }
  return std::nullopt;
}

Result<std::string> VersionOf(const fs::path& top) {
  auto mk = ReadFile(top / "Makefile");
  if (!mk) return Fail(mk.error());
  return KernelVersionFromMakefile(*mk);
}

// Moves `top` to `final_dir/tree`, writes the stamp, renames the work dir.
Result<SourceTree> Commit(const fs::path& work, const fs::path& top, const fs::path& final_dir, const std::string& id) {
  auto version = VersionOf(top);
  if (!version) return Fail(version.error());
  std::error_code ec;
  fs::rename(top, work / "tree", ec);
  if (ec) return Fail("cannot move {}: {}", top.string(), ec.message());
  json stamp{{"id", id}, {"kernel_version", *version}};
  if (auto st = WriteFileAtomic(work / kStamp, stamp.dump(2) + "\n"); !st) return Fail(st.error());
  fs::remove_all(final_dir, ec);
  fs::rename(work, final_dir, ec);
  if (ec) return Fail("cannot rename {} to {}: {}", work.string(), final_dir.string(), ec.message());
  return SourceTree{final_dir / "tree", id, *version};
}

Result<SourceTree> PrepareDebian(const KernelSource& source, const fs::path& cache_dir, const fs::path& final_dir,
                                 ProcessRunner& runner) {
  std::vector<std::string> sources;
  for (const auto& suite : DebianSourceSuites()) {
    sources.push_back(fmt::format("deb [signed-by={}] {} {} main", kKeyring, kMirror, suite));
  }
  toolchain::PrivateApt apt(cache_dir / "sources" / "apt", sources, {}, kMirror);
  spdlog::info("source {}: apt-get update ({})", source.spec, fmt::join(DebianSourceSuites(), ", "));
  if (auto st = apt.Update(runner, 3, std::chrono::minutes(10)); !st) return Fail(st.error());

  auto cleanup = TempDir::Create(cache_dir / "sources", fmt::format(".tmp-{}-", source.value));
  if (!cleanup) return Fail(cleanup.error());
  const fs::path work = cleanup->path();
  std::error_code ec;
  spdlog::info("source {}: downloading {}", source.spec, source.value);
  auto debs = apt.Download({source.value}, work / "deb", runner, 3, std::chrono::minutes(30));
  if (!debs) return Fail(debs.error());

  if (debs->empty()) return Fail("apt-get download {} produced no .deb", source.value);
  fs::path deb = debs->back();
  Command field;
  field.argv = {"dpkg-deb", "-f", deb.string(), "Version"};
  auto version = runner.Run(field);
  if (!version) return Fail(version.error());
  if (!version->ok()) return Fail("dpkg-deb -f {}: {}", deb.string(), version->Describe());
  std::string pkg_version = version->output;
  while (!pkg_version.empty() && (pkg_version.back() == '\n' || pkg_version.back() == ' ')) pkg_version.pop_back();

  Command extract;
  extract.argv = {"dpkg-deb", "-x", deb.string(), (work / "pkg").string()};
  extract.timeout = std::chrono::minutes(10);
  auto x = runner.Run(extract);
  if (!x) return Fail(x.error());
  if (!x->ok()) return Fail("dpkg-deb -x {}: {}: {}", deb.string(), x->Describe(), x->output);
  fs::remove(deb, ec);  // 167 MB we no longer need

  fs::path tarball;
  for (const auto& e : fs::directory_iterator(work / "pkg" / "usr" / "src", ec)) {
    if (e.path().filename().string().starts_with("linux-source") &&
        e.path().filename().string().find(".tar") != std::string::npos)
      tarball = e.path();
  }
  if (tarball.empty()) return Fail("{} has no linux-source tarball under /usr/src", source.value);
  if (auto st = EnsureDir(work / "unpack"); !st) return Fail(st.error());
  Command untar;
  untar.argv = {"tar", "-xf", tarball.string(), "-C", (work / "unpack").string()};
  untar.timeout = std::chrono::minutes(20);
  spdlog::info("source {}: unpacking {} {}", source.spec, source.value, pkg_version);
  auto u = runner.Run(untar);
  if (!u) return Fail(u.error());
  if (!u->ok()) return Fail("tar -xf {}: {}: {}", tarball.string(), u->Describe(), u->output);
  fs::remove_all(work / "pkg", ec);
  auto top = FindKernelTop(work / "unpack");
  if (!top) return Fail("{}: no kernel tree (Makefile + Kconfig) in the tarball", source.value);
  auto tree = Commit(work, *top, final_dir, fmt::format("debian:{}={}", source.value, pkg_version));
  return tree;
}

Result<SourceTree> PrepareTarball(const KernelSource& source, const fs::path& cache_dir, const fs::path& final_dir,
                                  ProcessRunner& runner) {
  auto sha = Sha256File(source.value);
  if (!sha) return Fail(sha.error());
  auto cleanup = TempDir::Create(cache_dir / "sources", ".tmp-tarball-");
  if (!cleanup) return Fail(cleanup.error());
  const fs::path work = cleanup->path();
  std::error_code ec;
  if (auto st = EnsureDir(work / "unpack"); !st) return Fail(st.error());
  Command untar;
  untar.argv = {"tar", "-xf", source.value, "-C", (work / "unpack").string()};
  untar.timeout = std::chrono::minutes(20);
  auto u = runner.Run(untar);
  if (!u) return Fail(u.error());
  if (!u->ok()) return Fail("tar -xf {}: {}: {}", source.value, u->Describe(), u->output);
  auto top = FindKernelTop(work / "unpack");
  if (!top) return Fail("{}: no kernel tree (Makefile + Kconfig) in the tarball", source.value);
  auto tree = Commit(work, *top, final_dir, "tarball:" + *sha);
  return tree;
}

}  // namespace

const std::vector<std::string>& DebianSourceSuites() {
  static const std::vector<std::string> suites{"trixie", "trixie-backports", "forky"};
  return suites;
}

std::string KernelVersionFromMakefile(std::string_view text) {
  auto field = [&](std::string_view name) -> std::string {
    std::string s(text);
    std::regex re("(^|\\n)" + std::string(name) + " = ([^\\n]*)");
    std::smatch m;
    if (std::regex_search(s, m, re)) return m[2].str();
    return "";
  };
  std::string v = field("VERSION"), p = field("PATCHLEVEL"), s = field("SUBLEVEL");
  if (v.empty()) return "";
  std::string out = v + "." + p;
  if (!s.empty() && s != "0") out += "." + s;
  return out;
}

std::optional<SourceTree> FindPreparedSource(const KernelSource& source, const fs::path& cache_dir) {
  if (source.kind == KernelSource::Kind::kPath) {
    fs::path dir = source.value;
    auto v = VersionOf(dir);
    if (!v) return std::nullopt;
    return SourceTree{dir, "path:" + fs::absolute(dir).lexically_normal().string(), *v};
  }
  return LoadStamp(SourceCacheDir(source, cache_dir));
}

Result<KernelSource> ParseSourceSpec(std::string_view spec) {
  auto colon = spec.find(':');
  std::string kind(spec.substr(0, colon == std::string_view::npos ? 0 : colon));
  std::string value(colon == std::string_view::npos ? spec : spec.substr(colon + 1));
  KernelSource ks;
  ks.spec = std::string(spec);
  ks.value = value;
  if (kind == "debian") {
    ks.kind = KernelSource::Kind::kDebian;
  } else if (kind == "path" || kind == "tarball") {
    ks.kind = kind == "path" ? KernelSource::Kind::kPath : KernelSource::Kind::kTarball;
    ks.value = fs::absolute(value).lexically_normal().string();
  } else {
    return FailAs(Error::Kind::kInput, "'{}': a kernel source is debian:linux-source-X.Y, path:DIR or tarball:FILE",
                  spec);
  }
  if (value.empty()) return FailAs(Error::Kind::kInput, "'{}': nothing after '{}:'", spec, kind);
  return ks;
}

Result<SourceTree> PrepareSource(const KernelSource& source, const fs::path& cache_dir, ProcessRunner& runner) {
  if (source.kind == KernelSource::Kind::kPath) {
    auto t = FindPreparedSource(source, cache_dir);
    if (!t) return FailAs(Error::Kind::kInput, "{}: not a kernel tree (no readable Makefile)", source.spec);
    return *t;
  }
  if (auto t = FindPreparedSource(source, cache_dir)) return *t;
  fs::path final_dir = SourceCacheDir(source, cache_dir);
  auto lock = FileLock::Acquire(final_dir.string() + ".lock", std::chrono::hours(1),
                                [&] { spdlog::info("waiting for another rfl-lab preparing {}", source.spec); });
  if (!lock) return Fail(lock.error());
  if (auto t = FindPreparedSource(source, cache_dir)) return *t;  // made while we waited
  auto tree = source.kind == KernelSource::Kind::kDebian ? PrepareDebian(source, cache_dir, final_dir, runner)
                                                         : PrepareTarball(source, cache_dir, final_dir, runner);
  if (!tree) return Fail(tree.error().Wrap(fmt::format("preparing kernel source {}", source.spec)));
  spdlog::info("source {}: Linux {} ready ({})", source.spec, tree->kernel_version, tree->id);
  return tree;
}

}  // namespace rfl::kernel
