#include "lab/toolchain/recipe.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "lab/toolchain/versions.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"

namespace rfl::toolchain {
namespace fs = std::filesystem;

namespace {

Result<std::vector<std::string>> StringList(const YAML::Node& node, const char* key,
                                            const fs::path& path) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsSequence()) return FailAs(Error::Kind::kInput, "{}: '{}' must be a list", path.string(), key);
  for (const auto& item : node) {
    if (!item.IsScalar()) return FailAs(Error::Kind::kInput, "{}: '{}' items must be strings", path.string(), key);
    out.push_back(item.as<std::string>());
  }
  return out;
}

}  // namespace

Result<Recipe> ParseRecipe(const std::string& text, const fs::path& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return FailAs(Error::Kind::kInput, "{}: {}", path.string(), e.what());
  }
  if (!root.IsMap()) return FailAs(Error::Kind::kInput, "{}: a recipe is a mapping", path.string());
  Recipe r;
  r.path = path;
  try {
    r.name = root["name"] ? root["name"].as<std::string>() : path.stem().string();
    if (!root["suite"]) return FailAs(Error::Kind::kInput, "{}: missing 'suite'", path.string());
    r.suite = root["suite"].as<std::string>();
    if (root["mirror"]) r.mirror = root["mirror"].as<std::string>();
    auto extra = StringList(root["extra_suites"], "extra_suites", path);
    if (!extra) return Fail(extra.error());
    r.extra_suites = *extra;
    auto packages = StringList(root["packages"], "packages", path);
    if (!packages) return Fail(packages.error());
    r.packages = *packages;
    auto apt_options = StringList(root["apt_options"], "apt_options", path);
    if (!apt_options) return Fail(apt_options.error());
    r.apt_options = *apt_options;
    if (const auto& versions = root["versions"]) {
      if (!versions.IsMap())
        return FailAs(Error::Kind::kInput, "{}: 'versions' maps a tool to a version, e.g. rustc: \"1.96.*\"",
                      path.string());
      for (const auto& kv : versions) {
        auto tool = kv.first.as<std::string>();
        if (std::find(std::begin(kVersionedTools), std::end(kVersionedTools), tool) == std::end(kVersionedTools)) {
          return FailAs(Error::Kind::kInput, "{}: versions: unknown tool '{}' (known: {})", path.string(), tool,
                        fmt::join(kVersionedTools, ", "));
        }
        auto pattern = kv.second.IsScalar() ? kv.second.as<std::string>() : std::string();
        if (!IsVersionPattern(pattern)) {
          return FailAs(Error::Kind::kInput, "{}: versions: {}: '{}' is not a version such as 1.96.* or 1.96.0",
                        path.string(), tool, pattern);
        }
        r.versions.emplace_back(tool, pattern);
      }
    }
    if (const auto& pin = root["pin"]) {
      if (!pin.IsMap() || !pin["suite"])
        return FailAs(Error::Kind::kInput, "{}: 'pin' needs 'suite' and 'packages'", path.string());
      r.pin_suite = pin["suite"].as<std::string>();
      auto pinned = StringList(pin["packages"], "pin.packages", path);
      if (!pinned) return Fail(pinned.error());
      r.pin_packages = *pinned;
    }
  } catch (const YAML::Exception& e) {
    return FailAs(Error::Kind::kInput, "{}: {}", path.string(), e.what());
  }
  if (r.packages.empty()) return FailAs(Error::Kind::kInput, "{}: 'packages' is empty", path.string());
  return r;
}

Result<Recipe> LoadRecipe(const fs::path& path) {
  auto text = ReadFile(path);
  if (!text) return Fail(text.error());
  return ParseRecipe(*text, path);
}

std::vector<std::string> Recipe::SuiteNames() const {
  std::vector<std::string> names{suite};
  names.insert(names.end(), extra_suites.begin(), extra_suites.end());
  return names;
}

std::vector<std::string> Recipe::SourcesLines() const {
  std::vector<std::string> lines{fmt::format("deb {} {} main", mirror, suite)};
  for (const auto& s : extra_suites) lines.push_back(fmt::format("deb {} {} main", mirror, s));
  return lines;
}

std::string Recipe::AptPreferences() const {
  if (pin_suite.empty() || pin_packages.empty()) return "";
  return fmt::format("Package: {}\nPin: release n={}\nPin-Priority: 990\n", fmt::join(pin_packages, " "),
                     pin_suite);
}

std::string Recipe::ContentHash() const {
  KeyHasher h;
  h.Add("recipe-v1").Add(name).Add(suite).Add(mirror).Add(pin_suite);
  for (const auto& s : extra_suites) h.Add("extra").Add(s);
  for (const auto& p : pin_packages) h.Add("pin").Add(p);
  for (const auto& p : packages) h.Add("pkg").Add(p);
  for (const auto& o : apt_options) h.Add("aptopt").Add(o);  // none: the hash is what it was
  for (const auto& [tool, pattern] : versions) h.Add("version").Add(tool).Add(pattern);
  return h.Short();
}

fs::path RecipeDir(const fs::path& data_dir) { return data_dir / "images" / "toolchains"; }

std::vector<std::string> ListRecipeNames(const fs::path& data_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(RecipeDir(data_dir), ec)) {
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<Recipe> FindRecipe(const fs::path& data_dir, const std::string& name) {
  fs::path p = RecipeDir(data_dir) / (name + ".yaml");
  if (!fs::exists(p)) {
    return FailAs(Error::Kind::kNotFound, "unknown toolchain '{}' (known: {}, host)", name,
                  fmt::join(ListRecipeNames(data_dir), ", "));
  }
  return LoadRecipe(p);
}

}  // namespace rfl::toolchain
