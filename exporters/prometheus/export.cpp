#include "exporters/prometheus/export.h"

#include <chrono>
#include <exception>
#include <future>
#include <thread>

#include <fmt/format.h>
#include <civetweb.h>
#include <prometheus/gateway.h>
#include <spdlog/spdlog.h>

#include "exporters/prometheus/exposition.h"
#include "lab/util/cancel.h"
#include "lab/util/paths.h"

namespace rfl::exporters {
namespace {

// Families fixed at construction (one push).
class FixedCollectable final : public prometheus::Collectable {
 public:
  explicit FixedCollectable(std::vector<prometheus::MetricFamily> families) : families_(std::move(families)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return families_; }

 private:
  std::vector<prometheus::MetricFamily> families_;
};

// Scenario names go into a Pushgateway URL path and a file name.
bool IsPlainName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

constexpr auto kPushTimeout = std::chrono::seconds(60);

// /metrics over civetweb: the kept exposition, gzip'd when the client
// accepts it (Prometheus does).
class MetricsEndpoint {
 public:
  explicit MetricsEndpoint(std::shared_ptr<ExpositionCache> cache) : cache_(std::move(cache)) {}
  ExpositionCache& cache() { return *cache_; }

  static int Handle(mg_connection* conn, void* self_ptr) {
    auto* self = static_cast<MetricsEndpoint*>(self_ptr);
    const mg_request_info* info = mg_get_request_info(conn);
    std::string_view method = info->request_method ? info->request_method : "";
    if (method != "GET" && method != "HEAD") {
      mg_send_http_error(conn, 405, "%s", "GET /metrics");
      return 405;
    }
    auto e = self->cache_->Current();
    const char* accept = mg_get_header(conn, "Accept-Encoding");
    bool gzip = accept && std::string_view(accept).find("gzip") != std::string_view::npos && !e->gzip.empty();
    const std::string& body = gzip ? e->gzip : e->text;
    std::string head = fmt::format(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n{}Content-Length: {}\r\n\r\n",
        gzip ? "Content-Encoding: gzip\r\n" : "", body.size());
    mg_write(conn, head.data(), head.size());
    if (method == "GET") mg_write(conn, body.data(), body.size());
    return 200;
  }

 private:
  std::shared_ptr<ExpositionCache> cache_;
};

}  // namespace

Status Serve(const ServeOptions& options) {
  // Read-only, reopened when the file changes; a missing store is served as
  // rfl_lab_store_up 0 until it appears.
  auto source = std::make_shared<StorePathSource>(options.store);
  MetricsEndpoint endpoint(std::make_shared<ExpositionCache>(source));
  // The first read analyses every run: do it before listening, so the first
  // scrape is as fast as the others and a broken store shows up at once (the
  // cache warns, naming the store).
  (void)endpoint.cache().Current();
  // civetweb gives each connection a worker thread until the request is
  // read: with its defaults (2 threads, 30 s) two idle connections stop
  // /metrics for 30 s. Many threads and a short request timeout keep a
  // scrape answering while idle or slow clients hold connections.
  std::string threads = std::to_string(kServeThreads);
  std::string timeout = std::to_string(kServeRequestTimeout.count());
  const char* civet_options[] = {"listening_ports", options.listen.c_str(), "num_threads", threads.c_str(),
                                 "request_timeout_ms", timeout.c_str(), "tcp_nodelay", "1", nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };  // quiet
  std::unique_ptr<mg_context, decltype(&mg_stop)> server(mg_start(&callbacks, nullptr, civet_options), &mg_stop);
  if (!server) {
    return FailAs(Error::Kind::kInput, "cannot listen on {} (in use, or not a local address?)", options.listen);
  }
  mg_set_request_handler(server.get(), "/metrics$", &MetricsEndpoint::Handle, &endpoint);
  std::vector<mg_server_port> ports(4);
  int n = mg_get_server_ports(server.get(), static_cast<int>(ports.size()), ports.data());
  if (n < 1) return Fail("listening on {}: no port bound", options.listen);
  if (options.on_listening) options.on_listening(ports[0].port);
  auto stop = options.should_stop ? options.should_stop : [] { return CancelRequested(); };
  while (!stop()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.reset();  // joins the workers before the endpoint goes
  return {};
}

Result<GatewayAddress> ParseGatewayUrl(std::string_view url) {
  std::string_view rest = url;
  std::string scheme = "http";
  if (auto pos = rest.find("://"); pos != std::string_view::npos) {
    scheme = std::string(rest.substr(0, pos));
    rest.remove_prefix(pos + 3);
  }
  if (scheme != "http" && scheme != "https") {
    return FailAs(Error::Kind::kInput, "gateway URL {}: scheme must be http or https", url);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return FailAs(Error::Kind::kInput, "gateway URL {}: give scheme, host and port only (no path)", url);
  }
  std::string host(rest);
  std::string port = "9091";
  // host:port, [v6]:port
  auto colon = rest.rfind(':');
  auto bracket = rest.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos) {
    return FailAs(Error::Kind::kInput, "gateway URL {}: expected http://HOST[:PORT]", url);
  }
  return GatewayAddress{scheme + "://" + host, port};
}

Result<std::string> PushRun(results::Store& store, std::optional<int64_t> run_id, std::string_view gateway_url) {
  auto address = ParseGatewayUrl(gateway_url);
  if (!address) return std::unexpected(address.error());
  std::string scenario;
  auto snapshot = SnapshotOfRun(store, run_id, &scenario);
  if (!snapshot) return std::unexpected(snapshot.error());
  if (!IsPlainName(scenario)) {
    return FailAs(Error::Kind::kInput, "scenario name '{}' cannot be a Pushgateway grouping key", scenario);
  }
  auto collectable = std::make_shared<FixedCollectable>(snapshot->Families());
  std::shared_ptr<prometheus::Gateway> gateway;
  try {
    gateway = std::make_shared<prometheus::Gateway>(address->host, address->port, std::string(kPushJob),
                                                    prometheus::Labels{{"scenario", scenario}});
  } catch (const std::exception& e) {
    return Fail("pushing to {}: {}", gateway_url, e.what());
  }
  gateway->RegisterCollectable(collectable);
  // prometheus-cpp's push has no timeout: run it on a thread that owns what it
  // uses, and stop waiting after kPushTimeout.
  auto done = std::make_shared<std::promise<int>>();
  auto result = done->get_future();
  std::thread([gateway, collectable, done] {
    try {
      done->set_value(gateway->Push());
    } catch (...) {
      done->set_value(-1);
    }
  }).detach();
  if (result.wait_for(kPushTimeout) != std::future_status::ready) {
    return FailAs(Error::Kind::kTimeout, "pushing to {}: no answer within {} s", gateway_url, kPushTimeout.count());
  }
  int code = result.get();
  if (code < 200 || code >= 300) {
    return Fail("pushing to {}: {}", gateway_url,
                code < 0 ? fmt::format("connection failed (curl error {})", -code) : fmt::format("HTTP {}", code));
  }
  return scenario;
}

Result<std::filesystem::path> WriteTextfile(results::Store& store, std::optional<int64_t> run_id,
                                            const std::filesystem::path& dir) {
  std::string scenario;
  auto snapshot = SnapshotOfRun(store, run_id, &scenario);
  if (!snapshot) return std::unexpected(snapshot.error());
  if (!IsPlainName(scenario)) {
    return FailAs(Error::Kind::kInput, "scenario name '{}' cannot be part of a file name", scenario);
  }
  // node_exporter reads only *.prom; the temporary file is "<name>.prom.tmp".
  auto path = dir / fmt::format("rfl_lab_{}.prom", scenario);
  if (auto st = WriteFileAtomic(path, SerializeText(snapshot->Families())); !st) return std::unexpected(st.error());
  return path;
}

}  // namespace rfl::exporters
