// `serve` reads the store at a path: a store that is missing, deleted or
// replaced while serving is never exported as if it were still there.
#include <gtest/gtest.h>

#include <filesystem>

#include "exporters/prometheus/store_source.h"
#include "lab/results/store.h"
#include "lab/util/temp_dir.h"

namespace rfl::exporters {
namespace {
namespace fs = std::filesystem;

int64_t WriteRun(const fs::path& path, const std::string& scenario) {
  auto store = results::OpenSqliteStore(path);
  EXPECT_TRUE(store.has_value());
  results::RunInfo info;
  info.scenario_name = scenario;
  info.scenario_text = "name: " + scenario + "\n";
  info.baseline = "base";
  info.variants = {{"base", Expect::kPass, {}, {}}};
  int64_t id = *(*store)->BeginRun(info);
  EXPECT_TRUE((*store)->FinishRun(id, results::RunStatus::kCompleted).has_value());
  return id;
}

TEST(StorePathSource, AMissingStoreIsDownNotCreated) {
  auto dir = TempDir::Create(fs::temp_directory_path(), "rfl-serve-");
  fs::path path = dir->path() / "results.sqlite3";
  StorePathSource source(path);
  EXPECT_FALSE(source.Collect().has_value());
  EXPECT_FALSE(fs::exists(path));
  WriteRun(path, "appears-later");
  EXPECT_TRUE(source.Collect().has_value()) << "a store that appears is read on the next scrape";
}

TEST(StorePathSource, ADeletedStoreIsDownAndAReplacedOneIsReadAnew) {
  auto dir = TempDir::Create(fs::temp_directory_path(), "rfl-serve-");
  fs::path path = dir->path() / "results.sqlite3";
  WriteRun(path, "first");
  StorePathSource source(path);
  auto first = source.Collect();
  ASSERT_TRUE(first.has_value()) << first.error().message;
  fs::remove(path);
  fs::remove(path.string() + "-wal");
  fs::remove(path.string() + "-shm");
  EXPECT_FALSE(source.Collect().has_value()) << "the series of a deleted store were still exported";
  WriteRun(path, "second");
  auto second = source.Collect();
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(*second, *first);
}

}  // namespace
}  // namespace rfl::exporters
