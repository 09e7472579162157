#include "lab/toolchain/archive.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/toolchain/private_apt.h"
#include "lab/toolchain/recipe.h"
#include "lab/toolchain/versions.h"
#include "lab/util/paths.h"

namespace rfl::toolchain {
namespace fs = std::filesystem;

namespace {

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "rustc (= 1.96.0), libstd-rust-1.96" → {"rustc", "libstd-rust-1.96"}
void AddProvides(std::string_view value, std::vector<std::string>& out) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    auto item = TrimView(value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    auto name = item.substr(0, item.find_first_of(" (:"));
    if (!name.empty()) out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

std::string PackageName(const std::string& spec) { return spec.substr(0, spec.find('=')); }

}  // namespace

void PackagesParser::Line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (TrimView(line).empty()) {
    EndStanza();
    return;
  }
  if (line.front() == ' ' || line.front() == '\t') {
    if (in_provides_) AddProvides(line, current_.provides);
    return;
  }
  in_provides_ = false;
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return;
  auto key = line.substr(0, colon);
  auto value = TrimView(line.substr(colon + 1));
  if (key == "Package") current_.package = value;
  else if (key == "Version") current_.version = value;
  else if (key == "Provides") {
    in_provides_ = true;
    AddProvides(value, current_.provides);
  }
}

void PackagesParser::EndStanza() {
  if (!current_.package.empty() && !current_.version.empty()) {
    current_.suite = suite_;
    if (!keep_ || keep_(current_)) kept_.push_back(std::move(current_));
  }
  current_ = IndexEntry{};
  in_provides_ = false;
}

std::vector<IndexEntry> PackagesParser::Finish() {
  EndStanza();
  return std::move(kept_);
}

std::vector<IndexEntry> ParsePackagesIndex(std::string_view text, std::string_view suite, const IndexFilter& keep) {
  PackagesParser parser{std::string(suite), keep};
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    parser.Line(text.substr(start, nl - start));
    start = nl + 1;
  }
  return parser.Finish();
}

bool Delivers(const IndexEntry& e, std::string_view tool) {
  if (e.package == tool) return true;
  if (std::find(e.provides.begin(), e.provides.end(), tool) != e.provides.end()) return true;
  std::string_view name = e.package;
  if (name.size() > tool.size() + 1 && name.starts_with(tool) && name[tool.size()] == '-') {
    auto rest = name.substr(tool.size() + 1);
    return std::all_of(rest.begin(), rest.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  }
  return false;
}

bool IsToolchainPackage(const IndexEntry& e) {
  if (e.package.starts_with("linux-source-")) return true;
  return std::any_of(std::begin(kVersionedTools), std::end(kVersionedTools),
                     [&](std::string_view tool) { return Delivers(e, tool); });
}

std::vector<IndexEntry> Offers(const std::vector<IndexEntry>& index, std::string_view tool) {
  std::vector<IndexEntry> out;
  for (const auto& e : index) {
    if (Delivers(e, tool)) out.push_back(e);
  }
  std::stable_sort(out.begin(), out.end(), [](const IndexEntry& a, const IndexEntry& b) {
    int c = CompareDebianVersions(UpstreamVersion(a.version), UpstreamVersion(b.version));
    return c != 0 ? c < 0 : a.package < b.package;
  });
  return out;
}

std::string DescribeOffers(const std::vector<IndexEntry>& offers) {
  if (offers.empty()) return "nothing";
  std::vector<std::string> parts;
  for (const auto& e : offers) {
    auto part = fmt::format("{} ({}, {})", UpstreamVersion(e.version), e.package, e.suite);
    if (std::find(parts.begin(), parts.end(), part) == parts.end()) parts.push_back(std::move(part));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

Result<std::vector<Pin>> ResolvePins(const Recipe& recipe, const std::vector<IndexEntry>& index) {
  std::vector<std::string> names;
  for (const auto& p : recipe.packages) names.push_back(PackageName(p));
  auto in_recipe = [&](const IndexEntry& e) { return std::find(names.begin(), names.end(), e.package) != names.end(); };
  std::string suites = fmt::format("{}", fmt::join(recipe.SuiteNames(), ", "));

  std::vector<Pin> pins;
  for (const auto& [tool, pattern] : recipe.versions) {
    const IndexEntry* best = nullptr;
    bool delivered = false;
    for (const auto& e : index) {
      if (!in_recipe(e) || !Delivers(e, tool)) continue;
      delivered = true;
      if (!VersionMatches(UpstreamVersion(e.version), pattern)) continue;
      bool better = !best;
      if (best) {
        // The pinned suite wins (its packages are what apt will prefer), then
        // the newest version.
        bool e_pinned = e.suite == recipe.pin_suite, best_pinned = best->suite == recipe.pin_suite;
        better = e_pinned != best_pinned ? e_pinned : CompareDebianVersions(e.version, best->version) > 0;
      }
      if (better) best = &e;
    }
    if (!best) {
      auto offers = Offers(index, tool);
      if (!delivered) {
        return Fail("toolchain {}: no package of the recipe ({}) delivers {} in {} ({}); the archive offers {} {}",
                    recipe.name, fmt::join(names, ", "), tool, recipe.mirror, suites, tool, DescribeOffers(offers));
      }
      return Fail("toolchain {} wants {} {} but {} ({}) has no such version of the recipe's packages; it offers {} {}",
                  recipe.name, tool, pattern, recipe.mirror, suites, tool, DescribeOffers(offers));
    }
    pins.push_back(Pin{tool, best->package, best->version, best->suite});
  }
  return pins;
}

std::vector<std::string> PinnedPackages(const Recipe& recipe, const std::vector<Pin>& pins) {
  std::vector<std::string> out;
  for (const auto& p : recipe.packages) {
    std::string name = PackageName(p);
    auto pin = std::find_if(pins.begin(), pins.end(), [&](const Pin& x) { return x.package == name; });
    out.push_back(pin == pins.end() ? p : fmt::format("{}={}", name, pin->version));
  }
  return out;
}

namespace {

PrivateApt AptFor(const Recipe& recipe, const fs::path& apt_dir) {
  return PrivateApt(apt_dir, recipe.SourcesLines(), recipe.apt_options, recipe.mirror);
}

}  // namespace

Result<std::vector<IndexEntry>> ReadArchiveIndex(const Recipe& recipe, const fs::path& apt_dir, ProcessRunner& runner,
                                                 const IndexFilter& keep) {
  auto apt = AptFor(recipe, apt_dir);
  auto fail = [&](const Error& e) {
    return Fail(e.Wrap(fmt::format("reading the archive {} ({})", recipe.mirror, fmt::join(recipe.SuiteNames(), ", "))));
  };
  if (auto st = apt.Update(runner, 1, std::chrono::minutes(5)); !st) return fail(st.error());
  auto indices = apt.PackagesIndices(runner);
  if (!indices) return fail(indices.error());

  std::vector<IndexEntry> index;
  for (const auto& [suite, file] : *indices) {
    PackagesParser parser{suite, keep};
    Command cat;
    cat.argv = {"/usr/lib/apt/apt-helper", "cat-file", file.string()};
    cat.timeout = std::chrono::minutes(2);
    cat.capture_limit = 4096;
    cat.on_line = [&](std::string_view l) { parser.Line(l); };
    auto r = runner.Run(cat);
    if (!r) return Fail(r.error());
    if (!r->ok()) return Fail("apt-helper cat-file {}: {}", file.string(), r->Describe());
    auto entries = parser.Finish();
    index.insert(index.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
  }
  if (index.empty()) return fail(Error{Error::Kind::kInternal, "apt fetched no Packages index"});
  return index;
}

Result<std::vector<fs::path>> DownloadPackages(const Recipe& recipe, const fs::path& apt_dir,
                                               const std::vector<std::string>& packages, ProcessRunner& runner) {
  auto apt = AptFor(recipe, apt_dir);
  if (auto st = apt.Update(runner, 1, std::chrono::minutes(5)); !st) return Fail(st.error());
  return apt.Download(packages, apt_dir / "debs", runner, 1, std::chrono::minutes(10));
}

}  // namespace rfl::toolchain
