// The rfl-lab binary as a user runs it: exit codes, diagnostics on stderr,
// help on every subcommand.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "lab/util/process.h"

namespace rfl {
namespace {
namespace fs = std::filesystem;

std::string ReadFileForTest(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

ProcessResult RunLab(std::vector<std::string> args, std::optional<std::string> stdin_data = std::nullopt) {
  Command cmd;
  cmd.stdin_data = std::move(stdin_data);
  cmd.argv = {RFL_LAB_BINARY};
  cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
  cmd.cwd = RFL_LAB_SOURCE_DIR;
  cmd.timeout = std::chrono::seconds(60);
  auto r = DefaultRunner().Run(cmd);
  EXPECT_TRUE(r.has_value());
  return r.value_or(ProcessResult{});
}

TEST(Cli, ShippedScenariosValidate) {
  std::vector<std::string> args = {"validate"};
  for (const auto& e : fs::directory_iterator(fs::path(RFL_LAB_SOURCE_DIR) / "scenarios")) {
    if (e.path().extension() == ".yaml") args.push_back(e.path().string());
  }
  auto r = RunLab(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("quickstart.yaml: ok"), std::string::npos) << r.output;
}

TEST(Cli, MalformedScenarioExitsTwoWithTheDiagnosticOnTheRightLine) {
  auto r = RunLab({"validate", "tests/fixtures/scenario/unknown-names.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown-names.yaml:12:5: error: unknown workload 'bindr'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("hint: did you mean 'binder'?"), std::string::npos);
}

TEST(Cli, ValidateDashReadsTheScenarioFromStandardInput) {
  auto text = ReadFileForTest(fs::path(RFL_LAB_SOURCE_DIR) / "scenarios" / "quickstart.yaml");
  auto ok = RunLab({"validate", "-"}, text);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("<stdin>: ok — 4 variant(s)"), std::string::npos) << ok.output;

  auto bad = RunLab({"validate", "-"}, ReadFileForTest(fs::path(RFL_LAB_SOURCE_DIR) / "tests" / "fixtures" /
                                                        "scenario" / "unknown-names.yaml"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("<stdin>:12:5: error: unknown workload 'bindr'"), std::string::npos) << bad.output;
}

TEST(Cli, PlanOfABadScenarioExitsTwo) {
  auto r = RunLab({"plan", "tests/fixtures/scenario/duplicates.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST(Cli, RunOfABadScenarioExitsTwoBeforeDoingAnything) {
  auto r = RunLab({"--state-dir", (fs::temp_directory_path() / "rfl-lab-e2e-bad").string(), "run",
                   "tests/fixtures/scenario/unsafe-rustflags.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("'$' would be expanded by make"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(fs::temp_directory_path() / "rfl-lab-e2e-bad" / "results.sqlite3"));
}

TEST(Cli, PlanJsonListsBuildsAndInterleavedBoots) {
  auto r = RunLab({"plan", "--json", "scenarios/quickstart.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["builds"].size(), 4u);
  EXPECT_EQ(j["boots"].size(), 15u);
  EXPECT_EQ(j["boots"][0]["variant"], "baseline");
  EXPECT_EQ(j["boots"][1]["variant"], "ibt-rust");
  EXPECT_EQ(j["builds"][0]["tree_key"], j["builds"][1]["tree_key"]);
}

TEST(Cli, EverySubcommandHasHelp) {
  auto top = RunLab({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* sub : {"validate", "plan", "run", "build", "toolchain", "boot", "classify", "doctor", "report",
                          "compare", "runs", "serve", "push"}) {
    EXPECT_NE(top.output.find(sub), std::string::npos) << sub;
    auto r = RunLab({sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub << "\n" << r.output;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub;
  }
}

TEST(Cli, VersionAndUnknownSubcommand) {
  auto v = RunLab({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("rfl-lab 0."), std::string::npos);
  auto bad = RunLab({"bulid"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

// A scenario from someone else must never run code in a build: the Kconfig
// string below would make usr/Makefile's recipe create a file in the build
// tree (tried on 7.3.4). `rfl-lab build` refuses it at its line before it
// provisions, fetches or builds anything.
TEST(Cli, KconfigStringThatWouldRunACommandNeverReachesABuild) {
  fs::path dir = fs::temp_directory_path() / "rfl-lab-e2e-kconfig-injection";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::path marker = dir / "pwned";
  fs::path scenario = dir / "hostile.yaml";
  {
    std::ofstream f(scenario);
    f << "name: hostile\n"
         "kernel: {source: debian:linux-source-7.3, fragments: [rust]}\n"
         "toolchains: [rustc-1.96]\n"
         "arches: [x86_64]\n"
         "variants:\n"
         "  baseline:\n"
         "    kconfig: {INITRAMFS_SOURCE: \"$(shell touch "
      << marker.string() << " /out/pwned)\"}\n";
  }
  auto r = RunLab({"--cache-dir", (dir / "cache").string(), "--state-dir", (dir / "state").string(), "build",
                   scenario.string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("hostile.yaml:7:33: error: the string value of INITRAMFS_SOURCE is refused: '$' would be "
                          "expanded by make"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_FALSE(fs::exists(dir / "cache" / "trees")) << "a build tree was made";
  EXPECT_FALSE(fs::exists(dir / "cache" / "toolchains")) << "a toolchain was provisioned";
}

}  // namespace
}  // namespace rfl
