// Build trees: a new tree starts from the most recently built sibling of its
// family (same source, arch, clang and bindgen), copied with modification times kept
// (kbuild compares them), and from a tree another process is building only once
// it is done (waited for, within a bound).
#include "lab/kernel/tree.h"

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "lab/util/file_lock.h"
#include "lab/util/process.h"
#include "lab/util/temp_dir.h"

namespace rfl::kernel {
namespace {
namespace fs = std::filesystem;

// A tree under `trees` with a state of `family`, last built at `built_at`
// (unix seconds; 0: never built).
fs::path MakeTree(const fs::path& trees, const std::string& key, const std::string& family, int64_t built_at) {
  fs::path root = trees / key;
  fs::create_directories(root / "o" / "rust");
  TreeState s;
  s.family = family;
  s.built_at = built_at;
  EXPECT_TRUE(SaveTreeState(root / "state.json", s).has_value());
  std::ofstream(root / "o" / ".config") << "CONFIG_RUST=y\n";
  std::ofstream(root / "o" / "rust" / "kernel.o") << "object of " << key;
  fs::last_write_time(root / "o" / "rust" / "kernel.o", fs::file_time_type::clock::now() - std::chrono::hours(3));
  return root;
}

TEST(BuildTree, StateKeepsItsFamilyAndDurations) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "tree-state-");
  ASSERT_TRUE(tmp);
  TreeState s{"inputs", TreeFamily("src", "tc", "x86_64"), 1700000000, "x86_64", {{"full", 12.5}}};
  ASSERT_TRUE(SaveTreeState(tmp->path() / "state.json", s));
  TreeState back = LoadTreeState(tmp->path() / "state.json");
  EXPECT_EQ(back.config_inputs, "inputs");
  EXPECT_EQ(back.family, s.family);
  EXPECT_EQ(back.built_at, 1700000000);
  EXPECT_EQ(back.arch, "x86_64");
  EXPECT_EQ(back.durations.at("full"), 12.5);
  EXPECT_NE(TreeFamily("src", "tc", "x86_64"), TreeFamily("src", "tc", "arm64"));
  EXPECT_NE(TreeFamily("src", "tc", "x86_64"), TreeFamily("src", "tc2", "x86_64"));
}

TEST(BuildTree, SeedIsTheMostRecentlyBuiltTreeOfTheSameFamily) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "tree-seed-");
  ASSERT_TRUE(tmp);
  fs::path trees = tmp->path();
  MakeTree(trees, "old", "fam", 1000);
  MakeTree(trees, "new", "fam", 2000);
  MakeTree(trees, "unbuilt", "fam", 0);
  MakeTree(trees, "other-arch", "other", 3000);
  MakeTree(trees, "self", "fam", 4000);
  auto seed = FindSeedTree(trees, "fam", "self");
  ASSERT_TRUE(seed);
  EXPECT_EQ(seed->filename(), "new");
  EXPECT_FALSE(FindSeedTree(trees, "nobody", "self"));
  EXPECT_FALSE(FindSeedTree(trees, "", "self"));
}

TEST(BuildTree, SeedingCopiesTheTreeWithItsModificationTimes) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "tree-copy-");
  ASSERT_TRUE(tmp);
  fs::path seed = MakeTree(tmp->path(), "seed", "fam", 1000);
  fs::path tree = tmp->path() / "new";
  fs::create_directories(tree / "o");
  ASSERT_TRUE(SeedTree(seed, tree, DefaultRunner()));
  EXPECT_EQ(fs::last_write_time(tree / "o" / "rust" / "kernel.o"),
            fs::last_write_time(seed / "o" / "rust" / "kernel.o"));
  std::ifstream in(tree / "o" / "rust" / "kernel.o");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "object of seed");
}

// A seed tree another build holds (its lock taken here) and an empty new tree.
struct BusySeed {
  TempDir tmp;
  fs::path seed;
  std::optional<FileLock> lock;
  fs::path tree;
};
BusySeed MakeBusySeed(const std::string& prefix) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), prefix);
  EXPECT_TRUE(tmp);
  fs::path seed = MakeTree(tmp->path(), "seed", "fam", 1000);
  auto lock = FileLock::Acquire(seed.string() + ".lock", std::chrono::seconds(1));
  EXPECT_TRUE(lock && lock->held());
  fs::path tree = tmp->path() / "new";
  fs::create_directories(tree / "o");
  return {std::move(*tmp), seed, std::move(*lock), tree};
}

TEST(BuildTree, ATreeBeingBuiltIsNotCopiedAndTheNewTreeStaysEmpty) {
  auto [tmp, seed, busy, tree] = MakeBusySeed("tree-busy-");
  auto st = SeedTree(seed, tree, DefaultRunner());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("being built"), std::string::npos) << st.error().message;
  EXPECT_TRUE(fs::is_empty(tree / "o"));
}

TEST(BuildTree, ASeedBusyForAMomentIsWaitedForAndCopied) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "tree-wait-");
  ASSERT_TRUE(tmp);
  fs::path seed = MakeTree(tmp->path(), "seed", "fam", 1000);
  std::optional<FileLock> busy;
  {
    auto l = FileLock::Acquire(seed.string() + ".lock", std::chrono::seconds(1));
    ASSERT_TRUE(l && l->held());
    busy.emplace(std::move(*l));
  }
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    busy.reset();
  });
  fs::path tree = tmp->path() / "new";
  fs::create_directories(tree / "o");
  int told = 0;
  auto st = SeedTree(seed, tree, DefaultRunner(), InterruptToken(), std::chrono::seconds(30), [&] { ++told; });
  release.join();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(told, 1);
  EXPECT_TRUE(fs::exists(tree / "o" / "rust" / "kernel.o"));
}

TEST(BuildTree, ASeedThatStaysBusyPastTheWaitIsSkipped) {
  auto [tmp, seed, busy, tree] = MakeBusySeed("tree-wait-long-");
  auto st = SeedTree(seed, tree, DefaultRunner(), InterruptToken(), std::chrono::milliseconds(300));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("being built by another rfl-lab (waited"), std::string::npos)
      << st.error().message;
  EXPECT_TRUE(fs::is_empty(tree / "o"));
}

TEST(BuildTree, ACancelledCopyLeavesTheNewTreeEmpty) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "tree-cancel-");
  ASSERT_TRUE(tmp);
  fs::path seed = MakeTree(tmp->path(), "seed", "fam", 1000);
  fs::path tree = tmp->path() / "new";
  fs::create_directories(tree / "o");
  std::stop_source ctrl_c;
  ctrl_c.request_stop();
  EXPECT_FALSE(SeedTree(seed, tree, DefaultRunner(), ctrl_c.get_token()));
  EXPECT_TRUE(fs::is_empty(tree / "o"));
}

// A tree's recorded make times, as BuildKernel leaves them.
void RecordTimes(const fs::path& trees, const std::string& key, const std::string& arch,
                 std::map<std::string, double> durations) {
  fs::create_directories(trees / key);
  TreeState s;
  s.arch = arch;
  s.built_at = 1000;
  s.durations = std::move(durations);
  ASSERT_TRUE(SaveTreeState(trees / key / "state.json", s));
}

TEST(BuildTree, EstimateIsTheBuildsOwnLastTimeElseTheSlowestOfItsKindOnItsArch) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "tree-estimate-");
  ASSERT_TRUE(tmp);
  fs::path trees = tmp->path();
  RecordTimes(trees, "a", "x86_64", {{"k1", 100}, {"full", 1300}, {"incremental", 80}});
  RecordTimes(trees, "b", "x86_64", {{"full", 1500}, {"seeded", 160}});
  RecordTimes(trees, "c", "arm64", {{"full", 2000}});

  auto own = EstimateBuild(trees, "a", "k1", "x86_64", TreeStart::kBuilt);
  EXPECT_EQ(own.seconds, 100.0);
  EXPECT_EQ(own.basis, "last time");
  auto incremental = EstimateBuild(trees, "a", "k2", "x86_64", TreeStart::kBuilt);
  EXPECT_EQ(incremental.seconds, 80.0);
  EXPECT_EQ(incremental.basis, "incremental");
  auto full = EstimateBuild(trees, "new", "k3", "x86_64", TreeStart::kFresh);
  EXPECT_EQ(full.seconds, 1500.0) << "the slowest x86_64 full build, not arm64's";
  EXPECT_EQ(full.basis, "full");
  auto seeded = EstimateBuild(trees, "new", "k3", "x86_64", TreeStart::kSeeded);
  EXPECT_EQ(seeded.seconds, 160.0);
  EXPECT_EQ(seeded.basis, "seeded");
  auto none = EstimateBuild(trees, "new", "k3", "riscv64", TreeStart::kFresh);
  EXPECT_FALSE(none.seconds.has_value());
  EXPECT_EQ(none.basis, "");
}

}  // namespace
}  // namespace rfl::kernel
