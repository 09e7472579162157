#pragma once
// Toolchain recipes: images/toolchains/<name>.yaml says which Debian suite (and
// extra suites, and which packages to pin to one of them) makes the root
// filesystem of one rustc version. The same recipe feeds mmdebstrap here and
// the container image of docker-compose. "host" is not a recipe: it means the
// tools on PATH.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "lab/util/result.h"

namespace rfl::toolchain {

inline constexpr std::string_view kHostToolchain = "host";

struct Recipe {
  std::string name;                       // rustc-1.96
  std::string suite;                      // trixie
  std::vector<std::string> extra_suites;  // trixie-backports
  std::string mirror = "http://deb.debian.org/debian";
  std::string pin_suite;                  // packages below come from this suite
  std::vector<std::string> pin_packages;  // apt globs: rustc, libstd-rust-*
  std::vector<std::string> packages;
  // What the toolchain must deliver: tool → pattern ("rustc" → "1.96.*"),
  // in file order. Provisioning pins the packages to it and checks the tools
  // (versions.h); an archive without it is an error, never a substitute.
  std::vector<std::pair<std::string, std::string>> versions;
  // apt.conf options for making the rootfs, e.g. `Acquire::Check-Valid-Until
  // "false"` for a suite whose mirrored Release file is past its date.
  std::vector<std::string> apt_options;
  std::filesystem::path path;             // the file it came from

  // suite, then extra_suites.
  std::vector<std::string> SuiteNames() const;
  // The sources.list lines (one per suite, main only).
  std::vector<std::string> SourcesLines() const;
  // An apt preferences file pinning pin_packages to pin_suite ("" when none).
  std::string AptPreferences() const;
  // Hash of everything that decides the rootfs contents (not the path).
  std::string ContentHash() const;
};

// Parses recipe YAML; errors name the file and the key.
[[nodiscard]] Result<Recipe> ParseRecipe(const std::string& text, const std::filesystem::path& path);
[[nodiscard]] Result<Recipe> LoadRecipe(const std::filesystem::path& path);

// images/toolchains under the data dir.
std::filesystem::path RecipeDir(const std::filesystem::path& data_dir);
// Recipe names (file stems), sorted.
std::vector<std::string> ListRecipeNames(const std::filesystem::path& data_dir);
// Loads images/toolchains/<name>.yaml; kNotFound lists the known names.
[[nodiscard]] Result<Recipe> FindRecipe(const std::filesystem::path& data_dir, const std::string& name);

}  // namespace rfl::toolchain
