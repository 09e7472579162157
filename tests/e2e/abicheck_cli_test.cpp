// `rfl-lab abicheck` on bad input, as a user sees it: the exact text and exit
// status (golden: tests/fixtures/cli/abicheck-errors.golden). None of these
// cases needs a provisioned toolchain: the cache is a fresh temporary one.
// Regenerate after a deliberate change with
// RFL_LAB_UPDATE_GOLDEN=1 build/tests/e2e_tests --gtest_filter='AbicheckCli*'.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "lab/util/paths.h"
#include "tests/support/golden.h"
#include "lab/util/process.h"
#include "lab/util/temp_dir.h"

namespace rfl {
namespace {
namespace fs = std::filesystem;

TEST(AbicheckCli, BadInputIsExplainedAndExitsTwo) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-abicheck-cli-");
  ASSERT_TRUE(tmp.has_value());
  const std::string t = tmp->path().string();
  const std::vector<std::vector<std::string>> cases = {
      {"--toolchain", "rustc-1.95", "--arch", "arm64", "--flag", "-Zfixed-x18"},
      {"--toolchain", "rustc-1.96", "--arch", "aarch64", "--flag", "-Zfixed-x18"},
      {"--toolchain", "rustc-1.96", "--arch", "arm64", "--flag", "fixed-x18"},
      {"--toolchain", "rustc-1.96", "--arch", "arm64", "--flag=-Z"},
      {"--toolchain", "rustc-1.96", "--arch", "arm64", "--flag=-Zfoo=$(id)"},
      {"--toolchain", "rustc-1.96", "--arch", "arm64"},
      {"--toolchain", "rustc-1.96", "--arch", "arm64", "--flag", "-Zfixed-x18"},  // an empty cache
  };
  std::string got;
  for (const auto& args : cases) {
    Command cmd;
    cmd.argv = {RFL_LAB_BINARY, "--state-dir", t + "/state", "--cache-dir", t + "/cache", "abicheck"};
    cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
    cmd.cwd = RFL_LAB_SOURCE_DIR;
    cmd.timeout = std::chrono::seconds(60);
    auto r = DefaultRunner().Run(cmd);
    ASSERT_TRUE(r.has_value());
    got += "$ rfl-lab abicheck";
    for (const auto& a : args) got += " " + a;
    got += "\n" + r->output + fmt::format("[exit {}]\n", r->exit_code);
  }
  fs::path golden = fs::path(RFL_LAB_FIXTURES_DIR) / "cli" / "abicheck-errors.golden";
  test::ExpectMatchesGolden(golden, got);
}

}  // namespace
}  // namespace rfl
