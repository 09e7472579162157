// Initramfs assembly: a cached base archive with the agent as /init, and a
// per-boot plan archive appended to it.
#include "lab/image/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "lab/util/paths.h"

namespace rfl::image {
namespace {

struct Entry {
  mode_t mode;
  std::string data;
  dev_t rdev;
};

// Reads one gzip'd newc archive from memory.
std::map<std::string, Entry> ReadCpio(std::string_view bytes) {
  std::map<std::string, Entry> out;
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_cpio(a);
  EXPECT_EQ(archive_read_open_memory(a, bytes.data(), bytes.size()), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Entry entry{archive_entry_mode(e), {}, archive_entry_rdev(e)};
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) entry.data.append(buf, static_cast<size_t>(n));
    out[archive_entry_pathname(e)] = entry;
  }
  archive_read_free(a);
  return out;
}

class InitramfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rfl-initramfs-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    // Any bytes serve as the agent here: the archive layout is under test,
    // not the agent (unit tests need no build of the guest side).
    agent_ = dir_ / "rfl-agent";
    std::ofstream(agent_, std::ios::binary) << std::string("\x7f" "ELF not really an agent\0\x01\xff", 26);
    auto plan = agent::ParsePlan(R"({"version":1,"boot_id":"t","workloads":[{"name":"boot"}]})");
    ASSERT_TRUE(plan.has_value());
    plan_ = *plan;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_, agent_;
  agent::Plan plan_;
};

TEST_F(InitramfsTest, BaseHoldsTheAgentAsInitAndTheConsoleNode) {
  auto base = BaseArchive(agent_, dir_ / "cache");
  ASSERT_TRUE(base.has_value()) << base.error().message;
  auto bytes = ReadFile(*base);
  ASSERT_TRUE(bytes.has_value());
  auto entries = ReadCpio(*bytes);
  ASSERT_TRUE(entries.contains("init"));
  EXPECT_EQ(entries["init"].mode, static_cast<mode_t>(S_IFREG | 0755));
  EXPECT_EQ(entries["init"].data, *ReadFile(agent_));
  ASSERT_TRUE(entries.contains("dev/console"));
  EXPECT_TRUE(S_ISCHR(entries["dev/console"].mode));
  EXPECT_EQ(entries["dev/console"].rdev, makedev(5, 1));
  for (const char* d : {"dev", "proc", "sys"}) EXPECT_TRUE(S_ISDIR(entries[d].mode)) << d;
}

TEST_F(InitramfsTest, InitramfsIsBaseFollowedByPlanArchive) {
  auto out = BuildInitramfsWithAgent(agent_, plan_, dir_ / "cache", dir_ / "boot" / "initrd.img");
  ASSERT_TRUE(out.has_value()) << out.error().message;
  auto base = BaseArchive(agent_, dir_ / "cache");
  auto tail = PlanArchive(plan_);
  ASSERT_TRUE(base && tail);
  auto whole = ReadFile(*out);
  auto head = ReadFile(*base);
  ASSERT_TRUE(whole && head);
  ASSERT_EQ(whole->size(), head->size() + tail->size());
  EXPECT_EQ(whole->substr(0, head->size()), *head);
  auto plan_entries = ReadCpio(std::string_view(*whole).substr(head->size()));
  ASSERT_EQ(plan_entries.size(), 1u);
  auto parsed = agent::ParsePlan(plan_entries["plan.json"].data);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->boot_id, "t");
}

TEST_F(InitramfsTest, BaseIsCachedAndBytesAreReproducible) {
  auto first = BaseArchive(agent_, dir_ / "cache");
  ASSERT_TRUE(first.has_value());
  auto t1 = std::filesystem::last_write_time(*first);
  auto second = BaseArchive(agent_, dir_ / "cache");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(std::filesystem::last_write_time(*second), t1);
  EXPECT_EQ(*PlanArchive(plan_), *PlanArchive(plan_));
  auto other = BaseArchive(agent_, dir_ / "cache2");
  EXPECT_EQ(*ReadFile(*other), *ReadFile(*first));
}

TEST_F(InitramfsTest, MissingAgentNamesTheBuildTarget) {
  auto r = BaseArchive(dir_ / "no-such-agent", dir_ / "cache");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("'agents'"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace rfl::image
