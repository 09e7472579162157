// Scrape time of `rfl-lab serve`'s /metrics over a store with about 10,000
// series (goal: under 50 ms). Prints figures; asserts nothing.
//
//   bench_metrics_scrape [SCRAPES]
//
// The store is written through the results API (the quickstart shape with 2
// arches, 2 toolchains, 6 variants and more binder payloads and block
// devices). Figures: the first collection (every run analysed: bootstrap CIs),
// a warm in-process collection + serialization, and HTTP scrapes of the real
// exposer timed by curl (time_total, no process start-up).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <time.h>

#include <fmt/format.h>

#include "exporters/prometheus/export.h"
#include "exporters/prometheus/metrics_model.h"
#include "exporters/prometheus/store_source.h"
#include "lab/results/statistics.h"
#include "tests/integration/exporter_fixture.h"

using namespace rfl;
using namespace rfl::exporters;
using Clock = std::chrono::steady_clock;

static double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of this process in ms: on a shared, loaded machine the wall time
// of a scrape mostly measures the other processes.
static double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

int main(int argc, char** argv) {
  int scrapes = argc > 1 ? std::atoi(argv[1]) : 20;
  fixture::TempDir dir;
  auto store_path = dir.path() / "results.sqlite3";
  auto store = results::OpenSqliteStore(store_path);
  if (!store) {
    fmt::print(stderr, "{}\n", store.error().message);
    return 3;
  }
  fixture::SyntheticShape shape;
  shape.arches = {"x86_64", "arm64"};
  shape.toolchains = {"rustc-1.85", "rustc-1.96"};
  shape.variants = {"baseline", "ibt-rust", "c-binder", "opt-s", "no-overflow-checks", "rethunk-without-thunk"};
  shape.payloads = {0, 64, 512, 4096, 16384, 65535, 65536, 65537};
  shape.devices = {"rnull", "null_blk", "rnull-mq", "null_blk-mq"};
  auto t0 = Clock::now();
  fixture::WriteSyntheticRun(**store, shape);
  auto t1 = Clock::now();

  StoreMetricsSource source(**store);
  auto cold = source.Collect();
  auto t2 = Clock::now();
  if (!cold) {
    fmt::print(stderr, "{}\n", cold.error().message);
    return 3;
  }
  size_t series = (*cold)->SeriesCount();

  SourceCollectable collectable(std::make_shared<StoreMetricsSource>(**store));
  (void)collectable.Collect();  // its own first analysis
  std::vector<double> warm, warm_cpu, collect_only, serialize_only;
  size_t bytes = 0;
  for (int i = 0; i < scrapes; ++i) {
    auto a = Clock::now();
    double c0 = CpuMs();
    auto families = collectable.Collect();
    auto b = Clock::now();
    std::string text = SerializeText(families);
    warm.push_back(Ms(Clock::now() - a));
    warm_cpu.push_back(CpuMs() - c0);
    collect_only.push_back(Ms(b - a));
    serialize_only.push_back(Ms(Clock::now() - b));
    bytes = text.size();
  }
  for (auto* v : {&warm, &warm_cpu, &collect_only, &serialize_only}) std::sort(v->begin(), v->end());

  // The real exposer, scraped over HTTP.
  std::atomic<bool> stop{false};
  std::atomic<int> port{0};
  ServeOptions options;
  options.listen = "127.0.0.1:0";
  options.store = store_path;
  options.on_listening = [&](int p) { port = p; };
  options.should_stop = [&] { return stop.load(); };
  Status served;
  std::thread server([&] { served = Serve(options); });
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while (port == 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<double> http;
  if (port != 0) {
    for (int i = 0; i < scrapes; ++i) {
      Command cmd;
      cmd.argv = {"curl", "-sS", "-o", "/dev/null", "--max-time", "20", "-w", "%{time_total}",
                  fmt::format("http://127.0.0.1:{}/metrics", port.load())};
      cmd.timeout = std::chrono::seconds(30);
      auto r = DefaultRunner().Run(cmd);
      if (r && r->ok()) http.push_back(std::stod(r->output) * 1000);
    }
  }
  stop = true;
  server.join();
  if (!served) fmt::print(stderr, "serve: {}\n", served.error().message);
  std::sort(http.begin(), http.end());

  auto median = [](const std::vector<double>& v) { return v.empty() ? NAN : results::Median(v); };
  auto max = [](const std::vector<double>& v) { return v.empty() ? NAN : v.back(); };
  fmt::print("store: {} series ({} bytes of exposition), written in {:.0f} ms\n", series, bytes, Ms(t1 - t0));
  fmt::print("first collection (analyses every run): {:.0f} ms\n", Ms(t2 - t1));
  fmt::print("warm collect + serialize, in process: median {:.1f} ms wall ({:.1f} ms CPU), max {:.1f} ms ({} scrapes)\n",
             median(warm), median(warm_cpu), max(warm), warm.size());
  fmt::print("  of which Collect() {:.1f} ms, text serialization {:.1f} ms (medians)\n", median(collect_only),
             median(serialize_only));
  fmt::print("HTTP GET /metrics (curl time_total): median {:.1f} ms, max {:.1f} ms ({} scrapes); goal < 50 ms\n",
             median(http), max(http), http.size());
  return 0;
}
