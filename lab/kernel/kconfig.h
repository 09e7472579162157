#pragma once
// Verified Kconfig. A kernel's .config is the base (tinyconfig, defconfig or a
// file) plus fragments plus the variant's symbols, settled by `olddefconfig`.
// Kconfig silently drops a symbol whose dependencies are not met, so after
// olddefconfig every requested symbol is checked: one that did not keep its
// value is reported with the value asked, the value got, and its "depends on"
// lines from the Kconfig files with the current value of each symbol named
// there (the unmet dependency).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lab/util/result.h"

namespace rfl::kernel {

// SYMBOL (without CONFIG_) → value: y, m, n ("is not set"), a number, or a
// quoted string as written.
using ConfigValues = std::map<std::string, std::string>;

// Parses .config / fragment text: `CONFIG_X=v` and `# CONFIG_X is not set`.
ConfigValues ParseConfig(std::string_view text);

// A requested symbol and where the request came from (fragment file name or
// "variant"). Later requests override earlier ones, as in merge_config.sh.
struct Request {
  std::string symbol;
  std::string value;
  std::string origin;
};

// The merged requests of fragments (in order) then the variant's symbols.
std::vector<Request> MergeRequests(const std::vector<std::pair<std::string, ConfigValues>>& fragments,
                                   const std::map<std::string, std::string>& variant);

// Renders requests as config lines (appended to the base .config).
std::string RenderRequests(const std::vector<Request>& requests);

// One symbol that did not keep its value.
struct Unmet {
  std::string symbol;
  std::string asked;
  std::string got;     // "n" when absent from the final .config
  std::string origin;
  std::string reason;  // "depends on RUST && NET [NET=n]" or "no such symbol in this kernel"
};

// Kconfig "depends on" lines of every symbol, from the Kconfig files of a
// source tree (arch/<arch>/ only for the arch being built).
class KconfigIndex {
 public:
  // Scans Kconfig* files under `source_dir` (skipping other arches).
  static KconfigIndex Scan(const std::filesystem::path& source_dir, std::string_view srcarch);
  // Adds the Kconfig text of one file (unit tests feed real excerpts).
  void AddText(std::string_view text);
  bool Defines(const std::string& symbol) const { return depends_.count(symbol) > 0; }
  // The "depends on" expressions of `symbol` (empty when none or unknown).
  std::vector<std::string> DependsOn(const std::string& symbol) const;
  // Symbols that `select` `symbol` (why a non-prompt symbol can be y).
  std::vector<std::string> SelectedBy(const std::string& symbol) const;

 private:
  std::map<std::string, std::vector<std::string>> depends_;
  std::map<std::string, std::vector<std::string>> selected_by_;
};

// A value equal in Kconfig's sense ("n" == absent; quotes kept for strings).
bool SameValue(const std::string& asked, const std::optional<std::string>& got);

// Checks every request against the final configuration; explains each miss
// with `index` (its dependencies evaluated against `final_config`).
std::vector<Unmet> VerifyConfig(const std::vector<Request>& requests, const ConfigValues& final_config,
                                const KconfigIndex& index);

// Removes from `unmet` the symbols a fragment asked for that `index` does not
// define at all (Rust binder in 6.12: the kernel lacks the feature, which is
// not a broken config) and returns them. A variant's own symbols stay.
std::vector<Unmet> TakeAbsentFragmentSymbols(std::vector<Unmet>& unmet, const KconfigIndex& index);

// "CONFIG_X: asked y, got n (from rust.config); depends on ... [NET=n]", one per line.
std::string DescribeUnmet(const std::vector<Unmet>& unmet);

}  // namespace rfl::kernel
