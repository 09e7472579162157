// Hostile scenario files (issue 15): each case once crashed, hung, lied or
// was silently changed. Each must now be one diagnostic at its line and
// column, quickly, in bounded memory.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "lab/scenario/load.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"

namespace rfl::scenario {
namespace {
namespace fs = std::filesystem;

std::string Quickstart() { return *ReadFile(fs::path(RFL_LAB_SOURCE_DIR) / "scenarios" / "quickstart.yaml"); }

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) s.replace(p, from.size(), to);
  return s;
}

// The diagnostics of `text`, and that it was refused.
std::string Refused(const std::string& text) {
  auto t0 = std::chrono::steady_clock::now();
  auto loaded = ParseScenario("h.yaml", text, RFL_LAB_SOURCE_DIR, Catalog::FromDataDir(RFL_LAB_SOURCE_DIR));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20)) << "hung";
  EXPECT_FALSE(loaded.scenario.has_value());
  std::string out = loaded.diagnostics.Render();
  EXPECT_NE(out.find("h.yaml:"), std::string::npos) << out;
  return out;
}

TEST(ScenarioHostile, AFiftyThousandCharacterScalarIsRefusedNotACrash) {
  for (std::string key : {"name: quickstart", "source: debian:linux-source-7.3", "memory: 512M", "timeout: 120s"}) {
    std::string value = key.substr(0, key.find(':') + 2) + std::string(50000, key[0] == 'n' ? 'a' : '9');
    EXPECT_NE(Refused(Replace(Quickstart(), key, value)).find("a value of 50000 bytes; at most 4096"),
              std::string::npos)
        << key;
  }
}

TEST(ScenarioHostile, HugeNumbersAreOutOfRangeNotAnAbort) {
  std::string base = Replace(Quickstart(), "memory: 512M", "memory: 99999999999999999999G");
  EXPECT_NE(Refused(base).find("boot.memory 99999999999999999999G is out of range"), std::string::npos)
      << Refused(base);
  std::string timeout = Replace(Quickstart(), "timeout: 120s", "timeout: 1111928739998603528h");
  EXPECT_NE(Refused(timeout).find("boot.timeout 1111928739998603528h is out of range"), std::string::npos)
      << Refused(timeout);
  std::string repeat = Replace(Quickstart(), "repeat: 5", "repeat: 18446744073709551616");
  EXPECT_NE(Refused(repeat).find("is out of range"), std::string::npos) << Refused(repeat);
}

TEST(ScenarioHostile, NanInfinityAndHexFloatsAreNotNumbers) {
  for (std::string t : {"{noise: nan%, alpha: 0.05}", "{noise: 1%, alpha: nan}", "{noise: 1%, alpha: inf}",
                        "{noise: 1%, alpha: 0x1p-5}", "{noise: 1%, alpha: ' 0.05'}"}) {
    std::string text = Replace(Quickstart(), "thresholds: {noise: 1%, alpha: 0.05}", "thresholds: " + t);
    EXPECT_NE(Refused(text).find("thresholds."), std::string::npos) << t;
  }
}

TEST(ScenarioHostile, ASecondYamlDocumentIsAnErrorNotIgnored) {
  EXPECT_NE(Refused(Quickstart() + "---\nname: other\n").find("a second YAML document"), std::string::npos);
}

TEST(ScenarioHostile, NulBytesAndInvalidUtf8AreErrorsAtTheirPlace) {
  std::string nul = Replace(Quickstart(), "fragments:", std::string("fragments:\0", 11));
  EXPECT_NE(Refused(nul).find("the file contains a NUL byte"), std::string::npos);
  std::string bad = Quickstart() + "x: \xff\n";
  EXPECT_NE(Refused(bad).find("invalid UTF-8 (byte 0xFF)"), std::string::npos);
}

TEST(ScenarioHostile, AnAliasBombIsRefusedInBoundedMemory) {
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", " : "") + prev;
    bomb += "]\n";
  }
  EXPECT_NE(Refused(bomb).find("more than 100000 nodes once its aliases are expanded"), std::string::npos);
}

TEST(ScenarioHostile, AnAliasInsideItsOwnAnchorIsRefusedNotAnEndlessWalk) {
  // yaml-cpp builds a node that contains itself; every walk of it loops.
  for (std::string text : {"name: x\nvariants: &v\n  - *v\n", "a: &m {b: [1, {c: *m}]}\n", "&r [*r]\n"}) {
    std::string out = Refused(text);
    EXPECT_NE(out.find("an alias inside the node its own anchor names"), std::string::npos) << text << out;
  }
  std::string first = Refused("name: x\nvariants: &v\n  - *v\n");
  EXPECT_NE(first.find("h.yaml:3:5: error:"), std::string::npos) << first;
}

TEST(ScenarioHostile, ThousandsOfErrorsAreCappedLikeACompiler) {
  std::string text = "name: x\n";
  for (int i = 0; i < 30000; ++i) text += "unknown" + std::to_string(i) + ": 1\n";
  std::string out = Refused(text);
  EXPECT_NE(out.find("more diagnostic(s) not shown"), std::string::npos);
  EXPECT_LT(out.size(), 100'000u);
}

TEST(ScenarioHostile, CarriageReturnOnlyLineEndsAreNamed) {
  std::string text = Quickstart();
  for (char& c : text) {
    if (c == '\n') c = '\r';
  }
  EXPECT_NE(Refused(text).find("end in CR only"), std::string::npos);
}

TEST(ScenarioHostile, EmptyFilesAndMissingKeysHaveAPlace) {
  EXPECT_NE(Refused("").find("h.yaml:1:1: error: the scenario is empty"), std::string::npos);
  EXPECT_NE(Refused("name: x\n").find("h.yaml:1:1: error: missing required key 'kernel'"), std::string::npos);
}

TEST(ScenarioHostile, ARejectedCharacterIsShownAsItsCodePoint) {
  std::string out = Refused(Replace(Quickstart(), "name: quickstart", "name: quickst\u0430rt"));
  EXPECT_NE(out.find("U+0430"), std::string::npos) << out;
}

TEST(ScenarioHostile, PathsThatAreNotFilesSayWhatTheyAre) {
  std::string dir = Refused(Replace(Quickstart(), "source: debian:linux-source-7.3", "source: tarball:/tmp"));
  EXPECT_NE(dir.find("is a directory, not a regular file"), std::string::npos) << dir;
  std::string dev = Refused(Replace(Quickstart(), "source: debian:linux-source-7.3", "source: tarball:/dev/zero"));
  EXPECT_NE(dev.find("is a character device, not a regular file"), std::string::npos) << dev;
}

TEST(ScenarioHostile, NonRegularScenarioFilesAreNeverRead) {
  for (const char* path : {"/dev/zero", "/tmp", "/dev/null"}) {
    auto loaded = LoadScenario(path, Catalog::FromDataDir(RFL_LAB_SOURCE_DIR));
    EXPECT_FALSE(loaded.scenario.has_value());
    std::string out = loaded.diagnostics.Render();
    EXPECT_NE(out.find("not a scenario file"), std::string::npos) << path << ": " << out;
  }
}

}  // namespace
}  // namespace rfl::scenario

namespace rfl::scenario {
namespace {

TEST(ScenarioToolchains, ADirToolchainMustBeASysrootAndIsStoredAbsolute) {
  auto bad = Refused(Replace(Quickstart(), "toolchains: [rustc-1.96]", "toolchains: [dir:no/such/stage1]"));
  EXPECT_NE(bad.find("h.yaml:12:14: error: " + (std::filesystem::path(RFL_LAB_SOURCE_DIR) / "no/such/stage1").string() +
                     " is not a directory"),
            std::string::npos)
      << bad;
  auto tmp = TempDir::Create(std::filesystem::temp_directory_path(), "rfl-sysroot-");
  ASSERT_TRUE(tmp.has_value());
  std::filesystem::create_directories(tmp->path() / "s/bin");
  std::filesystem::create_directories(tmp->path() / "s/lib/rustlib/src/rust/library");
  ASSERT_TRUE(WriteFileAtomic(tmp->path() / "s/bin/rustc", "").has_value());
  auto loaded = ParseScenario("h.yaml", Replace(Quickstart(), "toolchains: [rustc-1.96]", "toolchains: [dir:s/.]"),
                              tmp->path(), Catalog::FromDataDir(RFL_LAB_SOURCE_DIR));
  ASSERT_TRUE(loaded.scenario.has_value()) << loaded.diagnostics.Render();
  EXPECT_EQ(loaded.scenario->toolchains, (std::vector<std::string>{"dir:" + (tmp->path() / "s").string()}));
}

TEST(ScenarioToolchains, ATarballToolchainMustBeAnInstallerFileAndIsStoredAbsolute) {
  auto missing = Refused(Replace(Quickstart(), "toolchains: [rustc-1.96]", "toolchains: [tarball:dist/rust.tar.xz]"));
  EXPECT_NE(missing.find("h.yaml:12:14: error: " + (std::filesystem::path(RFL_LAB_SOURCE_DIR) / "dist/rust.tar.xz").string() +
                         " is not a file"),
            std::string::npos)
      << missing;
  auto empty = Refused(Replace(Quickstart(), "toolchains: [rustc-1.96]", "toolchains: [\"tarball:\"]"));
  EXPECT_NE(empty.find("h.yaml:12:14: error: tarball: needs a file"), std::string::npos) << empty;

  auto tmp = TempDir::Create(std::filesystem::temp_directory_path(), "rfl-tarball-");
  ASSERT_TRUE(tmp.has_value());
  std::filesystem::create_directories(tmp->path() / "dist");
  ASSERT_TRUE(WriteFileAtomic(tmp->path() / "dist/rust-1.96.0-x86_64-unknown-linux-gnu.tar.xz", "").has_value());
  ASSERT_TRUE(WriteFileAtomic(tmp->path() / "dist/rust-src-1.96.0.tar.xz", "").has_value());
  auto loaded = ParseScenario("h.yaml",
                              Replace(Quickstart(), "toolchains: [rustc-1.96]",
                                      "toolchains: [tarball:dist/./rust-1.96.0-x86_64-unknown-linux-gnu.tar.xz]"),
                              tmp->path(), Catalog::FromDataDir(RFL_LAB_SOURCE_DIR));
  ASSERT_TRUE(loaded.scenario.has_value()) << loaded.diagnostics.Render();
  EXPECT_EQ(loaded.scenario->toolchains,
            (std::vector<std::string>{"tarball:" +
                                      (tmp->path() / "dist/rust-1.96.0-x86_64-unknown-linux-gnu.tar.xz").string()}));
}

}  // namespace
}  // namespace rfl::scenario
