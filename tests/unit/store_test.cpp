// The SQLite results store on a temporary file. Runs, builds and boots here
// are constructed in the test (no real run needed to check persistence).
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "lab/results/store.h"
#include "lab/util/temp_dir.h"
#include "tests/support/classified_boot.h"

namespace rfl::results {
namespace {

namespace fs = std::filesystem;

// A fresh temporary directory per test (the lab's own RAII helper).
class TempDir {
 public:
  TempDir() : dir_(std::move(*rfl::TempDir::Create(fs::temp_directory_path(), "rfl-store-"))) {}
  const fs::path& path() const { return dir_.path(); }

 private:
  rfl::TempDir dir_;
};

RunInfo MakeRunInfo(const std::string& scenario = "quickstart") {
  RunInfo info;
  info.scenario_name = scenario;
  info.scenario_text = "name: " + scenario + "\n";
  info.scenario_hash = "abc";
  info.lab_version = "0.1.0";
  info.host = "testhost";
  info.baseline = "base";
  info.noise = 0.02;
  info.alpha = 0.01;
  info.repeat_min = 5;
  info.repeat_max = 10;
  info.variants = {{"base", Expect::kPass, {}, {}},
                   {"thunk", Expect::kBuildFailure, {"-Zfunction-return=thunk-extern"}, {{"RUST", "y"}}}};
  return info;
}

BootRecord MakeBoot(int rep, double value) {
  BootRecord b;
  b.build_key = "k1";
  b.variant = "base";
  b.arch = "x86_64";
  b.toolchain = "host";
  b.kernel = "7.3";
  b.repetition = rep;
  b.accel = "tcg";
  b.timing = "icount";
  b.started_unix = 1000 + rep;
  b.ended_unix = 1001 + rep;
  b.samples = {{"boot", "time_to_init_seconds", "s", value, {}},
               {"binder", "latency_seconds", "s", value / 1000, {{"payload", "0"}}},
               {"binder", "latency_seconds", "s", value / 500, {{"payload", "4096"}}}};
  return b;
}

TEST(Store, RoundTripsRunBuildsBootsAndSamples) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "sub" / "results.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->BeginRun(MakeRunInfo());
  ASSERT_TRUE(run) << run.error().message;

  BuildRecord build;
  build.key = "k1";
  build.variants = {"base"};
  build.arch = "x86_64";
  build.toolchain = "host";
  build.kernel = "7.3";
  build.rustc_version = "rustc 1.85.0";
  build.effective_flags = "-Copt-level=2";
  build.duration_seconds = 340.5;
  build.sizes = {{"vmlinux", {{"text", 1234567}, {"data", 4567}}}};
  ASSERT_TRUE((*store)->RecordBuild(*run, build));
  BuildRecord failed = build;
  failed.key = "k2";
  failed.variants = {"thunk"};
  failed.outcome = BuildOutcome::kExpectedFailure;
  failed.failure_class = "link-error";
  failed.failure_excerpt = "undefined symbol: __x86_return_thunk";
  ASSERT_TRUE((*store)->RecordBuild(*run, failed));

  BootRecord boot = MakeBoot(0, 1.7);
  boot.evidence = "Run /init";
  auto boot_id = (*store)->RecordBoot(*run, boot);
  ASSERT_TRUE(boot_id) << boot_id.error().message;
  auto finished = (*store)->FinishRun(*run, RunStatus::kCompleted);
  ASSERT_TRUE(finished) << finished.error().message;

  auto data = (*store)->LoadRun(*run);
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_EQ(data->run.status, RunStatus::kCompleted);
  EXPECT_GT(data->run.ended_unix, 0);
  EXPECT_EQ(data->run.info.scenario_text, "name: quickstart\n");
  EXPECT_DOUBLE_EQ(data->run.info.noise, 0.02);
  EXPECT_EQ(data->run.info.repeat_max, 10);
  ASSERT_EQ(data->run.info.variants.size(), 2u);
  EXPECT_EQ(data->run.info.variants[1].expect, Expect::kBuildFailure);
  EXPECT_EQ(data->run.info.variants[1].rustflags, std::vector<std::string>{"-Zfunction-return=thunk-extern"});
  EXPECT_EQ(data->run.info.variants[1].kconfig.at("RUST"), "y");
  ASSERT_EQ(data->builds.size(), 2u);
  EXPECT_EQ(data->builds[0].sizes.at("vmlinux").at("text"), 1234567);
  EXPECT_EQ(data->builds[1].outcome, BuildOutcome::kExpectedFailure);
  EXPECT_EQ(data->builds[1].failure_excerpt, "undefined symbol: __x86_return_thunk");
  ASSERT_EQ(data->boots.size(), 1u);
  EXPECT_EQ(data->boots[0].id, *boot_id);
  EXPECT_EQ(data->boots[0].evidence, "Run /init");
  ASSERT_EQ(data->boots[0].samples.size(), 3u);
  EXPECT_EQ(data->boots[0].samples[1].labels.at("payload"), "0");
  EXPECT_DOUBLE_EQ(data->boots[0].samples[0].value, 1.7);
}

TEST(Store, KeepsTheTitleOfTheKernelReportThatDecidedTheOutcome) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->BeginRun(MakeRunInfo());
  ASSERT_TRUE(run) << run.error().message;
  BootRecord warned = test::ClassifiedBoot("debian-6.1-warning.log", MakeBoot(0, 1.0));
  BootRecord oopsed = test::ClassifiedBoot("debian-6.1-oops-gpf.log", MakeBoot(1, 1.0));
  BootRecord clean = test::ClassifiedBoot("debian-6.1-clean.log", MakeBoot(2, 1.0));
  ASSERT_EQ(warned.outcome, BootOutcome::kWarning);
  ASSERT_EQ(oopsed.outcome, BootOutcome::kOops);
  ASSERT_EQ(clean.outcome, BootOutcome::kPassed);
  ASSERT_FALSE(warned.title.empty());
  ASSERT_FALSE(oopsed.title.empty());
  for (const auto& b : {warned, oopsed, clean}) ASSERT_TRUE((*store)->RecordBoot(*run, b));

  auto data = (*store)->LoadRun(*run);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->boots.size(), 3u);
  EXPECT_EQ(data->boots[0].title, warned.title);
  EXPECT_EQ(data->boots[1].title, oopsed.title);
  EXPECT_EQ(data->boots[2].title, "");
  EXPECT_EQ(data->boots[1].evidence, oopsed.evidence);
}

TEST(Store, KeepsTheCodeChecksOfABuild) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->BeginRun(MakeRunInfo());
  ASSERT_TRUE(run) << run.error().message;
  BuildRecord b;
  b.key = "k1";
  b.variants = {"ibt"};
  b.arch = "x86_64";
  CodeCheckRecord c;
  c.flag = "-Zcf-protection=branch";
  c.claimed = true;
  c.verdict = "partial";
  c.expected = "partial";
  c.objects = 13;
  c.functions = 3000;
  c.checked = 2185;
  c.with_signature = 2000;
  c.exempt = 157;
  c.offenders_total = 185;
  c.offenders = {"_RNvCs_foo (no endbr64 at the entry)"};
  c.notes = {"a note"};
  b.code_checks = {c};
  ASSERT_TRUE((*store)->RecordBuild(*run, b));
  auto data = (*store)->LoadRun(*run);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->builds.size(), 1u);
  ASSERT_EQ(data->builds[0].code_checks.size(), 1u);
  EXPECT_EQ(data->builds[0].code_checks[0], c);
}

TEST(Store, KeepsWhichKernelExactlyABuildHad) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->BeginRun(MakeRunInfo());
  ASSERT_TRUE(run) << run.error().message;
  BuildRecord b;
  b.key = "k1";
  b.variants = {"baseline"};
  b.kernel = "7.3";
  b.kernel_version = "7.3.4";
  b.source_id = "debian:linux-source-7.3=7.3.4-1~bpo13+1";
  ASSERT_TRUE((*store)->RecordBuild(*run, b));
  auto data = (*store)->LoadRun(*run);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->builds.size(), 1u);
  EXPECT_EQ(data->builds[0].kernel, "7.3");
  EXPECT_EQ(data->builds[0].kernel_version, "7.3.4");
  EXPECT_EQ(data->builds[0].source_id, "debian:linux-source-7.3=7.3.4-1~bpo13+1");
}

TEST(Store, KeepsTheLavaWorkerABootRanOn) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->BeginRun(MakeRunInfo());
  ASSERT_TRUE(run) << run.error().message;
  BuildRecord b;
  b.key = "k1";
  b.variants = {"base"};
  ASSERT_TRUE((*store)->RecordBuild(*run, b));
  BootRecord remote = MakeBoot(0, 1.0);
  remote.worker = "rfl-lab-worker/qemu-02";
  ASSERT_TRUE((*store)->RecordBoot(*run, remote));
  ASSERT_TRUE((*store)->RecordBoot(*run, MakeBoot(1, 1.0)));
  auto data = (*store)->LoadRun(*run);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->boots.size(), 2u);
  EXPECT_EQ(data->boots[0].worker, "rfl-lab-worker/qemu-02");
  EXPECT_EQ(data->boots[1].worker, "");
}

TEST(Store, KeepsTheAbiChecksOfARunAndReplacesARepeatedOne) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->BeginRun(MakeRunInfo());
  ASSERT_TRUE(run);
  nlohmann::json j = {{"flag", "-Zfixed-x18"},
                      {"arch", "arm64"},
                      {"toolchain", "rustc-1.96"},
                      {"rustc", "1.96.0"},
                      {"modifier", "fixed-x18"},
                      {"known_target_modifier", true},
                      {"crate_with_flag", {{"verdict", "rejected"}, {"excerpt", "error: mixing `-Zfixed-x18` will cause an ABI mismatch"}}},
                      {"core_with_flag", {{"verdict", "rejected"}}},
                      {"escape_hatch", "works"},
                      {"rustdoc_mismatch", {{"verdict", "rejected"}}},
                      {"rustdoc_matched", {{"verdict", "accepted"}}},
                      {"finding", false},
                      {"inconclusive", false},
                      {"seconds", 1.3}};
  AbiCheckRecord first = AbiCheckFromJson(j);
  ASSERT_TRUE((*store)->RecordAbiCheck(*run, first));
  j["escape_hatch"] = "fails";
  j["finding"] = true;
  ASSERT_TRUE((*store)->RecordAbiCheck(*run, AbiCheckFromJson(j)));
  j["flag"] = "-Zsanitizer=kcfi";
  j["arch"] = "x86_64";
  ASSERT_TRUE((*store)->RecordAbiCheck(*run, AbiCheckFromJson(j)));
  auto data = (*store)->LoadRun(*run);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->abi_checks.size(), 2u);
  const AbiCheckRecord& c = data->abi_checks[0];
  EXPECT_EQ(c.flag, "-Zfixed-x18");
  EXPECT_EQ(c.arch, "arm64");
  EXPECT_EQ(c.toolchain, "rustc-1.96");
  EXPECT_EQ(c.rustc, "1.96.0");
  EXPECT_TRUE(c.known_target_modifier);
  EXPECT_EQ(c.crate_with_flag, "rejected");
  EXPECT_EQ(c.escape_hatch, "fails") << "the second record of a check replaces the first";
  EXPECT_TRUE(c.finding);
  EXPECT_EQ(c.detail["crate_with_flag"]["excerpt"], "error: mixing `-Zfixed-x18` will cause an ABI mismatch");
  EXPECT_EQ(data->abi_checks[1].flag, "-Zsanitizer=kcfi");
  EXPECT_TRUE(AbiCheckProblem(c).has_value());
  EXPECT_FALSE(AbiCheckProblem(first).has_value());
}

TEST(Store, KeepsTheCornerOfTheMatrixARunWasLimitedTo) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  RunInfo corner = MakeRunInfo();
  corner.corner = "--kernel 7.3 --arch x86_64";
  auto a = (*store)->BeginRun(corner);
  auto b = (*store)->BeginRun(MakeRunInfo());
  ASSERT_TRUE(a && b);
  auto runs = (*store)->ListRuns(std::nullopt, 10);
  ASSERT_TRUE(runs) << runs.error().message;
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].info.corner, "");  // newest first: the whole scenario
  EXPECT_EQ((*runs)[1].info.corner, "--kernel 7.3 --arch x86_64");
  auto data = (*store)->LoadRun(*a);
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_EQ(data->run.info.corner, "--kernel 7.3 --arch x86_64");
}

TEST(Store, KeepsWhatEachWorkloadSetUpNextToItsSamples) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->BeginRun(MakeRunInfo());
  ASSERT_TRUE(run) << run.error().message;
  BootRecord b = MakeBoot(0, 1.0);
  b.attributes = {{"block", {{"device", "rnull"}, {"scheduler", "none"}},
                   {{"configfs/irqmode", "0"}, {"queue/scheduler", "[none] mq-deadline kyber"}}},
                  {"block", {{"device", "null_blk"}, {"scheduler", "none"}},
                   {{"configfs/hw_queue_depth", "256"}, {"queue/scheduler", "[none] mq-deadline kyber"}}}};
  ASSERT_TRUE((*store)->RecordBoot(*run, b));
  auto data = (*store)->LoadRun(*run);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->boots.size(), 1u);
  EXPECT_EQ(data->boots[0].attributes, b.attributes);
}

TEST(Store, KeepsEveryKunitCaseOfABootByName) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->BeginRun(MakeRunInfo());
  ASSERT_TRUE(run) << run.error().message;
  BootRecord b = MakeBoot(0, 1.0);
  b.test_cases = {{"kunit", "rust_doctests_kernel", "rust_doctest_kernel_alloc_0", "pass", "", ""},
                  {"kunit", "example", "example_skip_test", "skip", "SKIP this test should be skipped", ""},
                  {"kunit", "example", "example_fail_test", "fail", "",
                   "# example_fail_test: EXPECTATION FAILED at lib/kunit/kunit-example-test.c:42\nExpected 1 == 3"}};
  ASSERT_TRUE((*store)->RecordBoot(*run, b));
  auto data = (*store)->LoadRun(*run);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->boots.size(), 1u);
  EXPECT_EQ(data->boots[0].test_cases, b.test_cases);
}

// tests/fixtures/report/quickstart.sqlite3 was captured at schema 1 (before
// workload records and titles): opening a copy migrates it.
fs::path CopyOfCapturedStore(const TempDir& dir) {
  fs::path copy = dir.path() / "quickstart.sqlite3";
  fs::copy_file(fs::path(RFL_LAB_FIXTURES_DIR) / "report" / "quickstart.sqlite3", copy);
  return copy;
}

TEST(Store, MigratingAStoreFromBeforeTitlesKeepsItsBootsWithAnEmptyTitle) {
  TempDir dir;
  fs::path path = CopyOfCapturedStore(dir);
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store) << store.error().message;
  auto before = (*store)->LoadRun(1);
  ASSERT_TRUE(before) << before.error().message;
  ASSERT_EQ(before->boots.size(), 15u);
  for (const auto& b : before->boots) EXPECT_EQ(b.title, "") << b.id;

  // The migrated store takes titles for new boots, next to the old ones.
  BootRecord oopsed = test::ClassifiedBoot("debian-6.1-oops-gpf.log", before->boots.front());
  auto id = (*store)->RecordBoot(1, oopsed);
  ASSERT_TRUE(id) << id.error().message;
  auto after = (*store)->LoadRun(1);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->boots.size(), 16u);
  EXPECT_EQ(after->boots.back().title, oopsed.title);
  EXPECT_EQ(after->boots.front().title, "");
  EXPECT_EQ(after->boots.front().evidence, before->boots.front().evidence);
}

TEST(Store, ReadOnlyOpenOfAStoreFromBeforeTitlesReadsItsBootsWithoutOne) {
  TempDir dir;
  fs::path path = CopyOfCapturedStore(dir);
  auto store = OpenSqliteStoreReadOnly(path);  // never migrated
  ASSERT_TRUE(store) << store.error().message;
  auto data = (*store)->LoadRun(1);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->boots.size(), 15u);
  for (const auto& b : data->boots) EXPECT_EQ(b.title, "") << b.id;
  for (const auto& b : data->boots) EXPECT_TRUE(b.attributes.empty()) << b.id;
  for (const auto& b : data->boots) EXPECT_TRUE(b.test_cases.empty()) << b.id;
  for (const auto& b : data->builds) EXPECT_TRUE(b.code_checks.empty()) << b.key;
  EXPECT_EQ(data->run.info.corner, "");
  EXPECT_TRUE(data->abi_checks.empty());
}

TEST(Store, SchemaVersionIsSetAndNewerStoresAreRefused) {
  TempDir dir;
  auto path = dir.path() / "r.sqlite3";
  ASSERT_TRUE(OpenSqliteStore(path));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), kStoreSchemaVersion);
  sqlite3_finalize(st);
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto again = OpenSqliteStore(path);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("newer"), std::string::npos) << again.error().message;
}

TEST(Store, ReopeningKeepsDataAndDoesNotMigrateTwice) {
  TempDir dir;
  auto path = dir.path() / "r.sqlite3";
  int64_t run_id = 0;
  {
    auto store = OpenSqliteStore(path);
    ASSERT_TRUE(store);
    run_id = *(*store)->BeginRun(MakeRunInfo());
  }
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store) << store.error().message;
  auto runs = (*store)->ListRuns();
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].id, run_id);
  EXPECT_EQ((*runs)[0].status, RunStatus::kRunning);
}

TEST(Store, ABootWhoseSampleFailsLeavesNothingBehind) {
  TempDir dir;
  auto path = dir.path() / "r.sqlite3";
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store);
  auto run = *(*store)->BeginRun(MakeRunInfo());
  // Make the third sample insert fail inside the boot's transaction.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER poison BEFORE INSERT ON samples WHEN NEW.labels LIKE '%4096%' "
                         "BEGIN SELECT RAISE(ABORT, 'poisoned sample'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto r = (*store)->RecordBoot(run, MakeBoot(0, 1.0));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("poisoned sample"), std::string::npos) << r.error().message;
  auto data = (*store)->LoadRun(run);
  ASSERT_TRUE(data);
  EXPECT_TRUE(data->boots.empty());
  auto samples = (*store)->QuerySamples({});
  ASSERT_TRUE(samples);
  EXPECT_TRUE(samples->empty());
}

TEST(Store, LatestRunPerScenarioAndSampleQueries) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store);
  auto& s = **store;
  auto a1 = *s.BeginRun(MakeRunInfo("a"));
  ASSERT_TRUE(s.RecordBoot(a1, MakeBoot(0, 1.0)));
  ASSERT_TRUE(s.FinishRun(a1, RunStatus::kCompleted));
  auto b1 = *s.BeginRun(MakeRunInfo("b"));
  ASSERT_TRUE(s.FinishRun(b1, RunStatus::kCompleted));
  auto a2 = *s.BeginRun(MakeRunInfo("a"));
  ASSERT_TRUE(s.RecordBoot(a2, MakeBoot(0, 2.0)));
  BootRecord failed = MakeBoot(1, 3.0);
  failed.outcome = BootOutcome::kRustPanic;
  ASSERT_TRUE(s.RecordBoot(a2, failed));

  EXPECT_EQ(*s.LatestRun(), a2);
  EXPECT_EQ(*s.LatestRun(std::string("a"), /*completed_only=*/true), a1);
  EXPECT_EQ(*s.LatestRun(std::string("nope")), std::nullopt);
  auto latest = s.LatestRunPerScenario(true);
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].id, a1);
  EXPECT_EQ((*latest)[1].id, b1);
  auto all = s.LatestRunPerScenario(false);
  EXPECT_EQ((*all)[0].id, a2);
  EXPECT_EQ((*all)[0].boots, 2);
  EXPECT_EQ((*all)[0].failed_boots, 1);

  SampleQuery q;
  q.workload = "binder";
  q.labels = std::map<std::string, std::string>{{"payload", "4096"}};
  auto rows = s.QuerySamples(q);
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);  // one per run; the panicked boot is excluded
  EXPECT_EQ((*rows)[0].run_id, a1);
  EXPECT_DOUBLE_EQ((*rows)[1].sample.value, 2.0 / 500);
  q.passed_boots_only = false;
  q.run_id = a2;
  EXPECT_EQ(s.QuerySamples(q)->size(), 2u);
}

TEST(Store, MissingRunIsNotFound) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store);
  auto r = (*store)->LoadRun(42);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, Error::Kind::kNotFound);
  auto f = (*store)->FinishRun(42, RunStatus::kFailed);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().kind, Error::Kind::kNotFound);
}

TEST(Store, ReadOnlyOpenNeverCreatesAStore) {
  TempDir dir;
  fs::path path = dir.path() / "typo" / "results.sqlite3";
  auto store = OpenSqliteStoreReadOnly(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind, Error::Kind::kNotFound);
  EXPECT_FALSE(fs::exists(dir.path() / "typo")) << "a read-only command created the store's directory";
  auto dir_as_store = OpenSqliteStoreReadOnly(dir.path());
  ASSERT_FALSE(dir_as_store.has_value());
  EXPECT_EQ(dir_as_store.error().kind, Error::Kind::kInput);
}

TEST(Store, ReadOnlyOpenReadsEverythingAndWritesNothing) {
  TempDir dir;
  fs::path path = dir.path() / "r.sqlite3";
  int64_t run = 0;
  {
    auto store = OpenSqliteStore(path);
    ASSERT_TRUE(store);
    run = *(*store)->BeginRun(MakeRunInfo());
    ASSERT_TRUE((*store)->RecordBoot(run, MakeBoot(0, 1.0)));
  }
  auto ro = OpenSqliteStoreReadOnly(path);
  ASSERT_TRUE(ro.has_value()) << ro.error().message;
  auto data = (*ro)->LoadRun(run);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->boots.size(), 1u);
  EXPECT_FALSE((*ro)->BeginRun(MakeRunInfo()).has_value());
  EXPECT_FALSE((*ro)->FinishRun(run, RunStatus::kCompleted).has_value());
}

TEST(Store, AFileThatIsNotAStoreIsBadInputForReaders) {
  TempDir dir;
  fs::path path = dir.path() / "empty.sqlite3";
  { std::ofstream(path) << ""; }
  auto ro = OpenSqliteStoreReadOnly(path);
  ASSERT_FALSE(ro.has_value());
  EXPECT_EQ(ro.error().kind, Error::Kind::kInput) << ro.error().message;
}

TEST(Store, BootOfUnknownRunIsRejectedByForeignKey) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() / "r.sqlite3");
  ASSERT_TRUE(store);
  EXPECT_FALSE((*store)->RecordBoot(7, MakeBoot(0, 1.0)));
}

}  // namespace
}  // namespace rfl::results
