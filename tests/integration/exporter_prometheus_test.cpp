// `rfl-lab serve` scraped by a real Prometheus (Debian's /usr/bin/prometheus)
// on loopback, with the lab's alert rules loaded: the values Prometheus
// stores equal the store's, the exposition passes `promtool check metrics`,
// the rules pass `promtool check rules` and `promtool test rules`, the alerts
// fire on the run's regression and boot failure, and every query of the
// Grafana dashboards evaluates and returns data.
//
// As in docker-compose.yml, the same Prometheus also scrapes a real
// Pushgateway holding the same run (`rfl-lab push`) and sends its alerts to a
// real Alertmanager: dashboards and alerts must count that run once.
#include <fstream>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "exporters/prometheus/export.h"
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
      skip_ = "prometheus, promtool or curl missing (scripts/setup.sh test)";
      return;
    }
    dir_ = new TempDir;
    store_path_ = fixture::ExporterStorePath(dir_->path(), &real_store_);

    serve_ = new ServerProcess({RFL_LAB_BINARY, "serve", "--listen", "127.0.0.1:0", "--store", store_path_.string()});
    ASSERT_TRUE(serve_->started()) << serve_->error();
    auto port = serve_->WaitForOutput(R"(serving http://127\.0\.0\.1:(\d+)/metrics)", 60s);
    ASSERT_TRUE(port) << "rfl-lab serve did not start:\n" << serve_->output();
    serve_port_ = std::stoi(*port);

    // A Pushgateway holding the newest completed run, as `rfl-lab push`
    // leaves it; an Alertmanager with the lab's configuration.
    if (FindProgram("prometheus-pushgateway")) {
      gateway_port_ = fixture::FreePort();
      // Debian's Pushgateway persists to /var/lib/prometheus/pushgateway.data by
      // default: every test run would start with the groups of the last one.
      gateway_ = new ServerProcess({"prometheus-pushgateway", "--persistence.file=",
                                    fmt::format("--web.listen-address=127.0.0.1:{}", gateway_port_)});
      auto gateway_url = fmt::format("http://127.0.0.1:{}", gateway_port_);
      auto deadline = std::chrono::steady_clock::now() + 30s;
      while (std::chrono::steady_clock::now() < deadline && !fixture::HttpGet(gateway_url + "/-/ready")) {
        std::this_thread::sleep_for(100ms);
      }
      auto store = results::OpenSqliteStoreReadOnly(store_path_);
      ASSERT_TRUE(store) << store.error().message;
      auto newest = NewestCompletedRun(**store);
      ASSERT_TRUE(newest);
      auto pushed = PushRun(**store, *newest, gateway_url);
      ASSERT_TRUE(pushed) << pushed.error().message << "\n" << gateway_->output();
    }
    if (FindProgram("prometheus-alertmanager")) {
      alertmanager_port_ = fixture::FreePort();
      alertmanager_ = new ServerProcess(
          {"prometheus-alertmanager", "--config.file=" + (kExporters / "prometheus" / "alertmanager.yml").string(),
           "--storage.path=" + (dir_->path() / "alertmanager").string(),
           fmt::format("--web.listen-address=127.0.0.1:{}", alertmanager_port_), "--cluster.listen-address="});
    }

    // Prometheus scraping both every second, evaluating the lab's rules.
    fs::copy_file(kExporters / "prometheus" / "rules.yml", dir_->path() / "rules.yml");
    {
      std::ofstream cfg(dir_->path() / "prometheus.yml");
      cfg << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
          << "rule_files: [rules.yml]\n";
      if (alertmanager_port_) {
        cfg << "alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:" << alertmanager_port_
            << "']}]}]}\n";
      }
      cfg << "scrape_configs:\n"
          << "  - job_name: rfl-lab\n"
          << "    static_configs: [{targets: ['127.0.0.1:" << serve_port_ << "']}]\n";
      if (gateway_port_) {
        cfg << "  - job_name: pushgateway\n"
            << "    honor_labels: true\n"
            << "    static_configs: [{targets: ['127.0.0.1:" << gateway_port_ << "']}]\n";
      }
    }
    prom_port_ = fixture::FreePort();
    prometheus_ = new ServerProcess({"prometheus", "--config.file=" + (dir_->path() / "prometheus.yml").string(),
                                     "--storage.tsdb.path=" + (dir_->path() / "tsdb").string(),
                                     fmt::format("--web.listen-address=127.0.0.1:{}", prom_port_)});
    ASSERT_TRUE(prometheus_->started()) << prometheus_->error();
    // Wait for scrapes that brought the lab's series from every source.
    size_t sources = gateway_port_ ? 2 : 1;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = PromQuery(prom_port_, "count by (job) (rfl_lab_last_success_timestamp_seconds)");
      if (r && r->size() == sources) break;
      std::this_thread::sleep_for(250ms);
    }
  }
  static void TearDownTestSuite() {
    delete prometheus_;
    delete alertmanager_;
    delete gateway_;
    delete serve_;
    delete dir_;
    prometheus_ = alertmanager_ = gateway_ = serve_ = nullptr;
    dir_ = nullptr;
  }

  static std::optional<int64_t> NewestCompletedRun(results::Store& store) {
    auto runs = store.ListRuns();
    if (!runs) return std::nullopt;
    for (const auto& r : *runs) {
      if (r.status == results::RunStatus::kCompleted) return r.id;
    }
    return std::nullopt;
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
  static inline ServerProcess* gateway_ = nullptr;
  static inline ServerProcess* alertmanager_ = nullptr;
  static inline int serve_port_ = 0;
  static inline int prom_port_ = 0;
  static inline int gateway_port_ = 0;
  static inline int alertmanager_port_ = 0;
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
  if (!FindProgram("amtool")) GTEST_SKIP() << "amtool missing (prometheus-alertmanager)";
  auto am = RunTool({"amtool", "check-config", (kExporters / "prometheus" / "alertmanager.yml").string()});
  ASSERT_TRUE(am) << am.error().message;
  EXPECT_TRUE(am->ok()) << am->output;
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
// source and scenario chosen and every other variable at "All".
std::string Substitute(std::string expr, const std::string& scenario, const std::string& source = "rfl-lab") {
  expr = std::regex_replace(expr, std::regex(R"(\$__(rate_)?interval|\$__range)"), "5m");
  expr = std::regex_replace(expr, std::regex(R"(\$scenario\b)"), scenario);
  expr = std::regex_replace(expr, std::regex(R"(\$source\b)"), source);
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

// Every panel query of the dashboards: (dashboard / title, expression).
std::vector<std::pair<std::string, std::string>> PanelQueries() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : fs::directory_iterator(kExporters / "grafana" / "dashboards")) {
    if (entry.path().extension() != ".json") continue;
    auto d = nlohmann::json::parse(ReadFile(entry.path()).value_or("{}"));
    for (const auto& panel : d["panels"]) {
      for (const auto& t : panel.value("targets", nlohmann::json::array())) {
        out.emplace_back(entry.path().filename().string() + " / " + panel["title"].get<std::string>(), t["expr"]);
      }
    }
  }
  return out;
}

// The sum of rfl_lab_regressions the store's newest runs have (what serve exports).
double StoreRegressions(const fs::path& store_path) {
  auto store = results::OpenSqliteStore(store_path);
  EXPECT_TRUE(store) << store.error().message;
  if (!store) return -1;
  StoreMetricsSource source(**store);
  auto snap = source.Collect();
  EXPECT_TRUE(snap);
  if (!snap) return -1;
  double sum = 0;
  for (const auto& f : (*snap)->Families()) {
    if (f.name != "rfl_lab_regressions") continue;
    for (const auto& m : f.metric) sum += m.gauge.value;
  }
  return sum;
}

TEST_F(ExporterPrometheus, DashboardsCountARunHeldByServeAndPushOnce) {
  if (!gateway_port_) GTEST_SKIP() << "prometheus-pushgateway missing (scripts/setup.sh test)";
  auto scenarios = PromQuery(prom_port_, R"(rfl_lab_run_info{job="rfl-lab"})");
  ASSERT_TRUE(scenarios && !scenarios->empty());
  std::string scenario = (*scenarios)[0]["metric"]["scenario"];
  double regressions = StoreRegressions(store_path_);
  // The trap this guards against: both sources hold the run.
  auto naive = PromQuery(prom_port_, "sum(rfl_lab_regressions)");
  ASSERT_TRUE(naive && naive->size() == 1);
  EXPECT_DOUBLE_EQ(std::stod((*naive)[0]["value"][1].get<std::string>()), 2 * regressions)
      << "serve and the Pushgateway should both hold the newest run";

  for (std::string source : {std::string("rfl-lab"), std::string(kPushJob)}) {
    for (const auto& [where, expr] : PanelQueries()) {
      auto r = PromQuery(prom_port_, Substitute(expr, scenario, source));
      ASSERT_TRUE(r) << where << ": " << r.error().message;
      EXPECT_FALSE(r->empty()) << where << " with source " << source << " returns no data";
      std::set<std::string> seen;
      for (const auto& series : *r) {
        std::map<std::string, std::string> labels = series["metric"];
        auto key = SeriesKey(labels["__name__"], labels);
        EXPECT_TRUE(seen.insert(key).second) << where << " with source " << source << " shows " << key << " twice";
      }
      if (where.ends_with("/ Regressions") && r->size() == 1) {
        EXPECT_DOUBLE_EQ(std::stod((*r)[0]["value"][1].get<std::string>()), regressions) << where << ", " << source;
      }
    }
  }
}

// Active alerts by identity (alert name and labels, job and instance left
// out) from Prometheus' /api/v1/alerts or Alertmanager's /api/v2/alerts.
std::map<std::string, std::vector<nlohmann::json>> AlertsByIdentity(const nlohmann::json& alerts) {
  std::map<std::string, std::vector<nlohmann::json>> out;
  for (const auto& a : alerts) {
    bool active = a.contains("state") ? a["state"] == "firing" : a["status"]["state"] == "active";
    if (!active) continue;
    std::map<std::string, std::string> labels = a["labels"];
    out[SeriesKey(labels["alertname"], labels)].push_back(a);
  }
  return out;
}

TEST_F(ExporterPrometheus, EachAlertFiresOnceAcrossServeAndPushAndReachesAlertmanagerOnce) {
  if (real_store_) GTEST_SKIP() << "a provided store need not hold a regression";
  if (!gateway_port_ || !alertmanager_port_) {
    GTEST_SKIP() << "prometheus-pushgateway or prometheus-alertmanager missing (scripts/setup.sh test)";
  }
  auto store = results::OpenSqliteStoreReadOnly(store_path_);
  ASSERT_TRUE(store);
  auto newest = NewestCompletedRun(**store);
  ASSERT_TRUE(newest);
  auto regressions = static_cast<size_t>(StoreRegressions(store_path_));
  ASSERT_GT(regressions, 0u);
  auto count = [](const std::map<std::string, std::vector<nlohmann::json>>& by, const std::string& name) {
    size_t n = 0;
    for (const auto& [key, list] : by) n += key.starts_with(name + "{") ? list.size() : 0;
    return n;
  };
  std::map<std::string, std::vector<nlohmann::json>> prom, am;
  auto settled = [&] {
    return count(prom, "RflLabRegression") == regressions && count(prom, "RflLabBootFailures") == 1 &&
           count(am, "RflLabRegression") == regressions && count(am, "RflLabBootFailures") == 1;
  };
  auto deadline = std::chrono::steady_clock::now() + 40s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = fixture::HttpGet(fmt::format("http://127.0.0.1:{}/api/v1/alerts", prom_port_));
    auto a = fixture::HttpGet(fmt::format("http://127.0.0.1:{}/api/v2/alerts", alertmanager_port_));
    ASSERT_TRUE(p && a) << prometheus_->output() << alertmanager_->output();
    prom = AlertsByIdentity(nlohmann::json::parse(*p)["data"]["alerts"]);
    am = AlertsByIdentity(nlohmann::json::parse(*a));
    if (settled()) break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(count(prom, "RflLabRegression"), regressions);
  EXPECT_EQ(count(prom, "RflLabBootFailures"), 1u);
  EXPECT_EQ(count(am, "RflLabRegression"), regressions);
  EXPECT_EQ(count(am, "RflLabBootFailures"), 1u);
  for (const auto* by : {&prom, &am}) {
    for (const auto& [key, list] : *by) {
      EXPECT_EQ(list.size(), 1u) << key << " fires " << list.size() << " times";
      if (!key.starts_with("RflLabRegression{")) continue;
      // The text says by how much, how sure, and where to look.
      std::string summary = list.front()["annotations"]["summary"];
      std::string description = list.front()["annotations"]["description"];
      EXPECT_TRUE(std::regex_search(summary, std::regex(R"( by [+-]\d+\.\d\d % \(ratio \d\.\d{4}, 95 % CI \d\.\d{4}–\d\.\d{4}\))")))
          << summary;
      EXPECT_NE(description.find(fmt::format("`rfl-lab report {}`", *newest)), std::string::npos) << description;
    }
  }
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
