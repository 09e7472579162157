#pragma once
// The three ways results leave the lab for Prometheus (docs/monitoring.md):
//   - Serve: a long-running /metrics endpoint over civetweb, read from the
//     store on each scrape and rendered again when it changed
//     (`rfl-lab serve`; exposition.h);
//   - PushRun: one run to a Pushgateway, grouped by job="rfl-lab-push" and scenario
//     (`rfl-lab push`, `rfl-lab run --push URL`);
//   - WriteTextfile: one run as a node_exporter textfile-collector file,
//     written atomically (`rfl-lab run --textfile DIR`).
// All three serialize the same exporters::Snapshot.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "exporters/prometheus/store_source.h"
#include "lab/results/store.h"
#include "lab/util/result.h"

namespace rfl::exporters {

// Loopback only unless the user says otherwise.
inline constexpr std::string_view kDefaultListen = "127.0.0.1:9477";
// The exporter's HTTP workers, and how long a connection may take to send
// its request before it is dropped (idle connections must not starve scrapes).
inline constexpr int kServeThreads = 32;
inline constexpr std::chrono::milliseconds kServeRequestTimeout{2000};
// The Pushgateway job name of every push. Distinct from the job that scrapes
// `serve`, so that rules and dashboards can tell the two sources apart and
// count a run once when both hold it (docs/monitoring.md).
inline constexpr std::string_view kPushJob = "rfl-lab-push";

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
