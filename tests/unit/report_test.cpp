// Renderers on a synthetic run (constructed data, lab/results/synthetic.h)
// and on any store captured from a real run in tests/fixtures/report/.
#include <stdlib.h>

#include <filesystem>
#include <regex>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "lab/report/report.h"
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
                          "baseline_samples", "variant_samples", "ratio", "ci", "mann_whitney", "verdict", "reason"}) {
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

TEST(FormatValue, ScalesSecondsAndKeepsOtherUnits) {
  EXPECT_EQ(FormatValue(1.734, "s"), "1.734 s");
  EXPECT_EQ(FormatValue(0.00011, "s"), "110 µs");
  EXPECT_EQ(FormatValue(0.0123, "s"), "12.3 ms");
  EXPECT_EQ(FormatValue(250000, "IOPS"), "250000 IOPS");
  EXPECT_EQ(FormatValue(std::nan(""), "s"), "–");
}

TEST(ReportFormat, ParsesTheFourFormats) {
  EXPECT_EQ(ParseFormat("table"), Format::kTable);
  EXPECT_EQ(ParseFormat("kcidb"), Format::kKcidb);
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

}  // namespace
}  // namespace rfl::report
