#include "lab/codecheck/kcfi_type_ids.h"

#include <algorithm>

#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {

namespace {

size_t CountPairs(const std::vector<KcfiTypePair>& pairs, bool (KcfiTypePair::*matches)() const) {
  return static_cast<size_t>(std::count_if(pairs.begin(), pairs.end(), [&](const auto& p) { return (p.*matches)(); }));
}

}  // namespace

size_t KcfiTypeIdResult::Matching() const { return CountPairs(pairs, &KcfiTypePair::Matches); }
size_t KcfiTypeIdResult::PlainMatching() const { return CountPairs(pairs, &KcfiTypePair::PlainMatches); }
size_t KcfiTypeIdResult::MergeableMatching() const { return CountPairs(pairs, &KcfiTypePair::MergeableMatches); }

bool KcfiTypeIdResult::Inconclusive() const {
  if (!error.empty() || pairs.empty()) return true;
  for (const auto& p : pairs) {
    if (!p.c_id || !p.rust_id) return true;
  }
  return false;
}

bool KcfiTypeIdResult::Finding() const { return !Inconclusive() && Matching() < pairs.size(); }

nlohmann::json ToJson(const KcfiTypeIdResult& r) {
  auto hex = [](const std::optional<uint32_t>& id) -> nlohmann::json {
    return id ? nlohmann::json(fmt::format("{:#010x}", *id)) : nlohmann::json(nullptr);
  };
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& p : r.pairs) {
    pairs.push_back({{"name", p.name},
                     {"c", hex(p.c_id)},
                     {"rust", hex(p.rust_id)},
                     {"match", p.Matches()},
                     {"c_plain", hex(p.c_plain_id)},
                     {"rust_plain", hex(p.rust_plain_id)},
                     {"match_plain", p.PlainMatches()},
                     {"rust_mergeable", hex(p.rust_mergeable_id)},
                     {"match_mergeable", p.MergeableMatches()},
                     {"rust_merged_with", p.rust_merged_with}});
  }
  nlohmann::json j = {{"clang", r.clang},
                      {"pairs", pairs},
                      {"types", r.pairs.size()},
                      {"matching", r.Matching()},
                      {"matching_without_normalization", r.PlainMatching()},
                      {"matching_with_merged_functions", r.MergeableMatching()},
                      {"finding", r.Finding()},
                      {"inconclusive", r.Inconclusive()},
                      {"seconds", r.elapsed.count() / 1000.0}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

std::map<std::string, uint32_t> KcfiTypeIdsByName(const ElfObject& obj, std::string_view prefix) {
  std::map<std::string, uint32_t> out;
  for (const ElfFunction& fn : obj.functions) {
    auto id = KcfiTypeId(obj, fn);
    if (!id) continue;
    if (fn.name.starts_with(prefix)) out[fn.name.substr(prefix.size())] = *id;
    for (const auto& alias : fn.aliases) {
      if (alias.starts_with(prefix)) out[alias.substr(prefix.size())] = *id;
    }
  }
  return out;
}

std::vector<KcfiTypePair> PairKcfiTypeIds(const KcfiProbeObjects& o) {
  const auto ci = KcfiTypeIdsByName(o.c, "c_"), ri = KcfiTypeIdsByName(o.rust, "r_");
  const auto cp = KcfiTypeIdsByName(o.c_plain, "c_"), rp = KcfiTypeIdsByName(o.rust_plain, "r_");
  const auto rm = KcfiTypeIdsByName(o.rust_mergeable, "r_");
  // Every name a C function has (with or without its preamble): a C
  // function the compiler gave no id still counts, as a missing side.
  std::map<std::string, KcfiTypePair> by_name;
  for (const auto* obj : {&o.c, &o.c_plain}) {
    for (const ElfFunction& fn : obj->functions) {
      if (fn.name.starts_with("c_")) by_name[fn.name.substr(2)].name = fn.name.substr(2);
    }
  }
  auto get = [](const std::map<std::string, uint32_t>& m, const std::string& k) -> std::optional<uint32_t> {
    auto it = m.find(k);
    return it == m.end() ? std::nullopt : std::optional(it->second);
  };
  // Which Rust names share an entry.
  std::map<std::string, std::vector<std::string>> merged;
  for (const ElfFunction& fn : o.rust_mergeable.functions) {
    std::vector<std::string> names = {fn.name};
    names.insert(names.end(), fn.aliases.begin(), fn.aliases.end());
    std::erase_if(names, [](const std::string& n) { return !n.starts_with("r_"); });
    if (names.size() < 2) continue;
    for (const auto& n : names) {
      for (const auto& other : names) {
        if (other != n) merged[n.substr(2)].push_back(other.substr(2));
      }
    }
  }
  std::vector<KcfiTypePair> out;
  for (auto& [name, p] : by_name) {
    if (auto it = merged.find(name); it != merged.end()) {
      p.rust_merged_with = it->second;
      std::sort(p.rust_merged_with.begin(), p.rust_merged_with.end());
    }
    p.c_id = get(ci, name);
    p.rust_id = get(ri, name);
    p.c_plain_id = get(cp, name);
    p.rust_plain_id = get(rp, name);
    p.rust_mergeable_id = get(rm, name);
    out.push_back(p);
  }
  return out;
}

bool FlagWantsKcfiTypeIds(std::string_view flag) {
  if (flag == "-Zsanitizer-cfi-normalize-integers") return true;
  constexpr std::string_view kSanitizer = "-Zsanitizer=";
  if (!flag.starts_with(kSanitizer)) return false;
  std::string_view list = flag.substr(kSanitizer.size());
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (list.substr(0, comma) == "kcfi") return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::vector<std::string> KcfiProbeClangArgs(std::string_view clang_target, bool normalize) {
  // The kernel's CC_FLAGS_CFI: -fsanitize=kcfi, and with
  // CONFIG_CFI_ICALL_NORMALIZE_INTEGERS the normalization.
  std::vector<std::string> args = {fmt::format("--target={}", clang_target), "-O2", "-ffreestanding",
                                   "-fno-builtin", "-fsanitize=kcfi"};
  if (normalize) args.push_back("-fsanitize-cfi-icall-experimental-normalize-integers");
  return args;
}

std::vector<std::string> KcfiProbeRustcFlags(bool normalize, bool merge_functions) {
  // The kernel's Makefile (6.12 to 7.3): RUSTC_FLAGS_CFI := -Zsanitizer=kcfi
  // -Zsanitizer-cfi-normalize-integers -Zmerge-functions=disabled.
  std::vector<std::string> flags = {"-Zsanitizer=kcfi"};
  if (normalize) flags.push_back("-Zsanitizer-cfi-normalize-integers");
  if (!merge_functions) flags.push_back("-Zmerge-functions=disabled");
  return flags;
}

}  // namespace rfl::codecheck
