#include "lab/toolchain/archive.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

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

std::vector<std::string> PrivateAptOptions(const Recipe& recipe, const fs::path& apt_dir) {
  // A private apt: its own sources, lists, cache and (empty) dpkg status.
  std::vector<std::string> options = {
      "-o", "Dir::Etc::SourceList=" + (apt_dir / "sources.list").string(),
      "-o", "Dir::Etc::SourceParts=/nonexistent",
      "-o", "Dir::Etc::Preferences=/nonexistent",
      "-o", "Dir::Etc::PreferencesParts=/nonexistent",
      "-o", "Dir::State=" + (apt_dir / "state").string(),
      "-o", "Dir::State::Lists=" + (apt_dir / "lists").string(),
      "-o", "Dir::State::status=" + (apt_dir / "status").string(),
      "-o", "Dir::Cache=" + (apt_dir / "cache").string(),
      "-o", "Acquire::Languages=none",
      "-o", "Acquire::Retries=3",
      "-o", "APT::Sandbox::User=root",
      "-o", "Debug::NoLocking=1",
  };
  for (const auto& o : recipe.apt_options) {
    // apt.conf syntax `Key "value"` → -o Key=value
    auto space = o.find(' ');
    std::string key = o.substr(0, space);
    std::string value = space == std::string::npos ? "" : o.substr(space + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    options.insert(options.end(), {"-o", key + "=" + value});
  }
  return options;
}

namespace {

Result<ProcessResult> RunApt(const Recipe& recipe, const fs::path& apt_dir, ProcessRunner& runner,
                             std::vector<std::string> args, std::chrono::seconds timeout,
                             std::optional<fs::path> cwd = std::nullopt) {
  Command c;
  c.argv = {"apt-get"};
  auto options = PrivateAptOptions(recipe, apt_dir);
  c.argv.insert(c.argv.end(), options.begin(), options.end());
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.timeout = timeout;
  c.cwd = std::move(cwd);
  c.env["LC_ALL"] = "C.UTF-8";
  return runner.Run(c);
}

// Writes the private apt's sources and fetches the suites' indices.
Status UpdatePrivateApt(const Recipe& recipe, const fs::path& apt_dir, ProcessRunner& runner) {
  for (const char* sub : {"lists/partial", "cache/archives/partial", "state"}) {
    if (auto st = EnsureDir(apt_dir / sub); !st) return Fail(st.error());
  }
  std::string sources;
  for (const auto& line : recipe.SourcesLines()) sources += line + "\n";
  if (auto st = WriteFileAtomic(apt_dir / "sources.list", sources); !st) return Fail(st.error());
  if (auto st = WriteFileAtomic(apt_dir / "status", ""); !st) return Fail(st.error());
  auto update = RunApt(recipe, apt_dir, runner, {"update"}, std::chrono::minutes(5));
  if (!update) return Fail(update.error());
  if (!update->ok()) {
    return Fail("reading the archive {} ({}): apt-get update: {}: {}", recipe.mirror,
                fmt::join(recipe.SuiteNames(), ", "), update->Describe(), update->output);
  }
  return {};
}

}  // namespace

Result<std::vector<IndexEntry>> ReadArchiveIndex(const Recipe& recipe, const fs::path& apt_dir, ProcessRunner& runner,
                                                 const IndexFilter& keep) {
  if (auto st = UpdatePrivateApt(recipe, apt_dir, runner); !st) return Fail(st.error());
  auto apt = [&](std::vector<std::string> args, std::chrono::seconds timeout) {
    return RunApt(recipe, apt_dir, runner, std::move(args), timeout);
  };
  auto targets = apt({"indextargets", "--format", "$(RELEASE)\t$(FILENAME)", "Identifier: Packages"},
                     std::chrono::seconds(60));
  if (!targets) return Fail(targets.error());
  if (!targets->ok()) return Fail("apt-get indextargets: {}: {}", targets->Describe(), targets->output);

  std::vector<IndexEntry> index;
  size_t start = 0;
  const std::string& out = targets->output;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    std::string line = out.substr(start, nl - start);
    start = nl + 1;
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string suite = line.substr(0, tab), file = line.substr(tab + 1);
    if (!fs::exists(file)) continue;  // an index apt did not fetch (no such suite)
    PackagesParser parser{suite, keep};
    Command cat;
    cat.argv = {"/usr/lib/apt/apt-helper", "cat-file", file};
    cat.timeout = std::chrono::minutes(2);
    cat.capture_limit = 4096;
    cat.on_line = [&](std::string_view l) { parser.Line(l); };
    auto r = runner.Run(cat);
    if (!r) return Fail(r.error());
    if (!r->ok()) return Fail("apt-helper cat-file {}: {}", file, r->Describe());
    auto entries = parser.Finish();
    index.insert(index.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
  }
  if (index.empty()) {
    return Fail("reading the archive {} ({}): apt fetched no Packages index", recipe.mirror,
                fmt::join(recipe.SuiteNames(), ", "));
  }
  return index;
}

Result<std::vector<fs::path>> DownloadPackages(const Recipe& recipe, const fs::path& apt_dir,
                                               const std::vector<std::string>& packages, ProcessRunner& runner) {
  if (auto st = UpdatePrivateApt(recipe, apt_dir, runner); !st) return Fail(st.error());
  fs::path debs = apt_dir / "debs";
  if (auto st = EnsureDir(debs); !st) return Fail(st.error());
  std::vector<std::string> args{"download"};
  args.insert(args.end(), packages.begin(), packages.end());
  auto r = RunApt(recipe, apt_dir, runner, args, std::chrono::minutes(10), debs);
  if (!r) return Fail(r.error());
  if (!r->ok()) return Fail("apt-get download {}: {}: {}", fmt::join(packages, " "), r->Describe(), r->output);
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(debs, ec)) {
    if (e.path().extension() == ".deb") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace rfl::toolchain
