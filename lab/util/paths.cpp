#include "lab/util/paths.h"

#include <cerrno>
#include <fcntl.h>
#include <cstdlib>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "lab/util/build_info.h"

namespace rfl {
namespace fs = std::filesystem;
namespace {

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

fs::path XdgDir(const char* var, const char* fallback_under_home) {
  if (auto v = Env(var)) return fs::path(*v);
  fs::path home = Env("HOME").value_or("/root");
  return home / fallback_under_home;
}

}  // namespace

Result<LabDirs> ResolveLabDirs(const std::optional<std::string>& cache_option,
                               const std::optional<std::string>& state_option) {
  LabDirs dirs;
  std::string cache_from = "--cache-dir", state_from = "--state-dir";
  if (cache_option) dirs.cache = *cache_option;
  else if (auto v = Env("RFL_LAB_CACHE_DIR")) dirs.cache = *v, cache_from = "RFL_LAB_CACHE_DIR";
  else dirs.cache = XdgDir("XDG_CACHE_HOME", ".cache") / "rfl-lab";
  if (state_option) dirs.state = *state_option;
  else if (auto v = Env("RFL_LAB_STATE_DIR")) dirs.state = *v, state_from = "RFL_LAB_STATE_DIR";
  else dirs.state = XdgDir("XDG_DATA_HOME", ".local/share") / "rfl-lab";
  if (dirs.cache.empty()) return FailAs(Error::Kind::kInput, "{} is empty: give a directory", cache_from);
  if (dirs.state.empty()) return FailAs(Error::Kind::kInput, "{} is empty: give a directory", state_from);
  // fs::absolute needs the current directory, which may have been deleted.
  auto absolute = [](const fs::path& p, const std::string& from) -> Result<fs::path> {
    std::error_code ec;
    auto abs = fs::absolute(p, ec);
    if (ec) {
      return FailAs(Error::Kind::kInput, "{} {} is relative and the current directory is unusable ({}): give an absolute path",
                    from, p.string(), ec.message());
    }
    return abs;
  };
  auto cache = absolute(dirs.cache, cache_from);
  if (!cache) return Fail(cache.error());
  auto state = absolute(dirs.state, state_from);
  if (!state) return Fail(state.error());
  dirs.cache = cache->lexically_normal();
  dirs.state = state->lexically_normal();
  dirs.data = DataDir();
  return dirs;
}

fs::path DataDir() {
  if (auto v = Env("RFL_LAB_DATA_DIR")) return fs::path(*v);
  return fs::path(build_info::kSourceDir);
}

Status EnsureDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail("cannot create directory {}: {}", dir.string(), ec.message());
  return {};
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FailAs(Error::Kind::kNotFound, "cannot read {}: {}", path.string(), std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status SyncFilesystemOf(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Fail("cannot open {}: {}", path.string(), std::strerror(errno));
  int rc = ::syncfs(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Fail("syncfs {}: {}", path.string(), std::strerror(err));
  return {};
}

Status WriteFileAtomic(const fs::path& path, std::string_view content) {
  if (path.has_parent_path()) {
    if (auto st = EnsureDir(path.parent_path()); !st) return st;
  }
  // A temporary name of its own per writer: two boots of one run (threads)
  // or two rfl-lab processes may write the same file (the cached base
  // initramfs) at once; a shared ".tmp" let one rename the other's file away.
  static std::atomic<unsigned> counter{0};
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Fail("cannot write {}: {}", tmp.string(), std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return Fail("cannot write {}: {}", tmp.string(), std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Fail("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message());
  return {};
}

}  // namespace rfl
