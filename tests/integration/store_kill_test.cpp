// Killing the lab mid-run leaves a store that opens with every completed boot
// intact: a child process records boots in a loop (real SQLite store, each
// boot one transaction) and is SIGKILLed at a random point; the parent then
// reopens the store and checks every boot it was told was committed, and that
// no boot is missing samples. Samples are constructed (value = boot index).
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "lab/results/store.h"

namespace rfl::results {
namespace {

namespace fs = std::filesystem;

constexpr int kSamplesPerBoot = 40;

[[noreturn]] void ChildWriteBootsForever(const fs::path& path, int report_fd) {
  auto store = OpenSqliteStore(path);
  if (!store) _exit(3);
  RunInfo info;
  info.scenario_name = "kill-test";
  info.baseline = "base";
  info.variants = {{"base", Expect::kPass, {}, {}}};
  auto run = (*store)->BeginRun(info);
  if (!run) _exit(4);
  for (int i = 0;; ++i) {
    BootRecord b;
    b.build_key = "k";
    b.variant = "base";
    b.arch = "x86_64";
    b.toolchain = "host";
    b.kernel = "7.3";
    b.repetition = i;
    b.evidence = std::string(2000, 'x');  // make each transaction take a while
    for (int s = 0; s < kSamplesPerBoot; ++s) {
      b.samples.push_back({"w", "m" + std::to_string(s), "s", static_cast<double>(i), {{"i", std::to_string(s)}}});
    }
    auto id = (*store)->RecordBoot(*run, b);
    if (!id) _exit(5);
    // Tell the parent this boot is committed.
    int64_t committed = *id;
    if (write(report_fd, &committed, sizeof committed) != sizeof committed) _exit(6);
  }
}

TEST(StoreKill, SigkillMidRunKeepsEveryCompletedBootIntact) {
  std::string tmpl = (fs::temp_directory_path() / "rfl-kill-XXXXXX").string();
  fs::path dir = mkdtemp(tmpl.data());
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    fs::path path = dir / ("store" + std::to_string(round) + ".sqlite3");
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      ChildWriteBootsForever(path, fds[1]);
    }
    close(fds[1]);
    // Let it commit a random number of boots, then kill it without warning.
    const int target = 20 + static_cast<int>(rng() % 40);
    std::set<int64_t> committed;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (static_cast<int>(committed.size()) < target && std::chrono::steady_clock::now() < deadline) {
      int64_t id;
      ssize_t n = read(fds[0], &id, sizeof id);
      if (n != sizeof id) break;
      committed.insert(id);
    }
    // Mid-transaction, most likely: the child never stops between boots.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited early: " << status;
    // Boots committed after the last read are fine too; drain the pipe.
    int64_t id;
    while (read(fds[0], &id, sizeof id) == sizeof id) committed.insert(id);
    close(fds[0]);
    ASSERT_GE(static_cast<int>(committed.size()), target);

    auto store = OpenSqliteStore(path);
    ASSERT_TRUE(store) << store.error().message;
    auto runs = (*store)->ListRuns();
    ASSERT_TRUE(runs);
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_EQ((*runs)[0].status, RunStatus::kRunning);  // killed: never finished
    auto data = (*store)->LoadRun((*runs)[0].id);
    ASSERT_TRUE(data) << data.error().message;
    std::set<int64_t> stored;
    for (const auto& b : data->boots) {
      stored.insert(b.id);
      ASSERT_EQ(b.samples.size(), static_cast<size_t>(kSamplesPerBoot)) << "half a boot: " << b.id;
      for (const auto& s : b.samples) EXPECT_EQ(s.value, b.repetition);
      EXPECT_EQ(b.evidence.size(), 2000u);
    }
    for (int64_t c : committed) EXPECT_TRUE(stored.count(c)) << "committed boot " << c << " lost";
    EXPECT_LE(stored.size(), committed.size() + 1);  // at most the one in flight when killed

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rfl::results
