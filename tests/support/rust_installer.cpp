#include "tests/support/rust_installer.h"

#include <archive.h>
#include <archive_entry.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace rfl::test {
namespace {
namespace fs = std::filesystem;

// A file or symlink on disk as the entry `path`.
TarEntry FileEntry(const fs::path& file, const std::string& path) {
  if (fs::is_symlink(fs::symlink_status(file))) {
    return {path, TarEntry::Type::kSymlink, fs::read_symlink(file).string(), 0777};
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  unsigned mode = (fs::status(file).permissions() & fs::perms::owner_exec) != fs::perms::none ? 0755 : 0644;
  return {path, TarEntry::Type::kFile, bytes.str(), mode};
}

// Every file, directory and symlink under `dir`, as entries under `prefix`.
void AddTree(const fs::path& dir, const std::string& prefix, std::vector<TarEntry>& out) {
  out.push_back({prefix, TarEntry::Type::kDir, "", 0755});
  std::vector<fs::directory_entry> children{fs::directory_iterator(dir), fs::directory_iterator()};
  std::sort(children.begin(), children.end());
  for (const auto& e : children) {
    std::string path = prefix + "/" + e.path().filename().string();
    if (!fs::is_symlink(e.symlink_status()) && fs::is_directory(e.symlink_status())) {
      AddTree(e.path(), path, out);
    } else {
      out.push_back(FileEntry(e.path(), path));
    }
  }
}

// One component directory: its files under `top/<component>/` and the
// manifest.in that install.sh reads.
void AddComponent(const fs::path& sysroot, const std::string& top, const std::string& component,
                  const std::vector<std::string>& paths, std::vector<TarEntry>& out) {
  std::string manifest;
  out.push_back({top + "/" + component, TarEntry::Type::kDir, "", 0755});
  for (const auto& rel : paths) {
    fs::path p = sysroot / rel;
    bool dir = fs::is_directory(fs::symlink_status(p));
    manifest += (dir ? "dir:" : "file:") + rel + "\n";
    // Parent directories inside the component.
    fs::path parent = fs::path(rel).parent_path();
    std::string acc = top + "/" + component;
    for (const auto& part : parent) {
      acc += "/" + part.string();
      out.push_back({acc, TarEntry::Type::kDir, "", 0755});
    }
    if (dir) {
      AddTree(p, top + "/" + component + "/" + rel, out);
    } else {
      out.push_back(FileEntry(p, top + "/" + component + "/" + rel));
    }
  }
  out.push_back({top + "/" + component + "/manifest.in", TarEntry::Type::kFile, manifest, 0644});
}

}  // namespace

Status WriteTarXz(const fs::path& out, const std::vector<TarEntry>& entries) {
  std::unique_ptr<struct archive, decltype(&archive_write_free)> a(archive_write_new(), &archive_write_free);
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK || archive_write_add_filter_xz(a.get()) != ARCHIVE_OK ||
      archive_write_set_filter_option(a.get(), "xz", "compression-level", "0") < ARCHIVE_WARN ||
      archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK) {
    return Fail("libarchive {}: {}", out.string(), archive_error_string(a.get()));
  }
  for (const auto& e : entries) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
    archive_entry_set_pathname(entry.get(), e.path.c_str());
    archive_entry_set_perm(entry.get(), e.mode);
    switch (e.type) {
      case TarEntry::Type::kFile:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_size(entry.get(), la_int64_t(e.data.size()));
        break;
      case TarEntry::Type::kDir: archive_entry_set_filetype(entry.get(), AE_IFDIR); break;
      case TarEntry::Type::kSymlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_symlink(entry.get(), e.data.c_str());
        break;
      case TarEntry::Type::kHardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_hardlink(entry.get(), e.data.c_str());
        break;
      case TarEntry::Type::kFifo: archive_entry_set_filetype(entry.get(), AE_IFIFO); break;
    }
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      return Fail("libarchive {}: {}: {}", out.string(), e.path, archive_error_string(a.get()));
    }
    if (e.type == TarEntry::Type::kFile && !e.data.empty() &&
        archive_write_data(a.get(), e.data.data(), e.data.size()) < 0) {
      return Fail("libarchive {}: {}: {}", out.string(), e.path, archive_error_string(a.get()));
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return Fail("libarchive {}: {}", out.string(), archive_error_string(a.get()));
  return {};
}

Result<fs::path> PackInstallerTarballs(const fs::path& sysroot, const fs::path& out_dir, const std::string& version,
                                       const std::string& host) {
  // Sort the sysroot's paths into the components upstream ships them in.
  std::vector<std::string> rustc;
  std::map<std::string, std::vector<std::string>> std_libs;  // triple → paths
  std::vector<std::string> src;
  std::error_code ec;
  for (const auto& top : fs::directory_iterator(sysroot, ec)) {
    std::string name = top.path().filename().string();
    if (name != "lib") {
      rustc.push_back(name);
      continue;
    }
    for (const auto& lib : fs::directory_iterator(top.path(), ec)) {
      std::string l = lib.path().filename().string();
      if (l != "rustlib") {
        rustc.push_back("lib/" + l);
        continue;
      }
      for (const auto& r : fs::directory_iterator(lib.path(), ec)) {
        std::string t = r.path().filename().string();
        if (t == "src") src.push_back("lib/rustlib/src");
        else if (fs::is_directory(r.path()) && t.find('-') != std::string::npos) std_libs[t].push_back("lib/rustlib/" + t);
        else rustc.push_back("lib/rustlib/" + t);
      }
    }
  }
  if (src.empty()) return Fail("{} has no lib/rustlib/src", sysroot.string());
  std::sort(rustc.begin(), rustc.end());

  std::string top = fmt::format("rust-{}-{}", version, host);
  std::vector<TarEntry> installer{{top, TarEntry::Type::kDir, "", 0755},
                                  {top + "/rust-installer-version", TarEntry::Type::kFile, "3\n", 0644},
                                  {top + "/install.sh", TarEntry::Type::kFile, "#!/bin/sh\nexit 1\n", 0755}};
  std::string components = "rustc\n";
  AddComponent(sysroot, top, "rustc", rustc, installer);
  for (const auto& [triple, paths] : std_libs) {
    components += "rust-std-" + triple + "\n";
    AddComponent(sysroot, top, "rust-std-" + triple, paths, installer);
  }
  installer.push_back({top + "/components", TarEntry::Type::kFile, components, 0644});
  fs::path installer_path = out_dir / (top + ".tar.xz");
  if (auto st = WriteTarXz(installer_path, installer); !st) return Fail(st.error());

  std::string src_top = fmt::format("rust-src-{}", version);
  std::vector<TarEntry> rust_src{{src_top, TarEntry::Type::kDir, "", 0755},
                                 {src_top + "/rust-installer-version", TarEntry::Type::kFile, "3\n", 0644},
                                 {src_top + "/components", TarEntry::Type::kFile, "rust-src\n", 0644}};
  AddComponent(sysroot, src_top, "rust-src", src, rust_src);
  if (auto st = WriteTarXz(out_dir / (src_top + ".tar.xz"), rust_src); !st) return Fail(st.error());
  return installer_path;
}

}  // namespace rfl::test
