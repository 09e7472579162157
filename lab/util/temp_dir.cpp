#include "lab/util/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "lab/util/paths.h"

namespace rfl {
namespace fs = std::filesystem;

Result<TempDir> TempDir::Create(const fs::path& parent, std::string_view prefix, fs::perms perms) {
  if (auto st = EnsureDir(parent); !st) return Fail(st.error());
  std::string tmpl = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return Fail("cannot create a directory like {}: {}", tmpl, std::strerror(errno));
  TempDir d;
  d.path_ = tmpl;
  std::error_code ec;
  fs::permissions(d.path_, perms, ec);
  if (ec) return Fail("cannot set the permissions of {}: {}", tmpl, ec.message());
  return d;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

fs::path TempDir::Release() { return std::exchange(path_, {}); }

void TempDir::Remove() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
  path_.clear();
}

}  // namespace rfl
