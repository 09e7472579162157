// `serve` keeps answering /metrics while idle clients hold connections open
// (a Prometheus behind a flaky network, a port scanner): with civetweb's
// defaults two idle connections stopped it for ~30 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "exporters/prometheus/export.h"
#include "lab/results/store.h"
#include "lab/util/temp_dir.h"

namespace rfl::exporters {
namespace {
namespace fs = std::filesystem;

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// GET /metrics; the response (headers and body) or "" after `deadline`.
std::string Scrape(int port, std::chrono::milliseconds deadline) {
  int fd = Connect(port);
  if (fd < 0) return {};
  std::string req = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)::write(fd, req.data(), req.size());
  std::string out;
  auto end = std::chrono::steady_clock::now() + deadline;
  char buf[65536];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST(ExporterIdleConnections, TwentyIdleConnectionsDoNotStopAScrape) {
  auto dir = TempDir::Create(fs::temp_directory_path(), "rfl-idle-");
  fs::path store = dir->path() / "results.sqlite3";
  ASSERT_TRUE(results::OpenSqliteStore(store).has_value());
  std::atomic<int> port{0};
  std::atomic<bool> stop{false};
  ServeOptions options;
  options.listen = "127.0.0.1:0";
  options.store = store;
  options.on_listening = [&](int p) { port = p; };
  options.should_stop = [&] { return stop.load(); };
  std::thread server([&] { EXPECT_TRUE(Serve(options).has_value()); });
  for (int i = 0; i < 100 && port == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_NE(port.load(), 0);

  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) {
    int fd = Connect(port);
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the server has accepted them
  auto t0 = std::chrono::steady_clock::now();
  std::string response = Scrape(port, std::chrono::seconds(15));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "scrape with 20 idle connections open: " << seconds << " s\n";
  EXPECT_NE(response.find("rfl_lab_store_up 1"), std::string::npos) << "no answer within 15 s: " << response;
  for (int fd : idle) ::close(fd);
  stop = true;
  server.join();
}

}  // namespace
}  // namespace rfl::exporters
