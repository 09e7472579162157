#include "exporters/prometheus/export.h"

#include <chrono>
#include <exception>
#include <future>
#include <thread>

#include <fmt/format.h>
#include <prometheus/exposer.h>
#include <prometheus/gateway.h>
#include <spdlog/spdlog.h>

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

}  // namespace

SourceCollectable::SourceCollectable(std::shared_ptr<MetricsSource> source) : source_(std::move(source)) {}

std::vector<prometheus::MetricFamily> SourceCollectable::Collect() const {
  auto snapshot = source_->Collect();
  Snapshot status;
  if (!snapshot) {
    spdlog::warn("reading the results store: {}", snapshot.error().message);
    ++read_errors_;
  }
  status.Set("rfl_lab_store_up", {}, snapshot ? 1 : 0);
  status.Set("rfl_lab_store_read_errors_total", {}, static_cast<double>(read_errors_.load()));
  if (!snapshot) return status.Families();
  std::vector<prometheus::MetricFamily> families;
  {
    std::lock_guard lock(cache_mutex_);
    if (cached_snapshot_ != *snapshot) {
      cached_families_ = (*snapshot)->Families();
      cached_snapshot_ = *snapshot;
    }
    families = cached_families_;
  }
  for (auto& f : status.Families()) families.push_back(std::move(f));
  return families;
}

Status Serve(const ServeOptions& options) {
  // Read-only, reopened when the file changes; a missing store is served as
  // rfl_lab_store_up 0 until it appears.
  auto source = std::make_shared<StorePathSource>(options.store);
  // The first read analyses every run: do it before listening, so the first
  // scrape is as fast as the others and a broken store shows up at once.
  if (auto first = source->Collect(); !first) {
    spdlog::warn("reading the results store {}: {}", options.store.string(), first.error().message);
  }
  auto collectable = std::make_shared<SourceCollectable>(source);
  // The exposer holds a weak pointer to the collectable: declared after it,
  // it is destroyed first.
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // civetweb gives each connection a worker thread until the request is
    // read: with its defaults (2 threads, 30 s) two idle connections stop
    // /metrics for 30 s. Many threads and a short request timeout keep a
    // scrape answering while idle or slow clients hold connections.
    exposer = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", options.listen, "num_threads", std::to_string(kExposerThreads), "request_timeout_ms",
        std::to_string(kExposerRequestTimeout.count())});
  } catch (const std::exception& e) {
    return FailAs(Error::Kind::kInput, "cannot listen on {}: {}", options.listen, e.what());
  }
  exposer->RegisterCollectable(collectable);
  auto ports = exposer->GetListeningPorts();
  if (ports.empty()) return Fail("listening on {}: no port bound", options.listen);
  if (options.on_listening) options.on_listening(ports.front());
  auto stop = options.should_stop ? options.should_stop : [] { return CancelRequested(); };
  while (!stop()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  exposer.reset();
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
