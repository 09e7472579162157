#pragma once
// What a Debian archive offers, read from its Packages indices: apt fetches
// them (private_apt.h: the host's apt state is never touched) and apt-helper
// decompresses them; this file parses the
// stanzas it needs and turns a recipe's `versions:` into exact package
// versions to install, or into an error naming what the archive has instead.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/util/process.h"
#include "lab/util/result.h"

namespace rfl::toolchain {

struct Recipe;

// One binary package version in one suite.
struct IndexEntry {
  std::string package;
  std::string version;                // Debian version: 1.96.0+dfsg1-1~deb13u1+b1
  std::string suite;                  // as the sources line names it: trixie
  std::vector<std::string> provides;  // names only: rustc
};

using IndexFilter = std::function<bool(const IndexEntry&)>;

// Stanzas of a Packages file, fed line by line.
class PackagesParser {
 public:
  PackagesParser(std::string suite, IndexFilter keep) : suite_(std::move(suite)), keep_(std::move(keep)) {}
  void Line(std::string_view line);
  // Ends the last stanza; returns what was kept.
  std::vector<IndexEntry> Finish();

 private:
  void EndStanza();
  std::string suite_;
  IndexFilter keep_;
  IndexEntry current_;
  bool in_provides_ = false;
  std::vector<IndexEntry> kept_;
};

std::vector<IndexEntry> ParsePackagesIndex(std::string_view text, std::string_view suite,
                                           const IndexFilter& keep = nullptr);

// The package installs `tool`: it is named so, Provides it, or is a
// versioned name of it (clang-19 for clang).
bool Delivers(const IndexEntry& e, std::string_view tool);

// Packages of a toolchain worth reading: those that deliver a versioned tool
// (versions.h) and the kernel sources (linux-source-X.Y).
bool IsToolchainPackage(const IndexEntry& e);

// Every entry delivering `tool`, oldest version first.
std::vector<IndexEntry> Offers(const std::vector<IndexEntry>& index, std::string_view tool);

// "1.85.1 (rustc, trixie), 1.96.0 (rustc-web, trixie)"
std::string DescribeOffers(const std::vector<IndexEntry>& offers);

// A package of the recipe held to one exact version.
struct Pin {
  std::string tool;     // rustc
  std::string package;  // rustc-web
  std::string version;  // 1.96.0+dfsg1-1~deb13u1+b1
  std::string suite;
};

// For each version the recipe states, the recipe package delivering that
// tool at the newest matching version. kInternal (the archive changed, not
// the user's input) when none matches, naming what the archive offers.
[[nodiscard]] Result<std::vector<Pin>> ResolvePins(const Recipe& recipe, const std::vector<IndexEntry>& index);

// The recipe's package list with pinned packages as apt's `name=version`.
std::vector<std::string> PinnedPackages(const Recipe& recipe, const std::vector<Pin>& pins);

// Fetches the indices of the recipe's suites (main, host architecture) into
// apt_dir with apt-get update, and parses the entries `keep` wants.
[[nodiscard]] Result<std::vector<IndexEntry>> ReadArchiveIndex(const Recipe& recipe,
                                                               const std::filesystem::path& apt_dir,
                                                               ProcessRunner& runner,
                                                               const IndexFilter& keep = IsToolchainPackage);

// `apt-get download` of exact packages (name or name=version) from the
// recipe's suites into apt_dir/debs; returns every .deb there.
[[nodiscard]] Result<std::vector<std::filesystem::path>> DownloadPackages(const Recipe& recipe,
                                                                          const std::filesystem::path& apt_dir,
                                                                          const std::vector<std::string>& packages,
                                                                          ProcessRunner& runner);

}  // namespace rfl::toolchain
