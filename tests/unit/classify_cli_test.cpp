// `rfl-lab classify` as a user sees it: golden text and exit codes, run in
// process (lab/cli/classify.h) on real consoles and on hostile input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "lab/cli/classify.h"
#include "lab/util/cancel.h"
#include "lab/util/paths.h"

namespace rfl::cli {
namespace {
namespace fs = std::filesystem;

struct Run {
  int code;
  std::string out, err;
};

Run Classify(ClassifyOptions o) {
  std::ostringstream out, err;
  int code = static_cast<int>(RunClassify(o, out, err));
  return {code, out.str(), err.str()};
}

std::string Fixture(const std::string& name) { return std::string(RFL_LAB_FIXTURES_DIR) + "/consoles/" + name; }

fs::path TempFile(const std::string& name, const std::string& content) {
  fs::path p = fs::temp_directory_path() / ("rfl-classify-cli-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

TEST(ClassifyCli, WarningPrintsClassReasonTitleAndExitsOne) {
  auto r = Classify({.file = Fixture("debian-6.1-warning.log")});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.starts_with(
      "warning: kernel warning at console line 356: WARNING: CPU: 1 PID: 90 at /tmp/vmwork/mod/rfl_crash.c:43 "
      "rfl_crash_init+0x3f/0x1000 [rfl_crash]\n"
      "title: WARNING in rfl_crash_init\n"
      "--- "))
      << r.out;
}

TEST(ClassifyCli, CleanBootPassesWithExitZero) {
  auto r = Classify({.file = Fixture("debian-6.1-clean.log")});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "passed: no kernel report in 358 console line(s); judged from the console alone\n");
}

TEST(ClassifyCli, EmptyFileIsNoConsoleNotPassed) {
  auto p = TempFile("empty.log", "");
  auto r = Classify({.file = p.string()});
  fs::remove(p);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "no-console: the file is empty: there is no console to judge\n");
}

TEST(ClassifyCli, RandomBytesAreNoConsole) {
  std::string bytes;
  uint32_t x = 12345;
  for (int i = 0; i < 1 << 20; ++i) bytes += static_cast<char>((x = x * 1103515245 + 12345) >> 24);
  auto p = TempFile("random.log", bytes);
  auto r = Classify({.file = p.string()});
  fs::remove(p);
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.starts_with("no-console: no kernel output in ")) << r.out;
}

TEST(ClassifyCli, DirectoryAndDeviceAreInputErrors) {
  auto d = Classify({.file = "/tmp"});
  EXPECT_EQ(d.code, 2);
  EXPECT_EQ(d.err, "rfl-lab classify: error: /tmp is a directory, not a console log file\n");
  auto z = Classify({.file = "/dev/zero"});
  EXPECT_EQ(z.code, 2);
  EXPECT_EQ(z.err, "rfl-lab classify: error: /dev/zero is a character device, not a console log file\n");
  auto n = Classify({.file = "/dev/null"});
  EXPECT_EQ(n.code, 2);
}

TEST(ClassifyCli, InvalidPatternIsAnInputErrorNamingIt) {
  auto r = Classify({.file = Fixture("debian-6.1-warning.log"), .allowed = {"(a"}});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "rfl-lab classify: error: allowed-warning pattern '(a' is not a valid RE2 pattern: missing ): (a\n");
  EXPECT_EQ(r.out, "");
}

TEST(ClassifyCli, AllowedWarningPasses) {
  auto r = Classify({.file = Fixture("debian-6.1-warning.log"), .allowed = {"deliberate warning"}});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, std::string("passed: no kernel report in 395 console line(s) (1 allowed warning(s)); judged from the console alone\n(1 other report line(s); --json lists them)\n"));
}

TEST(ClassifyCli, JsonSurvivesInvalidUtf8) {
  auto text = ReadFile(Fixture("debian-6.1-bug.log"));
  ASSERT_TRUE(text.has_value());
  std::string console = *text;
  console.insert(console.find("kernel BUG at") - 20, "\xff\xfe\xc3");  // serial line noise in the excerpt
  auto p = TempFile("noise.log", console);
  auto r = Classify({.file = p.string(), .json = true});
  fs::remove(p);
  EXPECT_EQ(r.code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["class"], "oops");
  EXPECT_EQ(j["title"], "kernel BUG in rfl_crash_init");
  EXPECT_NE(j["excerpt"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos) << "U+FFFD replaces the bad bytes";
}

TEST(ClassifyCli, InterruptedReadExits130) {
  RequestCancel();
  auto r = Classify({.file = Fixture("debian-6.1-clean.log")});
  ResetCancelForTesting();
  EXPECT_EQ(r.code, 130);
  EXPECT_TRUE(r.err.starts_with("rfl-lab classify: error: interrupted while reading ")) << r.err;
}

}  // namespace
}  // namespace rfl::cli
