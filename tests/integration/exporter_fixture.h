#pragma once
// Results stores for the exporter tests and the scrape benchmark.
//
// ExporterStorePath() is the one place that decides which store the exporter
// tests read: a real store from `rfl-lab run` when one is provided
// (environment RFL_LAB_EXPORTER_STORE, or tests/fixtures/exporter/results.sqlite3),
// copied into the test's temporary directory; otherwise one written here
// through the results API, shaped like scenarios/quickstart.yaml (x86_64,
// rustc-1.96, kernel 7.3; variants baseline, ibt-rust, c-binder and
// rethunk-without-thunk expected to fail to link; boot, rust-samples, binder
// and block workloads with the metric names and units the guest agent sends).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <prometheus/metric_family.h>

#include "lab/results/records.h"
#include "lab/results/store.h"
#include "lab/util/process.h"
#include "tests/support/server_process.h"

namespace rfl::exporters::fixture {

using test::FreePort;
using test::ServerProcess;

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "rfl-exporter-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Deterministic jitter (LCG), so every run of the tests writes the same store.
class Jitter {
 public:
  explicit Jitter(uint64_t seed) : state_(seed) {}
  // A value near `center`, within ± `spread` (relative).
  double Near(double center, double spread) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = static_cast<double>(state_ >> 11) / static_cast<double>(1ULL << 53);
    return center * (1.0 + spread * (2 * u - 1));
  }

 private:
  uint64_t state_;
};

struct SyntheticShape {
  std::string scenario = "quickstart";
  std::vector<std::string> arches{"x86_64"};
  std::vector<std::string> toolchains{"rustc-1.96"};
  std::string kernel = "7.3";
  std::vector<std::string> variants{"baseline", "ibt-rust", "c-binder", "rethunk-without-thunk"};
  int repetitions = 6;  // ibt-rust keeps 5 passed boots: enough for a verdict
  // Extra per-boot binder payloads and block devices (to scale the series count).
  std::vector<int> payloads{0, 4096};
  std::vector<std::string> devices{"rnull", "null_blk"};
  double started_unix = 1'790'000'000;
  uint64_t seed = 1;
};

inline results::BootRecord MakeBoot(const SyntheticShape& shape, const std::string& arch,
                                    const std::string& toolchain, const std::string& variant,
                                    const std::string& build_key, int repetition, int attempt,
                                    BootOutcome outcome, Jitter& jitter, double started) {
  results::BootRecord b;
  b.build_key = build_key;
  b.variant = variant;
  b.arch = arch;
  b.toolchain = toolchain;
  b.kernel = shape.kernel;
  b.repetition = repetition;
  b.attempt = attempt;
  b.accel = "tcg";
  b.timing = "icount";
  b.outcome = outcome;
  b.started_unix = started;
  b.ended_unix = started + jitter.Near(3.2, 0.05);
  b.console_path = fmt::format("consoles/{}-{}-{}.log", variant, repetition, attempt);
  if (outcome != BootOutcome::kPassed) {
    b.evidence = "rust_kernel: panicked at rust/kernel/sync/arc.rs:123:9";
    return b;
  }
  // IBT landing pads cost a few percent on binder round trips; C binder is a
  // bit faster; block I/O is the same everywhere.
  double binder_factor = variant == "ibt-rust" ? 1.06 : variant == "c-binder" ? 0.93 : 1.0;
  auto add = [&](std::string workload, std::string metric, std::string unit, double value,
                 std::map<std::string, std::string> labels = {}) {
    b.samples.push_back({std::move(workload), std::move(metric), std::move(unit), value, std::move(labels)});
  };
  double run_init = jitter.Near(1.70, 0.01);
  add("boot", "run_init", "seconds", run_init);
  add("boot", "agent_start", "seconds", run_init + jitter.Near(0.04, 0.05));
  add("boot", "init_to_agent", "seconds", jitter.Near(0.04, 0.05));
  add("rust-samples", "lines_found", "count", 2);
  add("rust-samples", "line_timestamp", "seconds", jitter.Near(1.2, 0.01),
      {{"line", "rust_minimal: Rust minimal sample (init)"}});
  for (int payload : shape.payloads) {
    std::map<std::string, std::string> l{{"payload_bytes", std::to_string(payload)}};
    double base = 110e-6 * (1.0 + payload / 65536.0) * binder_factor;
    add("binder", "round_trip_p50", "seconds", jitter.Near(base, 0.004), l);
    add("binder", "round_trip_p90", "seconds", jitter.Near(base * 1.2, 0.004), l);
    add("binder", "round_trip_p99", "seconds", jitter.Near(base * 1.6, 0.01), l);
    add("binder", "round_trip_mean", "seconds", jitter.Near(base * 1.05, 0.004), l);
    add("binder", "transactions", "ops_per_second", jitter.Near(1.0 / base, 0.004), l);
  }
  for (const auto& device : shape.devices) {
    std::map<std::string, std::string> l{{"device", device}, {"pattern", "randread"}, {"block_size", "4096"}};
    double lat = device == "rnull" ? 21e-6 : 20e-6;
    add("block", "iops", "ops_per_second", jitter.Near(1.0 / lat, 0.01), l);
    add("block", "latency_p50", "seconds", jitter.Near(lat, 0.01), l);
    add("block", "latency_p99", "seconds", jitter.Near(lat * 2, 0.02), l);
    add("block", "latency_mean", "seconds", jitter.Near(lat * 1.1, 0.01), l);
  }
  return b;
}

// Writes one completed run of `shape` into `store`; returns its id.
inline int64_t WriteSyntheticRun(results::Store& store, const SyntheticShape& shape,
                                 results::RunStatus status = results::RunStatus::kCompleted) {
  Jitter jitter(shape.seed);
  results::RunInfo info;
  info.scenario_name = shape.scenario;
  info.scenario_text = "name: " + shape.scenario + "\n";
  info.scenario_hash = fmt::format("{:064x}", shape.seed);
  info.lab_version = "0.1.0";
  info.host = "test-host";
  info.timing = "icount";
  info.baseline = shape.variants.front();
  info.repeat_min = info.repeat_max = shape.repetitions;
  info.started_unix = shape.started_unix;
  for (const auto& v : shape.variants) {
    results::VariantInfo vi;
    vi.name = v;
    if (v == "ibt-rust") vi.rustflags = {"-Zcf-protection=branch"};
    if (v == "rethunk-without-thunk") {
      vi.rustflags = {"-Zfunction-return=thunk-extern"};
      vi.expect = Expect::kBuildFailure;
    }
    if (v == "c-binder") vi.kconfig = {{"ANDROID_BINDER_IPC_RUST", "n"}, {"ANDROID_BINDER_IPC", "y"}};
    info.variants.push_back(vi);
  }
  auto run_id = store.BeginRun(info);
  EXPECT_TRUE(run_id) << run_id.error().message;
  if (!run_id) return -1;

  double clock = shape.started_unix + 10;
  for (const auto& arch : shape.arches) {
    for (const auto& toolchain : shape.toolchains) {
      for (size_t vi = 0; vi < shape.variants.size(); ++vi) {
        const auto& variant = shape.variants[vi];
        results::BuildRecord build;
        build.key = fmt::format("{}-{}-{}-{}", arch, toolchain, variant, shape.seed);
        build.variants = {variant};
        build.arch = arch;
        build.toolchain = toolchain;
        build.kernel = shape.kernel;
        build.rustc_version = toolchain == "host" ? "rustc 1.85.0 (4d91de4e4 2025-02-17)"
                                                  : "rustc 1.96.0 (ded5c06cf 2026-10-27) (Debian 1.96.0+dfsg1-1~bpo13+1)";
        build.bindgen_version = "bindgen 0.71.1";
        build.clang_version = "Debian clang version 19.1.7 (3)";
        bool expect_fail = variant == "rethunk-without-thunk";
        build.effective_flags = "-Copt-level=2 -Cpanic=abort" + std::string(variant == "ibt-rust" ? " -Zcf-protection=branch" : "") +
                                (expect_fail ? " -Zfunction-return=thunk-extern" : "");
        build.outcome = expect_fail ? results::BuildOutcome::kExpectedFailure : results::BuildOutcome::kBuilt;
        build.duration_seconds = vi == 0 ? jitter.Near(340, 0.02) : jitter.Near(52, 0.05);
        if (expect_fail) {
          build.failure_class = "link-error";
          build.failure_excerpt = "ld.lld: error: undefined symbol: __x86_return_thunk";
        } else {
          int64_t extra = variant == "ibt-rust" ? 18'432 : variant == "c-binder" ? -61'440 : 0;
          build.sizes["vmlinux"] = {{"text", 6'291'456 + extra}, {"data", 1'048'576}, {"bss", 524'288}};
          build.sizes["rust"] = {{"text", 786'432 + extra}, {"data", 32'768}, {"bss", 4'096}};
          build.artifact_dir = "artifacts/" + build.key;
        }
        auto b = store.RecordBuild(*run_id, build);
        EXPECT_TRUE(b) << b.error().message;
        if (expect_fail) continue;
        for (int rep = 0; rep < shape.repetitions; ++rep) {
          // ibt-rust panics once, on the retry too: a real boot failure.
          bool fails = variant == "ibt-rust" && rep == shape.repetitions - 1;
          // c-binder times out once and passes on the retry.
          bool retried = variant == "c-binder" && rep == 1;
          if (fails || retried) {
            auto outcome = fails ? BootOutcome::kRustPanic : BootOutcome::kBootTimeout;
            auto r = store.RecordBoot(*run_id, MakeBoot(shape, arch, toolchain, variant, build.key, rep, 0, outcome,
                                                        jitter, clock += 5));
            EXPECT_TRUE(r) << r.error().message;
          }
          auto outcome = fails ? BootOutcome::kRustPanic : BootOutcome::kPassed;
          auto r = store.RecordBoot(*run_id, MakeBoot(shape, arch, toolchain, variant, build.key, rep,
                                                      fails || retried ? 1 : 0, outcome, jitter, clock += 5));
          EXPECT_TRUE(r) << r.error().message;
        }
      }
    }
  }
  auto st = store.FinishRun(*run_id, status);
  EXPECT_TRUE(st) << st.error().message;
  return *run_id;
}

// The store the exporter tests use, in `dir`: a provided real store when there
// is one, else an older and a newer completed run of quickstart plus a run
// still in progress (which exports must skip). `real` tells which.
inline fs::path ExporterStorePath(const fs::path& dir, bool* real = nullptr) {
  fs::path provided;
  if (const char* env = std::getenv("RFL_LAB_EXPORTER_STORE"); env && *env) {
    provided = env;
  } else if (fs::exists(fs::path(RFL_LAB_FIXTURES_DIR) / "exporter" / "results.sqlite3")) {
    provided = fs::path(RFL_LAB_FIXTURES_DIR) / "exporter" / "results.sqlite3";
  }
  fs::path path = dir / "results.sqlite3";
  if (real) *real = !provided.empty();
  if (!provided.empty()) {
    fs::copy_file(provided, path, fs::copy_options::overwrite_existing);
    return path;
  }
  auto store = results::OpenSqliteStore(path);
  EXPECT_TRUE(store) << store.error().message;
  if (!store) return path;
  SyntheticShape older;
  older.seed = 7;
  older.started_unix -= 86400;
  WriteSyntheticRun(**store, older);
  SyntheticShape newer;
  WriteSyntheticRun(**store, newer);
  SyntheticShape running;
  running.seed = 99;
  running.started_unix += 3600;
  running.repetitions = 1;
  WriteSyntheticRun(**store, running, results::RunStatus::kRunning);
  return path;
}

// GET with the curl program (bounded by --max-time); extra arguments such as
// {"--data-urlencode", "query=up"} go before the URL (with -G).
inline Result<std::string> HttpGet(const std::string& url, const std::vector<std::string>& args = {}) {
  Command cmd;
  cmd.argv = {"curl", "-sS", "--fail-with-body", "--max-time", "20", "-G"};
  cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
  cmd.argv.push_back(url);
  cmd.timeout = std::chrono::seconds(30);
  auto r = DefaultRunner().Run(cmd);
  if (!r) return std::unexpected(r.error());
  if (!r->ok()) return Fail("GET {}: {}: {}", url, r->Describe(), r->output);
  return r->output;
}

// An instant query against Prometheus' HTTP API: the `data.result` array.
inline Result<nlohmann::json> PromQuery(int port, const std::string& expr) {
  auto body = HttpGet(fmt::format("http://127.0.0.1:{}/api/v1/query", port), {"--data-urlencode", "query=" + expr});
  if (!body) return std::unexpected(body.error());
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return Fail("query {}: {}", expr, *body);
  return j["data"]["result"];
}

// "name{a=\"1\",b=\"2\"}" with labels sorted and job/instance left out: the
// identity of a series across the exporter, Prometheus and the Pushgateway.
inline std::string SeriesKey(const std::string& name, std::map<std::string, std::string> labels) {
  labels.erase("job");
  labels.erase("instance");
  labels.erase("__name__");
  // Prometheus drops empty label values.
  std::erase_if(labels, [](const auto& kv) { return kv.second.empty(); });
  std::string key = name + "{";
  for (const auto& [k, v] : labels) key += fmt::format("{}=\"{}\",", k, v);
  return key + "}";
}

inline bool SameValue(double a, double b) {
  return a == b || std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
}

// Every series of a snapshot by SeriesKey.
inline std::map<std::string, double> SeriesOf(const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, double> out;
  for (const auto& f : families) {
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      double v = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
      out[SeriesKey(f.name, labels)] = v;
    }
  }
  return out;
}

}  // namespace rfl::exporters::fixture
