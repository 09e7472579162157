// Pushing runs to a real Pushgateway (Debian's /usr/bin/prometheus-pushgateway)
// on loopback and reading them back through its HTTP API; and the textfile
// output checked by promtool.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "exporters/prometheus/export.h"
#include "exporters/prometheus/store_source.h"
#include "lab/util/paths.h"
#include "tests/integration/exporter_fixture.h"

namespace rfl::exporters {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using fixture::SameValue;
using fixture::SeriesKey;
using fixture::ServerProcess;
using fixture::TempDir;

class ExporterPushgateway : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FindProgram("prometheus-pushgateway") || !FindProgram("curl")) {
      GTEST_SKIP() << "prometheus-pushgateway or curl missing (scripts/setup.sh test)";
    }
    store_path_ = fixture::ExporterStorePath(dir_.path());
    auto store = results::OpenSqliteStore(store_path_);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    port_ = fixture::FreePort();
    // Debian's Pushgateway persists to /var/lib/prometheus/pushgateway.data by
    // default: every test run would start with the groups of the last one.
    gateway_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "prometheus-pushgateway", "--persistence.file=", fmt::format("--web.listen-address=127.0.0.1:{}", port_)});
    ASSERT_TRUE(gateway_->started()) << gateway_->error();
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline && !fixture::HttpGet(Url() + "/-/ready")) {
      std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(fixture::HttpGet(Url() + "/-/ready")) << gateway_->output();
  }

  std::string Url() const { return fmt::format("http://127.0.0.1:{}", port_); }

  // The rfl_lab_ series of group {job="rfl-lab", scenario=`scenario`}.
  std::map<std::string, double> Group(const std::string& scenario) {
    std::map<std::string, double> out;
    auto body = fixture::HttpGet(Url() + "/api/v1/metrics");
    EXPECT_TRUE(body) << body.error().message;
    if (!body) return out;
    auto j = nlohmann::json::parse(*body);
    for (const auto& group : j["data"]) {
      if (group["labels"]["job"] != kPushJob || group["labels"]["scenario"] != scenario) continue;
      for (const auto& [name, family] : group.items()) {
        if (!name.starts_with("rfl_lab_")) continue;
        for (const auto& m : family["metrics"]) {
          std::map<std::string, std::string> labels = m["labels"];
          out[SeriesKey(name, labels)] = std::stod(m["value"].get<std::string>());
        }
      }
    }
    return out;
  }

  std::vector<int64_t> CompletedRunsNewestFirst() {
    std::vector<int64_t> ids;
    auto runs = store_->ListRuns();
    EXPECT_TRUE(runs);
    for (const auto& r : runs.value_or(std::vector<results::RunSummary>{})) {
      if (r.status == results::RunStatus::kCompleted) ids.push_back(r.id);
    }
    return ids;
  }

  TempDir dir_;
  fs::path store_path_;
  std::unique_ptr<results::Store> store_;
  int port_ = 0;
  std::unique_ptr<ServerProcess> gateway_;
};

TEST_F(ExporterPushgateway, PushedRunReadsBackWithTheSameValues) {
  auto ids = CompletedRunsNewestFirst();
  ASSERT_FALSE(ids.empty());
  auto pushed = PushRun(*store_, ids.front(), Url());
  ASSERT_TRUE(pushed) << pushed.error().message << "\n" << gateway_->output();
  std::string scenario;
  auto snap = SnapshotOfRun(*store_, ids.front(), &scenario);
  ASSERT_TRUE(snap);
  EXPECT_EQ(*pushed, scenario);
  auto expected = fixture::SeriesOf(snap->Families());
  auto got = Group(scenario);
  EXPECT_GT(expected.size(), 100u);
  EXPECT_EQ(got.size(), expected.size());
  for (const auto& [key, value] : expected) {
    auto it = got.find(key);
    if (it == got.end()) {
      ADD_FAILURE() << "the Pushgateway lacks " << key;
      continue;
    }
    EXPECT_TRUE(SameValue(it->second, value)) << key << ": " << it->second << " != " << value;
  }
}

TEST_F(ExporterPushgateway, APushReplacesTheScenariosGroup) {
  auto ids = CompletedRunsNewestFirst();
  if (ids.size() < 2) GTEST_SKIP() << "needs two completed runs of a scenario";
  ASSERT_TRUE(PushRun(*store_, ids[1], Url()));
  ASSERT_TRUE(PushRun(*store_, ids[0], Url()));
  std::string scenario;
  auto newer = SnapshotOfRun(*store_, ids[0], &scenario);
  ASSERT_TRUE(newer);
  auto got = Group(scenario);
  auto expected = fixture::SeriesOf(newer->Families());
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [key, value] : expected) {
    ASSERT_TRUE(got.contains(key)) << key;
    EXPECT_TRUE(SameValue(got[key], value)) << key;
  }
}

TEST_F(ExporterPushgateway, PushCommandPushesTheNewestRunByDefault) {
  Command cmd;
  cmd.argv = {RFL_LAB_BINARY, "push", "--gateway", Url(), "--store", store_path_.string()};
  cmd.timeout = 60s;
  auto r = DefaultRunner().Run(cmd);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->ok()) << r->Describe() << "\n" << r->output;
  std::string scenario;
  auto snap = SnapshotOfRun(*store_, std::nullopt, &scenario);
  ASSERT_TRUE(snap);
  auto newest = results::ResolveRun(*store_, "latest");
  ASSERT_TRUE(newest);
  EXPECT_NE(r->output.find(fmt::format("pushed run {} of scenario {}", *newest, scenario)), std::string::npos)
      << r->output;
  EXPECT_EQ(Group(scenario).size(), fixture::SeriesOf(snap->Families()).size());
}

TEST_F(ExporterPushgateway, PushCommandTakesAScenarioName) {
  auto ids = CompletedRunsNewestFirst();
  ASSERT_FALSE(ids.empty());
  std::string scenario;
  ASSERT_TRUE(SnapshotOfRun(*store_, ids.front(), &scenario));
  auto newest = results::ResolveRun(*store_, scenario);
  ASSERT_TRUE(newest);
  Command cmd;
  cmd.argv = {RFL_LAB_BINARY, "push", "--gateway", Url(), "--store", store_path_.string(), scenario};
  cmd.timeout = 60s;
  auto r = DefaultRunner().Run(cmd);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->ok()) << r->Describe() << "\n" << r->output;
  EXPECT_NE(r->output.find(fmt::format("pushed run {} of scenario {}", *newest, scenario)), std::string::npos)
      << r->output;
  auto snap = SnapshotOfRun(*store_, *newest);
  ASSERT_TRUE(snap);
  EXPECT_EQ(Group(scenario).size(), fixture::SeriesOf(snap->Families()).size());
}

TEST_F(ExporterPushgateway, UnreachableGatewayIsAnError) {
  int closed = fixture::FreePort();
  auto pushed = PushRun(*store_, std::nullopt, fmt::format("http://127.0.0.1:{}", closed));
  ASSERT_FALSE(pushed);
  EXPECT_NE(pushed.error().message.find("pushing to http://127.0.0.1:"), std::string::npos) << pushed.error().message;
}

TEST_F(ExporterPushgateway, TextfilePassesPromtool) {
  if (!FindProgram("promtool")) GTEST_SKIP() << "promtool missing";
  auto path = WriteTextfile(*store_, std::nullopt, dir_.path() / "textfile");
  ASSERT_TRUE(path) << path.error().message;
  auto text = ReadFile(*path);
  ASSERT_TRUE(text);
  Command cmd;
  cmd.argv = {"promtool", "check", "metrics"};
  cmd.stdin_data = *text;
  cmd.timeout = 60s;
  auto r = DefaultRunner().Run(cmd);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->ok()) << r->output;
}

}  // namespace
}  // namespace rfl::exporters
