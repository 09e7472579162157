#pragma once
// Servers a test starts for itself (Prometheus, Redis): a free loopback port
// and a child process whose output is collected and which is terminated
// with its process group when the test ends.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "lab/util/process.h"

namespace rfl::test {

// A loopback TCP port nobody listens on right now.
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// A server started for a test: its output is collected by a thread (so the
// pipe never fills), and destroying it terminates its process group.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> argv) {
    Command cmd;
    cmd.argv = std::move(argv);
    auto child = Spawn(cmd);
    if (!child) {
      error_ = child.error().message;
      return;
    }
    child_ = std::move(*child);
    reader_ = std::thread([this] {
      char buf[4096];
      while (true) {
        ssize_t n = read(child_.output_fd(), buf, sizeof buf);
        if (n <= 0) break;
        std::lock_guard lock(mutex_);
        output_.append(buf, static_cast<size_t>(n));
      }
    });
  }
  ~ServerProcess() {
    child_.Terminate(std::chrono::seconds(5));
    if (reader_.joinable()) reader_.join();
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return child_.running(); }
  const std::string& error() const { return error_; }
  std::string output() {
    std::lock_guard lock(mutex_);
    return output_;
  }
  // Waits until the output matches `re`; returns the first capture group.
  std::optional<std::string> WaitForOutput(const std::string& re, std::chrono::seconds timeout) {
    std::regex pattern(re);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      std::string text = output();
      if (std::regex_search(text, m, pattern)) return m.size() > 1 ? m[1].str() : m[0].str();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

 private:
  Child child_;
  std::string error_;
  std::thread reader_;
  std::mutex mutex_;
  std::string output_;
};

}  // namespace rfl::test
