// The HTML report in a real browser: headless Chromium loads the page with
// networking off and a fresh profile, and the DOM it dumps must contain the
// drawn plots (one SVG per metric, sample dots, CI bars) and the outcome
// matrix. Data: a synthetic run (constructed, lab/results/synthetic.h) plus
// any store captured from a real run in tests/fixtures/report/.
//
// The captured quickstart run is also laid out at 1400×900: a copy of the
// page with a measuring script (the report itself has none) writes the
// geometry of the overview into the DOM Chromium dumps, so the test knows
// that the answer is above the fold and that no table overflows; and a
// screenshot is kept at <test binary dir>/artifacts/report-quickstart-1400x900.png.
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <regex>

#include <gtest/gtest.h>

#include "lab/report/report.h"
#include "lab/report/summary.h"
#include "tests/support/synthetic_run.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"

namespace rfl::report {
namespace {

namespace fs = std::filesystem;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

class Browser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh test)";
    std::string tmpl = (fs::temp_directory_path() / "rfl-browser-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::vector<std::string> ChromiumArgs(const std::string& profile) {
    return {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=" + profile};
  }

  // Renders `html` in Chromium; returns the serialized DOM.
  std::string DumpDom(const std::string& html, const std::string& name) {
    fs::path page = dir_ / (name + ".html");
    EXPECT_TRUE(WriteFileAtomic(page, html));
    fs::path profile = dir_ / (name + "-profile");
    fs::create_directories(profile);
    auto argv = ChromiumArgs(profile.string());
    argv.push_back("--dump-dom");
    argv.push_back("file://" + page.string());
    Command cmd{.argv = argv, .timeout = std::chrono::seconds(180)};
    auto r = DefaultRunner().Run(cmd);
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {};
    EXPECT_EQ(r->exit_code, 0) << r->Describe() << r->output.substr(0, 2000);
    return r->output;
  }

  fs::path dir_;
};

TEST_F(Browser, ChromiumDrawsOnePlotPerMetricWithDotsAndCi) {
  auto store = results::OpenSqliteStore(dir_ / "r.sqlite3");
  ASSERT_TRUE(store);
  auto id = results::WriteSyntheticRun(**store);
  ASSERT_TRUE(id);
  auto data = (*store)->LoadRun(*id);
  ASSERT_TRUE(data);
  auto analysis = results::AnalyzeRun(*data);
  std::string dom = DumpDom(RenderHtml(analysis), "synthetic");
  ASSERT_NE(dom.find("<svg"), std::string::npos) << dom.substr(0, 2000);
  EXPECT_EQ(Count(dom, "class=\"plot\""), analysis.deltas.size());
  EXPECT_EQ(Count(dom, "class=\"ci\""), analysis.deltas.size());
  EXPECT_GE(Count(dom, "<circle"), analysis.deltas.size() * 17);  // 8 + 8 dots and the ratio
  EXPECT_NE(dom.find("class=\"outcomes\""), std::string::npos);
  EXPECT_NE(dom.find("rust-panic"), std::string::npos);

  // And a screenshot really paints something (a blank page is a few KB).
  fs::path profile = dir_ / "shot-profile";
  fs::create_directories(profile);
  auto argv = ChromiumArgs(profile.string());
  argv.push_back("--window-size=1200,2400");
  argv.push_back("--screenshot=" + (dir_ / "shot.png").string());
  argv.push_back("file://" + (dir_ / "synthetic.html").string());
  auto r = DefaultRunner().Run(Command{.argv = argv, .timeout = std::chrono::seconds(180)});
  ASSERT_TRUE(r);
  ASSERT_TRUE(fs::exists(dir_ / "shot.png")) << r->output.substr(0, 2000);
  EXPECT_GT(fs::file_size(dir_ / "shot.png"), 30000u);
}

TEST_F(Browser, CapturedStoresRenderInChromium) {
  const fs::path fixtures = fs::path(RFL_LAB_FIXTURES_DIR) / "report";
  int stores = 0;
  for (const auto& e : fs::directory_iterator(fixtures)) {
    if (e.path().extension() != ".sqlite3") continue;
    SCOPED_TRACE(e.path().string());
    fs::path copy = dir_ / ("copy" + std::to_string(stores++) + ".sqlite3");
    fs::copy_file(e.path(), copy);
    auto store = results::OpenSqliteStore(copy);
    ASSERT_TRUE(store) << store.error().message;
    auto latest = (*store)->LatestRun();
    ASSERT_TRUE(latest && *latest);
    auto data = (*store)->LoadRun(**latest);
    ASSERT_TRUE(data);
    auto analysis = results::AnalyzeRun(*data);
    std::string dom = DumpDom(RenderHtml(analysis), "captured" + std::to_string(stores));
    EXPECT_EQ(Count(dom, "class=\"plot\""), analysis.deltas.size());
    EXPECT_NE(dom.find("class=\"outcomes\""), std::string::npos);
  }
  if (stores == 0) GTEST_SKIP() << "no captured store in " << fixtures << " yet (see its README.md)";
}

// Where screenshots are kept: next to the test binary, so `ctest` and a
// direct run put them in the same place.
fs::path ArtifactsDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path dir = (ec ? fs::current_path() : exe.parent_path()) / "artifacts";
  fs::create_directories(dir, ec);
  return dir;
}

// The number in `attr="…"` of the dumped DOM; NaN when absent.
double Measured(const std::string& dom, const std::string& attr) {
  std::smatch m;
  if (!std::regex_search(dom, m, std::regex(attr + R"(=\"(-?[0-9.]+)\")"))) return NAN;
  return std::stod(m[1].str());
}

TEST_F(Browser, QuickstartOverviewAnswersAboveTheFold) {
  fs::path copy = dir_ / "quickstart.sqlite3";
  fs::copy_file(fs::path(RFL_LAB_FIXTURES_DIR) / "report" / "quickstart.sqlite3", copy);
  auto store = results::OpenSqliteStore(copy);
  ASSERT_TRUE(store) << store.error().message;
  auto data = (*store)->LoadRun(1);
  ASSERT_TRUE(data) << data.error().message;
  auto analysis = results::AnalyzeRun(*data);
  std::string html = RenderHtml(analysis);

  // The DOM as Chromium builds it.
  std::string dom = DumpDom(html, "quickstart");
  ASSERT_NE(dom.find("<section id=\"overview\">"), std::string::npos) << dom.substr(0, 2000);
  EXPECT_LT(dom.find("<section id=\"overview\">"), dom.find("class=\"outcomes\""));
  EXPECT_LT(dom.find("class=\"grid\""), dom.find("class=\"plot\""));
  auto grid_start = dom.find("class=\"grid\"");
  auto grid = dom.substr(grid_start, dom.find("</table>", grid_start) - grid_start);
  EXPECT_EQ(Count(grid, "<tr>"), 29u);                          // 28 metrics + header
  EXPECT_EQ(Count(grid, "class=\"num regression\""), 2u);
  EXPECT_EQ(Count(grid, "class=\"num improvement\""), 10u);
  EXPECT_EQ(Count(grid, "class=\"num no-change inside-noise\""), 6u);
  EXPECT_NE(grid.find("+0.96% ≈"), std::string::npos);
  auto changed_start = dom.find("class=\"changed\"");
  ASSERT_NE(changed_start, std::string::npos);
  auto changed = dom.substr(changed_start, dom.find("</table>", changed_start) - changed_start);
  EXPECT_EQ(Count(changed, "<tr>"), ChangedDeltas(analysis).size() + 1);
  EXPECT_NE(dom.find("<code>-Zcf-protection=branch</code>"), std::string::npos);
  EXPECT_NE(dom.find("rustc-1.96: rustc 1.96.1 (31fca3adb 2026-06-26)"), std::string::npos);
  auto failures = dom.find("build-failures");
  ASSERT_NE(failures, std::string::npos);
  EXPECT_NE(dom.find("ld.lld: error: undefined symbol: __x86_return_thunk", failures), std::string::npos);
  EXPECT_EQ(Count(dom, "class=\"plot\""), analysis.deltas.size());
  EXPECT_NE(dom.find("<details class=\"other-metrics\">"), std::string::npos);

  // The layout at 1400×900, measured by a script in a copy of the page.
  constexpr const char* kProbe = R"js(<script>
    const px = (v) => String(Math.round(v));
    const root = document.documentElement, box = (q) => document.querySelector(q).getBoundingClientRect();
    root.setAttribute('data-grid-bottom', px(box('table.grid').bottom + window.scrollY));
    root.setAttribute('data-verdicts-bottom', px(box('p.verdicts').bottom + window.scrollY));
    root.setAttribute('data-page-height', px(document.documentElement.scrollHeight));
    root.setAttribute('data-page-width', px(document.documentElement.scrollWidth));
    root.setAttribute('data-viewport-width', px(window.innerWidth));
    let widest = 0;
    for (const t of document.querySelectorAll('table')) widest = Math.max(widest, t.getBoundingClientRect().right);
    root.setAttribute('data-widest-table-right', px(widest));
    const builds = document.querySelector('table.builds');
    let clipped = 0;
    for (const pre of builds.querySelectorAll('pre')) clipped += pre.scrollWidth > pre.clientWidth + 1 ? 1 : 0;
    root.setAttribute('data-builds-clipped-pre', String(clipped));
  </script></body>)js";
  std::string probe = html;
  probe.replace(probe.rfind("</body>"), 7, kProbe);
  fs::path probe_page = dir_ / "probe.html";
  ASSERT_TRUE(WriteFileAtomic(probe_page, probe));
  fs::path profile = dir_ / "probe-profile";
  fs::create_directories(profile);
  auto argv = ChromiumArgs(profile.string());
  argv.push_back("--window-size=1400,900");
  argv.push_back("--dump-dom");
  argv.push_back("file://" + probe_page.string());
  auto r = DefaultRunner().Run(Command{.argv = argv, .timeout = std::chrono::seconds(180)});
  ASSERT_TRUE(r && r->ok()) << (r ? r->output.substr(0, 2000) : r.error().message);
  const std::string& measured = r->output;
  double grid_bottom = Measured(measured, "data-grid-bottom");
  double page_height = Measured(measured, "data-page-height");
  double viewport = Measured(measured, "data-viewport-width");
  ASSERT_FALSE(std::isnan(grid_bottom)) << measured.substr(0, 500);
  std::cout << "quickstart HTML at 1400x900: verdict counts end at " << Measured(measured, "data-verdicts-bottom")
            << " px, the metric x variant grid at " << grid_bottom << " px; page " << page_height << " px tall, "
            << Measured(measured, "data-page-width") << " px wide\n";
  RecordProperty("grid_bottom_px", static_cast<int>(grid_bottom));
  RecordProperty("page_height_px", static_cast<int>(page_height));
  EXPECT_LE(grid_bottom, 900) << "the grid of changes must be above the fold";
  EXPECT_LE(Measured(measured, "data-page-width"), viewport) << "the page scrolls sideways";
  EXPECT_LE(Measured(measured, "data-widest-table-right"), viewport) << "a table is wider than the window";
  EXPECT_EQ(Measured(measured, "data-builds-clipped-pre"), 0) << "a line of the Builds table is cut";

  // And the screenshot, kept for people.
  fs::path shot = ArtifactsDir() / "report-quickstart-1400x900.png";
  fs::path shot_profile = dir_ / "quickstart-shot-profile";
  fs::create_directories(shot_profile);
  auto shot_argv = ChromiumArgs(shot_profile.string());
  shot_argv.push_back("--window-size=1400,900");
  shot_argv.push_back("--screenshot=" + shot.string());
  shot_argv.push_back("file://" + (dir_ / "quickstart.html").string());
  auto s = DefaultRunner().Run(Command{.argv = shot_argv, .timeout = std::chrono::seconds(180)});
  ASSERT_TRUE(s);
  ASSERT_TRUE(fs::exists(shot)) << s->output.substr(0, 2000);
  EXPECT_GT(fs::file_size(shot), 100000u);
  std::cout << "screenshot: " << shot.string() << "\n";
  RecordProperty("screenshot", shot.string());
}

}  // namespace
}  // namespace rfl::report
