// Renderers on a synthetic run (constructed data, lab/results/synthetic.h)
// and on any store captured from a real run in tests/fixtures/report/.
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <cmath>
#include <regex>
#include <sstream>
#include <set>

#include <fmt/format.h>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "lab/report/readiness.h"
#include "lab/report/report.h"
#include "tests/support/golden.h"
#include "lab/report/summary.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"
#include "tests/support/classified_boot.h"
#include "tests/support/synthetic_run.h"

namespace rfl::report {
namespace {

namespace fs = std::filesystem;
using results::RunAnalysis;

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "rfl-report-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    auto store = results::OpenSqliteStore(dir_ / "r.sqlite3");
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    auto id = results::WriteSyntheticRun(*store_);
    ASSERT_TRUE(id);
    auto data = store_->LoadRun(*id);
    ASSERT_TRUE(data);
    analysis_ = results::AnalyzeRun(*data);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::unique_ptr<results::Store> store_;
  RunAnalysis analysis_;
};

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST_F(Report, TableShowsOutcomeMatrixDeltasSizesAndFindings) {
  std::string t = RenderTable(analysis_, /*color=*/false);
  EXPECT_EQ(t.find('\033'), std::string::npos);
  EXPECT_NE(t.find("Outcomes"), std::string::npos);
  EXPECT_NE(t.find("passed 8/8"), std::string::npos) << t;
  EXPECT_NE(t.find("expected-failure"), std::string::npos);
  EXPECT_NE(t.find("failed 0/8 (8 retried)"), std::string::npos) << t;
  EXPECT_EQ(Count(t, "regression\n"), 3u) << t;  // the verdict column is last
  EXPECT_NE(t.find("+4096 B"), std::string::npos);
  EXPECT_NE(t.find("110 µs"), std::string::npos) << t;
  EXPECT_NE(t.find("Findings (11)"), std::string::npos) << t;
}

TEST_F(Report, TableListsTheOtherComparisonsOnlyWithAll) {
  std::string summary = RenderTable(analysis_, false);
  std::string all = RenderTable(analysis_, false, /*all=*/true);
  size_t others = OtherDeltas(analysis_).size();
  ASSERT_GT(others, 0u);
  EXPECT_NE(summary.find(fmt::format("{} other comparisons", others)), std::string::npos) << summary;
  EXPECT_EQ(summary.find("Every other comparison"), std::string::npos);
  EXPECT_NE(all.find(fmt::format("Every other comparison ({})", others)), std::string::npos) << all;
  EXPECT_EQ(Count(all, "within the noise floor"), Count(summary, "within the noise floor") + others) << all;
}

TEST_F(Report, TableColoursOnlyWhenAsked) {
  std::string t = RenderTable(analysis_, /*color=*/true);
  EXPECT_NE(t.find("\033[31m"), std::string::npos);
}

TEST_F(Report, JsonHasEverythingTheSchemaDocumentPromises) {
  auto j = ReportJson(analysis_);
  EXPECT_EQ(j["schema"], "rfl-lab-report/2");
  EXPECT_EQ(j["kind"], "run");
  EXPECT_EQ(j["has_findings"], true);
  for (const char* key : {"runs", "outcomes", "builds", "boots", "metrics", "sizes", "findings", "thresholds"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["runs"][0]["variants"][3]["expect"], "build-failure");
  EXPECT_EQ(j["boots"].size(), 48u);
  const auto& m = j["metrics"][0];
  for (const char* key : {"arch", "toolchain", "kernel", "workload", "metric", "unit", "labels", "variant", "direction",
                          "baseline_samples", "variant_samples", "ratio", "ci", "mann_whitney", "verdict", "significant",
                          "inside_noise", "reason"}) {
    EXPECT_TRUE(m.contains(key)) << key;
  }
  EXPECT_EQ(m["baseline_samples"]["values"].size(), m["baseline_samples"]["n"].get<size_t>());
  EXPECT_EQ(j["findings"]["failed_boots"].size(), 8u);
  // Round-trips through text (no NaN/inf leaks).
  EXPECT_EQ(nlohmann::json::parse(j.dump()), j);
}

TEST_F(Report, HtmlIsSelfContainedWellFormedAndHasOnePlotPerMetric) {
  std::string html = RenderHtml(analysis_);
  ASSERT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  pugi::xml_document doc;
  auto parsed = doc.load_string(html.c_str() + 16);
  ASSERT_TRUE(parsed) << parsed.description();
  EXPECT_EQ(doc.select_nodes("//svg[@class='plot']").size(), analysis_.deltas.size());
  EXPECT_GT(doc.select_nodes("//svg//circle").size(), analysis_.deltas.size() * 16);
  EXPECT_EQ(doc.select_nodes("//svg//path[@class='ci']").size(), analysis_.deltas.size());
  EXPECT_EQ(doc.select_nodes("//table[@class='outcomes']//td[@class='failed']").size(), 1u);
  EXPECT_EQ(doc.select_nodes("//table[@class='sizes']/tr").size(), analysis_.sizes.size() + 1);
  // Nothing fetched from the network: no script, link, img, or URLs other than the SVG namespace.
  EXPECT_EQ(doc.select_nodes("//script | //link | //img | //iframe").size(), 0u);
  std::string without_ns = std::regex_replace(html, std::regex("http://www\\.w3\\.org/2000/svg"), "");
  EXPECT_EQ(without_ns.find("http"), std::string::npos);
}

TEST_F(Report, HtmlEscapesUserText) {
  analysis_.runs[0].info.scenario_name = "<script>alert(1)</script>";
  std::string html = RenderHtml(analysis_);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
}

TEST_F(Report, CompareJsonNamesBothRuns) {
  auto id = results::WriteSyntheticRun(*store_);
  ASSERT_TRUE(id);
  auto a = store_->LoadRun(*id - 1), b = store_->LoadRun(*id);
  ASSERT_TRUE(a && b);
  auto j = ReportJson(results::CompareRuns(*a, *b));
  EXPECT_EQ(j["kind"], "compare");
  EXPECT_EQ(j["runs"].size(), 2u);
  for (const auto& m : j["metrics"]) EXPECT_EQ(m["verdict"], "no-change") << m.dump();
}

// A run whose boots are real consoles through the real classifier
// (tests/support/classified_boot.h): two clean boots of the baseline, a
// WARN() and a general protection fault of the rfl_crash module.
class ReportOfRealConsoles : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = results::OpenSqliteStore(dir_.path() / "r.sqlite3");
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    auto id = test::WriteClassifiedRun(*store_, {{"baseline", "debian-6.1-clean.log"},
                                                 {"rfl-crash", "debian-6.1-warning.log"},
                                                 {"baseline", "debian-6.1-clean.log"},
                                                 {"rfl-crash", "debian-6.1-oops-gpf.log"}});
    ASSERT_TRUE(id) << id.error().message;
    auto data = store_->LoadRun(*id);
    ASSERT_TRUE(data) << data.error().message;
    ASSERT_EQ(data->boots.size(), 4u);
    warning_title_ = data->boots[1].title;
    oops_title_ = data->boots[3].title;
    ASSERT_FALSE(warning_title_.empty());
    ASSERT_FALSE(oops_title_.empty());
    analysis_ = results::AnalyzeRun(*data);
  }
  TempDir dir_ = std::move(*TempDir::Create(fs::temp_directory_path(), "rfl-report-"));
  std::unique_ptr<results::Store> store_;
  RunAnalysis analysis_;
  std::string warning_title_, oops_title_;
};

TEST_F(ReportOfRealConsoles, TableListsEachFailedBootWithTheTitleOfItsKernelReport) {
  std::string t = RenderTable(analysis_, false);
  EXPECT_NE(t.find("  - boot: x86_64/debian/6.1 rfl-crash rep 0: warning \"" + warning_title_ + "\"\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("  - boot: x86_64/debian/6.1 rfl-crash rep 1: oops \"" + oops_title_ + "\"\n"), std::string::npos)
      << t;
}

TEST_F(ReportOfRealConsoles, HtmlShowsTheTitleOfEachFailedBootInItsOwnColumn) {
  std::string html = RenderHtml(analysis_);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(html.c_str() + 16));
  auto table = doc.select_node("//table[contains(@class,'boot-failures')]").node();
  ASSERT_TRUE(table);
  auto header = table.select_nodes("tr[1]/th");
  ASSERT_EQ(header.size(), 6u);
  EXPECT_STREQ(header[4].node().child_value(), "kernel report");
  auto rows = table.select_nodes("tr[td]");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(std::string(rows[0].node().select_node("td[5]").node().child_value()), warning_title_);
  EXPECT_EQ(std::string(rows[1].node().select_node("td[5]").node().child_value()), oops_title_);
  EXPECT_STREQ(rows[1].node().select_node("td[4]").node().child_value(), "oops");
}

TEST_F(ReportOfRealConsoles, JsonGivesEveryBootItsTitle) {
  auto j = ReportJson(analysis_);
  ASSERT_EQ(j["boots"].size(), 4u);
  EXPECT_EQ(j["boots"][0]["title"], "");
  EXPECT_EQ(j["boots"][1]["title"], warning_title_);
  EXPECT_EQ(j["boots"][3]["title"], oops_title_);
  ASSERT_EQ(j["findings"]["failed_boots"].size(), 2u);
  EXPECT_NE(j["findings"]["failed_boots"][1].get<std::string>().find(oops_title_), std::string::npos)
      << j["findings"].dump();
}

TEST(FormatValue, ScalesSecondsAndKeepsOtherUnits) {
  EXPECT_EQ(FormatValue(1.734, "s"), "1.734 s");
  EXPECT_EQ(FormatValue(0.00011, "s"), "110 µs");
  EXPECT_EQ(FormatValue(0.0123, "s"), "12.3 ms");
  EXPECT_EQ(FormatValue(0.0123, "seconds"), "12.3 ms");
  EXPECT_EQ(FormatValue(250000, "IOPS"), "250000 IOPS");
  EXPECT_EQ(FormatValue(std::nan(""), "s"), "–");
}

TEST(FormatValue, WritesUnitsAsReadersDo) {
  EXPECT_EQ(FormatValue(47272.857, "ops_per_second"), "47.27 k ops/s");
  EXPECT_EQ(FormatValue(950, "ops_per_second"), "950 ops/s");
  EXPECT_EQ(FormatValue(2, "count"), "2");         // no fake decimals, no "count"
  EXPECT_EQ(FormatValue(1.5, "count"), "1.5");
  EXPECT_EQ(FormatValue(4096, "bytes"), "4 KiB");
  EXPECT_EQ(FormatValue(65537, "bytes"), "64 KiB");
  EXPECT_EQ(FormatValue(512, "bytes"), "512 B");
  EXPECT_EQ(FormatValue(250, "us"), "250 µs");
}

TEST(AxisTicks, AreDistinctNiceAndInsideTheRange) {
  // 303.2 ms give or take 0.1 ms: the old axis printed "303.2 ms" three times.
  auto ticks = AxisTicks(0.30319, 0.30332, "seconds", false);
  ASSERT_GE(ticks.size(), 3u);
  std::set<std::string> labels;
  for (const auto& t : ticks) {
    EXPECT_TRUE(labels.insert(t.label).second) << "repeated tick " << t.label;
    EXPECT_GE(t.value, 0.30319);
    EXPECT_LE(t.value, 0.30332 + 1e-12);
    EXPECT_NE(t.label.find(" ms"), std::string::npos) << t.label;
  }
}

TEST(AxisTicks, IntegerMetricsGetIntegerTicks) {
  auto ticks = AxisTicks(1, 3, "count", /*integers=*/true);
  std::vector<std::string> labels;
  for (const auto& t : ticks) labels.push_back(t.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"1", "2", "3"}));
}

TEST(Summary, PercentChangeKeepsSmallShiftsVisible) {
  EXPECT_EQ(PercentChange(1.0096), "+0.96%");
  EXPECT_EQ(PercentChange(0.8762), "-12.38%");
  EXPECT_EQ(PercentChange(1.0004), "+0.040%");
  EXPECT_EQ(PercentChange(1.0), "0.00%");
  EXPECT_EQ(PercentChange(std::nan("")), "–");
}

TEST(Summary, SignificantShiftInsideTheNoiseFloorIsMarkedNotChangedInVerdict) {
  results::SampleComparison s;
  s.verdict = results::Verdict::kNoChange;
  s.ratio = 1.0096;
  s.ci = results::Interval{1.0096, 1.0096};
  s.test = results::MannWhitney{0, 0.004, results::MannWhitney::Method::kAsymptotic};
  results::VerdictThresholds t{0.01, 0.05};
  EXPECT_TRUE(SignificantInsideNoise(s, t));
  results::MetricDelta d;
  d.stats = s;
  EXPECT_EQ(VerdictText(d, t), "no-change ≈");
  // A true no-change: the CI holds 1.
  d.stats.ci = results::Interval{0.999, 1.001};
  d.stats.test->p_value = 0.6;
  EXPECT_FALSE(SignificantInsideNoise(d.stats, t));
  EXPECT_EQ(VerdictText(d, t), "no-change");
}

TEST(ReportFormat, ParsesTheFiveFormats) {
  EXPECT_EQ(ParseFormat("table"), Format::kTable);
  EXPECT_EQ(ParseFormat("kcidb"), Format::kKcidb);
  EXPECT_EQ(ParseFormat("readiness"), Format::kReadiness);
  EXPECT_FALSE(ParseFormat("xml"));
}

TEST(CapturedStores, EveryRunRendersInEveryFormat) {
  const fs::path fixtures = fs::path(RFL_LAB_FIXTURES_DIR) / "report";
  int stores = 0;
  std::string tmpl = (fs::temp_directory_path() / "rfl-report-XXXXXX").string();
  fs::path dir = mkdtemp(tmpl.data());
  for (const auto& e : fs::directory_iterator(fixtures)) {
    if (e.path().extension() != ".sqlite3") continue;
    ++stores;
    SCOPED_TRACE(e.path().string());
    fs::copy_file(e.path(), dir / "copy.sqlite3", fs::copy_options::overwrite_existing);
    auto store = results::OpenSqliteStore(dir / "copy.sqlite3");
    ASSERT_TRUE(store) << store.error().message;
    auto runs = (*store)->ListRuns();
    ASSERT_TRUE(runs);
    for (const auto& run : *runs) {
      auto data = (*store)->LoadRun(run.id);
      ASSERT_TRUE(data);
      auto a = results::AnalyzeRun(*data);
      EXPECT_FALSE(RenderTable(a, false).empty());
      pugi::xml_document doc;
      std::string html = RenderHtml(a);
      EXPECT_TRUE(doc.load_string(html.c_str() + 16));
      EXPECT_EQ(doc.select_nodes("//svg[@class='plot']").size(), a.deltas.size());
      EXPECT_EQ(ReportJson(a)["outcomes"].size(), a.outcomes.size());
    }
  }
  fs::remove_all(dir);
  if (stores == 0) GTEST_SKIP() << "no captured store in " << fixtures << " yet (see its README.md)";
}


// Run 1 of a store captured from a real run (tests/fixtures/report/README.md),
// analyzed once per suite. Opened from a copy (opening migrates).
template <const char* kStore>
class CapturedRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-report-captured-");
    ASSERT_TRUE(tmp.has_value());
    fs::copy_file(fs::path(RFL_LAB_FIXTURES_DIR) / "report" / kStore, tmp->path() / "copy.sqlite3");
    auto store = results::OpenSqliteStore(tmp->path() / "copy.sqlite3");
    ASSERT_TRUE(store) << store.error().message;
    auto data = (*store)->LoadRun(1);
    ASSERT_TRUE(data) << data.error().message;
    analysis_ = new RunAnalysis(results::AnalyzeRun(*data));
  }
  static void TearDownTestSuite() {
    delete analysis_;
    analysis_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(analysis_, nullptr); }
  static inline RunAnalysis* analysis_ = nullptr;
};

// A real run of scenarios/quickstart.yaml (store schema 1).
inline constexpr char kQuickstartStore[] = "quickstart.sqlite3";
class Quickstart : public CapturedRun<kQuickstartStore> {};

// The table as a user sees it (golden; RFL_LAB_UPDATE_GOLDEN=1 rewrites it).
TEST_F(Quickstart, TableMatchesGoldenText) {
  fs::path golden = fs::path(RFL_LAB_FIXTURES_DIR) / "report" / "quickstart.table.golden";
  std::string got = RenderTable(*analysis_, false);
  test::ExpectMatchesGolden(golden, got);
}

TEST_F(Quickstart, TableLeadsWithVerdictCountsThenChangedMetricsLargestEffectFirst) {
  std::string t = RenderTable(*analysis_, false);
  size_t verdicts = t.find("Verdicts of 56 comparisons: 2 regression · 10 improvement · 36 no-change (6 ≈");
  size_t changed = t.find("Changed, largest effect first");
  size_t outcomes = t.find("\nOutcomes\n");
  ASSERT_NE(verdicts, std::string::npos) << t;
  ASSERT_NE(changed, std::string::npos) << t;
  ASSERT_NE(outcomes, std::string::npos) << t;
  EXPECT_LT(verdicts, changed);
  EXPECT_LT(changed, outcomes);
  // Rows of the changed table in order of |change|.
  auto rows = ChangedDeltas(*analysis_);
  ASSERT_GE(rows.size(), 10u);
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_GE(std::fabs(rows[i - 1]->stats.ratio - 1), std::fabs(rows[i]->stats.ratio - 1));
  }
  EXPECT_EQ(rows.front()->variant, "c-binder");
}

TEST_F(Quickstart, TableMarksTheIbtShiftThatIsSignificantInsideTheNoiseFloor) {
  // ibt-rust binder p50 at 4 KiB: +0.96 %, p = 0.004, CI [1.0096, 1.0096].
  std::string t = RenderTable(*analysis_, false);
  std::regex row(R"(ibt-rust +binder\.round_trip_p50 payload_bytes=4096 +25\.12 µs → 25\.36 µs +\+0\.96% +\[\+0\.96%, \+0\.96%\] .* no-change ≈)");
  EXPECT_TRUE(std::regex_search(t, row)) << t;
  // …while a true no-change carries no mark.
  std::string all = RenderTable(*analysis_, false, true);
  EXPECT_TRUE(std::regex_search(all, std::regex(R"(ibt-rust +block\.latency_p50 block_size=4096 null_blk randread .* no-change +95%)")))
      << all;
}

TEST_F(Quickstart, TableHeadersNameEachColumnOnceAndUnitsReadHuman) {
  std::string t = RenderTable(*analysis_, false, true);
  std::istringstream lines(t);
  size_t headers = 0;
  for (std::string line; std::getline(lines, line);) {
    // Every line with JSON label text is a finding ("  - regression: …").
    if (line.find("{\"") != std::string::npos) {
      EXPECT_TRUE(line.starts_with("  - ")) << line;
    }
    if (!line.starts_with("  variant ")) continue;
    ++headers;
    EXPECT_EQ(Count(line, "variant"), 1u) << "a second variant column: " << line;
  }
  EXPECT_EQ(headers, 5u);  // changed, every other, Rust against C, outcomes, code size
  EXPECT_EQ(t.find("ops_per_second"), std::string::npos);
  EXPECT_EQ(t.find(" count"), std::string::npos);
  EXPECT_NE(t.find("k ops/s"), std::string::npos);
  EXPECT_NE(t.find("2 → 2 "), std::string::npos) << "lines_found is an integer";
}

TEST_F(Quickstart, HtmlOverviewComesFirstWithAGridOfChangesByVariant) {
  std::string html = RenderHtml(*analysis_);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(html.c_str() + 16));
  auto body = doc.select_node("/html/body").node();
  // h1, the run line, then the overview.
  auto first_section = body.select_node("section").node();
  ASSERT_TRUE(first_section);
  EXPECT_STREQ(first_section.attribute("id").value(), "overview");
  EXPECT_EQ(doc.select_nodes("/html/body/section[@id='overview']/preceding-sibling::*").size(), 2u);
  auto grid = doc.select_node("//section[@id='overview']//table[@class='grid']").node();
  ASSERT_TRUE(grid);
  // One row per metric (28) plus the header, one column per compared variant.
  EXPECT_EQ(grid.select_nodes("tr").size(), 29u);
  auto header = grid.select_nodes("tr[1]/th");
  ASSERT_EQ(header.size(), 3u);
  EXPECT_STREQ(header[1].node().child_value(), "ibt-rust");
  EXPECT_STREQ(header[2].node().child_value(), "c-binder");
  EXPECT_EQ(grid.select_nodes(".//td[contains(@class,'regression')]").size(), 2u);
  EXPECT_EQ(grid.select_nodes(".//td[contains(@class,'improvement')]").size(), 10u);
  EXPECT_EQ(grid.select_nodes(".//td[contains(@class,'inside-noise')]").size(), 6u);
  auto changed = doc.select_nodes("//section[@id='overview']//table[@class='changed']/tr");
  EXPECT_EQ(changed.size(), ChangedDeltas(*analysis_).size() + 1);
}

TEST_F(Quickstart, HtmlDefinesVariantsAndShowsBuildErrorsInThePage) {
  std::string html = RenderHtml(*analysis_);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(html.c_str() + 16));
  auto variants = doc.select_node("//table[@class='variants']").node();
  ASSERT_TRUE(variants);
  std::ostringstream text;
  variants.print(text);
  EXPECT_NE(text.str().find("-Zcf-protection=branch"), std::string::npos);
  EXPECT_NE(text.str().find("CONFIG_ANDROID_BINDER_IPC_RUST=n"), std::string::npos);
  EXPECT_NE(text.str().find("rustc 1.96.1 (31fca3adb 2026-06-26)"), std::string::npos);
  auto error = doc.select_node("//table[contains(@class,'build-failures')]//pre").node();
  ASSERT_TRUE(error);
  EXPECT_NE(std::string(error.child_value()).find("undefined symbol: __x86_return_thunk"), std::string::npos);
  EXPECT_EQ(doc.select_nodes("//*[@title and contains(@title, '__x86_return_thunk')]").size(), 0u);
  // Builds: fixed layout, wrapped lines; no cache hit reads "0.0 s".
  EXPECT_TRUE(doc.select_node("//table[@class='builds']/colgroup"));
  EXPECT_EQ(html.find("0.0 s"), std::string::npos);
  // The other comparisons are there, collapsed.
  auto details = doc.select_node("//details[@class='other-metrics']").node();
  ASSERT_TRUE(details);
  EXPECT_FALSE(details.attribute("open"));
  EXPECT_EQ(details.select_nodes(".//svg[@class='plot']").size(), OtherDeltas(*analysis_).size());
}

TEST_F(Quickstart, HtmlAxisTicksNeverRepeatWithinAPlot) {
  std::string html = RenderHtml(*analysis_);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(html.c_str() + 16));
  size_t plots = 0;
  for (const auto& svg : doc.select_nodes("//svg[@class='plot']")) {
    std::set<std::string> seen;
    for (const auto& t : svg.node().select_nodes(".//text[@class='tick']")) {
      std::string label = t.node().child_value();
      EXPECT_TRUE(seen.insert(label).second) << svg.node().attribute("aria-label").value() << ": " << label;
      EXPECT_EQ(label.find("count"), std::string::npos) << label;
    }
    EXPECT_GE(seen.size(), 2u) << svg.node().attribute("aria-label").value();
    ++plots;
  }
  EXPECT_EQ(plots, analysis_->deltas.size());
}

// The captured compiler × kernel store (tests/fixtures/report/README.md): a
// real run of all nine cells of scenarios/compiler-kernel-matrix.yaml.
class CompilerKernelMatrix : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-report-matrix-");
    ASSERT_TRUE(tmp.has_value());
    tmp_ = std::move(*tmp);
    fs::copy_file(fs::path(RFL_LAB_FIXTURES_DIR) / "report" / "compiler-kernel-matrix.sqlite3",
                  tmp_.path() / "copy.sqlite3");
    auto store = results::OpenSqliteStore(tmp_.path() / "copy.sqlite3");
    ASSERT_TRUE(store) << store.error().message;
    auto data = (*store)->LoadRun(1);
    ASSERT_TRUE(data) << data.error().message;
    analysis_ = results::AnalyzeRun(*data);
  }
  TempDir tmp_;
  RunAnalysis analysis_;
};

TEST_F(CompilerKernelMatrix, TableMatchesGoldenText) {
  test::ExpectMatchesGolden(fs::path(RFL_LAB_FIXTURES_DIR) / "report" / "compiler-kernel-matrix.table.golden",
                            RenderTable(analysis_, false));
}

// Kernels as rows, compilers as columns; 6.12 has no Rust binder, so its
// binder workload is skipped, not failed, and the run has no findings.
TEST_F(CompilerKernelMatrix, TheGridSaysWhichKernelEachCompilerBuildsAndWhatRan) {
  std::string t = RenderTable(analysis_, false);
  auto grid = t.find("Compiler × kernel: x86_64 baseline");
  ASSERT_NE(grid, std::string::npos) << t;
  // Exact source versions as rows, one line each; every cell of a row says
  // the same about its workloads (three compilers, one kernel).
  auto row = [&](std::string_view version) {
    auto at = t.find(fmt::format("\n  {} ", version), grid);
    EXPECT_NE(at, std::string::npos) << version;
    return at == std::string::npos ? std::string() : t.substr(at, t.find('\n', at + 1) - at);
  };
  auto count = [](const std::string& r, std::string_view what) {
    size_t n = 0;
    for (auto at = r.find(what); at != std::string::npos; at = r.find(what, at + 1)) ++n;
    return n;
  };
  std::string r612 = row("6.12.117");
  EXPECT_EQ(count(r612, "boots 1/1 · workloads 3/3 (binder skipped)"), 3u) << r612;
  for (std::string_view version : {"7.2.12", "7.3.4"}) {
    std::string r = row(version);
    EXPECT_EQ(count(r, "boots 1/1 · workloads 4/4"), 3u) << r;
    EXPECT_EQ(r.find("skipped"), std::string::npos) << r;
  }
  // The columns name each compiler exactly.
  for (std::string_view v : {"rustc 1.85.1 (4eb161250", "rustc 1.96.0 (ac68faa20", "rustc 1.97.1 (8bab26f4f"}) {
    EXPECT_NE(t.find(v, grid), std::string::npos) << v;
  }
  EXPECT_NE(t.find("No findings."), std::string::npos);
  auto json = ReportJson(analysis_);
  for (const auto& o : json["outcomes"]) {
    if (o["kernel"] == "6.12") {
      EXPECT_EQ(o["workloads"]["binder"]["skipped"], 1) << o.dump();
      EXPECT_NE(o["workloads"]["binder"]["reason"].get<std::string>().find("CONFIG_ANDROID_BINDER_IPC_RUST"),
                std::string::npos);
    }
  }
  pugi::xml_document doc;
  std::string html = RenderHtml(analysis_);
  ASSERT_TRUE(doc.load_string(html.c_str() + 16));
  EXPECT_EQ(doc.select_nodes("//table[@class='outcomes grid']//td").size(), 9u);
}

// The quickstart with abi_checks: a real run with code checks and ABI checks
// (store schema 10).
inline constexpr char kQuickstartAbiStore[] = "quickstart-abi.sqlite3";
class QuickstartAbi : public CapturedRun<kQuickstartAbiStore> {};

TEST_F(QuickstartAbi, ReadinessTableMatchesGoldenText) {
  test::ExpectMatchesGolden(fs::path(RFL_LAB_FIXTURES_DIR) / "report" / "quickstart-abi.readiness.golden",
                            RenderReadinessTable(*analysis_, false));
}

TEST_F(QuickstartAbi, ReadinessPutsEachFlagsEvidenceInOneRow) {
  auto rows = Readiness(*analysis_);
  ASSERT_EQ(rows.size(), 3u);
  const ReadinessRow& ibt = rows[0];
  EXPECT_EQ(ibt.flag, "-Zcf-protection=branch");
  EXPECT_EQ(ibt.variant, "ibt-rust");
  EXPECT_EQ(ibt.via, "rustflags");
  EXPECT_EQ(ibt.build, "built");
  EXPECT_EQ(ibt.boots, "5/5 passed");
  EXPECT_EQ(ibt.code, "effective 2170/2170, baseline absent");
  EXPECT_EQ(ibt.abi, "not a target modifier (mix accepted)");
  EXPECT_NE(ibt.cost.find("binder.round_trip"), std::string::npos) << ibt.cost;
  EXPECT_TRUE(ibt.ok);
  // The negative case: fails to link as the scenario expects.
  EXPECT_EQ(rows[1].flag, "-Zfunction-return=thunk-extern");
  EXPECT_EQ(rows[1].build, "expected failure");
  EXPECT_EQ(rows[1].rustc, "1.96.0");
  EXPECT_TRUE(rows[1].ok);
  // An ABI check no variant carries is a row of its own.
  EXPECT_EQ(rows[2].flag, "-Zsanitizer=kcfi");
  EXPECT_EQ(rows[2].variant, "");
  EXPECT_EQ(rows[2].abi, "enforced (rejected both ways, escape hatch works)");
  EXPECT_TRUE(rows[2].ok);
}

TEST_F(QuickstartAbi, ARowWithAnAbsentFlagOrAMixedTargetModifierIsNotOk) {
  RunAnalysis a = *analysis_;
  for (auto& b : a.builds) {
    for (auto& c : b.code_checks) {
      if (c.claimed) c.verdict = "absent";  // the flag silently dropped
    }
  }
  for (auto& c : a.abi_checks) {
    if (c.flag == "-Zsanitizer=kcfi") {
      c.crate_with_flag = "accepted";  // rustc mixing a target modifier
      c.finding = true;
    }
  }
  auto rows = Readiness(a);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_FALSE(rows[0].ok) << rows[0].code;
  EXPECT_EQ(rows[0].code, "absent 2170/2170, baseline absent");
  EXPECT_FALSE(rows[2].ok);
  EXPECT_TRUE(rows[2].abi.starts_with("NOT enforced")) << rows[2].abi;
  std::string json = ReportJson(a)["readiness"].dump();
  EXPECT_NE(json.find("NOT enforced"), std::string::npos);
}

TEST_F(QuickstartAbi, JsonAndHtmlCarryTheAbiChecksAndTheReadiness) {
  auto j = ReportJson(*analysis_);
  ASSERT_EQ(j["abi_checks"].size(), 3u);
  EXPECT_EQ(j["abi_checks"][2]["flag"], "-Zsanitizer=kcfi");
  EXPECT_EQ(j["abi_checks"][2]["crate_with_flag"]["verdict"], "rejected");
  EXPECT_EQ(j["readiness"].size(), 3u);
  EXPECT_TRUE(j["findings"]["abi_checks"].empty());
  pugi::xml_document doc;
  std::string html = RenderHtml(*analysis_);
  ASSERT_TRUE(doc.load_string(html.c_str() + 16));
  EXPECT_EQ(doc.select_nodes("//table[@class='abi-checks']//tr[td]").size(), 3u);
  EXPECT_EQ(doc.select_nodes("//table[@class='readiness']//tr[td]").size(), 3u);
}

// KCIDB: each ABI check is a test of the run's first build of its arch and
// toolchain (its compiler); a finding fails, an unjudged check is an error,
// and a check whose toolchain built nothing in the run gets a build of its own.
TEST_F(QuickstartAbi, KcidbCarriesEachAbiCheckAsATestOfABuildWithItsCompiler) {
  using nlohmann::json;
  auto doc = KcidbJson(*analysis_);
  std::map<std::string, json> builds;
  for (const auto& b : doc["builds"]) builds[b["id"]] = b;
  std::vector<json> checks;
  for (const auto& t : doc["tests"]) {
    if (t["path"].get<std::string>().starts_with("rfl_lab.abicheck.")) checks.push_back(t);
  }
  ASSERT_EQ(checks.size(), analysis_->abi_checks.size());
  ASSERT_EQ(checks.size(), 3u);
  for (size_t i = 0; i < checks.size(); ++i) {
    const auto& c = analysis_->abi_checks[i];
    const json& t = checks[i];
    EXPECT_EQ(t["status"], "PASS") << t.dump();
    EXPECT_EQ(t["misc"]["flag"], c.flag);
    ASSERT_TRUE(builds.contains(t["build_id"])) << t["build_id"];
    const json& b = builds[t["build_id"]];
    EXPECT_EQ(b["architecture"], c.arch);
    EXPECT_EQ(b["misc"]["toolchain"], c.toolchain);
  }
  EXPECT_EQ(checks[2]["path"], "rfl_lab.abicheck.-Zsanitizer_kcfi");
  EXPECT_EQ(checks[2]["comment"], AbiCheckSummary(analysis_->abi_checks[2]));
  EXPECT_EQ(checks[2]["misc"]["crate_with_flag"]["verdict"], "rejected");

  RunAnalysis a = *analysis_;
  a.abi_checks[2].crate_with_flag = "accepted";  // rustc mixing a target modifier
  a.abi_checks[2].finding = true;
  a.abi_checks[1].inconclusive = true;
  a.abi_checks[0].toolchain = "rustc-1.97";  // a toolchain the run built nothing with
  doc = KcidbJson(a);
  std::map<std::string, json> by_flag;
  for (const auto& t : doc["tests"]) {
    if (t["path"].get<std::string>().starts_with("rfl_lab.abicheck.")) by_flag[t["misc"]["flag"]] = t;
  }
  const json& kcfi = by_flag["-Zsanitizer=kcfi"];
  EXPECT_EQ(kcfi["status"], "FAIL");
  ASSERT_TRUE(AbiCheckProblem(a.abi_checks[2]).has_value());
  EXPECT_EQ(kcfi["comment"], *AbiCheckProblem(a.abi_checks[2]));
  EXPECT_EQ(by_flag[a.abi_checks[1].flag]["status"], "ERROR");
  const json& own = by_flag[a.abi_checks[0].flag];
  json own_build;
  for (const auto& b : doc["builds"]) {
    if (b["id"] == own["build_id"]) own_build = b;
  }
  ASSERT_TRUE(own_build.is_object()) << own["build_id"];
  EXPECT_EQ(own_build["config_name"], "abi-check");
  EXPECT_EQ(own_build["misc"]["toolchain"], "rustc-1.97");
  EXPECT_EQ(own_build["misc"]["recorded"], false);
}

}  // namespace
}  // namespace rfl::report
