#include "lab/scenario/load.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "images/agent/plan.h"
#include "lab/codecheck/abi_check.h"
#include "lab/codecheck/flags.h"
#include "lab/kernel/kconfig.h"
#include "images/agent/workload_schema.h"
#include "lab/scenario/input_limits.h"
#include "lab/scenario/kconfig_value.h"
#include "lab/scenario/rustflags.h"
#include "lab/toolchain/installer.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/paths.h"
#include "lab/vm/classifier.h"

namespace rfl::scenario {
namespace fs = std::filesystem;
using nlohmann::json;

Catalog Catalog::FromDataDir(const fs::path& data_dir) {
  Catalog c;
  c.kconfig_dir = data_dir / "images" / "kconfig";
  c.toolchain_dir = data_dir / "images" / "toolchains";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(c.kconfig_dir, ec)) {
    if (e.path().extension() == ".config") c.fragments.push_back(e.path().stem().string());
  }
  for (const auto& e : fs::directory_iterator(c.toolchain_dir, ec)) {
    if (e.path().extension() == ".yaml") c.toolchains.push_back(e.path().stem().string());
  }
  std::sort(c.fragments.begin(), c.fragments.end());
  std::sort(c.toolchains.begin(), c.toolchains.end());
  c.toolchains.push_back("host");
  return c;
}

const std::vector<std::string>& KnownWorkloads() { return agent::KnownWorkloads(); }

namespace {

// Patterns over user text are RE2: linear time, no recursion, whatever the
// input (std::regex recursed per character and crashed on long scalars).
bool FullMatch(std::string_view text, const char* pattern) {
  RE2 re(pattern);
  return RE2::FullMatch(text, re);
}
constexpr const char* kNameRe = "[a-z0-9][a-z0-9-]*";
constexpr std::string_view kNameChars = "abcdefghijklmnopqrstuvwxyz0123456789-";

// "; U+0430 'а' at column 8 is not" — the first character outside `allowed`,
// named by its code point: a Cyrillic 'а' looks like a Latin 'a'.
std::string FirstOutside(std::string_view s, std::string_view allowed) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (allowed.find(s[i]) == std::string_view::npos) {
      return fmt::format("; {} at column {} is not", DescribeCodePoint(s, i), i + 1);
    }
  }
  return {};
}

// User text quoted in a message, with control characters made visible.
// A finite decimal number, the whole text: no nan/inf, no hex floats, no
// leading blanks (std::stod accepted all of them).
std::optional<double> ParseDecimal(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed | std::chars_format::scientific);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (static_cast<unsigned char>(c) < 32) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else out += c;
  }
  return out;
}
constexpr const char* kSymbolRe = "[A-Z0-9_]+";

}  // namespace

std::optional<Workload> DefaultWorkload(std::string_view name) {
  const agent::WorkloadSpec* spec = agent::FindWorkload(name);
  if (!spec) return std::nullopt;
  auto params = agent::NormalizeParams(*spec, json::object());
  if (!params) return std::nullopt;  // a required parameter (command's argv)
  return Workload{spec->name, *params, std::chrono::seconds(spec->default_timeout_s)};
}

namespace {

// Flags that only make sense on some architectures; the kernel's own Makefiles
// pass them only there, and rustc rejects them for other targets.
struct ArchOnlyFlag {
  std::string prefix;
  Arch arch;
};
const std::vector<ArchOnlyFlag>& ArchOnlyFlags() {
  static const std::vector<ArchOnlyFlag> k = {
      {"-Zfixed-x18", Arch::kArm64},          {"-Zbranch-protection", Arch::kArm64},
      {"-Zuse-sync-unwind", Arch::kArm64},    {"-Zcf-protection", Arch::kX86_64},
      {"-Zfunction-return", Arch::kX86_64},   {"-Zindirect-branch-cs-prefix", Arch::kX86_64},
      {"-Zretpoline", Arch::kX86_64},         {"-Zretpoline-external-thunk", Arch::kX86_64},
  };
  return k;
}

// Flags whose objects only link or work with a Kconfig symbol set.
struct CoupledFlag {
  std::string flag_prefix;
  std::string symbol;
  std::string why;
};
const std::vector<CoupledFlag>& CoupledFlags() {
  static const std::vector<CoupledFlag> k = {
      {"-Zfunction-return=thunk-extern", "MITIGATION_RETHUNK",
       "the return thunk __x86_return_thunk only exists with CONFIG_MITIGATION_RETHUNK=y; the link fails "
       "without it"},
      {"-Zsanitizer=kcfi", "CFI", "kCFI type hashes are only checked with CONFIG_CFI=y (CFI_CLANG on older trees)"},
      {"-Zfixed-x18", "SHADOW_CALL_STACK", "x18 is reserved for the shadow call stack"},
  };
  return k;
}

class Validator {
 public:
  Validator(Diagnostics& diags, const fs::path& base_dir, const Catalog& catalog)
      : d_(diags), base_dir_(base_dir), catalog_(catalog) {}

  std::optional<Scenario> Run(const YAML::Node& root, const std::string& text);

 private:
  static SourcePos Pos(const YAML::Node& n) {
    auto m = n.Mark();
    if (m.line < 0) return {};
    return {m.line + 1, m.column + 1};
  }
  static int Len(const YAML::Node& n) {
    if (n.IsScalar()) return std::max<int>(1, static_cast<int>(n.Scalar().size()));
    return 1;
  }
  void Err(const YAML::Node& n, std::string msg, std::string hint = {}) {
    d_.Error(Pos(n), Len(n), std::move(msg), std::move(hint));
  }
  void Warn(const YAML::Node& n, std::string msg, std::string hint = {}) {
    d_.Warning(Pos(n), Len(n), std::move(msg), std::move(hint));
  }
  static std::string KindName(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map: return "a mapping";
      case YAML::NodeType::Sequence: return "a list";
      case YAML::NodeType::Scalar: return fmt::format("'{}'", n.Scalar());
      default: return "nothing";
    }
  }

  // Checks a mapping's keys against `allowed`; reports unknown and duplicate
  // keys. Returns the value of each known key (first occurrence).
  std::map<std::string, std::pair<YAML::Node, YAML::Node>> Keys(const YAML::Node& map,
                                                                const std::vector<std::string>& allowed,
                                                                std::string_view where) {
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> out;
    for (auto it = map.begin(); it != map.end(); ++it) {
      YAML::Node k = it->first;
      if (!k.IsScalar()) {
        Err(k, fmt::format("keys {} must be plain words", where));
        continue;
      }
      const std::string& key = k.Scalar();
      if (out.count(key)) {
        Err(k, fmt::format("duplicate key '{}' {}", key, where),
            fmt::format("the first '{}' is on line {}; remove one of them", key, Pos(out[key].first).line));
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        Err(k, fmt::format("unknown key '{}' {}", key, where), SuggestHint(key, allowed));
        continue;
      }
      out[key] = {k, it->second};
    }
    return out;
  }

  // Duplicate detection for free-form maps (variants, kconfig).
  bool CheckDuplicate(std::map<std::string, SourcePos>& seen, const YAML::Node& key, std::string_view what) {
    auto [it, inserted] = seen.emplace(key.Scalar(), Pos(key));
    if (!inserted) {
      Err(key, fmt::format("duplicate {} '{}'", what, key.Scalar()),
          fmt::format("the first is on line {}; remove one of them", it->second.line));
      return false;
    }
    return true;
  }

  std::optional<std::string> Str(const YAML::Node& n, std::string_view what) {
    if (!n.IsScalar()) {
      Err(n, fmt::format("{} must be a string, not {}", what, KindName(n)));
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<long long> Int(const YAML::Node& n, std::string_view what, long long lo, long long hi) {
    if (!n.IsScalar()) {
      Err(n, fmt::format("{} must be a whole number, not {}", what, KindName(n)));
      return std::nullopt;
    }
    const std::string& s = n.Scalar();
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range && p == s.data() + s.size()) {
      Err(n, fmt::format("{} {} is out of range", what, s), fmt::format("expected {} to {}", lo, hi));
      return std::nullopt;
    }
    if (ec != std::errc() || p != s.data() + s.size()) {
      Err(n, fmt::format("{} must be a whole number, not '{}'", what, Printable(s)));
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      Err(n, fmt::format("{} {} is out of range", what, v), fmt::format("expected {} to {}", lo, hi));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> Number(const YAML::Node& n, std::string_view what) {
    if (!n.IsScalar()) {
      Err(n, fmt::format("{} must be a number, not {}", what, KindName(n)));
      return std::nullopt;
    }
    if (auto v = ParseDecimal(n.Scalar())) return *v;
    Err(n, fmt::format("{} must be a number, not '{}'", what, Printable(n.Scalar())),
        "a decimal number like 0.05 (no nan, inf or hex)");
    return std::nullopt;
  }

  // "1%" or 0.01.
  std::optional<double> Fraction(const YAML::Node& n, std::string_view what, double lo, double hi) {
    if (!n.IsScalar()) {
      Err(n, fmt::format("{} must be a percentage like 1% or a fraction like 0.01", what));
      return std::nullopt;
    }
    std::string s = n.Scalar();
    double scale = 1.0;
    if (!s.empty() && s.back() == '%') {
      s.pop_back();
      scale = 0.01;
    }
    auto parsed = ParseDecimal(s);
    if (!parsed) {
      Err(n, fmt::format("{} must be a percentage like 1% or a fraction like 0.01, not '{}'", what,
                         Printable(n.Scalar())));
      return std::nullopt;
    }
    double v = *parsed * scale;
    if (v < lo || v > hi) {
      Err(n, fmt::format("{} {} is out of range", what, n.Scalar()),
          fmt::format("expected {}% to {}%", lo * 100, hi * 100));
      return std::nullopt;
    }
    return v;
  }

  // "512M", "1G", "1GiB", "65536" (bytes).
  std::optional<uint64_t> Size(const YAML::Node& n, std::string_view what, uint64_t lo, uint64_t hi) {
    if (!n.IsScalar()) {
      Err(n, fmt::format("{} must be a size like 512M or 2G", what));
      return std::nullopt;
    }
    const std::string& s = n.Scalar();
    std::string digits, unit_text;
    if (!RE2::FullMatch(s, RE2("(?i)([0-9]+)\\s*([KMGT]?)(?:i?B)?"), &digits, &unit_text)) {
      Err(n, fmt::format("{} must be a size like 512M or 2G, not '{}'", what, Printable(s)));
      return std::nullopt;
    }
    char unit = unit_text.empty() ? 0 : static_cast<char>(std::toupper(static_cast<unsigned char>(unit_text[0])));
    int shift = unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : unit == 'T' ? 40 : 0;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    // Too many digits for 64 bits is simply out of range, like any big size.
    if (ec != std::errc() || end != digits.data() + digits.size() || v > (hi >> shift)) v = hi + 1;
    else v <<= shift;
    if (v < lo || v > hi) {
      Err(n, fmt::format("{} {} is out of range", what, s),
          fmt::format("expected {}M to {}G", lo >> 20, hi >> 30));
      return std::nullopt;
    }
    return v;
  }

  // "120s", "2m", "1h", "90" (seconds).
  std::optional<std::chrono::seconds> Duration(const YAML::Node& n, std::string_view what, long long lo_s,
                                               long long hi_s) {
    if (!n.IsScalar()) {
      Err(n, fmt::format("{} must be a duration like 90s, 5m or 1h", what));
      return std::nullopt;
    }
    const std::string& s = n.Scalar();
    std::string digits, unit;
    if (!RE2::FullMatch(s, RE2("([0-9]+)\\s*(s|m|h|min)?"), &digits, &unit)) {
      Err(n, fmt::format("{} must be a duration like 90s, 5m or 1h, not '{}'", what, Printable(s)));
      return std::nullopt;
    }
    long long v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    long long factor = unit == "m" || unit == "min" ? 60 : unit == "h" ? 3600 : 1;
    // Overflow (in the digits or the unit) is out of range, never wrapped.
    if (ec != std::errc() || end != digits.data() + digits.size() || v > hi_s / factor) v = hi_s + 1;
    else v *= factor;
    if (v < lo_s || v > hi_s) {
      Err(n, fmt::format("{} {} is out of range", what, s), fmt::format("expected {}s to {}s", lo_s, hi_s));
      return std::nullopt;
    }
    return std::chrono::seconds(v);
  }

  // A list of scalars (a single scalar is accepted as a one-item list when
  // `allow_scalar`); each item is passed to `each` with its node.
  template <typename F>
  void List(const YAML::Node& n, std::string_view what, bool allow_scalar, F each) {
    if (n.IsScalar() && allow_scalar) {
      each(n);
      return;
    }
    if (!n.IsSequence()) {
      Err(n, fmt::format("{} must be a list, not {}", what, KindName(n)),
          fmt::format("write it as [a, b] or one '- item' per line"));
      return;
    }
    for (const auto& item : n) each(item);
  }

  void Name(const YAML::Node& n, Scenario& s);
  void Kernel(const YAML::Node& n, Scenario& s);
  void KernelSourceItem(const YAML::Node& n, Scenario& s);
  void Fragments(const YAML::Node& n, Scenario& s);
  void Toolchains(const YAML::Node& n, Scenario& s);
  void Arches(const YAML::Node& n, Scenario& s);
  void Variants(const YAML::Node& n, Scenario& s);
  std::optional<Variant> OneVariant(const YAML::Node& key, const YAML::Node& body);
  void Rustflags(const YAML::Node& n, Variant& v);
  void Kconfig(const YAML::Node& n, std::map<std::string, std::string>& out);
  void ExpectCode(const YAML::Node& n, std::map<std::string, std::string>& out);
  void AbiChecks(const YAML::Node& n, Scenario& s);
  void Boot(const YAML::Node& n, Scenario& s);
  void RepeatKey(const YAML::Node& n, Scenario& s);
  void Workloads(const YAML::Node& n, Scenario& s);
  std::optional<Workload> OneWorkload(const YAML::Node& n);
  void ThresholdsKey(const YAML::Node& n, Scenario& s);
  void AllowedWarnings(const YAML::Node& n, std::vector<std::string>& out);
  void CrossChecks(const Scenario& s, const std::map<std::string, YAML::Node>& variant_nodes,
                   const YAML::Node& workloads_node);
  std::optional<fs::path> ExistingPath(const YAML::Node& n, const std::string& p, bool want_dir,
                                       std::string_view what);
  bool SafeConfigFile(const YAML::Node& n, const fs::path& path, const std::string& shown, std::string_view what);

  Diagnostics& d_;
  fs::path base_dir_;
  const Catalog& catalog_;
  std::map<std::string, YAML::Node> variant_nodes_;
  std::map<std::string, YAML::Node> rustflag_nodes_;  // "variant\0flag" → node
  std::vector<YAML::Node> workload_nodes_;            // the name node of each accepted workload, in order
};

std::optional<fs::path> Validator::ExistingPath(const YAML::Node& n, const std::string& p, bool want_dir,
                                               std::string_view what) {
  fs::path path(p);
  if (path.is_relative()) path = base_dir_ / path;
  path = path.lexically_normal();
  std::error_code ec;
  auto st = fs::status(path, ec);
  std::string resolved = path.is_absolute() && p != path.string() ? fmt::format("resolved to {}", path.string()) : "";
  if (ec || !fs::exists(st)) {
    Err(n, fmt::format("{} '{}' does not exist", what, p), resolved);
    return std::nullopt;
  }
  bool ok = want_dir ? fs::is_directory(st) : fs::is_regular_file(st);
  if (!ok) {
    std::string kind = fs::is_directory(st)       ? "a directory"
                       : fs::is_character_file(st) ? "a character device"
                       : fs::is_block_file(st)     ? "a block device"
                       : fs::is_fifo(st)           ? "a FIFO"
                       : fs::is_socket(st)         ? "a socket"
                                                   : "a regular file";
    Err(n, fmt::format("{} '{}' is {}, not {}", what, p, kind, want_dir ? "a directory" : "a regular file"),
        resolved);
    return std::nullopt;
  }
  return fs::absolute(path);
}

// Kconfig text from a file (a fragment or a base .config) reaches kbuild as
// it is: refuse values make or a shell would interpret (kconfig_value.h).
bool Validator::SafeConfigFile(const YAML::Node& n, const fs::path& path, const std::string& shown,
                               std::string_view what) {
  constexpr std::uintmax_t kMaxConfigBytes = 16u << 20;
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size > kMaxConfigBytes) {
    Err(n, fmt::format("{} '{}' is {}", what, shown, ec ? "unreadable" : "larger than 16 MiB"));
    return false;
  }
  auto text = ReadFile(path);
  if (!text) {
    Err(n, fmt::format("cannot read {} '{}': {}", what, shown, text.error().message));
    return false;
  }
  auto unsafe = UnsafeConfigLines(*text);
  if (unsafe.empty()) return true;
  constexpr size_t kShown = 5;
  std::string lines;
  for (size_t i = 0; i < unsafe.size() && i < kShown; ++i) {
    lines += fmt::format("\n  {}:{}:{}: CONFIG_{}: {}", shown, unsafe[i].line, unsafe[i].col,
                         unsafe[i].symbol, unsafe[i].reason);
  }
  if (unsafe.size() > kShown) lines += fmt::format("\n  … and {} more", unsafe.size() - kShown);
  Err(n, fmt::format("{} '{}' has {} value(s) kbuild would run or interpret:{}", what, shown,
                     unsafe.size(), lines),
      std::string(kKconfigStringHint));
  return false;
}

void Validator::Name(const YAML::Node& n, Scenario& s) {
  auto v = Str(n, "name");
  if (!v) return;
  if (!FullMatch(*v, kNameRe) || v->size() > 64) {
    Err(n, fmt::format("scenario name '{}' must use only a-z, 0-9 and '-'{}", *v, FirstOutside(*v, kNameChars)),
        "names appear in metrics and file names; e.g. 'x86-hardening'");
    return;
  }
  s.name = *v;
}

void Validator::KernelSourceItem(const YAML::Node& n, Scenario& s) {
  auto v = Str(n, "kernel.source");
  if (!v) return;
  const std::string hint = "expected debian:linux-source-X.Y, path:DIR or tarball:FILE";
  auto colon = v->find(':');
  if (colon == std::string::npos) {
    Err(n, fmt::format("kernel source '{}' has no kind", *v),
        v->rfind("linux-source-", 0) == 0 ? fmt::format("did you mean 'debian:{}'?", *v) : hint);
    return;
  }
  std::string kind = v->substr(0, colon), value = v->substr(colon + 1);
  KernelSource src;
  src.spec = *v;
  if (kind == "debian") {
    if (!FullMatch(value, R"(linux-source-[0-9]{1,3}\.[0-9]{1,3})")) {
      Err(n, fmt::format("'{}' is not a Debian kernel source package", value),
          "Debian ships kernel sources as linux-source-X.Y, e.g. debian:linux-source-7.3");
      return;
    }
    src.kind = KernelSource::Kind::kDebian;
    src.value = value;
  } else if (kind == "path") {
    auto p = ExistingPath(n, value, true, "kernel source directory");
    if (!p) return;
    if (!fs::exists(*p / "Makefile") || !fs::exists(*p / "Kconfig")) {
      Err(n, fmt::format("'{}' is not a kernel source tree (no Makefile and Kconfig)", value));
      return;
    }
    src.kind = KernelSource::Kind::kPath;
    src.value = p->string();
  } else if (kind == "tarball") {
    auto p = ExistingPath(n, value, false, "kernel tarball");
    if (!p) return;
    src.kind = KernelSource::Kind::kTarball;
    src.value = p->string();
  } else {
    Err(n, fmt::format("unknown kernel source kind '{}'", kind),
        SuggestHint(kind, {"debian", "path", "tarball"}) + "; " + hint);
    return;
  }
  for (const auto& existing : s.kernel.sources) {
    if (existing.spec == src.spec) {
      Err(n, fmt::format("kernel source '{}' is listed twice", src.spec));
      return;
    }
  }
  s.kernel.sources.push_back(std::move(src));
}

void Validator::Fragments(const YAML::Node& n, Scenario& s) {
  List(n, "kernel.fragments", false, [&](const YAML::Node& item) {
    auto v = Str(item, "a fragment");
    if (!v) return;
    bool looks_like_path = v->find('/') != std::string::npos || v->ends_with(".config");
    fs::path resolved;
    if (looks_like_path) {
      auto p = ExistingPath(item, *v, false, "Kconfig fragment");
      if (!p) return;
      resolved = *p;
    } else {
      if (std::find(catalog_.fragments.begin(), catalog_.fragments.end(), *v) == catalog_.fragments.end()) {
        Err(item, fmt::format("unknown Kconfig fragment '{}'", *v),
            SuggestHint(*v, catalog_.fragments) + " (fragments live in images/kconfig/; a path works too)");
        return;
      }
      if (v->rfind("base-", 0) == 0) {
        Warn(item, fmt::format("'{}' is an architecture base fragment; the lab adds it for its arch already", *v));
      }
      resolved = catalog_.kconfig_dir / (*v + ".config");
    }
    if (!SafeConfigFile(item, resolved, *v, "Kconfig fragment")) return;
    if (std::find(s.kernel.fragments.begin(), s.kernel.fragments.end(), resolved) != s.kernel.fragments.end()) {
      Err(item, fmt::format("fragment '{}' is listed twice", *v));
      return;
    }
    s.kernel.fragments.push_back(resolved);
    s.kernel.fragment_names.push_back(*v);
  });
}

void Validator::Kernel(const YAML::Node& n, Scenario& s) {
  if (!n.IsMap()) {
    Err(n, fmt::format("kernel must be a mapping with source, config and fragments, not {}", KindName(n)));
    return;
  }
  auto keys = Keys(n, {"source", "config", "fragments"}, "in kernel");
  if (!keys.count("source")) {
    Err(n, "kernel has no source", "add e.g. 'source: debian:linux-source-7.3'");
  } else {
    const YAML::Node& src = keys["source"].second;
    List(src, "kernel.source", true, [&](const YAML::Node& item) { KernelSourceItem(item, s); });
    if (src.IsSequence() && src.size() == 0) Err(src, "empty matrix: kernel.source lists no kernel");
  }
  if (keys.count("config")) {
    const YAML::Node& c = keys["config"].second;
    if (auto v = Str(c, "kernel.config")) {
      if (*v == "tinyconfig" || *v == "defconfig") {
        s.kernel.config = *v;
      } else if (v->find('/') != std::string::npos || v->find('.') != std::string::npos) {
        auto p = ExistingPath(c, *v, false, "kernel config");
        if (p && SafeConfigFile(c, *p, *v, "kernel config")) s.kernel.config = p->string();
      } else {
        Err(c, fmt::format("unknown base config '{}'", *v),
            SuggestHint(*v, {"tinyconfig", "defconfig"}) + " (or a path to a .config file)");
      }
    }
  }
  if (keys.count("fragments")) Fragments(keys["fragments"].second, s);
}

void Validator::Toolchains(const YAML::Node& n, Scenario& s) {
  List(n, "toolchains", true, [&](const YAML::Node& item) {
    auto v = Str(item, "a toolchain");
    if (!v) return;
    if (v->starts_with(toolchain::kSysrootPrefix)) {
      // A compiler the user brings: dir:PATH, relative to the scenario file.
      if (*v == toolchain::kSysrootPrefix) {
        Err(item, "dir: needs a path", "e.g. dir:/home/me/rust/build/x86_64-unknown-linux-gnu/stage1");
        return;
      }
      auto sysroot = toolchain::SysrootOf(toolchain::AbsoluteToolchainName(*v, base_dir_));
      if (!sysroot) {
        Err(item, sysroot.error().message);
        return;
      }
      if (auto st = toolchain::CheckSysroot(*sysroot); !st) {
        Err(item, st.error().message);
        return;
      }
      *v = std::string(toolchain::kSysrootPrefix) + sysroot->string();
    } else if (v->starts_with(toolchain::kTarballPrefix)) {
      // Upstream release tarballs: tarball:FILE, relative to the scenario file.
      if (*v == toolchain::kTarballPrefix) {
        Err(item, "tarball: needs a file", "e.g. tarball:dist/rust-1.85.1-x86_64-unknown-linux-gnu.tar.xz");
        return;
      }
      std::string name = toolchain::AbsoluteToolchainName(*v, base_dir_);
      auto tarballs = toolchain::FindInstallerTarballs(name);
      if (!tarballs) {
        Err(item, tarballs.error().message);
        return;
      }
      *v = name;
    } else if (std::find(catalog_.toolchains.begin(), catalog_.toolchains.end(), *v) == catalog_.toolchains.end()) {
      Err(item, fmt::format("unknown toolchain '{}'", *v),
          SuggestHint(*v, catalog_.toolchains) +
              " (recipes live in images/toolchains/; a compiler of your own is dir:/path/to/sysroot or "
              "tarball:/path/rust-<version>-<host>.tar.xz)");
      return;
    }
    if (std::find(s.toolchains.begin(), s.toolchains.end(), *v) != s.toolchains.end()) {
      Err(item, fmt::format("toolchain '{}' is listed twice", *v));
      return;
    }
    s.toolchains.push_back(*v);
  });
  if (n.IsSequence() && n.size() == 0) Err(n, "empty matrix: no toolchain", "add e.g. [rustc-1.96]");
}

// The hint for an arch name the lab does not know: the kernel's name for a
// common other one, else the closest known name.
std::string ArchHint(const std::string& v) {
  if (v == "aarch64") return "did you mean 'arm64'? (the kernel's name for it)";
  if (v == "riscv" || v == "rv64") return "did you mean 'riscv64'?";
  if (v == "amd64" || v == "x86") return "did you mean 'x86_64'?";
  return SuggestHint(v, KnownArchNames());
}

void Validator::Arches(const YAML::Node& n, Scenario& s) {
  List(n, "arches", true, [&](const YAML::Node& item) {
    auto v = Str(item, "an arch");
    if (!v) return;
    auto a = ParseArch(*v);
    if (!a) {
      Err(item, fmt::format("unknown arch '{}'", *v), ArchHint(*v));
      return;
    }
    if (std::find(s.arches.begin(), s.arches.end(), *a) != s.arches.end()) {
      Err(item, fmt::format("arch '{}' is listed twice", *v));
      return;
    }
    s.arches.push_back(*a);
  });
  if (n.IsSequence() && n.size() == 0) Err(n, "empty matrix: no arch", "add e.g. [x86_64]");
}

void Validator::Rustflags(const YAML::Node& n, Variant& v) {
  std::string previous;
  List(n, "rustflags", true, [&](const YAML::Node& item) {
    auto f = Str(item, "a Rust flag");
    if (!f) return;
    std::string reason = UnsafeRustflagReason(*f);
    std::string prev = std::exchange(previous, *f);
    if (!reason.empty()) {
      std::string hint;
      if (!f->empty() && (*f)[0] != '-' && prev.find('=') != std::string::npos && n.IsSequence()) {
        hint = fmt::format("a comma inside [ ] separates list items; quote the flag: \"{},{}\"", prev, *f);
      } else if (f->find(' ') != std::string::npos && f->size() > 2 && (*f)[0] == '-' &&
          ((*f)[1] == 'C' || (*f)[1] == 'Z') && (*f)[2] == ' ') {
        hint = fmt::format("write it as one word: '{}{}'", f->substr(0, 2), f->substr(3));
      } else if (f->find(' ') != std::string::npos) {
        hint = "give each flag as its own list item";
      } else {
        hint = "KRUSTFLAGS reaches make and a shell; only letters, digits and _ = , . : + / - are allowed";
      }
      Err(item, fmt::format("'{}' is not a single Rust flag: {}", Printable(*f), reason), hint);
      return;
    }
    std::string close = ClosestKnownRustflag(*f);
    if (!close.empty()) {
      Warn(item, fmt::format("'{}' is not a flag the kernel uses", *f), fmt::format("did you mean '{}'?", close));
    }
    rustflag_nodes_[v.name + '\0' + *f] = item;
    v.rustflags.push_back(*f);
  });
}

// expect_code: {FLAG: partial | absent | not-applicable} — a code-check
// verdict other than `effective` that the variant expects for a flag.
void Validator::ExpectCode(const YAML::Node& n, std::map<std::string, std::string>& out) {
  if (!n.IsMap()) {
    Err(n, fmt::format("expect_code must be a mapping FLAG: verdict, not {}", KindName(n)),
        "e.g. expect_code: {-Zcf-protection=branch: partial}");
    return;
  }
  std::map<std::string, SourcePos> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    YAML::Node k = it->first, val = it->second;
    if (!k.IsScalar()) {
      Err(k, "expect_code keys must be rustc flags");
      continue;
    }
    if (!CheckDuplicate(seen, k, "expect_code flag")) continue;
    std::string flag = k.Scalar();
    if (val.IsNull()) {
      Err(k, fmt::format("no verdict for '{}'", flag),
          "a comma inside { } separates entries: quote a flag that has one, \"-Zpatchable-function-entry=4,2\"");
      continue;
    }
    if (auto check = codecheck::MakeFlagCheck(flag); !check) {
      if (check.error().message.starts_with("no code check")) {
        Err(k, fmt::format("no code check for '{}'", flag),
            fmt::format("flags with a code check: {}", fmt::join(codecheck::KnownFlagForms(), ", ")));
      } else {
        Err(k, check.error().message);
      }
      continue;
    }
    static const std::vector<std::string> kVerdicts = {"partial", "absent", "not-applicable"};
    if (!val.IsScalar() || std::find(kVerdicts.begin(), kVerdicts.end(), val.Scalar()) == kVerdicts.end()) {
      std::string got = val.IsScalar() ? val.Scalar() : std::string(KindName(val));
      Err(val, fmt::format("'{}' is not a code-check verdict to expect for {}", got, flag),
          got == "effective" ? "effective is what every claimed flag is expected to be: leave the flag out"
                             : SuggestHint(got, kVerdicts));
      continue;
    }
    out[flag] = val.Scalar();
  }
}

void Validator::Kconfig(const YAML::Node& n, std::map<std::string, std::string>& out) {
  if (!n.IsMap()) {
    Err(n, fmt::format("kconfig must be a mapping SYMBOL: value, not {}", KindName(n)),
        "e.g. kconfig: {ANDROID_BINDER_IPC: y}");
    return;
  }
  std::map<std::string, SourcePos> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    YAML::Node k = it->first, val = it->second;
    if (!k.IsScalar()) {
      Err(k, "Kconfig symbols must be words");
      continue;
    }
    std::string sym = k.Scalar();
    if (!CheckDuplicate(seen, k, "Kconfig symbol")) continue;
    if (sym.rfind("CONFIG_", 0) == 0) {
      Err(k, fmt::format("write Kconfig symbols without the CONFIG_ prefix: '{}'", sym),
          fmt::format("use '{}'", sym.substr(7)));
      continue;
    }
    if (!FullMatch(sym, kSymbolRe)) {
      Err(k, fmt::format("'{}' is not a Kconfig symbol", sym), "symbols are upper case: A-Z, 0-9 and _");
      continue;
    }
    if (!val.IsScalar()) {
      Err(val, fmt::format("the value of {} must be y, n, m, a number or a quoted string", sym));
      continue;
    }
    std::string value = val.Scalar();
    bool quoted = val.Tag() == "!";

    if (quoted) {
      if (auto why = UnsafeKconfigStringReason(value); !why.empty()) {
        Err(val, fmt::format("the string value of {} is refused: {}", sym, why), std::string(kKconfigStringHint));
        continue;
      }
      value = "\"" + value + "\"";
    } else if (value == "true" || value == "false" || value == "yes" || value == "no" || value == "on" ||
               value == "off") {
      Err(val, fmt::format("'{}' is not a Kconfig value", value),
          fmt::format("use {}", (value == "true" || value == "yes" || value == "on") ? "y" : "n"));
      continue;
    } else if (value != "y" && value != "n" && value != "m" && !FullMatch(value, R"(-?[0-9]{1,19}|0x[0-9a-fA-F]{1,16})")) {
      Err(val, fmt::format("'{}' is not a Kconfig value for {}", value, sym),
          "use y, n, m, a number, or quote a string value");
      continue;
    }
    out[sym] = value;
  }
}

std::optional<Variant> Validator::OneVariant(const YAML::Node& key, const YAML::Node& body) {
  Variant v;
  v.name = key.Scalar();
  bool ok = true;
  if (!FullMatch(v.name, kNameRe) || v.name.size() > 40) {
    Err(key, fmt::format("variant name '{}' must use only a-z, 0-9 and '-'{}", v.name, FirstOutside(v.name, kNameChars)),
        "names appear in metrics labels and reports");
    ok = false;
  }
  if (body.IsNull()) return ok ? std::optional(v) : std::nullopt;
  if (!body.IsMap()) {
    Err(body, fmt::format("variant '{}' must be a mapping (rustflags, kconfig, expect), not {}", v.name,
                          KindName(body)),
        "an unchanged variant is written '{}'");
    return std::nullopt;
  }
  int before = d_.ErrorCount();
  auto keys = Keys(body, {"description", "rustflags", "kconfig", "expect", "expect_code", "allowed_warnings"},
                   fmt::format("in variant '{}'", v.name));
  if (keys.count("description")) Str(keys["description"].second, "description");
  if (keys.count("rustflags")) Rustflags(keys["rustflags"].second, v);
  if (keys.count("kconfig")) Kconfig(keys["kconfig"].second, v.kconfig);
  if (keys.count("expect")) {
    const YAML::Node& e = keys["expect"].second;
    if (auto s = Str(e, "expect")) {
      if (*s == "pass") v.expect = Expect::kPass;
      else if (*s == "build-failure") v.expect = Expect::kBuildFailure;
      else if (*s == "boot-failure") v.expect = Expect::kBootFailure;
      else Err(e, fmt::format("unknown expectation '{}'", *s), SuggestHint(*s, {"pass", "build-failure", "boot-failure"}));
    }
  }
  if (keys.count("expect_code")) ExpectCode(keys["expect_code"].second, v.expect_code);
  if (keys.count("allowed_warnings")) AllowedWarnings(keys["allowed_warnings"].second, v.allowed_warnings);
  if (d_.ErrorCount() != before || !ok) return std::nullopt;
  return v;
}

void Validator::Variants(const YAML::Node& n, Scenario& s) {
  if (!n.IsMap()) {
    Err(n, fmt::format("variants must be a mapping of name: settings, not {}", KindName(n)),
        "e.g. variants: {baseline: {}, ibt: {rustflags: [-Zcf-protection=branch]}}");
    return;
  }
  if (n.size() == 0) {
    Err(n, "empty matrix: no variant", "add at least 'baseline: {}'");
    return;
  }
  std::map<std::string, SourcePos> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    YAML::Node k = it->first;
    if (!k.IsScalar()) {
      Err(k, "variant names must be words");
      continue;
    }
    if (!CheckDuplicate(seen, k, "variant")) continue;
    variant_nodes_[k.Scalar()] = k;
    if (auto v = OneVariant(k, it->second)) s.variants.push_back(std::move(*v));
  }
}

void Validator::Boot(const YAML::Node& n, Scenario& s) {
  if (!n.IsMap()) {
    Err(n, fmt::format("boot must be a mapping, not {}", KindName(n)));
    return;
  }
  auto keys = Keys(n, {"accel", "timing", "memory", "cpus", "timeout", "cmdline"}, "in boot");
  if (keys.count("accel")) {
    const YAML::Node& a = keys["accel"].second;
    if (auto v = Str(a, "boot.accel")) {
      if (*v == "auto") s.boot.accel = Accel::kAuto;
      else if (*v == "kvm") s.boot.accel = Accel::kKvm;
      else if (*v == "tcg") s.boot.accel = Accel::kTcg;
      else Err(a, fmt::format("unknown accelerator '{}'", *v), SuggestHint(*v, {"auto", "kvm", "tcg"}));
    }
  }
  if (keys.count("timing")) {
    const YAML::Node& t = keys["timing"].second;
    if (auto v = Str(t, "boot.timing")) {
      if (*v == "icount") s.boot.timing = Timing::kIcount;
      else if (*v == "wall") s.boot.timing = Timing::kWall;
      else Err(t, fmt::format("unknown timing mode '{}'", *v), SuggestHint(*v, {"icount", "wall"}));
    }
  }
  if (keys.count("memory")) {
    if (auto v = Size(keys["memory"].second, "boot.memory", 64ull << 20, 64ull << 30)) s.boot.memory_bytes = *v;
  }
  if (keys.count("cpus")) {
    if (auto v = Int(keys["cpus"].second, "boot.cpus", 1, 64)) s.boot.cpus = static_cast<int>(*v);
  }
  if (keys.count("timeout")) {
    if (auto v = Duration(keys["timeout"].second, "boot.timeout", 5, 24 * 3600)) s.boot.timeout = *v;
  }
  if (keys.count("cpus") && s.boot.cpus > 1 && s.boot.timing == Timing::kIcount) {
    Warn(keys["cpus"].second, fmt::format("{} CPUs with icount timing", s.boot.cpus),
         "QEMU's icount runs all vCPUs on one thread and guests have hung bringing up secondary CPUs; use cpus: 1 "
         "or timing: wall");
  }
  if (keys.count("cmdline")) {
    List(keys["cmdline"].second, "boot.cmdline", true, [&](const YAML::Node& item) {
      auto w = Str(item, "a command-line word");
      if (!w) return;
      if (w->empty() || w->find_first_of(" \t\n\r") != std::string::npos) {
        Err(item, fmt::format("'{}' is not a single kernel command-line word", *w),
            "give each word as its own list item");
        return;
      }
      s.boot.cmdline.push_back(*w);
    });
  }
}

void Validator::RepeatKey(const YAML::Node& n, Scenario& s) {
  if (n.IsScalar()) {
    if (auto v = Int(n, "repeat", 1, 1000)) s.repeat = {static_cast<int>(*v), static_cast<int>(*v)};
  } else if (n.IsMap()) {
    auto keys = Keys(n, {"min", "max"}, "in repeat");
    int min = 5, max = 5;
    bool ok = true;
    if (keys.count("min")) {
      if (auto v = Int(keys["min"].second, "repeat.min", 1, 1000)) min = static_cast<int>(*v);
      else ok = false;
    }
    if (keys.count("max")) {
      if (auto v = Int(keys["max"].second, "repeat.max", 1, 1000)) max = static_cast<int>(*v);
      else ok = false;
    } else {
      max = min;
    }
    if (ok && max < min) {
      Err(keys.count("max") ? keys["max"].second : n, fmt::format("repeat.max {} is below repeat.min {}", max, min));
      return;
    }
    s.repeat = {min, max};
  } else {
    Err(n, "repeat must be a number of boots or {min: N, max: M}");
    return;
  }
  if (s.repeat.max < 5) {
    Warn(n, fmt::format("{} boots per variant cannot give a verdict", s.repeat.max),
         "a two-sided Mann-Whitney test needs at least 5 samples per side to reach p < 0.05");
  }
}

std::optional<Workload> Validator::OneWorkload(const YAML::Node& n) {
  YAML::Node name_node, params_node;
  if (n.IsScalar()) {
    name_node = n;
  } else if (n.IsMap() && n.size() == 1) {
    name_node = n.begin()->first;
    params_node = n.begin()->second;
  } else {
    Err(n, "a workload is a name, or a name with parameters like 'binder: {iterations: 2000}'");
    return std::nullopt;
  }
  auto name = Str(name_node, "workload");
  if (!name) return std::nullopt;
  const agent::WorkloadSpec* spec = agent::FindWorkload(*name);
  if (!spec) {
    Err(name_node, fmt::format("unknown workload '{}'", *name), SuggestHint(*name, KnownWorkloads()));
    return std::nullopt;
  }
  Workload w;
  w.name = *name;
  w.timeout = std::chrono::seconds(spec->default_timeout_s);
  json given = json::object();
  int before = d_.ErrorCount();
  if (params_node && !params_node.IsNull()) {
    if (!params_node.IsMap()) {
      Err(params_node, fmt::format("the parameters of {} must be a mapping, not {}", *name, KindName(params_node)));
      return std::nullopt;
    }
    std::vector<std::string> allowed{"timeout"};
    for (const auto& p : spec->params) allowed.push_back(p.name);
    auto keys = Keys(params_node, allowed, fmt::format("in workload '{}'", *name));
    if (keys.count("timeout")) {
      if (auto t = Duration(keys["timeout"].second, fmt::format("{}.timeout", *name), agent::kMinWorkloadTimeoutS,
                            agent::kMaxWorkloadTimeoutS)) {
        w.timeout = *t;
      }
    }
    for (const auto& p : spec->params) {
      if (!keys.count(p.name)) continue;
      const YAML::Node& v = keys[p.name].second;
      std::string what = fmt::format("{}.{}", *name, p.name);
      // The YAML's shape here; the value's rules in the shared schema.
      std::vector<YAML::Node> items;
      json value;
      int shape_errors = d_.ErrorCount();
      switch (p.kind) {
        case agent::ParamKind::kInt:
          if (auto x = Int(v, what, std::numeric_limits<long long>::min(), std::numeric_limits<long long>::max())) {
            value = *x;
          }
          break;
        case agent::ParamKind::kEnum:
          if (auto x = Str(v, what)) value = *x;
          break;
        case agent::ParamKind::kIntList:
        case agent::ParamKind::kEnumList:
        case agent::ParamKind::kStringList:
        case agent::ParamKind::kArgv:
          value = json::array();
          List(v, what, p.kind != agent::ParamKind::kArgv, [&](const YAML::Node& item) {
            items.push_back(item);
            if (p.kind == agent::ParamKind::kIntList) {
              if (auto x = Int(item, fmt::format("a {} value", what), std::numeric_limits<long long>::min(),
                               std::numeric_limits<long long>::max())) {
                value.push_back(*x);
              }
            } else if (auto x = Str(item, what)) {
              value.push_back(*x);
            }
          });
          break;
      }
      if (d_.ErrorCount() != shape_errors || value.is_null()) continue;
      if (auto problem = agent::CheckParam(p, value)) {
        const YAML::Node& at = problem->index && *problem->index < items.size() ? items[*problem->index] : v;
        std::string hint;
        if (!problem->suggest.empty() && at.IsScalar()) hint = SuggestHint(at.Scalar(), problem->suggest);
        else if (p.kind == agent::ParamKind::kArgv) hint = "e.g. [/bin/true]";
        else if (p.power_of_two && problem->message.find("power of two") != std::string::npos)
          hint = "e.g. 512, 4096, 65536";
        std::string message = problem->message.starts_with("unknown") || problem->message.starts_with("'")
                                  ? problem->message
                                  : fmt::format("{} {}", what, problem->message);
        if (problem->message.starts_with("unknown")) message = fmt::format("unknown {} '{}'", what, at.Scalar());
        Err(at, message, hint);
        continue;
      }
      given[p.name] = value;
    }
  }
  for (const auto& p : spec->params) {
    if (p.required && !given.contains(p.name)) {
      // A bare name ('- command') or an empty value ('- command:') has no
      // parameters mapping to point at (its null node has no position, or
      // the next line's): point at the name.
      Err(params_node.IsMap() ? params_node : name_node, fmt::format("workload '{}' needs '{}'", *name, p.name),
          *name == "command" ? "e.g. command: {argv: [/bin/true]}" : "");
    }
  }
  if (d_.ErrorCount() != before) return std::nullopt;
  auto normalized = agent::NormalizeParams(*spec, given);
  if (!normalized) {
    Err(name_node, fmt::format("workload '{}': {}", *name, normalized.error().message));
    return std::nullopt;
  }
  w.params = std::move(*normalized);
  return w;
}

void Validator::Workloads(const YAML::Node& n, Scenario& s) {
  if (!n.IsSequence()) {
    Err(n, fmt::format("workloads must be a list, not {}", KindName(n)), "e.g. workloads: [boot, binder]");
    return;
  }
  std::map<std::string, SourcePos> seen;
  for (const auto& item : n) {
    auto w = OneWorkload(item);
    if (!w) continue;
    // Two binder entries would overwrite each other's samples; command may repeat.
    if (w->name != "command") {
      YAML::Node key = item.IsMap() ? item.begin()->first : item;
      if (!CheckDuplicate(seen, key, "workload")) continue;
    }
    workload_nodes_.push_back(item.IsMap() ? item.begin()->first : item);
    s.workloads.push_back(std::move(*w));
  }
}

void Validator::ThresholdsKey(const YAML::Node& n, Scenario& s) {
  if (!n.IsMap()) {
    Err(n, "thresholds must be a mapping like {noise: 1%, alpha: 0.05}");
    return;
  }
  auto keys = Keys(n, {"noise", "alpha"}, "in thresholds");
  if (keys.count("noise")) {
    if (auto v = Fraction(keys["noise"].second, "thresholds.noise", 0.0, 0.5)) s.thresholds.noise = *v;
  }
  if (keys.count("alpha")) {
    const YAML::Node& a = keys["alpha"].second;
    if (auto v = Number(a, "thresholds.alpha")) {
      if (*v <= 0 || *v >= 0.5) Err(a, fmt::format("thresholds.alpha {} is out of range", a.Scalar()), "expected a value in (0, 0.5), e.g. 0.05");
      else s.thresholds.alpha = *v;
    }
  }
}

void Validator::AllowedWarnings(const YAML::Node& n, std::vector<std::string>& out) {
  List(n, "allowed_warnings", true, [&](const YAML::Node& item) {
    auto v = Str(item, "an allowed-warning pattern");
    if (!v) return;
    // The classifier's own rule: RE2 (linear time, whatever the pattern).
    if (auto ok = vm::CheckAllowedWarning(*v); !ok) {
      Err(item, ok.error().message, "patterns are RE2 regular expressions matched against a WARNING report's text");
      return;
    }
    out.push_back(*v);
  });
}

// abi_checks: a list of rustc flags, each checked on every arch of the
// scenario, or {flag: F, arches: [A, …]} for some of them (docs/abicheck.md).
void Validator::AbiChecks(const YAML::Node& n, Scenario& s) {
  std::map<std::string, SourcePos> seen;
  auto flag_of = [&](const YAML::Node& item) -> std::optional<std::string> {
    auto f = Str(item, "an ABI-check flag");
    if (!f) return std::nullopt;
    if (auto name = codecheck::ModifierName(*f); !name) {
      Err(item, name.error().message, "e.g. -Zfixed-x18 or \"-Zbranch-protection=bti,pac-ret\" (quoted in [ ])");
      return std::nullopt;
    }
    if (auto [it, inserted] = seen.emplace(*f, Pos(item)); !inserted) {
      Err(item, fmt::format("ABI check '{}' is listed twice", *f),
          fmt::format("the first is on line {}; give one entry the arches it needs", it->second.line));
      return std::nullopt;
    }
    return f;
  };
  List(n, "abi_checks", true, [&](const YAML::Node& item) {
    AbiCheckRequest r;
    if (item.IsMap()) {
      auto keys = Keys(item, {"flag", "arches"}, "in an abi_checks entry");
      if (!keys.count("flag")) {
        Err(item, "an abi_checks entry without 'flag'", "e.g. {flag: -Zfixed-x18, arches: [arm64]}");
        return;
      }
      auto f = flag_of(keys["flag"].second);
      if (!f) return;
      r.flag = *f;
      if (keys.count("arches")) {
        List(keys["arches"].second, "arches", true, [&](const YAML::Node& a) {
          auto v = Str(a, "an arch");
          if (!v) return;
          auto arch = ParseArch(*v);
          if (!arch) {
            Err(a, fmt::format("unknown arch '{}'", *v), ArchHint(*v));
          } else if (std::find(s.arches.begin(), s.arches.end(), *arch) == s.arches.end()) {
            Err(a, fmt::format("arch '{}' is not one of the scenario's arches", *v),
                "an ABI check runs on the arches the scenario builds; add it to 'arches' or drop it here");
          } else if (std::find(r.arches.begin(), r.arches.end(), *arch) == r.arches.end()) {
            r.arches.push_back(*arch);
          }
        });
      }
    } else {
      auto f = flag_of(item);
      if (!f) return;
      r.flag = *f;
    }
    s.abi_checks.push_back(std::move(r));
  });
}

// Symbol values a set of fragments asks for, later fragments winning (the
// kernel stage's own parser: one reading of Kconfig text in the lab).
std::map<std::string, std::string> FragmentSymbols(const std::vector<fs::path>& fragments) {
  std::map<std::string, std::string> out;
  for (const auto& f : fragments) {
    auto text = ReadFile(f);
    if (!text) continue;
    for (auto& [k, v] : kernel::ParseConfig(*text)) out[k] = std::move(v);
  }
  return out;
}

void Validator::CrossChecks(const Scenario& s, const std::map<std::string, YAML::Node>& variant_nodes,
                            const YAML::Node& workloads_node) {
  auto base_symbols = FragmentSymbols(s.kernel.fragments);
  for (const auto& v : s.variants) {
    auto symbols = base_symbols;
    for (const auto& [k, val] : v.kconfig) symbols[k] = val;
    auto is_on = [&](const std::string& sym) {
      auto it = symbols.find(sym);
      return it != symbols.end() && (it->second == "y" || it->second == "m");
    };
    for (const auto& flag : v.rustflags) {
      const YAML::Node& node = rustflag_nodes_[v.name + '\0' + flag];
      for (const auto& c : CoupledFlags()) {
        if (flag.rfind(c.flag_prefix, 0) == 0 && !is_on(c.symbol) && v.expect != Expect::kBuildFailure) {
          Warn(node, fmt::format("'{}' without CONFIG_{}=y in variant '{}'", flag, c.symbol, v.name),
               fmt::format("{}; add kconfig: {{{}: y}} or mark the variant 'expect: build-failure'", c.why, c.symbol));
        }
      }
      for (const auto& a : ArchOnlyFlags()) {
        if (flag.rfind(a.prefix, 0) != 0) continue;
        for (Arch arch : s.arches) {
          if (arch != a.arch && v.expect != Expect::kBuildFailure) {
            Warn(node, fmt::format("'{}' is only valid on {}; the {} build of '{}' will fail", flag, ArchName(a.arch),
                                   ArchName(arch), v.name),
                 "split the study per arch, or mark the variant 'expect: build-failure'");
          }
        }
      }
    }
    (void)variant_nodes;
  }
  // Workloads whose kernel support a variant does not ask for: the lab will
  // record them as skipped for that variant's kernel (after checking the
  // final .config), so say it now, at the workload's line.
  (void)workloads_node;
  for (size_t i = 0; i < s.workloads.size() && i < workload_nodes_.size(); ++i) {
    const Workload& w = s.workloads[i];
    const agent::WorkloadSpec* spec = agent::FindWorkload(w.name);
    if (!spec) continue;
    std::map<std::string, std::vector<std::string>> variants_by_reason;
    for (const auto& v : s.variants) {
      if (v.expect == Expect::kBuildFailure) continue;
      auto symbols = base_symbols;
      for (const auto& [k, val] : v.kconfig) symbols[k] = val;
      auto is_y = [&](std::string_view sym) {
        auto it = symbols.find(std::string(sym));
        return it != symbols.end() && it->second == "y";
      };
      for (const auto& need : agent::UnmetKconfig(*spec, w.params, is_y)) {
        variants_by_reason[need.Describe()].push_back(v.name);
      }
    }
    for (const auto& [need, variants] : variants_by_reason) {
      Warn(workload_nodes_[i],
           fmt::format("workload '{}' needs {}, which no fragment or kconfig asks for in variant{} {}", w.name, need,
                       variants.size() == 1 ? "" : "s", fmt::join(variants, ", ")),
           "the lab records it as skipped for those kernels; add the fragment that provides it");
    }
  }
}

std::optional<Scenario> Validator::Run(const YAML::Node& root, const std::string& text) {
  if (!root.IsMap()) {
    d_.Error(Pos(root).line ? Pos(root) : SourcePos{1, 1}, 1, "a scenario must be a YAML mapping of keys",
             "start with 'name: my-study'");
    return std::nullopt;
  }
  Scenario s;
  s.text = text;
  auto keys = Keys(root,
                   {"name", "description", "kernel", "toolchains", "arches", "variants", "baseline", "boot",
                    "repeat", "workloads", "thresholds", "allowed_warnings", "abi_checks"},
                   "at the top level");
  auto require = [&](const char* key, const char* hint) {
    if (!keys.count(key)) d_.Error(Pos(root), 1, fmt::format("missing required key '{}'", key), hint);
    return keys.count(key) > 0;
  };
  if (require("name", "add e.g. 'name: my-study'")) Name(keys["name"].second, s);
  if (keys.count("description")) {
    if (auto v = Str(keys["description"].second, "description")) s.description = *v;
  }
  if (require("kernel", "add kernel: {source: debian:linux-source-7.3, config: tinyconfig}")) Kernel(keys["kernel"].second, s);
  if (require("toolchains", "add e.g. 'toolchains: [rustc-1.96]'")) Toolchains(keys["toolchains"].second, s);
  if (require("arches", "add e.g. 'arches: [x86_64]'")) Arches(keys["arches"].second, s);
  if (require("variants", "add e.g. 'variants: {baseline: {}}'")) Variants(keys["variants"].second, s);
  if (keys.count("boot")) Boot(keys["boot"].second, s);
  if (keys.count("repeat")) RepeatKey(keys["repeat"].second, s);
  if (keys.count("workloads")) {
    Workloads(keys["workloads"].second, s);
  } else {
    s.workloads.push_back(*OneWorkload(YAML::Node("boot")));
  }
  if (keys.count("thresholds")) ThresholdsKey(keys["thresholds"].second, s);
  if (keys.count("allowed_warnings")) AllowedWarnings(keys["allowed_warnings"].second, s.allowed_warnings);
  if (keys.count("abi_checks")) AbiChecks(keys["abi_checks"].second, s);

  // The baseline names a variant (default: 'baseline' if present, else the first).
  if (keys.count("baseline")) {
    const YAML::Node& b = keys["baseline"].second;
    if (auto v = Str(b, "baseline")) {
      if (!variant_nodes_.empty() && !variant_nodes_.count(*v)) {
        std::vector<std::string> names;
        for (const auto& [name, node] : variant_nodes_) names.push_back(name);
        Err(b, fmt::format("baseline '{}' names no variant", *v), SuggestHint(*v, names));
      } else {
        s.baseline = *v;
      }
    }
  } else if (!s.variants.empty()) {
    s.baseline = s.FindVariant("baseline") ? "baseline" : s.variants.front().name;
  }
  if (const Variant* b = s.FindVariant(s.baseline); b && b->expect != Expect::kPass) {
    Err(keys.count("baseline") ? keys["baseline"].second : variant_nodes_[b->name],
        fmt::format("the baseline '{}' is expected to fail; comparisons need a baseline that boots", b->name));
  }
  if (!d_.HasErrors()) CrossChecks(s, variant_nodes_, keys.count("workloads") ? keys["workloads"].second : YAML::Node());
  if (d_.HasErrors()) return std::nullopt;
  return s;
}

}  // namespace

namespace {

// Every key and value at most kMaxScalarBytes, checked once before any rule
// reads them (the tree is bounded by CheckYamlShape, aliases included).
bool ScalarsFit(const YAML::Node& root, Diagnostics& d) {
  bool ok = true;
  std::vector<YAML::Node> todo{root};
  while (!todo.empty() && d.ErrorCount() < static_cast<int>(kMaxDiagnostics)) {
    YAML::Node n = todo.back();
    todo.pop_back();
    if (n.IsScalar()) {
      if (n.Scalar().size() > kMaxScalarBytes) {
        d.Error({n.Mark().line + 1, n.Mark().column + 1}, 1,
                fmt::format("a value of {} bytes; at most {}", n.Scalar().size(), kMaxScalarBytes));
        ok = false;
      }
    } else if (n.IsSequence()) {
      for (const auto& item : n) todo.push_back(item);
    } else if (n.IsMap()) {
      for (auto it = n.begin(); it != n.end(); ++it) {
        todo.push_back(it->first);
        todo.push_back(it->second);
      }
    }
  }
  return ok;
}

}  // namespace

LoadedScenario ParseScenario(const std::string& display_name, const std::string& text, const fs::path& base_dir,
                             const Catalog& catalog) {
  LoadedScenario out{std::nullopt, Diagnostics(display_name, text)};
  if (!CheckScenarioText(text, out.diagnostics) || !CheckYamlShape(text, out.diagnostics)) return out;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SourcePos pos{e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0};
    out.diagnostics.Error(pos, 1, fmt::format("YAML syntax error: {}", e.msg),
                          "a '[' or '{' on this or an earlier line may be unclosed, or the indentation is off");
    return out;
  }
  if (!root || root.IsNull()) {
    out.diagnostics.Error({1, 1}, 1, "the scenario is empty", "start with 'name: my-study'");
    return out;
  }
  if (!ScalarsFit(root, out.diagnostics)) return out;
  Validator v(out.diagnostics, base_dir, catalog);
  try {
    out.scenario = v.Run(root, text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on conversions we did not guard; report where.
    SourcePos pos{e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0};
    out.diagnostics.Error(pos, 1, fmt::format("unexpected YAML structure: {}", e.msg));
    out.scenario.reset();
  }
  return out;
}

LoadedScenario LoadScenario(const fs::path& path, const Catalog& catalog) {
  auto text = ReadScenarioFile(path);
  if (!text) {
    LoadedScenario out{std::nullopt, Diagnostics(path.string(), "")};
    out.diagnostics.Error({}, 1, text.error().message);
    return out;
  }
  auto loaded = ParseScenario(path.string(), *text, fs::absolute(path).parent_path(), catalog);
  if (loaded.scenario) loaded.scenario->path = fs::absolute(path);
  return loaded;
}

}  // namespace rfl::scenario
