// Where boots run, from the command line or the environment (a machine or a
// CI job configured for LAVA once): the command line wins, and LAVA settings
// without the LAVA backend are bad input naming both ways to give them.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "lab/cli/backend.h"
#include "lab/util/temp_dir.h"

namespace rfl::cli {
namespace {

// Sets an environment variable for one test's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

BackendOptions Parse(std::vector<std::string> args) {
  CLI::App app;
  BackendOptions o;
  AddBackendOptions(&app, o);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  app.parse(args);
  return o;
}

TEST(BackendOptions, TheEnvironmentChoosesLavaAndTheCommandLineWins) {
  ScopedEnv backend("RFL_LAB_BACKEND", "lava");
  ScopedEnv url("RFL_LAB_LAVA_URL", "http://lava.example:9999/");
  ScopedEnv token("RFL_LAB_LAVA_TOKEN_FILE", "/etc/rfl-lab/lava-token");
  ScopedEnv device("RFL_LAB_LAVA_DEVICE_TYPE", "qemu-arm64");
  auto from_env = Parse({});
  EXPECT_EQ(from_env.backend, "lava");
  EXPECT_EQ(from_env.lava_url, "http://lava.example:9999/");
  EXPECT_EQ(from_env.lava_token_file, "/etc/rfl-lab/lava-token");
  EXPECT_EQ(from_env.lava_device_type, "qemu-arm64");

  auto given = Parse({"--backend", "lava", "--lava-url", "http://other:80/", "--lava-device-type", "qemu"});
  EXPECT_EQ(given.lava_url, "http://other:80/");
  EXPECT_EQ(given.lava_device_type, "qemu");
}

TEST(BackendOptions, WithoutTheEnvironmentTheDefaultIsLibvirt) {
  auto o = Parse({});
  EXPECT_EQ(o.backend, "libvirt");
  EXPECT_FALSE(o.lava_url.has_value());
  EXPECT_EQ(o.lava_device_type, "qemu");
}

TEST(BackendOptions, LavaSettingsWithoutTheLavaBackendAreBadInputNamingBothWays) {
  ScopedEnv url("RFL_LAB_LAVA_URL", "http://lava.example:9999/");
  auto o = Parse({"--backend", "libvirt"});
  // A state dir of its own: were the settings not refused, libvirt's
  // embedded root would go there, not into the current directory.
  auto state = TempDir::Create(std::filesystem::temp_directory_path(), "rfl-backend-unit-");
  ASSERT_TRUE(state.has_value());
  LabDirs dirs;
  dirs.state = state->path();
  auto hv = OpenBackend(o, dirs);
  ASSERT_FALSE(hv.has_value());
  EXPECT_EQ(hv.error().kind, Error::Kind::kInput);
  EXPECT_EQ(hv.error().message,
            "--lava-* options (or RFL_LAB_LAVA_* variables) need --backend lava (or RFL_LAB_BACKEND=lava)");
}

TEST(BackendOptions, AnUnknownBackendFromTheEnvironmentIsRefused) {
  ScopedEnv backend("RFL_LAB_BACKEND", "docker");
  EXPECT_THROW(Parse({}), CLI::ValidationError);
}

}  // namespace
}  // namespace rfl::cli
