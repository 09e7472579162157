#pragma once
// A directory that is removed, with everything in it, when its owner goes
// out of scope — on every exit path, errors and Ctrl-C included. Work
// directories that become results are filled, renamed into place, and the
// (now missing) temporary path is then removed as a no-op.
#include <filesystem>
#include <string_view>

#include "lab/util/result.h"

namespace rfl {

class TempDir {
 public:
  // A new, unique directory `<parent>/<prefix>XXXXXX` (mkdtemp; `parent` is
  // created when missing). Unique across processes and threads. `perms`:
  // 0755 for work dirs renamed into the cache, 0700 for private ones.
  [[nodiscard]] static Result<TempDir> Create(const std::filesystem::path& parent, std::string_view prefix,
                                              std::filesystem::perms perms = std::filesystem::perms(0755));

  TempDir() = default;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory: the owner no longer removes it.
  std::filesystem::path Release();

 private:
  void Remove();
  std::filesystem::path path_;
};

}  // namespace rfl
