#include "lab/lava/artifact_server.h"

#include <civetweb.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "lab/util/hash.h"

namespace rfl::lava {
namespace fs = std::filesystem;

ArtifactServer::Publication& ArtifactServer::Publication::operator=(Publication&& o) noexcept {
  if (this != &o) {
    if (server_) server_->Unpublish(key_);
    server_ = std::exchange(o.server_, nullptr);
    key_ = std::move(o.key_);
    url_ = std::move(o.url_);
  }
  return *this;
}

ArtifactServer::Publication::~Publication() {
  if (server_) server_->Unpublish(key_);
}

Result<std::unique_ptr<ArtifactServer>> ArtifactServer::Start(const std::string& listen,
                                                              std::optional<std::string> public_url) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size() ||
      listen.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    return FailAs(Error::Kind::kInput, "artifact server address '{}' is not ADDR:PORT", listen);
  }
  std::unique_ptr<ArtifactServer> s(new ArtifactServer());
  // No document_root: only the handler's published files are served.
  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", "8", "request_timeout_ms", "30000",
                           "enable_keep_alive", "no", nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };  // quiet
  s->ctx_ = mg_start(&callbacks, nullptr, options);
  if (!s->ctx_) return Fail("the artifact server could not listen on {} (in use, or not a local address?)", listen);
  mg_set_request_handler(s->ctx_, "/a/", &ArtifactServer::Handle, s.get());
  std::vector<mg_server_port> ports(4);
  int n = mg_get_server_ports(s->ctx_, static_cast<int>(ports.size()), ports.data());
  if (n < 1) return Fail("the artifact server has no listening port");
  s->port_ = ports[0].port;
  std::string host = listen.substr(0, colon);
  s->public_url_ = public_url.value_or(fmt::format("http://{}:{}", host, s->port_));
  while (!s->public_url_.empty() && s->public_url_.back() == '/') s->public_url_.pop_back();
  return s;
}

ArtifactServer::~ArtifactServer() {
  if (ctx_) mg_stop(ctx_);
}

Result<ArtifactServer::Publication> ArtifactServer::Publish(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return FailAs(Error::Kind::kNotFound, "{}: no such file to serve", file.string());
  // Unguessable: the key cannot be derived from the lab's paths or ids.
  std::string token = RandomHex(16);
  std::string key = fmt::format("/a/{}/{}", token, file.filename().string());
  {
    std::lock_guard lock(mu_);
    files_[key] = file;
  }
  return Publication(this, key, public_url_ + key);
}

void ArtifactServer::Unpublish(const std::string& key) {
  std::lock_guard lock(mu_);
  files_.erase(key);
}

int ArtifactServer::served() const {
  std::lock_guard lock(mu_);
  return served_;
}

int ArtifactServer::Handle(mg_connection* conn, void* self_ptr) {
  auto* self = static_cast<ArtifactServer*>(self_ptr);
  const mg_request_info* info = mg_get_request_info(conn);
  std::string method = info->request_method ? info->request_method : "";
  if (method != "GET" && method != "HEAD") {
    mg_send_http_error(conn, 405, "%s", "read-only");
    return 405;
  }
  fs::path file;
  {
    std::lock_guard lock(self->mu_);
    auto it = self->files_.find(info->local_uri ? info->local_uri : "");
    if (it == self->files_.end()) {
      mg_send_http_error(conn, 404, "%s", "not published");
      return 404;
    }
    file = it->second;
    ++self->served_;
  }
  mg_send_mime_file(conn, file.c_str(), "application/octet-stream");
  return 200;
}

}  // namespace rfl::lava
