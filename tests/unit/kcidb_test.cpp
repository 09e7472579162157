// The KCIDB export of the captured quickstart store (a real run; opened from a
// copy, since opening migrates) and of the synthetic run: ids unique, paths
// hierarchical with every sample label in them and no segment repeated,
// exact tree fields, honest build durations, samples aggregated per boot.
// (The v5.3 schema itself is checked with python3-jsonschema in
// tests/integration/kcidb_schema_test.cpp.)
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "lab/report/report.h"
#include "lab/util/temp_dir.h"
#include "tests/support/classified_boot.h"
#include "tests/support/synthetic_run.h"

namespace rfl::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class KcidbExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string tmpl = (fs::temp_directory_path() / "rfl-kcidb-unit-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    fs::copy_file(fs::path(RFL_LAB_FIXTURES_DIR) / "report" / "quickstart.sqlite3", dir_ / "copy.sqlite3");
    auto store = results::OpenSqliteStore(dir_ / "copy.sqlite3");
    ASSERT_TRUE(store) << store.error().message;
    auto data = (*store)->LoadRun(1);
    ASSERT_TRUE(data) << data.error().message;
    quickstart_ = new json(KcidbJson(results::AnalyzeRun(*data)));

    auto synthetic_store = results::OpenSqliteStore(dir_ / "synthetic.sqlite3");
    ASSERT_TRUE(synthetic_store);
    auto id = results::WriteSyntheticRun(**synthetic_store);
    ASSERT_TRUE(id);
    auto synthetic = (*synthetic_store)->LoadRun(*id);
    ASSERT_TRUE(synthetic);
    synthetic_ = new json(KcidbJson(results::AnalyzeRun(*synthetic)));
  }
  static void TearDownTestSuite() {
    delete quickstart_;
    delete synthetic_;
    quickstart_ = synthetic_ = nullptr;
    fs::remove_all(dir_);
  }
  void SetUp() override { ASSERT_TRUE(quickstart_ && synthetic_); }

  static inline fs::path dir_;
  static inline json* quickstart_ = nullptr;
  static inline json* synthetic_ = nullptr;
};

// The tests of one export that share a scope: the same boot, or the same
// build and variant for the aggregates and comparisons.
std::string Scope(const json& t) {
  const json& misc = t.value("misc", json::object());
  if (misc.contains("boot")) return "boot " + misc["boot"].dump();
  return t["build_id"].get<std::string>() + " " + misc.value("variant", "");
}

void ExpectUniqueIdsAndPaths(const json& doc) {
  std::set<std::string> ids;
  std::map<std::string, std::set<std::string>> paths_by_scope;
  for (const char* kind : {"checkouts", "builds", "tests"}) {
    for (const auto& o : doc[kind]) {
      EXPECT_TRUE(ids.insert(o["id"].get<std::string>()).second) << kind << ": duplicate id " << o["id"];
    }
  }
  for (const auto& t : doc["tests"]) {
    std::string path = t["path"];
    EXPECT_TRUE(path == "rfl_lab" || path.starts_with("rfl_lab.")) << path;
    EXPECT_TRUE(paths_by_scope[Scope(t)].insert(path).second) << "path " << path << " twice in " << Scope(t);
    // No segment twice in a row (boot.boot.agent_start).
    std::vector<std::string> parts;
    for (size_t start = 0, dot; start <= path.size(); start = dot + 1) {
      dot = path.find('.', start);
      if (dot == std::string::npos) dot = path.size();
      parts.push_back(path.substr(start, dot - start));
    }
    for (size_t i = 1; i < parts.size(); ++i) EXPECT_NE(parts[i], parts[i - 1]) << path;
  }
}

TEST_F(KcidbExport, QuickstartTestIdsAndPathsAreUnique) { ExpectUniqueIdsAndPaths(*quickstart_); }

TEST_F(KcidbExport, SyntheticTestIdsAndPathsAreUnique) { ExpectUniqueIdsAndPaths(*synthetic_); }

TEST_F(KcidbExport, SampleLabelsArePartOfThePath) {
  std::set<std::string> paths;
  for (const auto& t : (*quickstart_)["tests"]) paths.insert(t["path"]);
  for (const char* want : {"rfl_lab.binder.round_trip_p50.payload_bytes_4096",
                           "rfl_lab.binder.round_trip_p50.payload_bytes_0", "rfl_lab.boot.agent_start",
                           "rfl_lab.block.iops.block_size_4096.device_rnull.pattern_randread",
                           "rfl_lab.compare.binder.round_trip_p50.payload_bytes_4096"}) {
    EXPECT_TRUE(paths.contains(want)) << want;
  }
}

TEST_F(KcidbExport, SamplesAreAggregatedPerBootAndPerCell) {
  // Per boot: one test for the boot (with the boot workload's milestones)
  // and one per other workload, samples in misc — not one test per sample.
  std::map<std::string, int> per_boot;
  size_t medians = 0;
  for (const auto& t : (*quickstart_)["tests"]) {
    const json& misc = t["misc"];
    if (misc.contains("boot")) {
      ++per_boot[misc["boot"].dump()];
      EXPECT_FALSE(t.contains("number")) << t["path"];
      if (t["path"] != "rfl_lab.boot") {
        EXPECT_FALSE(misc["samples"].empty()) << t["path"];
      }
    } else if (misc.value("kind", "") == "median") {
      ++medians;
      EXPECT_EQ(misc["n"], 5) << t["path"];
      EXPECT_EQ(misc["values"].size(), 5u) << t["path"];
    }
  }
  EXPECT_EQ(per_boot.size(), 15u);
  for (const auto& [boot, n] : per_boot) EXPECT_EQ(n, 4) << boot;  // boot, rust-samples, binder, block
  EXPECT_EQ(medians, 3u * 28u);  // three built variants, 28 figures each
  EXPECT_LT((*quickstart_)["tests"].size(), 250u);
}

TEST(KcidbCheckout, TheExactKernelVersionOfItsBuildsIsItsCommitName) {
  results::RunAnalysis a;
  results::RunSummary run;
  run.id = 7;
  run.info.scenario_name = "m";
  run.info.scenario_text = "kernel:\n  source: [debian:linux-source-6.12, debian:linux-source-7.3]\n";
  a.runs.push_back(run);
  results::BuildRecord b;
  b.key = "k1";
  b.kernel = "7.3";
  b.kernel_version = "7.3.4";
  b.source_id = "debian:linux-source-7.3=7.3.4-1~bpo13+1";
  a.builds.push_back(b);
  b.key = "k2";
  a.builds.push_back(b);
  b.key = "k3";
  b.kernel = "6.12";
  b.kernel_version = "";  // a store from before schema 5
  a.builds.push_back(b);
  json j = KcidbJson(a);
  ASSERT_EQ(j["checkouts"].size(), 2u);
  for (const auto& c : j["checkouts"]) {
    if (c["misc"]["kernel_label"] == "7.3") {
      EXPECT_EQ(c["git_commit_name"], "v7.3.4");
      EXPECT_EQ(c["misc"]["kernel_version"], "7.3.4");
      EXPECT_EQ(c["misc"]["source_id"], "debian:linux-source-7.3=7.3.4-1~bpo13+1");
      EXPECT_FALSE(c["misc"].contains("kernel_version_note"));
    } else {
      EXPECT_FALSE(c.contains("git_commit_name"));
      EXPECT_TRUE(c["misc"]["kernel_version"].is_null());
    }
  }
}

TEST_F(KcidbExport, CheckoutNamesTheSourceAndSaysTheExactVersionIsNotRecorded) {
  ASSERT_EQ((*quickstart_)["checkouts"].size(), 1u);
  const json& c = (*quickstart_)["checkouts"][0];
  EXPECT_EQ(c["tree_name"], "debian:linux-source-7.3");
  EXPECT_FALSE(c.contains("git_commit_name"));  // 7.3.4 is not in this store: not invented
  EXPECT_TRUE(c["misc"]["kernel_version"].is_null());
  EXPECT_NE(c["misc"]["kernel_version_note"].get<std::string>().find("not recorded"), std::string::npos);
  EXPECT_EQ(c["misc"]["kernel_label"], "7.3");
}

TEST_F(KcidbExport, CacheHitsSayWhatTheirDurationIs) {
  size_t hits = 0;
  for (const auto& b : (*quickstart_)["builds"]) {
    if (b["misc"]["outcome"] == "cache-hit") {
      ++hits;
      EXPECT_TRUE(b["misc"]["cache_hit"].get<bool>());
      EXPECT_FALSE(b.contains("duration")) << "a cache lookup is not a build duration";
      EXPECT_LT(b["misc"]["cache_lookup_seconds"].get<double>(), 1.0);
    } else {
      EXPECT_FALSE(b["misc"]["cache_hit"].get<bool>());
      EXPECT_GT(b["duration"].get<double>(), 60.0) << b["id"];
    }
  }
  EXPECT_EQ(hits, 2u);
}

// A run of two boots classified from real consoles, stored and read back: a
// clean boot (baseline) and a hung task (rfl-crash).
Result<results::RunData> CleanAndHungRun() {
  auto dir = TempDir::Create(fs::temp_directory_path(), "rfl-kcidb-unit-");
  if (!dir) return Fail(dir.error());
  auto store = results::OpenSqliteStore(dir->path() / "r.sqlite3");
  if (!store) return Fail(store.error());
  auto id = test::WriteClassifiedRun(**store, {{"baseline", "debian-6.1-clean.log"},
                                               {"rfl-crash", "debian-6.1-hung-task.log"}});
  if (!id) return Fail(id.error());
  return (*store)->LoadRun(*id);
}

// Boots classified from real consoles (tests/support/classified_boot.h): the
// boot test of a boot a kernel report decided names the report in misc.
TEST(KcidbOfRealConsoles, ABootTestCarriesTheTitleOfItsKernelReportInMisc) {
  auto data = CleanAndHungRun();
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->boots.size(), 2u);
  const std::string title = data->boots[1].title;
  ASSERT_FALSE(title.empty());
  json k = KcidbJson(results::AnalyzeRun(*data));
  std::map<std::string, json> boot_tests;  // variant → its rfl_lab.boot test
  for (const auto& t : k["tests"]) {
    if (t["path"] == "rfl_lab.boot") boot_tests[t["misc"]["variant"].get<std::string>()] = t;
  }
  ASSERT_EQ(boot_tests.size(), 2u);
  EXPECT_EQ(boot_tests["rfl-crash"]["misc"]["title"], title);
  EXPECT_EQ(boot_tests["rfl-crash"]["misc"]["outcome"], "hang");
  EXPECT_FALSE(boot_tests["baseline"]["misc"].contains("title")) << "a passed boot has no kernel report";
}

TEST(KcidbOfRealConsoles, ABootOnALavaWorkerNamesItInItsEnvironment) {
  auto data = CleanAndHungRun();
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->boots.size(), 2u);
  data->boots[1].worker = "lava-worker-1/qemu-01";  // as the LAVA backend records it
  json k = KcidbJson(results::AnalyzeRun(*data));
  int on_lava = 0;
  for (const auto& t : k["tests"]) {
    const json env = t.value("environment", json::object());
    const json misc = t.value("misc", json::object());
    if (misc.value("variant", "") == "rfl-crash" && misc.contains("boot")) {
      EXPECT_EQ(env.value("misc", json::object()).value("lava_worker", ""), "lava-worker-1/qemu-01") << t["path"];
      EXPECT_TRUE(env.value("comment", "").ends_with(" on LAVA lava-worker-1/qemu-01")) << env.dump();
      ++on_lava;
    } else {
      EXPECT_FALSE(env.contains("misc")) << "a local boot has no worker: " << t["path"];
    }
  }
  EXPECT_GT(on_lava, 0);
}

}  // namespace
}  // namespace rfl::report
