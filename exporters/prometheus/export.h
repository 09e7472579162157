#pragma once
// The three ways results leave the lab for Prometheus (docs/monitoring.md):
//   - Serve: a long-running /metrics endpoint computed from the store on each
//     scrape (`rfl-lab serve`);
//   - PushRun: one run to a Pushgateway, grouped by job="rfl-lab-push" and scenario
//     (`rfl-lab push`, `rfl-lab run --push URL`);
//   - WriteTextfile: one run as a node_exporter textfile-collector file,
//     written atomically (`rfl-lab run --textfile DIR`).
// All three serialize the same exporters::Snapshot.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <prometheus/collectable.h>

#include "exporters/prometheus/store_source.h"
#include "lab/results/store.h"
#include "lab/util/result.h"

namespace rfl::exporters {

// Loopback only unless the user says otherwise.
inline constexpr std::string_view kDefaultListen = "127.0.0.1:9477";
// The exporter's HTTP workers, and how long a connection may take to send
// its request before it is dropped (idle connections must not starve scrapes).
inline constexpr int kExposerThreads = 32;
inline constexpr std::chrono::milliseconds kExposerRequestTimeout{2000};
// The Pushgateway job name of every push. Distinct from the job that scrapes
// `serve`, so that rules and dashboards can tell the two sources apart and
// count a run once when both hold it (docs/monitoring.md).
inline constexpr std::string_view kPushJob = "rfl-lab-push";

// A prometheus-cpp Collectable computing the families from a MetricsSource on
// each scrape. A failed read exports rfl_lab_store_up 0 (and counts it in
// rfl_lab_store_read_errors_total) instead of failing the scrape.
class SourceCollectable final : public prometheus::Collectable {
 public:
  explicit SourceCollectable(std::shared_ptr<MetricsSource> source);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<MetricsSource> source_;
  mutable std::atomic<uint64_t> read_errors_{0};
  // The families of the last snapshot: the source hands out the same
  // snapshot while the store is unchanged.
  mutable std::mutex cache_mutex_;
  mutable std::shared_ptr<const Snapshot> cached_snapshot_;
  mutable std::vector<prometheus::MetricFamily> cached_families_;
};

struct ServeOptions {
  std::string listen{kDefaultListen};  // host:port; port 0 picks a free one
  std::filesystem::path store;
  // Called once listening, with the bound port.
  std::function<void(int port)> on_listening;
  // Polled every 100 ms; Serve returns when it says true. Default: Ctrl-C.
  std::function<bool()> should_stop;
};

// Serves /metrics until should_stop(); errors when the store cannot be opened
// or the address cannot be bound.
[[nodiscard]] Status Serve(const ServeOptions& options);

// A Pushgateway address from "http://host:port" (port 9091 when absent).
struct GatewayAddress {
  std::string host;  // with the scheme: "http://127.0.0.1"
  std::string port;
};
[[nodiscard]] Result<GatewayAddress> ParseGatewayUrl(std::string_view url);

// Pushes run `run_id` (the newest run when nullopt) to the Pushgateway at
// `gateway_url`, replacing the group {job="rfl-lab-push", scenario="<name>"}.
// Returns the scenario name.
[[nodiscard]] Result<std::string> PushRun(results::Store& store, std::optional<int64_t> run_id,
                                          std::string_view gateway_url);

// Writes run `run_id` (newest when nullopt) to <dir>/rfl_lab_<scenario>.prom
// through a temporary file and a rename. Returns the file's path.
[[nodiscard]] Result<std::filesystem::path> WriteTextfile(results::Store& store, std::optional<int64_t> run_id,
                                                          const std::filesystem::path& dir);

}  // namespace rfl::exporters
