#pragma once
// How LAVA workers fetch what the lab built: a small read-only HTTP server
// (civetweb) that serves exactly the files the lab publishes for its jobs —
// a kernel image, a boot's initramfs — each under an unguessable path, and
// nothing else (no directory listing, no other file of the cache, GET and
// HEAD only). Bound to the address the user chooses; workers reach it
// through that address or a URL prefix the user puts in front of it.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "lab/util/result.h"

struct mg_context;
struct mg_connection;

namespace rfl::lava {

class ArtifactServer {
 public:
  // `listen` is ADDR:PORT (port 0: any free port). `public_url` is the prefix
  // workers use (default http://ADDR:PORT).
  [[nodiscard]] static Result<std::unique_ptr<ArtifactServer>> Start(const std::string& listen,
                                                                     std::optional<std::string> public_url);
  ~ArtifactServer();
  ArtifactServer(const ArtifactServer&) = delete;
  ArtifactServer& operator=(const ArtifactServer&) = delete;

  // A published file: its URL while the handle lives.
  class Publication {
   public:
    Publication() = default;
    Publication(ArtifactServer* server, std::string key, std::string url)
        : server_(server), key_(std::move(key)), url_(std::move(url)) {}
    Publication(Publication&& o) noexcept { *this = std::move(o); }
    Publication& operator=(Publication&& o) noexcept;
    ~Publication();
    const std::string& url() const { return url_; }

   private:
    ArtifactServer* server_ = nullptr;
    std::string key_, url_;
  };

  // Publishes a regular file (Kind::kNotFound when it is not one).
  [[nodiscard]] Result<Publication> Publish(const std::filesystem::path& file);

  std::string BaseUrl() const { return public_url_; }
  int port() const { return port_; }
  // Requests answered with a file, for tests and figures.
  int served() const;

 private:
  ArtifactServer() = default;
  static int Handle(mg_connection* conn, void* self);
  void Unpublish(const std::string& key);

  mg_context* ctx_ = nullptr;
  std::string public_url_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, std::filesystem::path> files_;  // "/a/<token>/<name>" → file
  int served_ = 0;
};

}  // namespace rfl::lava
