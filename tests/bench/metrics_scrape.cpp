// Scrape time of `rfl-lab serve`'s /metrics over a store with about 10,000
// series (goal: under 50 ms). Prints figures; asserts nothing.
//
//   bench_metrics_scrape [SCRAPES]
//
// The store is written through the results API (the quickstart shape with 2
// arches, 2 toolchains, 6 variants and more binder payloads and block
// devices). Figures: the first collection (every run analysed: bootstrap CIs),
// rendering the exposition once, a scrape of the unchanged store in process,
// and HTTP scrapes of the real endpoint timed by curl (time_total, no process
// start-up), plain and gzip'd as Prometheus asks.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <time.h>

#include <fmt/format.h>

#include "exporters/prometheus/export.h"
#include "exporters/prometheus/exposition.h"
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

  // What a scrape of an unchanged store costs in process: the source's
  // change check, then the kept exposition.
  ExpositionCache cache(std::make_shared<StoreMetricsSource>(**store));
  auto r0 = Clock::now();
  auto rendered = cache.Current();  // analysis, text and gzip
  auto r1 = Clock::now();
  auto text_start = Clock::now();
  std::string text = SerializeText((*cold)->Families());
  double serialize_ms = Ms(Clock::now() - text_start);
  std::vector<double> warm, warm_cpu;
  for (int i = 0; i < scrapes; ++i) {
    auto a = Clock::now();
    double c0 = CpuMs();
    auto e = cache.Current();
    warm.push_back(Ms(Clock::now() - a));
    warm_cpu.push_back(CpuMs() - c0);
  }
  std::sort(warm.begin(), warm.end());
  std::sort(warm_cpu.begin(), warm_cpu.end());
  size_t bytes = rendered->text.size();

  // The real endpoint, scraped over HTTP.
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
  // Plain, and gzip as Prometheus asks for it (Accept-Encoding: gzip).
  std::vector<double> http, http_first_byte, http_gzip, http_cpu;
  if (port != 0) {
    for (int i = 0; i < scrapes; ++i) {
      for (bool gzip : {false, true}) {
        Command cmd;
        cmd.argv = {"curl", "-sS", "-o", "/dev/null", "--max-time", "20", "-w", "%{time_starttransfer} %{time_total}"};
        if (gzip) cmd.argv.push_back("--compressed");
        cmd.argv.push_back(fmt::format("http://127.0.0.1:{}/metrics", port.load()));
        cmd.timeout = std::chrono::seconds(30);
        // This process's CPU while curl runs is the exposer's (the main
        // thread waits): a figure the machine's load does not inflate.
        double c0 = CpuMs();
        auto r = DefaultRunner().Run(cmd);
        double cpu = CpuMs() - c0;
        if (!r || !r->ok()) continue;
        double first = 0, total = 0;
        if (std::sscanf(r->output.c_str(), "%lf %lf", &first, &total) != 2) continue;
        if (gzip) {
          http_gzip.push_back(total * 1000);
        } else {
          http.push_back(total * 1000);
          http_first_byte.push_back(first * 1000);
          http_cpu.push_back(cpu);
        }
      }
    }
  }
  stop = true;
  server.join();
  if (!served) fmt::print(stderr, "serve: {}\n", served.error().message);
  for (auto* v : {&http, &http_first_byte, &http_gzip, &http_cpu}) std::sort(v->begin(), v->end());

  auto median = [](const std::vector<double>& v) { return v.empty() ? NAN : results::Median(v); };
  auto max = [](const std::vector<double>& v) { return v.empty() ? NAN : v.back(); };
  fmt::print("store: {} series ({} bytes of exposition), written in {:.0f} ms\n", series, bytes, Ms(t1 - t0));
  fmt::print("first collection (analyses every run): {:.0f} ms\n", Ms(t2 - t1));
  fmt::print("the cache's first scrape (its source analyses every run, then text and gzip, {} bytes): {:.0f} ms\n",
             rendered->gzip.size(), Ms(r1 - r0));
  fmt::print("  rendering the text alone (what every scrape paid before the cache): {:.1f} ms\n", serialize_ms);
  fmt::print("a scrape of the unchanged store, in process: median {:.2f} ms wall ({:.2f} ms CPU), max {:.2f} ms; "
             "{} renderings for {} scrapes\n",
             median(warm), median(warm_cpu), max(warm), cache.renders(), warm.size() + 1);
  fmt::print("HTTP GET /metrics (curl time_total): median {:.1f} ms, max {:.1f} ms ({} scrapes); goal < 50 ms\n",
             median(http), max(http), http.size());
  fmt::print("  of which to the first byte {:.1f} ms; this process's CPU meanwhile (the server, spawning curl) {:.1f} ms (medians)\n", median(http_first_byte),
             median(http_cpu));
  fmt::print("HTTP GET /metrics with Accept-Encoding: gzip (as Prometheus scrapes): median {:.1f} ms, max {:.1f} ms\n",
             median(http_gzip), max(http_gzip));
  return 0;
}
