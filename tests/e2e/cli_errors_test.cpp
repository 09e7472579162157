// One error of each kind per subcommand, as a user sees it: the exact text
// and exit status (golden: tests/fixtures/cli/errors.golden). Every message
// comes from the one printer ("rfl-lab <command>: error: …") and every
// status from the one map (lab/cli/exit.h). Regenerate after a deliberate
// change with RFL_LAB_UPDATE_GOLDEN=1 build/tests/e2e_tests --gtest_filter='CliErrors*'.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lab/util/paths.h"
#include "tests/support/golden.h"
#include "lab/util/process.h"
#include "lab/util/temp_dir.h"

namespace rfl {
namespace {
namespace fs = std::filesystem;

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}

TEST(CliErrors, EverySubcommandReportsEachKindOfErrorTheSameWay) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-cli-errors-");
  ASSERT_TRUE(tmp.has_value());
  const std::string t = tmp->path().string();
  const std::vector<std::vector<std::string>> cases = {
      {"bulid"},
      {"validate", "nope.yaml"},
      {"validate", "tests/fixtures/scenario/unknown-names.yaml"},
      {"plan"},
      {"run", "tests/fixtures/scenario/unsafe-rustflags.yaml"},
      {"build", "scenarios/quickstart.yaml", "--variant", "nope"},
      {"build", "scenarios/quickstart.yaml", "--ccache-remote", "ftp://cache/ccache"},
      {"run", "scenarios/compiler-kernel-matrix.yaml", "--kernel", "7.4"},
      {"boot", "--kernel", "/etc/passwd", "--arch", "x86_64"},
      {"boot", "--kernel", "/etc/passwd", "--cpus", "0"},
      {"classify", "/nonexistent/console.log"},
      {"classify", "tests/fixtures/consoles/debian-6.1-warning.log"},
      {"report", "latest"},
      {"compare", "1", "2"},
      {"runs", "--store", t + "/typo.sqlite3"},
      {"push", "--gateway", "http://127.0.0.1:1"},
      {"source", "fetch", "bogus:x"},
      {"--cache-dir", "/proc/rfl-lab", "source", "fetch", "tarball:README.md"},
      {"--cache-dir", "", "runs"},
      {"toolchain", "provision", "nosuch"},
      {"serve", "--listen", "nonsense"},
      {"codecheck", "--flag", "-Zcf-protection=bogus", "tests/fixtures/codecheck/x86_64-baseline.o"},
  };
  std::string got;
  for (const auto& args : cases) {
    Command cmd;
    cmd.argv = {RFL_LAB_BINARY, "--state-dir", t + "/state"};
    // A case may name its own cache dir (a lab failure: one that cannot be made).
    if (args.empty() || args[0] != "--cache-dir") cmd.argv.insert(cmd.argv.end(), {"--cache-dir", t + "/cache"});
    cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
    cmd.cwd = RFL_LAB_SOURCE_DIR;
    cmd.timeout = std::chrono::seconds(60);
    auto r = DefaultRunner().Run(cmd);
    ASSERT_TRUE(r.has_value());
    got += "$ rfl-lab";
    for (const auto& a : args) got += " " + ReplaceAll(a, t, "<tmp>");
    got += "\n" + ReplaceAll(r->output, t, "<tmp>") + fmt::format("[exit {}]\n", r->exit_code);
  }
  EXPECT_FALSE(fs::exists(t + "/state/results.sqlite3")) << "a read-only command created the store";
  fs::path golden = fs::path(RFL_LAB_FIXTURES_DIR) / "cli" / "errors.golden";
  test::ExpectMatchesGolden(golden, got);
}

}  // namespace
}  // namespace rfl
