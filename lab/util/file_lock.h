#pragma once
// FileLock: an flock(2) on a lock file, held for the object's lifetime. The
// cache (toolchains, sources, build trees, artifacts) is shared by every
// rfl-lab process of the user; each writer takes the lock of what it writes.
// The kernel drops the lock when the process dies, so a killed build never
// leaves a stale lock behind.
#include <chrono>
#include <filesystem>
#include <functional>

#include "lab/util/result.h"

namespace rfl {

class FileLock {
 public:
  FileLock() = default;
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Takes an exclusive lock on `path` (created if missing), waiting at most
  // `timeout` and polling cancellation. `on_wait` is called once if the lock
  // is busy (to tell the user who waits for what).
  [[nodiscard]] static Result<FileLock> Acquire(const std::filesystem::path& path,
                                                std::chrono::milliseconds timeout,
                                                const std::function<void()>& on_wait = {});
  // Non-blocking: an empty optional-like FileLock (held() false) when busy.
  [[nodiscard]] static Result<FileLock> TryAcquire(const std::filesystem::path& path);

  bool held() const { return fd_ >= 0; }
  void Release();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace rfl
