// Golden diagnostics: every tests/fixtures/scenario/<name>.yaml is validated
// and its rendered diagnostics must equal <name>.golden byte for byte.
// To regenerate after an intended wording change:
//   RFL_LAB_UPDATE_GOLDEN=1 build/tests/unit_tests --gtest_filter='ScenarioGolden*'
// and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "lab/scenario/load.h"
#include "tests/support/golden.h"
#include "lab/util/paths.h"

namespace rfl::scenario {
namespace {
namespace fs = std::filesystem;

const fs::path kDir = fs::path(RFL_LAB_FIXTURES_DIR) / "scenario";

Catalog RepoCatalog() { return Catalog::FromDataDir(RFL_LAB_SOURCE_DIR); }

std::string Render(const fs::path& yaml) {
  std::string text = *ReadFile(yaml);
  auto loaded = ParseScenario(yaml.filename().string(), text, yaml.parent_path(), RepoCatalog());
  std::string out = loaded.diagnostics.Render();
  out += loaded.scenario ? "result: valid\n" : fmt::format("result: {} error(s)\n", loaded.diagnostics.ErrorCount());
  return out;
}

class ScenarioGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioGolden, DiagnosticsMatchGoldenText) {
  fs::path yaml = kDir / (GetParam() + ".yaml");
  fs::path golden = kDir / (GetParam() + ".golden");
  test::ExpectMatchesGolden(golden, Render(yaml));
}

std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kDir)) {
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ScenarioGolden, ::testing::ValuesIn(FixtureNames()),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(ScenarioGoldenSet, CoversEveryErrorClass) {
  // The list of error classes, each with its own fixture.
  for (const char* name : {"yaml-syntax", "unknown-keys", "wrong-types", "out-of-range", "unknown-names",
                           "duplicates", "bad-baseline", "empty-matrix", "unsafe-rustflags", "bad-kconfig"}) {
    EXPECT_TRUE(fs::exists(kDir / (std::string(name) + ".golden"))) << name;
  }
}

TEST(ScenarioFiles, ShippedScenariosAllValidateWithoutErrors) {
  for (const auto& e : fs::directory_iterator(fs::path(RFL_LAB_SOURCE_DIR) / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    auto loaded = LoadScenario(e.path(), RepoCatalog());
    EXPECT_TRUE(loaded.scenario.has_value()) << loaded.diagnostics.Render();
    EXPECT_FALSE(loaded.diagnostics.HasErrors()) << e.path();
  }
}

TEST(ScenarioLoad, UnreadableFileIsADiagnosticNotACrash) {
  auto loaded = LoadScenario("/nonexistent/scenario.yaml", RepoCatalog());
  EXPECT_FALSE(loaded.scenario);
  EXPECT_NE(loaded.diagnostics.Render().find("/nonexistent/scenario.yaml: error: no such file"), std::string::npos)
      << loaded.diagnostics.Render();
}

TEST(ScenarioLoad, ValidFileFillsEveryKey) {
  auto loaded = LoadScenario(kDir / "valid-full.yaml", RepoCatalog());
  ASSERT_TRUE(loaded.scenario) << loaded.diagnostics.Render();
  const Scenario& s = *loaded.scenario;
  EXPECT_EQ(s.name, "full");
  ASSERT_EQ(s.kernel.sources.size(), 2u);
  EXPECT_EQ(s.kernel.sources[1].value, "linux-source-7.3");
  EXPECT_EQ(s.kernel.sources[1].Label(), "7.3");
  EXPECT_EQ(s.kernel.config, "defconfig");
  EXPECT_EQ(s.kernel.fragments.size(), 2u);
  EXPECT_EQ(s.arches, (std::vector<Arch>{Arch::kX86_64, Arch::kArm64}));
  ASSERT_EQ(s.variants.size(), 5u);
  EXPECT_EQ(s.variants[3].kconfig.at("CMDLINE"), "\"quiet\"");
  EXPECT_EQ(s.variants[3].kconfig.at("LOG_BUF_SHIFT"), "17");
  EXPECT_EQ(s.variants[4].expect, Expect::kBuildFailure);
  EXPECT_EQ(s.boot.accel, Accel::kTcg);
  EXPECT_EQ(s.boot.timing, Timing::kWall);
  EXPECT_EQ(s.boot.memory_bytes, 1ull << 30);
  EXPECT_EQ(s.boot.timeout, std::chrono::seconds(180));
  EXPECT_EQ(s.boot.cmdline, (std::vector<std::string>{"quiet", "loglevel=4"}));
  EXPECT_EQ(s.repeat.min, 5);
  EXPECT_EQ(s.repeat.max, 20);
  EXPECT_DOUBLE_EQ(s.thresholds.noise, 0.02);
  EXPECT_DOUBLE_EQ(s.thresholds.alpha, 0.01);
  ASSERT_EQ(s.workloads.size(), 7u);
  EXPECT_EQ(s.workloads[2].params["payloads"], nlohmann::json({0, 4096, 65536}));
  EXPECT_EQ(s.workloads[2].timeout, std::chrono::seconds(120));
  EXPECT_EQ(s.workloads[3].params["block_size"], 512);
  EXPECT_EQ(s.workloads[3].params["ios"], 100);
  EXPECT_EQ(s.workloads[6].params["expect_exit"], 1);
}

TEST(ScenarioLoad, WorkloadDefaultsFillMissingParameters) {
  auto loaded = ParseScenario("d.yaml",
                              "name: d\nkernel: {source: debian:linux-source-7.3, fragments: [binder-rust, rnull]}\n"
                              "toolchains: [host]\narches: [x86_64]\nvariants: {baseline: {}}\n"
                              "workloads: [binder, block]\n",
                              ".", RepoCatalog());
  ASSERT_TRUE(loaded.scenario) << loaded.diagnostics.Render();
  const auto& w = loaded.scenario->workloads;
  EXPECT_EQ(w[0].params["payloads"], nlohmann::json({0, 4096}));
  EXPECT_EQ(w[0].params["iterations"], 2000);
  EXPECT_EQ(w[1].params["pattern"], "randread");
  EXPECT_EQ(loaded.scenario->baseline, "baseline");
  EXPECT_EQ(loaded.scenario->repeat.min, 5);
}

TEST(ScenarioLoad, AMissingRequiredParameterPointsAtTheWorkloadName) {
  // '- command' and '- command:' have no parameters mapping: the diagnostic
  // points at the name (found by the mutation fuzzer: it had no position).
  for (const char* form : {"  - command\n", "  - command:\n"}) {
    auto loaded = ParseScenario("c.yaml",
                                std::string("name: c\nkernel: {source: debian:linux-source-7.3}\n"
                                            "toolchains: [host]\narches: [x86_64]\nvariants: {baseline: {}}\n"
                                            "workloads:\n  - boot\n") +
                                    form + "  - rust-samples\n",
                                ".", RepoCatalog());
    ASSERT_EQ(loaded.diagnostics.ErrorCount(), 1) << loaded.diagnostics.Render();
    const auto& d = loaded.diagnostics.all().front();
    EXPECT_EQ(d.message, "workload 'command' needs 'argv'");
    EXPECT_EQ(d.pos.line, 8) << form;
    EXPECT_EQ(d.pos.col, 5) << form;
  }
}

TEST(ScenarioLoad, PathSourcesResolveRelativeToTheScenarioFile) {
  fs::path dir = fs::temp_directory_path() / "rfl-lab-path-source";
  fs::create_directories(dir / "linux");
  std::ofstream(dir / "linux" / "Makefile") << "";
  std::ofstream(dir / "linux" / "Kconfig") << "";
  auto loaded = ParseScenario("p.yaml",
                              "name: p\nkernel: {source: 'path:linux'}\ntoolchains: [host]\narches: [x86_64]\n"
                              "variants: {baseline: {}}\n",
                              dir, RepoCatalog());
  ASSERT_TRUE(loaded.scenario) << loaded.diagnostics.Render();
  EXPECT_EQ(loaded.scenario->kernel.sources[0].kind, KernelSource::Kind::kPath);
  EXPECT_EQ(fs::path(loaded.scenario->kernel.sources[0].value), fs::absolute(dir / "linux"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rfl::scenario
