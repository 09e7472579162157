// The KCIDB export validates against the published KCIDB I/O v5.3 schema
// (../shared/kcidb/, beside the repository) with python3-jsonschema. The run
// is synthetic (constructed data, lab/results/synthetic.h); stores captured
// from real runs in tests/fixtures/report/*.sqlite3 are validated too.
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "lab/report/report.h"
#include "tests/support/synthetic_run.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"

namespace rfl::report {
namespace {

namespace fs = std::filesystem;

const fs::path kSchema = fs::path(RFL_LAB_SOURCE_DIR) / ".." / "shared" / "kcidb" / "kcidb-v05_03.schema.json";

// Debian's python3 has python3-jsonschema; a pyenv python on PATH may not.
std::string Python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

constexpr const char* kValidate = R"py(
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
data = json.load(open(sys.argv[2]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema, format_checker=jsonschema.FormatChecker()).iter_errors(data), key=str)
for e in errors[:5]:
    print("/".join(map(str, e.absolute_path)), e.message[:300])
sys.exit(1 if errors else 0)
)py";

class Kcidb : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "rfl-kcidb-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Returns the validator's verdict and prints its errors.
  ProcessResult Validate(const nlohmann::json& data) {
    auto file = dir_ / "kcidb.json";
    EXPECT_TRUE(WriteFileAtomic(file, data.dump()));
    auto r = DefaultRunner().Run(Command{.argv = {Python(), "-c", kValidate, kSchema.string(), file.string()},
                                         .timeout = std::chrono::seconds(60)});
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ProcessResult{};
  }

  results::RunAnalysis SyntheticAnalysis() {
    auto store = results::OpenSqliteStore(dir_ / "r.sqlite3");
    EXPECT_TRUE(store);
    auto id = results::WriteSyntheticRun(**store);
    EXPECT_TRUE(id);
    auto data = (*store)->LoadRun(*id);
    EXPECT_TRUE(data);
    return results::AnalyzeRun(*data);
  }

  fs::path dir_;
};

TEST_F(Kcidb, SchemaIsBesideTheRepository) { ASSERT_TRUE(fs::exists(kSchema)) << kSchema; }

TEST_F(Kcidb, SyntheticRunValidatesAgainstV5_3) {
  auto j = KcidbJson(SyntheticAnalysis());
  EXPECT_EQ(j["version"]["major"], 5);
  EXPECT_EQ(j["checkouts"].size(), 1u);
  EXPECT_EQ(j["builds"].size(), 4u);
  size_t numbers = 0, boots = 0, fails = 0;
  for (const auto& t : j["tests"]) {
    if (t.contains("number")) ++numbers;
    if (t["path"] == "rfl_lab.boot") ++boots;
    if (t["status"] == "FAIL") ++fails;
  }
  EXPECT_EQ(boots, 5u * 8 + 8);  // + the retried panicky boots
  EXPECT_EQ(numbers, 3u * 4 + 2u * 4);  // medians of base, same, slow; comparisons of same, slow
  EXPECT_EQ(fails, 16u + 3u);    // panicky boots and the three regressions
  auto r = Validate(j);
  EXPECT_TRUE(r.ok()) << r.Describe() << "\n" << r.output;
}

TEST_F(Kcidb, ValidatorRejectsAnObjectWithoutOrigin) {
  auto j = KcidbJson(SyntheticAnalysis());
  j["builds"][0].erase("origin");
  auto r = Validate(j);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.output.find("origin"), std::string::npos) << r.output;
}

TEST_F(Kcidb, CapturedStoresValidate) {
  const fs::path fixtures = fs::path(RFL_LAB_FIXTURES_DIR) / "report";
  int stores = 0;
  for (const auto& e : fs::directory_iterator(fixtures)) {
    if (e.path().extension() != ".sqlite3") continue;
    ++stores;
    SCOPED_TRACE(e.path().string());
    // Open a copy: opening may migrate, and fixtures must stay untouched.
    fs::copy_file(e.path(), dir_ / "copy.sqlite3", fs::copy_options::overwrite_existing);
    auto store = results::OpenSqliteStore(dir_ / "copy.sqlite3");
    ASSERT_TRUE(store) << store.error().message;
    auto runs = (*store)->ListRuns();
    ASSERT_TRUE(runs);
    for (const auto& run : *runs) {
      auto data = (*store)->LoadRun(run.id);
      ASSERT_TRUE(data);
      auto r = Validate(KcidbJson(results::AnalyzeRun(*data)));
      EXPECT_TRUE(r.ok()) << r.output;
    }
  }
  if (stores == 0) GTEST_SKIP() << "no captured store in " << fixtures << " yet (see its README.md)";
}

}  // namespace
}  // namespace rfl::report
