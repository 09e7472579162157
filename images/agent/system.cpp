#include "images/agent/system.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rfl::agent {
namespace {
double ClockSeconds(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

double BoottimeSeconds() { return ClockSeconds(CLOCK_BOOTTIME); }
double MonotonicSeconds() { return ClockSeconds(CLOCK_MONOTONIC); }

std::string ErrnoText() { return std::strerror(errno); }

std::optional<std::string> ReadText(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

bool WriteText(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = write(fd, text.data(), text.size());
  int saved = errno;
  close(fd);
  errno = saved;
  return n == static_cast<ssize_t>(text.size());
}

bool Exists(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    out.emplace_back(e->d_name);
  }
  closedir(d);
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) {
    s.pop_back();
  }
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

bool MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos == path.size() || path[pos] == '/') {
      std::string part = path.substr(0, pos);
      if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
  }
  return Exists(path);
}

std::string Mount(const std::string& source, const std::string& target, const std::string& type,
                  unsigned long flags, const std::string& data) {
  if (!MakeDirs(target)) return "mkdir " + target + ": " + ErrnoText();
  if (mount(source.c_str(), target.c_str(), type.c_str(), flags,
            data.empty() ? nullptr : data.c_str()) != 0) {
    if (errno == EBUSY) return {};  // already mounted (e.g. devtmpfs automount)
    return "mount -t " + type + " " + target + ": " + ErrnoText();
  }
  return {};
}

std::optional<std::string> EnsureDevNode(const std::string& name, const std::string& sysfs_dev_file,
                                         bool block, double wait_s) {
  std::string node = "/dev/" + name;
  double until = MonotonicSeconds() + wait_s;
  while (!Exists(node) && MonotonicSeconds() < until) usleep(10'000);
  if (Exists(node)) return node;
  auto dev = ReadText(sysfs_dev_file);
  if (!dev) return std::nullopt;
  unsigned maj = 0, min = 0;
  if (std::sscanf(dev->c_str(), "%u:%u", &maj, &min) != 2) return std::nullopt;
  if (mknod(node.c_str(), (block ? S_IFBLK : S_IFCHR) | 0600, makedev(maj, min)) != 0 && errno != EEXIST) {
    return std::nullopt;
  }
  return node;
}

std::vector<KmsgRecord> ReadKmsg() {
  std::vector<KmsgRecord> out;
  if (!Exists("/dev/kmsg")) mknod("/dev/kmsg", S_IFCHR | 0600, makedev(1, 11));
  int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return out;
  std::string buf(16384, '\0');
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) continue;  // overwritten records: skip ahead
    if (n <= 0) break;
    std::string_view rec(buf.data(), static_cast<size_t>(n));
    // "prio,seq,usec,flags[,…];message\n[ KEY=value\n…]"
    size_t semi = rec.find(';');
    if (semi == std::string_view::npos) continue;
    KmsgRecord r;
    unsigned long long seq = 0, usec = 0;
    unsigned prio = 0;
    if (std::sscanf(std::string(rec.substr(0, semi)).c_str(), "%u,%llu,%llu", &prio, &seq, &usec) != 3) {
      continue;
    }
    r.seq = seq;
    r.timestamp_s = static_cast<double>(usec) * 1e-6;
    std::string_view msg = rec.substr(semi + 1);
    size_t nl = msg.find('\n');
    r.message = std::string(msg.substr(0, nl));
    out.push_back(std::move(r));
  }
  close(fd);
  return out;
}

bool WriteAll(int fd, const char* data, size_t size, double timeout_s) {
  double until = MonotonicSeconds() + timeout_s;
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return false;
    double left = until - MonotonicSeconds();
    if (left <= 0) return false;
    pollfd p{fd, POLLOUT, 0};
    poll(&p, 1, static_cast<int>(left * 1000) + 1);
  }
  return true;
}

std::string SetSchedPolicy(const std::string& sched) {
  if (sched == "other") return {};
  if (sched != "fifo") return "unknown scheduling policy '" + sched + "'";
  sched_param sp{};
  sp.sched_priority = 50;
  if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) return "SCHED_FIFO: " + ErrnoText();
  return {};
}

}  // namespace rfl::agent
