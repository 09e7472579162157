// The HTML report in a real browser: headless Chromium loads the page with
// networking off and a fresh profile, and the DOM it dumps must contain the
// drawn plots (one SVG per metric, sample dots, CI bars) and the outcome
// matrix. Data: a synthetic run (constructed, lab/results/synthetic.h) plus
// any store captured from a real run in tests/fixtures/report/.
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

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

class Browser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh)";
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

}  // namespace
}  // namespace rfl::report
