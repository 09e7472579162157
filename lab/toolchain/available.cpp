#include "lab/toolchain/available.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/toolchain/versions.h"

namespace rfl::toolchain {

namespace {

// The recipes whose stated version of `tool` matches the offer and whose
// suites hold it. A recipe listing the bare tool name (the `clang`
// metapackage) counts for the versioned package it depends on.
std::vector<std::string> RecipesFor(const std::vector<Recipe>& recipes, const std::string& tool, const IndexEntry& e) {
  std::vector<std::string> out;
  for (const auto& r : recipes) {
    auto suites = r.SuiteNames();
    if (std::find(suites.begin(), suites.end(), e.suite) == suites.end()) continue;
    bool listed = std::any_of(r.packages.begin(), r.packages.end(), [&](const std::string& p) {
      std::string name = p.substr(0, p.find('='));
      return name == e.package || (name == tool && Delivers(e, tool));
    });
    if (!listed) continue;
    for (const auto& [t, pattern] : r.versions) {
      if (t == tool && VersionMatches(UpstreamVersion(e.version), pattern)) out.push_back(r.name);
    }
  }
  return out;
}

std::string MajorMinor(const std::string& v) {
  auto first = v.find('.');
  if (first == std::string::npos) return v;
  auto second = v.find('.', first + 1);
  return v.substr(0, second);
}

std::string Suggestion(const AvailableVersion& v) {
  std::string name = "rustc-" + MajorMinor(v.version);
  bool web = v.package == "rustc-web";
  return fmt::format(
      "# images/toolchains/{0}.yaml: rustc {1} from {2} ({3})\n"
      "name: {0}\nsuite: {2}\nmirror: http://deb.debian.org/debian\n"
      "versions:\n  rustc: \"{4}.*\"\n"
      "packages: [clang, lld, llvm, bindgen, {5}, {6}, {7}, libc6-dev, make, bc, bison, flex, libelf-dev, "
      "libssl-dev, python3, perl, cpio, kmod, xz-utils, zstd, ccache]\n",
      name, v.version, v.suite, v.package, MajorMinor(v.version), v.package, web ? "rust-web-src" : "rust-src",
      web ? "rustfmt-web" : "rustfmt");
}

}  // namespace

Availability SummarizeArchive(const std::vector<IndexEntry>& index, const std::vector<std::string>& suites,
                              const std::vector<Recipe>& recipes) {
  Availability a;
  a.suites = suites;
  for (const char* tool : {"rustc", "bindgen", "clang"}) {
    for (const auto& e : Offers(index, tool)) {
      AvailableVersion v{tool, UpstreamVersion(e.version), e.package, e.version, e.suite, RecipesFor(recipes, tool, e)};
      // The clang metapackage's "19.0" says less than clang-19's 19.1.7.
      if (std::string_view(tool) == "clang" && e.package == "clang") continue;
      bool dup = std::any_of(a.versions.begin(), a.versions.end(), [&](const AvailableVersion& o) {
        return o.tool == v.tool && o.version == v.version && o.package == v.package && o.suite == v.suite;
      });
      if (!dup) a.versions.push_back(std::move(v));
    }
  }
  std::vector<IndexEntry> sources;
  for (const auto& e : index) {
    if (e.package.starts_with("linux-source-")) sources.push_back(e);
  }
  std::stable_sort(sources.begin(), sources.end(), [](const IndexEntry& x, const IndexEntry& y) {
    return CompareDebianVersions(x.version, y.version) < 0;
  });
  for (const auto& e : sources) {
    a.versions.push_back({"linux-source", UpstreamVersion(e.version), e.package, e.version, e.suite, {}});
  }
  std::vector<std::string> covered;
  for (const auto& v : a.versions) {
    if (v.tool != "rustc") continue;
    std::string mm = MajorMinor(v.version);
    if (!v.recipes.empty()) covered.push_back(mm);
  }
  std::vector<std::string> suggested;
  for (const auto& v : a.versions) {
    if (v.tool != "rustc" || !v.recipes.empty()) continue;
    std::string mm = MajorMinor(v.version);
    if (std::find(covered.begin(), covered.end(), mm) != covered.end()) continue;
    if (std::find(suggested.begin(), suggested.end(), mm) != suggested.end()) continue;
    suggested.push_back(mm);
    a.suggestions.push_back(Suggestion(v));
  }
  return a;
}

std::string RenderAvailability(const Availability& a) {
  std::string out = fmt::format("What {} offer now:\n\n", fmt::join(a.suites, ", "));
  out += fmt::format("{:<13} {:<9} {:<20} {:<17} {}\n", "tool", "version", "package", "suite", "recipe");
  for (const auto& v : a.versions) {
    out += fmt::format("{:<13} {:<9} {:<20} {:<17} {}\n", v.tool, v.version, v.package, v.suite,
                       v.recipes.empty() ? (v.tool == "linux-source" ? "" : "-") : fmt::format("{}", fmt::join(v.recipes, ", ")));
  }
  if (!a.suggestions.empty()) {
    out += "\nrustc releases without a recipe; to add one:\n\n";
    for (const auto& s : a.suggestions) out += s + "\n";
  }
  return out;
}

nlohmann::json AvailabilityJson(const Availability& a) {
  nlohmann::json versions = nlohmann::json::array();
  for (const auto& v : a.versions) {
    versions.push_back({{"tool", v.tool},
                        {"version", v.version},
                        {"package", v.package},
                        {"debian_version", v.debian_version},
                        {"suite", v.suite},
                        {"recipes", v.recipes}});
  }
  return {{"suites", a.suites}, {"versions", versions}, {"suggested_recipes", a.suggestions}};
}

}  // namespace rfl::toolchain
