// The exporter's metrics model: catalog rules, Snapshot, and the series a
// stored run turns into.
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <prometheus/check_names.h>

#include "exporters/prometheus/export.h"
#include "exporters/prometheus/metrics_model.h"
#include "exporters/prometheus/store_source.h"
#include "lab/results/comparison.h"
#include "lab/results/statistics.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"
#include "lab/vm/report_rules.h"
#include "tests/integration/exporter_fixture.h"
#include "tests/support/classified_boot.h"

namespace rfl::exporters {
namespace {

using fixture::SyntheticShape;
using fixture::TempDir;
using fixture::WriteSyntheticRun;

using Labels = std::map<std::string, std::string>;

Labels Cell(const std::string& variant) {
  return {{"scenario", "quickstart"}, {"arch", "x86_64"}, {"toolchain", "rustc-1.96"}, {"kernel", "7.3"},
          {"variant", variant}};
}

Labels With(Labels base, const Labels& more) {
  base.insert(more.begin(), more.end());
  return base;
}

TEST(MetricCatalog, NamesFollowPrometheusConventions) {
  std::set<std::string_view> seen;
  for (const auto& def : MetricCatalog()) {
    std::string name(def.name);
    EXPECT_TRUE(prometheus::CheckMetricName(name)) << name;
    EXPECT_TRUE(name.starts_with("rfl_lab_")) << name;
    EXPECT_TRUE(seen.insert(def.name).second) << "duplicate " << name;
    if (def.type == MetricType::kCounter) {
      EXPECT_TRUE(name.ends_with("_total")) << name;
    } else {
      EXPECT_FALSE(name.ends_with("_total")) << name;
    }
    for (std::string_view reserved : {"_count", "_sum", "_bucket"}) EXPECT_FALSE(name.ends_with(reserved)) << name;
    EXPECT_FALSE(def.help.empty()) << name;
  }
}

TEST(MetricCatalog, LabelsComeFromBoundedSetsOnly) {
  std::set<std::string_view> bounded(std::begin(kBoundedLabels), std::end(kBoundedLabels));
  for (const auto& def : MetricCatalog()) {
    std::set<std::string_view> own;
    for (auto label : def.labels) {
      EXPECT_TRUE(bounded.contains(label)) << def.name << " has unbounded label " << label;
      EXPECT_TRUE(prometheus::CheckLabelName(std::string(label))) << label;
      EXPECT_TRUE(own.insert(label).second) << def.name << " repeats " << label;
    }
  }
  for (std::string_view label : kSampleLabels) {
    EXPECT_TRUE(prometheus::CheckLabelName(std::string(label))) << label;
    EXPECT_FALSE(bounded.contains(label)) << label << " is a sample label and a catalog label";
  }
  for (std::string_view forbidden : {"run", "run_id", "commit", "build_key", "flags", "host", "instance", "job",
                                     "params", "unit"}) {
    EXPECT_FALSE(bounded.contains(forbidden)) << forbidden;
    EXPECT_EQ(std::find(std::begin(kSampleLabels), std::end(kSampleLabels), forbidden), std::end(kSampleLabels));
  }
}

TEST(MetricCatalog, DocsListExactlyTheCatalog) {
  auto doc = ReadFile(std::filesystem::path(RFL_LAB_SOURCE_DIR) / "docs" / "metrics.md");
  ASSERT_TRUE(doc) << doc.error().message;
  for (const auto& def : MetricCatalog()) {
    EXPECT_NE(doc->find("`" + std::string(def.name) + "`"), std::string::npos) << def.name << " missing from docs";
  }
  std::regex name_re("rfl_lab_[a-z0-9_]*[a-z0-9]");
  for (auto it = std::sregex_iterator(doc->begin(), doc->end(), name_re); it != std::sregex_iterator(); ++it) {
    EXPECT_NE(FindMetric(it->str()), nullptr) << "docs/metrics.md names unknown metric " << it->str();
  }
}

TEST(Snapshot, KeepsTheLastValueAndMergesByLabels) {
  Snapshot a;
  a.Set("rfl_lab_last_success_timestamp_seconds", {"quickstart"}, 1);
  a.Set("rfl_lab_last_success_timestamp_seconds", {"quickstart"}, 2);
  a.Set("rfl_lab_last_success_timestamp_seconds", {"nightly"}, 3);
  Snapshot b;
  b.Set("rfl_lab_last_success_timestamp_seconds", {"nightly"}, 4);
  b.Set("rfl_lab_store_up", {}, 1);
  a.Merge(b);
  EXPECT_EQ(a.SeriesCount(), 3u);
  EXPECT_EQ(a.Value("rfl_lab_last_success_timestamp_seconds", {{"scenario", "quickstart"}}), 2);
  EXPECT_EQ(a.Value("rfl_lab_last_success_timestamp_seconds", {{"scenario", "nightly"}}), 4);
  auto families = a.Families();
  ASSERT_EQ(families.size(), 2u);
  // Catalog order, whatever the insertion order.
  EXPECT_EQ(families[0].name, "rfl_lab_last_success_timestamp_seconds");
  EXPECT_EQ(families[1].name, "rfl_lab_store_up");
  EXPECT_EQ(families[0].metric.size(), 2u);
}

TEST(Snapshot, SerializesTheTextFormatWithHelpAndType) {
  Snapshot s;
  s.Set("rfl_lab_store_read_errors_total", {}, 3);
  s.Set("rfl_lab_last_success_timestamp_seconds", {"quick\"start"}, 1790000000.5);
  std::string text = SerializeText(s.Families());
  EXPECT_NE(text.find("# TYPE rfl_lab_store_read_errors_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rfl_lab_store_read_errors_total 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE rfl_lab_last_success_timestamp_seconds gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rfl_lab_last_success_timestamp_seconds{scenario=\"quick\\\"start\"} 1790000000.5"),
            std::string::npos)
      << text;
}

TEST(SampleLabels, OneLabelPerDimensionOnlyWhenSet) {
  Snapshot s;
  Labels cell{{"scenario", "q"}, {"arch", "x86_64"}, {"toolchain", "t"}, {"kernel", "7.3"}, {"variant", "v"}};
  std::vector<std::string> series{"q", "x86_64", "t", "7.3", "v", "block", "iops"};
  s.Set("rfl_lab_workload_median_ops_per_second", series, 85000,
        {{"device", "rnull"}, {"pattern", "randread"}, {"block_size", "4096"}});
  s.Set("rfl_lab_workload_median_ops_per_second", {"q", "x86_64", "t", "7.3", "v", "boot", "x"}, 1);
  std::string text = SerializeText(s.Families());
  EXPECT_NE(text.find("block_size=\"4096\",device=\"rnull\",pattern=\"randread\""), std::string::npos) << text;
  EXPECT_EQ(text.find("params="), std::string::npos) << text;
  EXPECT_EQ(text.find("=\"\""), std::string::npos) << "an unset label is left out: " << text;
  EXPECT_EQ(s.Value("rfl_lab_workload_median_ops_per_second",
                    With(cell, {{"workload", "block"}, {"metric", "iops"}, {"device", "rnull"}, {"pattern", "randread"},
                                {"block_size", "4096"}})),
            85000);
  EXPECT_EQ(s.Value("rfl_lab_workload_median_ops_per_second", With(cell, {{"workload", "boot"}, {"metric", "x"}})), 1);
  // A label the catalog does not know yet is kept, in other_labels.
  s.Set("rfl_lab_workload_median_seconds", series, 2, {{"zeta", "1"}, {"alpha", "b"}});
  EXPECT_NE(SerializeText(s.Families()).find("other_labels=\"alpha=b,zeta=1\""), std::string::npos);
}

TEST(SampleLabels, EveryLabelTheAgentsWorkloadsSetIsKnown) {
  // The agent's workloads name their sample labels in map literals:
  // AddSample(…, {{"status", …}}) or `labels{{"device", …}, …}` just before.
  std::set<std::string> known(std::begin(kSampleLabels), std::end(kSampleLabels));
  std::regex key(R"re((^|[^\w:])\{\{?"([a-z_]+)",)re");
  std::set<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(RFL_LAB_SOURCE_DIR) /
                                                           "images" / "agent" / "workloads")) {
    auto text = ReadFile(e.path());
    ASSERT_TRUE(text);
    for (auto it = std::sregex_iterator(text->begin(), text->end(), key); it != std::sregex_iterator(); ++it) {
      found.insert((*it)[2].str());
      EXPECT_TRUE(known.contains((*it)[2].str())) << e.path().filename() << ": " << (*it)[2].str();
    }
  }
  // payload_bytes, device, pattern, block_size, scheduler, line, status
  EXPECT_EQ(found.size(), std::size(kSampleLabels) - 1) << "other_labels is the only label no workload sets";
}

class RunSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = results::OpenSqliteStore(dir_.path() / "results.sqlite3");
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    run_id_ = WriteSyntheticRun(*store_, SyntheticShape{});
    auto run = store_->LoadRun(run_id_);
    ASSERT_TRUE(run) << run.error().message;
    run_ = *run;
    snap_ = RunSnapshot(run_, results::AnalyzeRun(run_));
  }
  TempDir dir_;
  std::unique_ptr<results::Store> store_;
  int64_t run_id_ = 0;
  results::RunData run_;
  Snapshot snap_;
};

TEST_F(RunSnapshotTest, BootsByOutcomeCountFinalAttempts) {
  EXPECT_EQ(snap_.Value("rfl_lab_boots", With(Cell("ibt-rust"), {{"outcome", "passed"}})), 5);
  EXPECT_EQ(snap_.Value("rfl_lab_boots", With(Cell("ibt-rust"), {{"outcome", "rust-panic"}})), 1);
  EXPECT_EQ(snap_.Value("rfl_lab_boots", With(Cell("ibt-rust"), {{"outcome", "kernel-panic"}})), 0);
  EXPECT_DOUBLE_EQ(*snap_.Value("rfl_lab_boot_failure_ratio", Cell("ibt-rust")), 1.0 - 5.0 / 6.0);
  // c-binder timed out once and passed on the retry: the retry counts.
  EXPECT_EQ(snap_.Value("rfl_lab_boots", With(Cell("c-binder"), {{"outcome", "passed"}})), 6);
  EXPECT_EQ(snap_.Value("rfl_lab_boots", With(Cell("c-binder"), {{"outcome", "boot-timeout"}})), 0);
  EXPECT_EQ(snap_.Value("rfl_lab_boot_retries", Cell("c-binder")), 1);
  EXPECT_EQ(snap_.Value("rfl_lab_boot_failure_ratio", Cell("baseline")), 0);
}

TEST_F(RunSnapshotTest, ExpectedBuildFailureHasBuildSeriesButNoBoots) {
  auto cell = Cell("rethunk-without-thunk");
  EXPECT_EQ(snap_.Value("rfl_lab_build_outcome", With(cell, {{"outcome", "expected-failure"}})), 1);
  EXPECT_EQ(snap_.Value("rfl_lab_build_outcome", With(cell, {{"outcome", "built"}})), 0);
  EXPECT_FALSE(snap_.Value("rfl_lab_boots", With(cell, {{"outcome", "passed"}})));
  EXPECT_FALSE(snap_.Value("rfl_lab_boot_failure_ratio", cell));
  const auto& build = run_.builds.back();
  ASSERT_EQ(build.variants.front(), "rethunk-without-thunk");
  EXPECT_EQ(snap_.Value("rfl_lab_variant_info",
                        With(cell, {{"expect", "build-failure"},
                                    {"rustc_version", build.rustc_version},
                                    {"flags_digest", Sha256Hex(build.effective_flags).substr(0, 12)}})),
            1);
}

TEST_F(RunSnapshotTest, MediansEqualTheStoredSamples) {
  results::SampleQuery q;
  q.run_id = run_id_;
  q.variant = "baseline";
  q.workload = "binder";
  q.metric = "round_trip_p50";
  q.labels = std::map<std::string, std::string>{{"payload_bytes", "4096"}};
  auto rows = store_->QuerySamples(q);
  ASSERT_TRUE(rows) << rows.error().message;
  std::vector<double> values;
  for (const auto& r : *rows) values.push_back(r.sample.value);
  ASSERT_EQ(values.size(), 6u);
  auto series = With(Cell("baseline"), {{"workload", "binder"}, {"metric", "round_trip_p50"}, {"payload_bytes", "4096"}});
  EXPECT_DOUBLE_EQ(*snap_.Value("rfl_lab_workload_median_seconds", series), results::Median(values));
  EXPECT_EQ(snap_.Value("rfl_lab_workload_samples", series), 6);
  // Rates and other units go to their own families.
  EXPECT_TRUE(snap_.Value("rfl_lab_workload_median_ops_per_second",
                          With(Cell("baseline"), {{"workload", "block"},
                                                  {"metric", "iops"},
                                                  {"block_size", "4096"},
                                                  {"device", "rnull"},
                                                  {"pattern", "randread"}})));
  // A count has no unit, in the name or in a label.
  EXPECT_EQ(snap_.Value("rfl_lab_workload_median", With(Cell("baseline"), {{"workload", "rust-samples"},
                                                                          {"metric", "lines_found"}})),
            2);
}

TEST_F(RunSnapshotTest, DeltasCarryRatioCiAndOneVerdict) {
  auto analysis = results::AnalyzeRun(run_);
  const results::MetricDelta* found = nullptr;
  for (const auto& d : analysis.deltas) {
    if (d.variant == "ibt-rust" && d.key.workload == "binder" && d.key.metric == "round_trip_p50" &&
        SampleLabelsFromKey(d.key.labels) == Labels{{"payload_bytes", "0"}}) {
      found = &d;
    }
  }
  ASSERT_NE(found, nullptr);
  auto series = With(Cell("ibt-rust"), {{"workload", "binder"}, {"metric", "round_trip_p50"}, {"payload_bytes", "0"}});
  EXPECT_DOUBLE_EQ(*snap_.Value("rfl_lab_delta_ratio", series), found->stats.ratio);
  ASSERT_TRUE(found->stats.ci);
  EXPECT_DOUBLE_EQ(*snap_.Value("rfl_lab_delta_ci_lower_ratio", series), found->stats.ci->lo);
  EXPECT_DOUBLE_EQ(*snap_.Value("rfl_lab_delta_ci_upper_ratio", series), found->stats.ci->hi);
  // 6 % slower round trips with 0.4 % jitter: a regression, and only that.
  EXPECT_EQ(found->stats.verdict, results::Verdict::kRegression) << found->stats.reason;
  EXPECT_EQ(snap_.Value("rfl_lab_delta_verdict", With(series, {{"verdict", "regression"}})), 1);
  EXPECT_EQ(snap_.Value("rfl_lab_delta_verdict", With(series, {{"verdict", "no-change"}})), 0);
  EXPECT_GE(*snap_.Value("rfl_lab_regressions", Cell("ibt-rust")), 1);
  EXPECT_EQ(snap_.Value("rfl_lab_regressions", Cell("baseline")), 0);
  // The baseline is never compared with itself.
  EXPECT_FALSE(snap_.Value("rfl_lab_delta_ratio", With(Cell("baseline"), {{"workload", "binder"},
                                                                          {"metric", "round_trip_p50"},
                                                                          {"payload_bytes", "0"}})));
}

TEST_F(RunSnapshotTest, CodeSizesAndTheirDeltasAreExact) {
  EXPECT_EQ(snap_.Value("rfl_lab_code_size_bytes", With(Cell("ibt-rust"), {{"object", "vmlinux"}, {"section", "text"}})),
            6'291'456 + 18'432);
  EXPECT_EQ(snap_.Value("rfl_lab_code_size_delta_bytes", With(Cell("ibt-rust"), {{"object", "rust"}, {"section", "text"}})),
            18'432);
  EXPECT_EQ(snap_.Value("rfl_lab_code_size_delta_bytes", With(Cell("c-binder"), {{"object", "vmlinux"}, {"section", "text"}})),
            -61'440);
  EXPECT_DOUBLE_EQ(*snap_.Value("rfl_lab_build_duration_seconds", Cell("baseline")), run_.builds.front().duration_seconds);
}

TEST(StoreMetricsSource, ShowsTheNewestCompletedRunOfEachCell) {
  TempDir dir;
  auto store = results::OpenSqliteStore(dir.path() / "results.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  SyntheticShape older;
  older.seed = 3;
  older.variants = {"baseline", "ibt-rust", "retired-variant"};
  int64_t first = WriteSyntheticRun(**store, older);
  SyntheticShape newer;
  newer.variants = {"baseline", "ibt-rust"};
  int64_t second = WriteSyntheticRun(**store, newer);
  SyntheticShape running;
  running.seed = 5;
  running.repetitions = 1;
  WriteSyntheticRun(**store, running, results::RunStatus::kRunning);

  auto runs = (*store)->ListRuns();
  ASSERT_TRUE(runs);
  auto ended = [&](int64_t id) {
    for (const auto& r : *runs) if (r.id == id) return r.ended_unix;
    return 0.0;
  };

  StoreMetricsSource source(**store);
  auto snap = source.Collect();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ((*snap)->Value("rfl_lab_cell_timestamp_seconds", Cell("ibt-rust")), ended(second));
  // A cell the newest run no longer has comes from the older run.
  EXPECT_EQ((*snap)->Value("rfl_lab_cell_timestamp_seconds", Cell("retired-variant")), ended(first));
  EXPECT_EQ((*snap)->Value("rfl_lab_last_success_timestamp_seconds", {{"scenario", "quickstart"}}), ended(second));
  // Nothing of the running run (its c-binder variant) shows.
  EXPECT_FALSE((*snap)->Value("rfl_lab_cell_timestamp_seconds", Cell("c-binder")));

  // Unchanged store: the same snapshot object.
  auto again = source.Collect();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get(), snap->get());

  // A new completed run replaces the cells it has.
  SyntheticShape third;
  third.seed = 11;
  third.variants = {"baseline", "c-binder"};
  int64_t id3 = WriteSyntheticRun(**store, third);
  runs = (*store)->ListRuns();
  auto updated = source.Collect();
  ASSERT_TRUE(updated);
  EXPECT_NE(updated->get(), snap->get());
  EXPECT_EQ((*updated)->Value("rfl_lab_cell_timestamp_seconds", Cell("c-binder")), ended(id3));
  EXPECT_EQ((*updated)->Value("rfl_lab_cell_timestamp_seconds", Cell("ibt-rust")), ended(second));
}

TEST(StoreMetricsSource, SnapshotOfRunAddsTheScenariosLastSuccess) {
  TempDir dir;
  auto store = results::OpenSqliteStore(dir.path() / "results.sqlite3");
  ASSERT_TRUE(store);
  int64_t ok = WriteSyntheticRun(**store, SyntheticShape{});
  SyntheticShape failed_shape;
  failed_shape.seed = 2;
  int64_t failed = WriteSyntheticRun(**store, failed_shape, results::RunStatus::kFailed);
  std::string scenario;
  auto snap = SnapshotOfRun(**store, std::nullopt, &scenario);  // newest: the failed one
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(scenario, "quickstart");
  auto ok_run = (*store)->LoadRun(ok);
  auto failed_run = (*store)->LoadRun(failed);
  ASSERT_TRUE(ok_run && failed_run);
  EXPECT_EQ(snap->Value("rfl_lab_last_success_timestamp_seconds", {{"scenario", "quickstart"}}),
            ok_run->run.ended_unix);
  EXPECT_EQ(snap->Value("rfl_lab_cell_timestamp_seconds", Cell("baseline")), failed_run->run.ended_unix);
  auto missing = SnapshotOfRun(**store, 12345);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Error::Kind::kNotFound);
}

// The cell of tests/support/classified_boot.h's runs.
Labels ConsolesCell(const std::string& variant) {
  return {{"scenario", "consoles"}, {"arch", "x86_64"}, {"toolchain", "debian"}, {"kernel", "6.1"},
          {"variant", variant}};
}

std::optional<double> Reports(const Snapshot& s, const std::string& variant, const std::string& cls) {
  return s.Value("rfl_lab_boot_reports_total", With(ConsolesCell(variant), {{"class", cls}}));
}

TEST(BootReports, CountTheStoredBootsAKernelReportDecidedByClassAndIgnorePassedBoots) {
  TempDir dir;
  auto store = results::OpenSqliteStore(dir.path() / "results.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  auto first = test::WriteClassifiedRun(**store, {{"baseline", "debian-6.1-clean.log"},
                                                  {"rfl-crash", "debian-6.1-warning.log"},
                                                  {"baseline", "debian-6.1-clean.log"},
                                                  {"rfl-crash", "debian-6.1-oops-gpf.log"},
                                                  {"rfl-crash", "debian-6.1-hung-task.log"}});
  ASSERT_TRUE(first) << first.error().message;

  StoreMetricsSource source(**store);
  auto snap = source.Collect();
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(Reports(**snap, "rfl-crash", "warning"), 1);
  EXPECT_EQ(Reports(**snap, "rfl-crash", "oops"), 1);
  EXPECT_EQ(Reports(**snap, "rfl-crash", "hang"), 1);
  EXPECT_EQ(Reports(**snap, "rfl-crash", "rust-panic"), 0);
  // Passed boots: every class at 0, and no class of their own.
  for (BootOutcome o : kKernelReportOutcomes) {
    EXPECT_EQ(Reports(**snap, "baseline", std::string(BootOutcomeName(o))), 0) << BootOutcomeName(o);
  }
  EXPECT_FALSE(Reports(**snap, "baseline", "passed"));
  std::string text = SerializeText((*snap)->Families());
  EXPECT_NE(text.find("# TYPE rfl_lab_boot_reports_total counter\n"), std::string::npos) << text;

  // A second run adds its boots: the counter grows, it does not restart.
  auto second = test::WriteClassifiedRun(**store, {{"baseline", "debian-6.1-clean.log"},
                                                   {"rfl-crash", "debian-6.1-oops-nullderef.log"}});
  ASSERT_TRUE(second) << second.error().message;
  auto grown = source.Collect();
  ASSERT_TRUE(grown) << grown.error().message;
  EXPECT_EQ(Reports(**grown, "rfl-crash", "oops"), 2);
  EXPECT_EQ(Reports(**grown, "rfl-crash", "warning"), 1);
  EXPECT_EQ(Reports(**grown, "baseline", "oops"), 0);

  // A push of one run counts the scenario's boots up to that run.
  auto pushed = SnapshotOfRun(**store, *first);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(Reports(*pushed, "rfl-crash", "oops"), 1);
  auto pushed_latest = SnapshotOfRun(**store, *second);
  ASSERT_TRUE(pushed_latest) << pushed_latest.error().message;
  EXPECT_EQ(Reports(*pushed_latest, "rfl-crash", "oops"), 2);
}

TEST(BootReports, ClassLabelsComeOnlyFromTheOutcomeEnumNeverFromTitles) {
  TempDir dir;
  auto store = results::OpenSqliteStore(dir.path() / "results.sqlite3");
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE(test::WriteClassifiedRun(**store, {{"rfl-crash", "debian-6.1-warning.log"},
                                                 {"rfl-crash", "debian-6.1-soft-lockup.log"},
                                                 {"rfl-crash", "debian-6.1-panic-sysrq.log"},
                                                 {"rfl-crash", "debian-6.1-missing-init.log"}}));
  auto snap = SnapshotOfRun(**store, std::nullopt);
  ASSERT_TRUE(snap) << snap.error().message;
  std::set<std::string> allowed;
  for (BootOutcome o : kKernelReportOutcomes) allowed.insert(std::string(BootOutcomeName(o)));
  size_t series = 0;
  for (const auto& family : snap->Families()) {
    if (family.name != "rfl_lab_boot_reports_total") continue;
    for (const auto& m : family.metric) {
      ++series;
      for (const auto& l : m.label) {
        EXPECT_NE(l.name, "title");
        if (l.name == "class") {
          EXPECT_TRUE(allowed.contains(l.value)) << l.value;
        }
      }
    }
  }
  EXPECT_EQ(series, allowed.size()) << "one series per class of the one cell";
  EXPECT_EQ(Reports(*snap, "rfl-crash", "kernel-panic"), 1);
  EXPECT_EQ(Reports(*snap, "rfl-crash", "init-failed"), 1);
  EXPECT_EQ(Reports(*snap, "rfl-crash", "hang"), 1);
}

TEST(BootReports, EveryClassAReportRuleGivesIsCounted) {
  std::set<BootOutcome> counted(std::begin(kKernelReportOutcomes), std::end(kKernelReportOutcomes));
  for (const auto& rule : vm::ReportRules()) {
    if (rule.role == vm::ReportRole::kIgnore) continue;
    EXPECT_TRUE(counted.contains(rule.outcome)) << rule.pattern << " gives " << BootOutcomeName(rule.outcome);
  }
}

TEST(GatewayUrl, SplitsSchemeHostAndPort) {
  auto a = ParseGatewayUrl("http://127.0.0.1:9091");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "http://127.0.0.1");
  EXPECT_EQ(a->port, "9091");
  auto b = ParseGatewayUrl("pushgateway/");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "http://pushgateway");
  EXPECT_EQ(b->port, "9091");
  auto c = ParseGatewayUrl("https://[::1]:19091");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "https://[::1]");
  EXPECT_EQ(c->port, "19091");
  EXPECT_FALSE(ParseGatewayUrl("ftp://host:1"));
  EXPECT_FALSE(ParseGatewayUrl("http://host:1/metrics/job/x"));
  EXPECT_FALSE(ParseGatewayUrl("http://host:port"));
  EXPECT_FALSE(ParseGatewayUrl(""));
}

TEST(Textfile, WritesOneFilePerScenarioAtomically) {
  TempDir dir;
  auto store = results::OpenSqliteStore(dir.path() / "results.sqlite3");
  ASSERT_TRUE(store);
  WriteSyntheticRun(**store, SyntheticShape{});
  auto out = dir.path() / "textfile";
  auto path = WriteTextfile(**store, std::nullopt, out);
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, out / "rfl_lab_quickstart.prom");
  auto text = ReadFile(*path);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("# TYPE rfl_lab_boots gauge"), std::string::npos);
  EXPECT_NE(text->find("rfl_lab_last_success_timestamp_seconds{scenario=\"quickstart\"}"), std::string::npos);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(out)) {
    ++files;
    EXPECT_EQ(e.path().extension(), ".prom") << e.path();
  }
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace rfl::exporters
