// Static checks of the Grafana and Prometheus files under exporters/: they
// parse, point at the provisioned datasource, and name only metrics the lab
// exports. (Their queries run against a real Prometheus in
// tests/integration/exporter_prometheus_test.cpp.)
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "exporters/prometheus/export.h"
#include "exporters/prometheus/metrics_model.h"
#include "lab/util/paths.h"

namespace rfl::exporters {
namespace {

namespace fs = std::filesystem;
const fs::path kExporters = fs::path(RFL_LAB_SOURCE_DIR) / "exporters";

std::vector<fs::path> Dashboards() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kExporters / "grafana" / "dashboards")) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

nlohmann::json Load(const fs::path& path) {
  auto text = ReadFile(path);
  EXPECT_TRUE(text) << text.error().message;
  return nlohmann::json::parse(text.value_or("{}"));
}

// Every rfl_lab_* name in a PromQL expression.
std::set<std::string> MetricNames(const std::string& expr) {
  std::set<std::string> out;
  std::regex re("rfl_lab_[a-z0-9_]+");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), re); it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

TEST(Dashboards, UseTheProvisionedDatasourceAndKnownMetrics) {
  YAML::Node ds = YAML::LoadFile((kExporters / "grafana/provisioning/datasources/rfl-lab.yaml").string());
  ASSERT_EQ(ds["apiVersion"].as<int>(), 1);
  std::string uid = ds["datasources"][0]["uid"].as<std::string>();
  auto dashboards = Dashboards();
  ASSERT_GE(dashboards.size(), 2u);
  std::set<std::string> uids;
  for (const auto& path : dashboards) {
    auto d = Load(path);
    EXPECT_TRUE(uids.insert(d["uid"].get<std::string>()).second) << path;
    size_t targets = 0;
    for (const auto& panel : d["panels"]) {
      if (panel["type"] == "row") continue;
      EXPECT_EQ(panel["datasource"]["uid"], uid) << path << ": " << panel["title"];
      for (const auto& t : panel["targets"]) {
        ++targets;
        EXPECT_EQ(t["datasource"]["uid"], uid) << path << ": " << panel["title"];
        auto names = MetricNames(t["expr"].get<std::string>());
        EXPECT_FALSE(names.empty()) << panel["title"];
        for (const auto& n : names) EXPECT_NE(FindMetric(n), nullptr) << path << ": unknown metric " << n;
      }
    }
    EXPECT_GT(targets, 5u) << path;
  }
}

TEST(Dashboards, TemplateVariablesForScenarioArchToolchainFromLabelValues) {
  for (const auto& path : Dashboards()) {
    auto d = Load(path);
    std::map<std::string, std::string> vars;
    for (const auto& v : d["templating"]["list"]) vars[v["name"]] = v["query"]["query"];
    for (const char* name : {"scenario", "arch", "toolchain", "kernel"}) {
      ASSERT_TRUE(vars.contains(name)) << path << " lacks $" << name;
      EXPECT_TRUE(vars[name].starts_with("label_values(")) << vars[name];
      EXPECT_NE(vars[name].find(std::string(", ") + name + ")"), std::string::npos) << vars[name];
    }
  }
}

// Series of a run held by both `serve` and the Pushgateway exist twice; a
// dashboard shows one source at a time ($source, single choice), so every
// selector names it and sums never double (docs/monitoring.md).
TEST(Dashboards, EverySelectorTakesOneSource) {
  std::regex selector(R"re((rfl_lab_[a-z0-9_]+)(\{[^}]*\})?)re");
  for (const auto& path : Dashboards()) {
    auto d = Load(path);
    std::vector<std::string> exprs;
    bool has_source = false;
    for (const auto& v : d["templating"]["list"]) {
      if (v["name"] == "source") {
        has_source = true;
        EXPECT_EQ(v["query"]["query"], "label_values(rfl_lab_run_info, job)") << path;
        EXPECT_FALSE(v.value("multi", true)) << path << ": $source must be a single choice";
        EXPECT_FALSE(v.value("includeAll", true)) << path << ": $source must not offer All";
        continue;
      }
      exprs.push_back(v["query"]["query"]);
    }
    EXPECT_TRUE(has_source) << path << " lacks $source";
    for (const auto& panel : d["panels"]) {
      for (const auto& t : panel.value("targets", nlohmann::json::array())) exprs.push_back(t["expr"]);
    }
    for (const auto& expr : exprs) {
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), selector); it != std::sregex_iterator(); ++it) {
        EXPECT_NE((*it)[2].str().find(R"(job="$source")"), std::string::npos)
            << path.filename() << ": " << it->str() << " in " << expr;
      }
    }
  }
}

// What a reader needs on the panels themselves: the delta panel draws the
// noise floor band, the outcome matrix shows the failing share as a number.
TEST(Dashboards, DeltaPanelHasTheNoiseBandAndTheMatrixShowsTheFailingShare) {
  bool band = false, matrix = false;
  for (const auto& path : Dashboards()) {
    auto d = Load(path);
    for (const auto& panel : d["panels"]) {
      std::string title = panel["title"];
      if (title.starts_with("Delta against the baseline")) {
        for (const auto& t : panel["targets"]) {
          if (t["expr"].get<std::string>().find("rfl_lab_noise_floor_ratio") != std::string::npos) band = true;
        }
      }
      if (title.starts_with("Outcome matrix")) {
        matrix = true;
        const auto& defaults = panel["fieldConfig"]["defaults"];
        EXPECT_EQ(defaults.value("unit", ""), "percentunit");
        for (const auto& m : defaults["mappings"]) {
          if (m["type"] == "range") {
            EXPECT_FALSE(m["options"]["result"].contains("text")) << "a text hides the share";
          }
        }
      }
    }
  }
  EXPECT_TRUE(band) << "the delta panel lacks the noise floor band";
  EXPECT_TRUE(matrix);
}

// Build duration leaves cache hits out (they have no build time): some table
// must say which cells were cache hits.
TEST(Dashboards, CacheHitsAreShownWhereBuildDurationHasNone) {
  bool shown = false;
  for (const auto& path : Dashboards()) {
    auto d = Load(path);
    for (const auto& panel : d["panels"]) {
      if (panel["type"] != "table") continue;
      for (const auto& t : panel.value("targets", nlohmann::json::array())) {
        std::string expr = t["expr"];
        if (expr.find("rfl_lab_build_outcome") != std::string::npos &&
            std::regex_search(expr, std::regex(R"(group_left\s*\(outcome\)|by\s*\([^)]*outcome)"))) {
          shown = true;
        }
      }
    }
  }
  EXPECT_TRUE(shown);
}

TEST(Dashboards, ProviderServesTheFolderComposeMounts) {
  YAML::Node provider = YAML::LoadFile((kExporters / "grafana/provisioning/dashboards/rfl-lab.yaml").string());
  ASSERT_EQ(provider["apiVersion"].as<int>(), 1);
  std::string path = provider["providers"][0]["options"]["path"].as<std::string>();
  YAML::Node compose = YAML::LoadFile((fs::path(RFL_LAB_SOURCE_DIR) / "docker-compose.yml").string());
  bool mounted = false;
  for (const auto& v : compose["services"]["grafana"]["volumes"]) {
    auto s = v.as<std::string>();
    if (s.starts_with("./exporters/grafana/dashboards:" + path)) mounted = true;
  }
  EXPECT_TRUE(mounted) << "docker-compose.yml does not mount the dashboards at " << path;
}

TEST(AlertRules, NameOnlyExportedMetrics) {
  YAML::Node rules = YAML::LoadFile((kExporters / "prometheus/rules.yml").string());
  std::set<std::string> alerts;
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      alerts.insert(rule["alert"].as<std::string>());
      for (const auto& n : MetricNames(rule["expr"].as<std::string>())) {
        EXPECT_NE(FindMetric(n), nullptr) << rule["alert"].as<std::string>() << ": unknown metric " << n;
      }
    }
  }
  for (const char* a : {"RflLabRegression", "RflLabBootFailures", "RflLabNoSuccessfulRun"}) {
    EXPECT_TRUE(alerts.contains(a)) << a;
  }
}

// The regression alert lists the series' sample labels by name, and tells
// pushed series by the push job: both must match the exporter's.
TEST(AlertRules, KnowEverySampleLabelAndThePushJob) {
  auto text = ReadFile(kExporters / "prometheus/rules.yml");
  ASSERT_TRUE(text);
  std::string alternation;
  for (auto label : kSampleLabels) alternation += (alternation.empty() ? "" : "|") + std::string(label);
  EXPECT_NE(text->find("\"^(" + alternation + ")$\""), std::string::npos) << "rules.yml should match ^(" << alternation << ")$";
  EXPECT_NE(text->find("job=\"" + std::string(kPushJob) + "\""), std::string::npos);
}

}  // namespace
}  // namespace rfl::exporters
