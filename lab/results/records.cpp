#include "lab/results/records.h"

#include <array>
#include <chrono>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rfl::results {
namespace {

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
  for (const auto& [value, name] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<RunStatus, std::string_view>, 4> kRunStatus{{
    {RunStatus::kRunning, "running"},
    {RunStatus::kCompleted, "completed"},
    {RunStatus::kInterrupted, "interrupted"},
    {RunStatus::kFailed, "failed"},
}};

constexpr std::array<std::pair<BuildOutcome, std::string_view>, 4> kBuildOutcome{{
    {BuildOutcome::kBuilt, "built"},
    {BuildOutcome::kCacheHit, "cache-hit"},
    {BuildOutcome::kFailed, "failed"},
    {BuildOutcome::kExpectedFailure, "expected-failure"},
}};

}  // namespace

std::string_view RunStatusName(RunStatus s) { return NameOf(kRunStatus, s); }
std::optional<RunStatus> ParseRunStatus(std::string_view s) { return Parse(kRunStatus, s); }
std::string_view BuildOutcomeName(BuildOutcome o) { return NameOf(kBuildOutcome, o); }
std::optional<BuildOutcome> ParseBuildOutcome(std::string_view s) { return Parse(kBuildOutcome, s); }

const VariantInfo* RunData::FindVariant(std::string_view name) const {
  for (const auto& v : run.info.variants) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

nlohmann::json ToJson(const CodeCheckRecord& c) {
  return {{"flag", c.flag},
          {"claimed", c.claimed},
          {"verdict", c.verdict},
          {"expected", c.expected},
          {"objects", c.objects},
          {"functions", c.functions},
          {"checked", c.checked},
          {"with_signature", c.with_signature},
          {"exempt", c.exempt},
          {"offenders_total", c.offenders_total},
          {"offenders", c.offenders},
          {"notes", c.notes}};
}

namespace {

// Members of a stored record's JSON, tolerant of what an older lab wrote:
// a missing or mistyped member reads as `otherwise`.
std::string JsonText(const nlohmann::json& j, const char* k, const char* otherwise = "") {
  return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : otherwise;
}
bool JsonFlag(const nlohmann::json& j, const char* k) { return j.contains(k) && j[k].is_boolean() && j[k].get<bool>(); }
int64_t JsonInt(const nlohmann::json& j, const char* k) {
  return j.contains(k) && j[k].is_number_integer() ? j[k].get<int64_t>() : 0;
}
std::vector<std::string> JsonTexts(const nlohmann::json& j, const char* k) {
  std::vector<std::string> out;
  if (j.contains(k) && j[k].is_array()) {
    for (const auto& e : j[k]) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out;
}

}  // namespace

CodeCheckRecord CodeCheckFromJson(const nlohmann::json& j) {
  CodeCheckRecord c;
  if (!j.is_object()) return c;
  c.flag = JsonText(j, "flag");
  c.claimed = JsonFlag(j, "claimed");
  c.verdict = JsonText(j, "verdict");
  c.expected = JsonText(j, "expected");
  c.objects = JsonInt(j, "objects");
  c.functions = JsonInt(j, "functions");
  c.checked = JsonInt(j, "checked");
  c.with_signature = JsonInt(j, "with_signature");
  c.exempt = JsonInt(j, "exempt");
  c.offenders_total = JsonInt(j, "offenders_total");
  c.offenders = JsonTexts(j, "offenders");
  c.notes = JsonTexts(j, "notes");
  return c;
}

std::optional<std::string> CodeCheckProblem(const CodeCheckRecord& c) {
  if (!c.claimed) return std::nullopt;
  std::string first = c.offenders.empty() ? "" : fmt::format("; first: {}", c.offenders.front());
  if (!c.expected.empty()) {
    if (c.verdict == c.expected) return std::nullopt;
    return fmt::format("{} is {} in the Rust code, but the scenario expects {} ({} of {} functions carry it)", c.flag,
                       c.verdict, c.expected, c.with_signature, c.checked);
  }
  if (c.verdict != "absent" && c.verdict != "partial") return std::nullopt;
  return fmt::format("{} is {} in the Rust code: {} of {} functions carry it{}", c.flag, c.verdict, c.with_signature,
                     c.checked, first);
}

AbiCheckRecord AbiCheckFromJson(const nlohmann::json& j) {
  AbiCheckRecord c;
  if (!j.is_object()) return c;
  // One rustc run of the check: {"verdict": …, "seconds": …, "excerpt": …}.
  auto verdict = [&](const char* k) {
    return j.contains(k) && j[k].is_object() ? JsonText(j[k], "verdict", "not-run") : "not-run";
  };
  c.flag = JsonText(j, "flag");
  c.arch = JsonText(j, "arch");
  c.toolchain = JsonText(j, "toolchain");
  c.rustc = JsonText(j, "rustc");
  c.modifier = JsonText(j, "modifier");
  c.known_target_modifier = JsonFlag(j, "known_target_modifier");
  c.crate_with_flag = verdict("crate_with_flag");
  c.core_with_flag = verdict("core_with_flag");
  c.escape_hatch = JsonText(j, "escape_hatch", "n/a");
  c.rustdoc_mismatch = verdict("rustdoc_mismatch");
  c.rustdoc_matched = verdict("rustdoc_matched");
  c.finding = JsonFlag(j, "finding");
  c.inconclusive = JsonFlag(j, "inconclusive");
  c.seconds = j.contains("seconds") && j["seconds"].is_number() ? j["seconds"].get<double>() : 0;
  if (j.contains("kcfi_type_ids") && j["kcfi_type_ids"].is_object()) {
    const auto& k = j["kcfi_type_ids"];
    auto count = [&](const char* key) -> size_t {
      return k.contains(key) && k[key].is_number_unsigned() ? k[key].get<size_t>() : 0;
    };
    c.kcfi_types = count("types");
    c.kcfi_matching = count("matching");
    c.kcfi_matching_plain = count("matching_without_normalization");
    c.kcfi_matching_mergeable = count("matching_with_merged_functions");
    c.kcfi_finding = JsonFlag(k, "finding");
    if (k.contains("pairs") && k["pairs"].is_array()) {
      for (const auto& p : k["pairs"]) {
        if (p.is_object() && !JsonFlag(p, "match")) c.kcfi_mismatched.push_back(JsonText(p, "name"));
      }
    }
  }
  c.detail = j;
  return c;
}

AbiCheckRecord UnjudgedAbiCheck(const std::string& flag, const std::string& arch, const std::string& toolchain,
                                const std::string& rustc, const std::string& why) {
  // The shape codecheck::ToJson gives a check that stopped at its probe.
  const nlohmann::json not_run = {{"verdict", "not-run"}, {"seconds", 0.0}};
  return AbiCheckFromJson({{"flag", flag},
                           {"arch", arch},
                           {"toolchain", toolchain},
                           {"rustc", rustc},
                           {"known_target_modifier", false},
                           {"crate_with_flag", {{"verdict", "error"}, {"seconds", 0.0}, {"excerpt", why}}},
                           {"core_with_flag", not_run},
                           {"escape_hatch", "n/a"},
                           {"escape_hatch_case", not_run},
                           {"rustdoc_mismatch", not_run},
                           {"rustdoc_matched", not_run},
                           {"cores_cached", false},
                           {"finding", false},
                           {"inconclusive", true},
                           {"seconds", 0.0}});
}

std::optional<std::string> AbiCheckProblem(const AbiCheckRecord& c) {
  if (!c.finding) return std::nullopt;
  std::vector<std::string> what;
  if (c.crate_with_flag == "accepted") what.push_back("a crate with the flag links silently against a core without it");
  if (c.core_with_flag == "accepted") what.push_back("a crate without the flag links silently against a core with it");
  if (c.rustdoc_mismatch == "accepted") what.push_back("rustdoc --test mixes them silently");
  if (c.escape_hatch == "fails") what.push_back("-Cunsafe-allow-abi-mismatch does not let the mix through");
  if (c.rustdoc_matched == "rejected") what.push_back("rustdoc --test refuses a build where both sides have the flag");
  std::string kcfi;
  if (c.kcfi_finding) {
    kcfi = fmt::format("with the kernel's CFI flags, clang and rustc give {} of {} kernel callback types different "
                       "kCFI type ids ({}): C's indirect calls into Rust through them would trap",
                       c.kcfi_types - c.kcfi_matching, c.kcfi_types, fmt::join(c.kcfi_mismatched, ", "));
    if (what.empty()) return fmt::format("{} on {} (rustc {}): {}", c.flag, c.arch, c.rustc, kcfi);
    what.push_back(kcfi);
  }
  if (what.empty()) what.push_back("the check says so");
  return fmt::format("{} on {} (rustc {}): `{}` is a target modifier, but {}", c.flag, c.arch, c.rustc, c.modifier,
                     fmt::join(what, "; "));
}

std::string AbiCheckSummary(const AbiCheckRecord& c) {
  if (c.crate_with_flag == "unknown-flag") return "flag unknown to this rustc";
  if (c.inconclusive) return "could not be judged (an error case)";
  std::string mix = c.crate_with_flag == c.core_with_flag
                        ? fmt::format("{} both ways", c.crate_with_flag)
                        : fmt::format("{} (crate with) / {} (core with)", c.crate_with_flag, c.core_with_flag);
  std::string out = fmt::format("{}; escape hatch {}; rustdoc {} / {}", mix, c.escape_hatch, c.rustdoc_mismatch,
                                c.rustdoc_matched);
  if (c.kcfi_types > 0) {
    out += fmt::format("; kCFI type ids C = Rust {}/{} (without normalization {}/{}, without "
                       "-Zmerge-functions=disabled {}/{})",
                       c.kcfi_matching, c.kcfi_types, c.kcfi_matching_plain, c.kcfi_types, c.kcfi_matching_mergeable,
                       c.kcfi_types);
  }
  return out;
}

double NowUnix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace rfl::results
