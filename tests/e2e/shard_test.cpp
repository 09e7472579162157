// Builds across machines, on one machine: two `rfl-lab build --shard I/2`
// processes, each with a state dir of its own (as two machines have), build
// at the same time into the one lab cache and share their C objects through
// a real Redis server as ccache's remote backend; then `rfl-lab run` finds
// every build cached and goes straight to the boots (docs/scaling.md).
//
// The scenario (tests/fixtures/shard/two-trees.yaml) has two build trees
// that the quickstart test built before this one, with one KRUSTFLAGS variant
// each, so each shard rebuilds the Rust objects of one tree (about 1.5 min)
// instead of a cold kernel. Those two artifacts are removed first, so a
// second run on the same machine fills the cache again.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/results/store.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"
#include "tests/support/server_process.h"

namespace rfl {
namespace {
namespace fs = std::filesystem;

const std::string kTwoTreesScenario = std::string(RFL_LAB_FIXTURES_DIR) + "/shard/two-trees.yaml";

Result<ProcessResult> Lab(std::vector<std::string> args, const fs::path& log, std::chrono::minutes timeout) {
  Command cmd;
  cmd.argv = {RFL_LAB_BINARY};
  cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
  cmd.cwd = RFL_LAB_SOURCE_DIR;
  cmd.timeout = timeout;
  cmd.log_file = log;
  return DefaultRunner().Run(cmd);
}

// The last line of the output that starts a JSON array: `build --json`
// prints the outcomes on stdout after the progress on stderr.
nlohmann::json JsonOutcomes(const std::string& output) {
  auto at = output.rfind("\n[");
  std::string text = at == std::string::npos ? output : output.substr(at + 1);
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

TEST(Shard, TwoShardProcessesFillOneCacheWithoutBuildingAnythingTwiceAndTheRunBuildsNothing) {
  fs::path work = fs::temp_directory_path() / "rfl-lab-e2e-shard";
  fs::remove_all(work);
  fs::create_directories(work);

  // The flagged variants are not in the cache when the shards start.
  auto plan = Lab({"plan", kTwoTreesScenario, "--json"}, work / "plan.log", std::chrono::minutes(5));
  ASSERT_TRUE(plan.has_value() && plan->exit_code == 0) << (plan ? plan->output : plan.error().message);
  auto plan_json = nlohmann::json::parse(plan->output.substr(plan->output.find('{')), nullptr, false);
  ASSERT_TRUE(plan_json.contains("builds")) << plan->output;
  // A tree that already holds a variant's objects (a second run of this
  // test) rebuilds nothing; one C object removed from it stands for a
  // machine whose tree is behind, so every shard compiles C through ccache.
  auto dirs = ResolveLabDirs(std::nullopt, std::nullopt);
  ASSERT_TRUE(dirs.has_value());
  for (const auto& b : plan_json["builds"]) {
    if (b["rustflags"].empty()) continue;
    if (b["cached_artifact"].is_string()) fs::remove_all(b["cached_artifact"].get<std::string>());
    fs::remove(dirs->cache / "trees" / b["tree_key"].get<std::string>() / "o/init/version.o");
  }

  int port = test::FreePort();
  ASSERT_GT(port, 0);
  test::ServerProcess redis({"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"});
  ASSERT_TRUE(redis.started()) << "redis-server (scripts/setup.sh installs it): " << redis.error();
  ASSERT_TRUE(redis.WaitForOutput("Ready to accept connections", std::chrono::seconds(30))) << redis.output();
  std::string remote = "redis://127.0.0.1:" + std::to_string(port);

  auto shard = [&](int i) {
    fs::path state = work / ("machine-" + std::to_string(i));
    return Lab({"--state-dir", state.string(), "build", kTwoTreesScenario, "--shard", std::to_string(i) + "/2",
                "--ccache-remote", remote, "--json"},
               work / ("shard-" + std::to_string(i) + ".log"), std::chrono::minutes(40));
  };
  auto first = std::async(std::launch::async, shard, 1);
  auto second = std::async(std::launch::async, shard, 2);
  std::vector<Result<ProcessResult>> shards;
  shards.push_back(first.get());
  shards.push_back(second.get());

  std::map<std::string, int> built;   // variant → builds made
  std::map<std::string, int> cached;  // variant → cache hits
  for (size_t i = 0; i < shards.size(); ++i) {
    ASSERT_TRUE(shards[i].has_value()) << shards[i].error().message;
    const auto& out = shards[i]->output;
    ASSERT_EQ(shards[i]->exit_code, 0) << out;
    EXPECT_NE(out.find(i == 0 ? "shard 1/2: 2 of 3 builds" : "shard 2/2: 1 of 3 builds"), std::string::npos) << out;
    auto outcomes = JsonOutcomes(out);
    ASSERT_TRUE(outcomes.is_array()) << out;
    for (const auto& o : outcomes) {
      for (const auto& v : o["variants"]) {
        if (o["status"] == "built") built[v.get<std::string>()]++;
        if (o["status"] == "cache-hit") cached[v.get<std::string>()]++;
      }
    }
  }
  EXPECT_EQ(built, (std::map<std::string, int>{{"c-binder-rust-assertions-off", 1}, {"rust-assertions-off", 1}}));
  // The quickstart test built the baseline; a cold cache builds it here once.
  EXPECT_EQ(built["baseline"] + cached["baseline"], 1);

  // C objects went through the shared Redis backend, and each machine's
  // local ccache layer is in its own state dir.
  Command dbsize;
  dbsize.argv = {"redis-cli", "-p", std::to_string(port), "dbsize"};
  dbsize.timeout = std::chrono::seconds(30);
  auto keys = DefaultRunner().Run(dbsize);
  ASSERT_TRUE(keys.has_value() && keys->exit_code == 0) << (keys ? keys->output : keys.error().message);
  EXPECT_GT(std::stol(keys->output), 0) << "no object reached the ccache remote backend";
  for (int i : {1, 2}) {
    fs::path layer = work / ("machine-" + std::to_string(i)) / "ccache" / "rustc-1.96";
    EXPECT_TRUE(fs::is_directory(layer)) << layer;
  }

  // Another machine runs the scenario: nothing to build, straight to boots.
  fs::path state = work / "machine-3";
  auto run = Lab({"--state-dir", state.string(), "run", kTwoTreesScenario}, work / "run.log", std::chrono::minutes(20));
  ASSERT_TRUE(run.has_value()) << run.error().message;
  ASSERT_TRUE(run->exit_code == 0 || run->exit_code == 1) << run->output;
  auto store = results::OpenSqliteStore(results::DefaultStorePath(state));
  ASSERT_TRUE(store.has_value());
  auto latest = (*store)->LatestRun("shard-two-trees");
  ASSERT_TRUE(latest.has_value() && latest->has_value());
  auto data = (*store)->LoadRun(**latest);
  ASSERT_TRUE(data.has_value());
  ASSERT_EQ(data->builds.size(), 3u);
  for (const auto& b : data->builds) {
    EXPECT_EQ(b.outcome, results::BuildOutcome::kCacheHit) << b.variants[0];
  }
  ASSERT_EQ(data->boots.size(), 3u);
  for (const auto& boot : data->boots) EXPECT_EQ(boot.outcome, BootOutcome::kPassed) << boot.variant << boot.evidence;
}

}  // namespace
}  // namespace rfl
