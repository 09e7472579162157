#include "lab/toolchain/installer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lab/toolchain/toolchain.h"
#include "lab/util/cancel.h"
#include "lab/util/file_lock.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"

namespace rfl::toolchain {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kInstalledStamp = "installed";

bool IsTarballName(const std::string& file) {
  for (std::string_view ext : {".tar.xz", ".tar.gz", ".tar.zst", ".tar.bz2", ".tar"}) {
    if (file.size() > ext.size() && file.ends_with(ext)) return true;
  }
  return false;
}

std::string StripTarExtension(const std::string& file) {
  auto pos = file.find(".tar");
  return pos == std::string::npos ? file : file.substr(0, pos);
}

// "rust-1.85.1-x86_64-unknown-linux-gnu" → "1.85.1"; "rust-nightly-…" →
// "nightly"; empty when the name is not an installer's.
std::string InstallerVersion(const std::string& stem) {
  if (!stem.starts_with("rust-")) return "";
  for (std::string_view host : {"-x86_64-", "-aarch64-", "-riscv64"}) {
    auto pos = stem.find(host, 5);
    if (pos != std::string::npos) return stem.substr(5, pos - 5);
  }
  return "";
}

std::vector<std::string> ReadLines(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// A relative path with no "..", "." or empty part, e.g. from a manifest line.
bool IsPlainRelative(const fs::path& p) {
  if (p.empty() || p.is_absolute()) return false;
  for (const auto& part : p) {
    if (part.empty() || part == ".." || part == ".") return false;
  }
  return true;
}

// "a/./b/" → "a/b"; "./" → "."; "/x" and "../x" stay as they are.
fs::path Normal(std::string_view name) {
  fs::path p = fs::path(name).lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

// The one top directory an installer archive unpacks to.
Result<fs::path> TopDirectory(const fs::path& unpacked, const fs::path& archive) {
  std::error_code ec;
  std::vector<fs::path> tops;
  for (const auto& e : fs::directory_iterator(unpacked, ec)) tops.push_back(e.path());
  if (tops.size() != 1 || !fs::is_directory(fs::symlink_status(tops[0], ec))) {
    return FailAs(Error::Kind::kInput, "{}: not a Rust installer tarball (it should hold one directory such as "
                  "rust-1.85.1-x86_64-unknown-linux-gnu/)", archive.string());
  }
  if (!fs::is_regular_file(fs::symlink_status(tops[0] / "components", ec))) {
    return FailAs(Error::Kind::kInput, "{}: {}/ has no 'components' file: not a Rust installer tarball",
                  archive.string(), tops[0].filename().string());
  }
  return tops[0];
}

// Moves `from` to `to`, merging into a directory that another component
// already made.
Status MoveInto(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec) return Fail("mkdir {}: {}", to.parent_path().string(), ec.message());
  bool merge = fs::is_directory(fs::symlink_status(to, ec)) && fs::is_directory(fs::symlink_status(from, ec));
  if (!merge) {
    if (fs::exists(fs::symlink_status(to, ec))) fs::remove_all(to, ec);
    fs::rename(from, to, ec);
    if (ec) return Fail("mv {} {}: {}", from.string(), to.string(), ec.message());
    return {};
  }
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing | fs::copy_options::copy_symlinks,
           ec);
  if (ec) return Fail("cp -r {} {}: {}", from.string(), to.string(), ec.message());
  return {};
}

// SHA-256 of a tarball, hashed once per process for as long as its size and
// modification time stay the same: a `plan` or `run` looks the toolchain up
// once per build, and an installer is ~200 MB (0.6 s to hash here).
Result<std::string> TarballDigest(const fs::path& file) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return Fail("{}: {}", file.string(), ec.message());
  auto mtime = fs::last_write_time(file, ec);
  if (ec) return Fail("{}: {}", file.string(), ec.message());
  std::string stamp = fmt::format("{}\n{}\n{}", file.string(), size, mtime.time_since_epoch().count());
  static std::mutex mu;
  static std::map<std::string, std::string> digests;
  {
    std::lock_guard lock(mu);
    if (auto it = digests.find(stamp); it != digests.end()) return it->second;
  }
  auto sha = Sha256File(file);
  if (!sha) return Fail(sha.error());
  std::lock_guard lock(mu);
  digests[stamp] = *sha;
  return *sha;
}

Result<std::string> TarballsKey(const InstallerTarballs& t) {
  auto a = TarballDigest(t.installer);
  if (!a) return Fail(a.error());
  KeyHasher key;
  key.Add("rust-installer-v1").Add(*a);
  if (!t.rust_src.empty()) {
    auto b = TarballDigest(t.rust_src);
    if (!b) return Fail(b.error());
    key.Add(*b);
  }
  return key.Short();
}

// <cache>/toolchains/tarball-<key>: the sysroot and the stamp saying it is whole.
fs::path InstallDir(const fs::path& cache_dir, const std::string& key) {
  return cache_dir / "toolchains" / ("tarball-" + key);
}

}  // namespace

Result<InstallerTarballs> FindInstallerTarballs(std::string_view name) {
  if (!name.starts_with(kTarballPrefix)) return FailAs(Error::Kind::kInput, "'{}' is not a tarball: toolchain", name);
  fs::path file(name.substr(kTarballPrefix.size()));
  if (file.empty() || !file.is_absolute()) {
    return FailAs(Error::Kind::kInput, "toolchain {}: give the installer as an absolute path "
                  "(tarball:/path/rust-1.85.1-x86_64-unknown-linux-gnu.tar.xz)", name);
  }
  file = file.lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return FailAs(Error::Kind::kInput, "{} is not a file", file.string());
  std::string filename = file.filename().string();
  if (!IsTarballName(filename)) {
    return FailAs(Error::Kind::kInput, "{} is not a .tar.xz/.tar.gz: a Rust installer is "
                  "rust-<version>-<host>.tar.xz from static.rust-lang.org/dist", file.string());
  }
  InstallerTarballs out{file, {}};
  // rust-src: the separate component tarball next to the installer; an
  // installer that lists rust-src itself needs none (known once unpacked,
  // so a listed-but-absent rust-src is reported then).
  std::string version = InstallerVersion(StripTarExtension(filename));
  std::vector<fs::path> candidates;
  for (const auto& e : fs::directory_iterator(file.parent_path(), ec)) {
    std::string f = e.path().filename().string();
    if (f.starts_with("rust-src-") && IsTarballName(f) && e.is_regular_file(ec)) candidates.push_back(e.path());
  }
  std::sort(candidates.begin(), candidates.end());
  auto exact = std::find_if(candidates.begin(), candidates.end(), [&](const fs::path& p) {
    return !version.empty() && StripTarExtension(p.filename().string()) == "rust-src-" + version;
  });
  if (exact != candidates.end()) {
    out.rust_src = *exact;
  } else if (candidates.size() == 1) {
    out.rust_src = candidates[0];
  } else if (candidates.size() > 1) {
    return FailAs(Error::Kind::kInput, "{}: {} rust-src tarballs next to it and none is rust-src-{}.tar.*; keep one",
                  file.string(), candidates.size(), version.empty() ? "<version>" : version);
  }
  return out;
}

Status UnpackArchive(const fs::path& archive, const fs::path& dest, const UnpackLimits& limits) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> in(archive_read_new(), &archive_read_free);
  std::unique_ptr<struct archive, decltype(&archive_write_free)> out(archive_write_disk_new(), &archive_write_free);
  archive_read_support_format_all(in.get());
  archive_read_support_filter_all(in.get());
  // Entries are checked to be plain relative paths and then written at
  // dest/<path> (absolute, so not SECURE_NOABSOLUTEPATHS); libarchive still
  // refuses ".." and writing through a symlink.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  if (archive_read_open_filename(in.get(), archive.c_str(), 1 << 16) != ARCHIVE_OK) {
    return FailAs(Error::Kind::kInput, "{}: {}", archive.string(), archive_error_string(in.get()));
  }
  std::uintmax_t bytes = 0, entries = 0;
  for (;;) {
    if (CancelRequested()) return FailAs(Error::Kind::kCancelled, "unpacking {}: interrupted", archive.string());
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return FailAs(Error::Kind::kInput, "{}: {}", archive.string(), archive_error_string(in.get()));
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    fs::path rel = Normal(name);
    if (rel == ".") continue;  // the "./" of `tar -C dir .`
    if (!IsPlainRelative(rel)) {
      return FailAs(Error::Kind::kInput, "{}: entry '{}' leaves the archive's directory: refused", archive.string(), name);
    }
    if (archive_entry_hardlink(entry) != nullptr) {
      fs::path target = Normal(archive_entry_hardlink(entry));
      if (!IsPlainRelative(target)) {
        return FailAs(Error::Kind::kInput, "{}: hard link '{}' points outside the archive: refused", archive.string(),
                      name);
      }
      archive_entry_set_hardlink(entry, (dest / target).c_str());
    }
    mode_t type = archive_entry_filetype(entry);
    if (archive_entry_hardlink(entry) == nullptr && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      return FailAs(Error::Kind::kInput, "{}: entry '{}' is a device, FIFO or socket: refused", archive.string(), name);
    }
    if (++entries > limits.max_entries) {
      return FailAs(Error::Kind::kInput, "{}: more than {} entries: refused", archive.string(), limits.max_entries);
    }
    if (archive_entry_size_is_set(entry)) bytes += std::uintmax_t(std::max<la_int64_t>(0, archive_entry_size(entry)));
    if (bytes > limits.max_bytes) {
      return FailAs(Error::Kind::kInput, "{}: unpacks to more than {} bytes: refused", archive.string(),
                    limits.max_bytes);
    }
    archive_entry_set_pathname(entry, (dest / rel).c_str());
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    r = archive_write_header(out.get(), entry);
    if (r < ARCHIVE_WARN) {
      return FailAs(Error::Kind::kInput, "{}: entry '{}': {}", archive.string(), name, archive_error_string(out.get()));
    }
    if (archive_entry_size(entry) > 0) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      std::uintmax_t written = 0;
      while ((r = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
        written += size;
        if (written > std::uintmax_t(archive_entry_size(entry))) {
          return FailAs(Error::Kind::kInput, "{}: entry '{}' is longer than its header says", archive.string(), name);
        }
        if (archive_write_data_block(out.get(), buf, size, offset) < ARCHIVE_OK) {
          return Fail("{}: writing '{}': {}", archive.string(), name, archive_error_string(out.get()));
        }
      }
      if (r != ARCHIVE_EOF) return FailAs(Error::Kind::kInput, "{}: {}", archive.string(), archive_error_string(in.get()));
    }
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      return Fail("{}: finishing '{}': {}", archive.string(), name, archive_error_string(out.get()));
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) return Fail("{}: {}", archive.string(), archive_error_string(out.get()));
  return {};
}

Status InstallComponents(const fs::path& top, const fs::path& prefix) {
  std::error_code ec;
  auto components = ReadLines(top / "components");
  if (components.empty()) return FailAs(Error::Kind::kInput, "{}/components lists no component", top.string());
  for (const auto& component : components) {
    fs::path dir = top / component;
    if (!IsPlainRelative(component) || fs::path(component).has_parent_path() ||
        !fs::is_directory(fs::symlink_status(dir, ec))) {
      return FailAs(Error::Kind::kInput, "{}/components: '{}' is not a component directory", top.string(), component);
    }
    for (const auto& line : ReadLines(dir / "manifest.in")) {
      auto colon = line.find(':');
      std::string kind = colon == std::string::npos ? "" : line.substr(0, colon);
      fs::path rel = colon == std::string::npos ? fs::path() : fs::path(line.substr(colon + 1));
      if ((kind != "file" && kind != "dir") || !IsPlainRelative(rel)) {
        return FailAs(Error::Kind::kInput, "{}/manifest.in: '{}' is not file:PATH or dir:PATH inside the component",
                      dir.string(), line);
      }
      // No part of the path may be a symlink that leads out of the component.
      fs::path walk = dir;
      for (const auto& part : rel.parent_path()) {
        walk /= part;
        if (fs::is_symlink(fs::symlink_status(walk, ec))) {
          return FailAs(Error::Kind::kInput, "{}/manifest.in: '{}' goes through a symlink: refused", dir.string(), line);
        }
      }
      fs::path from = dir / rel;
      auto st = fs::symlink_status(from, ec);
      if (!fs::exists(st)) {
        return FailAs(Error::Kind::kInput, "{}/manifest.in: '{}' is not in the component", dir.string(), line);
      }
      if (kind == "dir" && !fs::is_directory(st)) {
        return FailAs(Error::Kind::kInput, "{}/manifest.in: '{}' is not a directory", dir.string(), line);
      }
      if (auto mv = MoveInto(from, prefix / rel); !mv) return mv;
    }
  }
  return {};
}

Result<fs::path> InstalledSysroot(const InstallerTarballs& tarballs, const fs::path& cache_dir) {
  auto key = TarballsKey(tarballs);
  if (!key) return Fail(key.error());
  fs::path dir = InstallDir(cache_dir, *key);
  std::error_code ec;
  if (!fs::is_regular_file(dir / kInstalledStamp, ec)) {
    return FailAs(Error::Kind::kNotFound, "{} is not installed yet", tarballs.installer.string());
  }
  return dir / "sysroot";
}

Result<fs::path> InstallTarballs(const InstallerTarballs& tarballs, const fs::path& cache_dir) {
  auto key = TarballsKey(tarballs);
  if (!key) return Fail(key.error());
  const fs::path final_dir = InstallDir(cache_dir, *key);
  const fs::path root = final_dir.parent_path();
  if (auto st = EnsureDir(root); !st) return Fail(st.error());
  const std::string name = final_dir.filename().string();
  auto lock = FileLock::Acquire(root / (name + ".lock"), std::chrono::hours(1), [&] {
    spdlog::info("waiting for another rfl-lab unpacking {}", tarballs.installer.string());
  });
  if (!lock) return Fail(lock.error());
  std::error_code ec;
  if (fs::is_regular_file(final_dir / kInstalledStamp, ec)) return final_dir / "sysroot";

  auto work = TempDir::Create(root, ".tmp-" + name + "-");
  if (!work) return Fail(work.error());
  const fs::path unpack = work->path() / "unpack", sysroot = work->path() / "sysroot";
  fs::create_directories(unpack / "installer", ec);
  fs::create_directories(unpack / "rust-src", ec);
  fs::create_directories(sysroot, ec);
  if (ec) return Fail("mkdir {}: {}", unpack.string(), ec.message());

  spdlog::info("toolchain tarball:{}: unpacking", tarballs.installer.string());
  if (auto st = UnpackArchive(tarballs.installer, unpack / "installer"); !st) return Fail(st.error());
  auto top = TopDirectory(unpack / "installer", tarballs.installer);
  if (!top) return Fail(top.error());
  if (auto st = InstallComponents(*top, sysroot); !st) return Fail(st.error());
  if (!tarballs.rust_src.empty()) {
    if (auto st = UnpackArchive(tarballs.rust_src, unpack / "rust-src"); !st) return Fail(st.error());
    auto src_top = TopDirectory(unpack / "rust-src", tarballs.rust_src);
    if (!src_top) return Fail(src_top.error());
    if (auto st = InstallComponents(*src_top, sysroot); !st) return Fail(st.error());
  }
  if (auto st = CheckSysroot(sysroot); !st) {
    std::string why = st.error().message;
    if (tarballs.rust_src.empty() && why.find("rust/library") != std::string::npos) {
      why += fmt::format("; put rust-src-<version>.tar.xz next to {}", tarballs.installer.filename().string());
    }
    return FailAs(Error::Kind::kInput, "toolchain tarball:{}: {}", tarballs.installer.string(), why);
  }
  fs::remove_all(unpack, ec);
  {
    std::ofstream stamp(work->path() / kInstalledStamp);
    stamp << tarballs.installer.string() << "\n" << tarballs.rust_src.string() << "\n";
    if (!stamp.flush()) return Fail("writing {}", (work->path() / kInstalledStamp).string());
  }
  fs::remove_all(final_dir, ec);  // a half-made one (no stamp)
  fs::rename(work->path(), final_dir, ec);
  if (ec) return Fail("mv {} {}: {}", work->path().string(), final_dir.string(), ec.message());
  return final_dir / "sysroot";
}

}  // namespace rfl::toolchain
