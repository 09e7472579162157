#include "lab/util/file_lock.h"

#include <cerrno>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "lab/util/cancel.h"
#include "lab/util/paths.h"

namespace rfl {

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() { Release(); }

void FileLock::Release() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }
}

Result<FileLock> FileLock::TryAcquire(const std::filesystem::path& path) {
  if (path.has_parent_path()) {
    if (auto st = EnsureDir(path.parent_path()); !st) return Fail(st.error());
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Fail("cannot open lock file {}: {}", path.string(), std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return FileLock(fd);
  int err = errno;
  ::close(fd);
  if (err == EWOULDBLOCK) return FileLock();
  return Fail("cannot lock {}: {}", path.string(), std::strerror(err));
}

Result<FileLock> FileLock::Acquire(const std::filesystem::path& path, std::chrono::milliseconds timeout,
                                   const std::function<void()>& on_wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool told = false;
  while (true) {
    auto lock = TryAcquire(path);
    if (!lock) return lock;
    if (lock->held()) return lock;
    if (!told && on_wait) on_wait();
    told = true;
    if (CancelRequested()) return FailAs(Error::Kind::kCancelled, "cancelled while waiting for {}", path.string());
    if (std::chrono::steady_clock::now() >= deadline)
      return FailAs(Error::Kind::kTimeout, "timed out waiting for the lock {} (another rfl-lab holds it)",
                    path.string());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace rfl
