// `rfl-lab serve` scraped by a real Prometheus (Debian's /usr/bin/prometheus)
// on loopback, with the lab's alert rules loaded: the values Prometheus
// stores equal the store's, the exposition passes `promtool check metrics`,
// the rules pass `promtool check rules` and `promtool test rules`, the alerts
// fire on the run's regression and boot failure, and every query of the
// Grafana dashboards evaluates and returns data.
#include <fstream>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "exporters/prometheus/store_source.h"
#include "lab/results/comparison.h"
#include "lab/results/statistics.h"
#include "lab/util/paths.h"
#include "tests/integration/exporter_fixture.h"

namespace rfl::exporters {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using fixture::PromQuery;
using fixture::SameValue;
using fixture::SeriesKey;
using fixture::ServerProcess;
using fixture::TempDir;

const fs::path kExporters = fs::path(RFL_LAB_SOURCE_DIR) / "exporters";

Result<ProcessResult> RunTool(std::vector<std::string> argv, std::optional<std::string> stdin_data = {}) {
  Command cmd;
  cmd.argv = std::move(argv);
  cmd.stdin_data = std::move(stdin_data);
  cmd.timeout = 60s;
  return DefaultRunner().Run(cmd);
}

class ExporterPrometheus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!FindProgram("prometheus") || !FindProgram("promtool") || !FindProgram("curl")) {
      skip_ = "prometheus, promtool or curl missing (scripts/setup.sh)";
      return;
    }
    dir_ = new TempDir;
    store_path_ = fixture::ExporterStorePath(dir_->path(), &real_store_);

    serve_ = new ServerProcess({RFL_LAB_BINARY, "serve", "--listen", "127.0.0.1:0", "--store", store_path_.string()});
    ASSERT_TRUE(serve_->started()) << serve_->error();
    auto port = serve_->WaitForOutput(R"(serving http://127\.0\.0\.1:(\d+)/metrics)", 60s);
    ASSERT_TRUE(port) << "rfl-lab serve did not start:\n" << serve_->output();
    serve_port_ = std::stoi(*port);

    // Prometheus scraping it every second, evaluating the lab's rules.
    fs::copy_file(kExporters / "prometheus" / "rules.yml", dir_->path() / "rules.yml");
    {
      std::ofstream cfg(dir_->path() / "prometheus.yml");
      cfg << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
          << "rule_files: [rules.yml]\n"
          << "scrape_configs:\n"
          << "  - job_name: rfl-lab\n"
          << "    static_configs: [{targets: ['127.0.0.1:" << serve_port_ << "']}]\n";
    }
    prom_port_ = fixture::FreePort();
    prometheus_ = new ServerProcess({"prometheus", "--config.file=" + (dir_->path() / "prometheus.yml").string(),
                                     "--storage.tsdb.path=" + (dir_->path() / "tsdb").string(),
                                     fmt::format("--web.listen-address=127.0.0.1:{}", prom_port_)});
    ASSERT_TRUE(prometheus_->started()) << prometheus_->error();
    // Wait for a scrape that brought the lab's series.
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = PromQuery(prom_port_, "rfl_lab_last_success_timestamp_seconds");
      if (r && !r->empty()) break;
      std::this_thread::sleep_for(250ms);
    }
  }
  static void TearDownTestSuite() {
    delete prometheus_;
    delete serve_;
    delete dir_;
    prometheus_ = serve_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_NE(serve_port_, 0);
    auto up = PromQuery(prom_port_, "rfl_lab_last_success_timestamp_seconds");
    ASSERT_TRUE(up && !up->empty()) << "Prometheus never scraped rfl-lab serve\n" << prometheus_->output();
  }

  // Every rfl_lab_ series Prometheus holds now, by SeriesKey.
  static std::map<std::string, double> Scraped() {
    std::map<std::string, double> out;
    auto r = PromQuery(prom_port_, R"({__name__=~"rfl_lab_.+", job="rfl-lab"})");
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return out;
    for (const auto& s : *r) {
      std::map<std::string, std::string> labels = s["metric"];
      out[SeriesKey(labels["__name__"], labels)] = std::stod(s["value"][1].get<std::string>());
    }
    return out;
  }

  static inline std::string skip_;
  static inline TempDir* dir_ = nullptr;
  static inline fs::path store_path_;
  static inline bool real_store_ = false;
  static inline ServerProcess* serve_ = nullptr;
  static inline ServerProcess* prometheus_ = nullptr;
  static inline int serve_port_ = 0;
  static inline int prom_port_ = 0;
};

TEST_F(ExporterPrometheus, EverySeriesPrometheusStoredEqualsTheExportersView) {
  auto store = results::OpenSqliteStore(store_path_);
  ASSERT_TRUE(store) << store.error().message;
  StoreMetricsSource source(**store);
  auto snap = source.Collect();
  ASSERT_TRUE(snap) << snap.error().message;
  auto expected = fixture::SeriesOf((*snap)->Families());
  expected[SeriesKey("rfl_lab_store_up", {})] = 1;
  expected[SeriesKey("rfl_lab_store_read_errors_total", {})] = 0;
  auto scraped = Scraped();
  EXPECT_GT(expected.size(), 100u);
  EXPECT_EQ(scraped.size(), expected.size());
  size_t compared = 0;
  for (const auto& [key, value] : expected) {
    auto it = scraped.find(key);
    if (it == scraped.end()) {
      ADD_FAILURE() << "Prometheus lacks " << key;
      continue;
    }
    EXPECT_TRUE(SameValue(it->second, value)) << key << ": Prometheus " << it->second << ", store " << value;
    ++compared;
  }
  EXPECT_EQ(compared, expected.size());
}

// Independent of the exporter's code: figures recomputed from the newest
// completed run as the store returns it.
TEST_F(ExporterPrometheus, ValuesEqualTheNewestCompletedRunInTheStore) {
  auto store = results::OpenSqliteStore(store_path_);
  ASSERT_TRUE(store) << store.error().message;
  auto runs = (*store)->ListRuns();
  ASSERT_TRUE(runs);
  std::optional<int64_t> newest;
  for (const auto& r : *runs) {
    if (r.status == results::RunStatus::kCompleted) {
      newest = r.id;
      break;
    }
  }
  ASSERT_TRUE(newest) << "the store holds no completed run";
  auto run = (*store)->LoadRun(*newest);
  ASSERT_TRUE(run);
  const std::string& scenario = run->run.info.scenario_name;
  auto scraped = Scraped();
  auto check = [&](const std::string& name, std::map<std::string, std::string> labels, double want) {
    auto it = scraped.find(SeriesKey(name, labels));
    if (it == scraped.end()) {
      ADD_FAILURE() << "Prometheus lacks " << SeriesKey(name, labels);
      return;
    }
    EXPECT_TRUE(SameValue(it->second, want)) << SeriesKey(name, labels) << ": " << it->second << " != " << want;
  };
  auto cell = [&](const std::string& arch, const std::string& toolchain, const std::string& kernel,
                  const std::string& variant) {
    return std::map<std::string, std::string>{
        {"scenario", scenario}, {"arch", arch}, {"toolchain", toolchain}, {"kernel", kernel}, {"variant", variant}};
  };
  size_t checks = 0;
  check("rfl_lab_last_success_timestamp_seconds", {{"scenario", scenario}}, run->run.ended_unix);

  for (const auto& b : run->builds) {
    for (const auto& v : b.variants) {
      auto labels = cell(b.arch, b.toolchain, b.kernel, v);
      if (b.outcome != results::BuildOutcome::kCacheHit) {
        check("rfl_lab_build_duration_seconds", labels, b.duration_seconds);
        ++checks;
      }
      for (const auto& [object, sections] : b.sizes) {
        for (const auto& [section, bytes] : sections) {
          auto l = labels;
          l["object"] = object;
          l["section"] = section;
          check("rfl_lab_code_size_bytes", l, static_cast<double>(bytes));
          ++checks;
        }
      }
    }
  }
  // Boots by outcome over final attempts, and medians of seconds figures over
  // passed boots.
  std::map<std::tuple<std::string, std::string, std::string, std::string, int>, const results::BootRecord*> last_attempt;
  for (const auto& b : run->boots) {
    auto key = std::make_tuple(b.arch, b.toolchain, b.kernel, b.variant, b.repetition);
    if (!last_attempt.contains(key) || last_attempt[key]->attempt <= b.attempt) last_attempt[key] = &b;
  }
  std::map<std::pair<std::map<std::string, std::string>, std::string>, int> outcomes;
  std::map<std::map<std::string, std::string>, std::vector<double>> seconds;
  for (const auto& [key, b] : last_attempt) {
    auto labels = cell(b->arch, b->toolchain, b->kernel, b->variant);
    outcomes[{labels, std::string(BootOutcomeName(b->outcome))}]++;
    if (b->outcome != BootOutcome::kPassed) continue;
    for (const auto& s : b->samples) {
      if (s.unit != "seconds") continue;
      auto l = labels;
      l["workload"] = s.workload;
      l["metric"] = s.metric;
      for (const auto& [k, v] : s.labels) l[k] = v;  // one label per dimension
      seconds[l].push_back(s.value);
    }
  }
  for (const auto& [key, count] : outcomes) {
    auto l = key.first;
    l["outcome"] = key.second;
    check("rfl_lab_boots", l, count);
    ++checks;
  }
  for (const auto& [labels, values] : seconds) {
    check("rfl_lab_workload_median_seconds", labels, results::Median(values));
    ++checks;
  }
  // Delta ratios as the results engine computes them.
  for (const auto& d : results::AnalyzeRun(*run).deltas) {
    if (!std::isfinite(d.stats.ratio)) continue;
    auto l = cell(d.key.arch, d.key.toolchain, d.key.kernel, d.variant);
    l["workload"] = d.key.workload;
    l["metric"] = d.key.metric;
    for (const auto& [k, v] : SampleLabelsFromKey(d.key.labels)) l[k] = v;
    check("rfl_lab_delta_ratio", l, d.stats.ratio);
    ++checks;
  }
  EXPECT_GT(checks, 50u);
}

TEST_F(ExporterPrometheus, PromtoolAcceptsTheExposition) {
  auto body = fixture::HttpGet(fmt::format("http://127.0.0.1:{}/metrics", serve_port_));
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_NE(body->find("# TYPE rfl_lab_delta_verdict gauge"), std::string::npos);
  auto r = RunTool({"promtool", "check", "metrics"}, *body);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->ok()) << r->Describe() << "\n" << r->output;
}

TEST_F(ExporterPrometheus, PromtoolAcceptsAndUnitTestsTheRules) {
  auto check = RunTool({"promtool", "check", "rules", (kExporters / "prometheus" / "rules.yml").string()});
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_TRUE(check->ok()) << check->output;
  auto test = RunTool({"promtool", "test", "rules", (kExporters / "prometheus" / "rules_test.yml").string()});
  ASSERT_TRUE(test) << test.error().message;
  EXPECT_TRUE(test->ok()) << test->output;
  auto config = RunTool({"promtool", "check", "config", (kExporters / "prometheus" / "prometheus.yml").string()});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->ok()) << config->output;
}

TEST_F(ExporterPrometheus, AlertsFireForTheRunsRegressionAndBootFailure) {
  if (real_store_) GTEST_SKIP() << "a provided store need not hold a regression";
  std::set<std::string> firing;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    firing.clear();
    auto body = fixture::HttpGet(fmt::format("http://127.0.0.1:{}/api/v1/alerts", prom_port_));
    ASSERT_TRUE(body) << body.error().message;
    auto j = nlohmann::json::parse(*body);
    for (const auto& a : j["data"]["alerts"]) {
      if (a["state"] == "firing") firing.insert(a["labels"]["alertname"].get<std::string>() + "/" +
                                                a["labels"]["variant"].get<std::string>());
    }
    if (firing.contains("RflLabRegression/ibt-rust") && firing.contains("RflLabBootFailures/ibt-rust")) break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(firing.contains("RflLabRegression/ibt-rust"));
  EXPECT_TRUE(firing.contains("RflLabBootFailures/ibt-rust"));
  // c-binder's timed-out boot passed on its retry: no boot-failure alert.
  EXPECT_FALSE(firing.contains("RflLabBootFailures/c-binder"));
  EXPECT_FALSE(firing.contains("RflLabBootFailures/baseline"));
}

// Grafana's template variables and macros replaced as Grafana would with the
// scenario chosen and every other variable at "All".
std::string Substitute(std::string expr, const std::string& scenario) {
  expr = std::regex_replace(expr, std::regex(R"(\$__(rate_)?interval|\$__range)"), "5m");
  expr = std::regex_replace(expr, std::regex(R"(\$scenario\b)"), scenario);
  return std::regex_replace(expr, std::regex(R"(\$[a-z_]+)"), ".*");
}

TEST_F(ExporterPrometheus, EveryDashboardQueryEvaluatesAndReturnsData) {
  auto scenarios = PromQuery(prom_port_, "rfl_lab_run_info");
  ASSERT_TRUE(scenarios && !scenarios->empty());
  std::string scenario = (*scenarios)[0]["metric"]["scenario"];
  size_t queries = 0;
  for (const auto& entry : fs::directory_iterator(kExporters / "grafana" / "dashboards")) {
    if (entry.path().extension() != ".json") continue;
    auto text = ReadFile(entry.path());
    ASSERT_TRUE(text);
    auto d = nlohmann::json::parse(*text);
    std::string name = entry.path().filename().string();
    for (const auto& v : d["templating"]["list"]) {
      std::smatch m;
      std::string q = v["query"]["query"];
      ASSERT_TRUE(std::regex_match(q, m, std::regex(R"(label_values\((.+),\s*(\w+)\))"))) << q;
      std::string expr = fmt::format("count by ({}) ({})", m[2].str(), Substitute(m[1].str(), scenario));
      auto r = PromQuery(prom_port_, expr);
      ASSERT_TRUE(r) << name << " $" << v["name"] << ": " << r.error().message;
      EXPECT_FALSE(r->empty()) << name << " $" << v["name"] << " has no values: " << expr;
      ++queries;
    }
    for (const auto& panel : d["panels"]) {
      for (const auto& t : panel.value("targets", nlohmann::json::array())) {
        std::string expr = Substitute(t["expr"], scenario);
        auto r = PromQuery(prom_port_, expr);
        ASSERT_TRUE(r) << name << " / " << panel["title"] << ": " << r.error().message;
        EXPECT_FALSE(r->empty()) << name << " / " << panel["title"] << " returns no data: " << expr;
        ++queries;
      }
    }
  }
  EXPECT_GT(queries, 20u);
}

TEST_F(ExporterPrometheus, ServeRefusesAnAddressInUse) {
  auto r = RunTool({RFL_LAB_BINARY, "serve", "--listen", fmt::format("127.0.0.1:{}", prom_port_), "--store",
                    store_path_.string()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 2) << r->output;
  EXPECT_NE(r->output.find("cannot listen on 127.0.0.1:"), std::string::npos) << r->output;
}

}  // namespace
}  // namespace rfl::exporters
