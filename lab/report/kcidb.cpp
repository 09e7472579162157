// KCIDB I/O v5.3 export. One checkout per kernel source label, one build per
// build record, and tests: one per boot (status from the outcome class), one
// per sample ("DONE" with a `number`), one per comparison (the ratio as a
// `number`, FAIL on a regression). Validated against the published schema in
// tests/unit/kcidb_test.cpp.
#include <cmath>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "lab/report/report.h"

namespace rfl::report {
namespace {

using nlohmann::json;
using namespace rfl::results;

constexpr size_t kMaxExcerpt = 16384;  // schema maxLength of log_excerpt

std::string IsoTime(double unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  int micros = static_cast<int>(std::llround((unix_seconds - std::floor(unix_seconds)) * 1e6)) % 1000000;
  return fmt::format("{}.{:06d}+00:00", buf, micros);
}

// The schema forbids NUL characters; excerpts keep their tail (the error).
std::string Clean(std::string_view s, size_t max = kMaxExcerpt) {
  std::string out;
  for (char c : s) {
    if (c != '\0') out += c;
  }
  if (out.size() > max) {
    out = out.substr(out.size() - max);
    // Do not start in the middle of a UTF-8 sequence.
    while (!out.empty() && (static_cast<unsigned char>(out[0]) & 0xC0) == 0x80) out.erase(0, 1);
  }
  return out;
}

// A test path component: [a-zA-Z0-9_-]+.
std::string PathPart(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out.empty() ? "_" : out;
}

const char* BootStatus(BootOutcome o) {
  switch (o) {
    case BootOutcome::kPassed: return "PASS";
    case BootOutcome::kBuildFailed: return "SKIP";
    case BootOutcome::kBootTimeout:
    case BootOutcome::kKernelPanic:
    case BootOutcome::kOops:
    case BootOutcome::kRustPanic:
    case BootOutcome::kWarning:
    case BootOutcome::kHang:
    case BootOutcome::kInitFailed:
    case BootOutcome::kWorkloadFailed: return "FAIL";
    case BootOutcome::kAgentLost: return "ERROR";
  }
  return "ERROR";
}

}  // namespace

json KcidbJson(const RunAnalysis& a, std::string_view origin_view) {
  const std::string origin(origin_view);
  json out;
  out["version"] = {{"major", 5}, {"minor", 3}};
  out["checkouts"] = json::array();
  out["builds"] = json::array();
  out["tests"] = json::array();
  if (a.runs.empty()) return out;
  const RunSummary& run = a.runs.back();
  const std::string prefix = fmt::format("{}:run{}", origin, run.id);

  auto checkout_id = [&](const std::string& kernel) { return prefix + "-kernel-" + kernel; };
  auto build_id = [&](const std::string& key) { return prefix + "-build-" + key; };

  std::set<std::string> kernels;
  for (const auto& b : a.builds) kernels.insert(b.kernel);
  for (const auto& b : a.boots) kernels.insert(b.kernel);
  for (const auto& k : kernels) {
    out["checkouts"].push_back({{"id", checkout_id(k)},
                                {"origin", origin},
                                {"tree_name", Clean(k)},
                                {"start_time", IsoTime(run.info.started_unix)},
                                {"valid", true},
                                {"comment", Clean(fmt::format("rfl-lab scenario {} run {}", run.info.scenario_name, run.id))},
                                {"misc", {{"scenario", run.info.scenario_name},
                                          {"scenario_hash", run.info.scenario_hash},
                                          {"run_id", run.id},
                                          {"lab_version", run.info.lab_version}}}});
  }

  std::set<std::string> known_builds;
  for (const auto& b : a.builds) {
    known_builds.insert(b.key);
    std::string variants;
    for (const auto& v : b.variants) variants += (variants.empty() ? "" : "+") + v;
    std::string compiler = b.rustc_version;
    if (!b.clang_version.empty()) compiler += (compiler.empty() ? "" : ", ") + b.clang_version;
    json build = {{"id", build_id(b.key)},
                  {"checkout_id", checkout_id(b.kernel)},
                  {"origin", origin},
                  {"architecture", b.arch},
                  {"config_name", Clean(variants)},
                  {"duration", b.duration_seconds},
                  {"status", BuildSucceeded(b.outcome) ? "PASS" : "FAIL"},
                  {"misc", {{"key", b.key},
                            {"variants", b.variants},
                            {"toolchain", b.toolchain},
                            {"outcome", BuildOutcomeName(b.outcome)},
                            {"expected_failure", b.outcome == BuildOutcome::kExpectedFailure},
                            {"effective_rustflags", b.effective_flags},
                            {"bindgen", b.bindgen_version},
                            {"sizes", b.sizes}}}};
    if (!compiler.empty()) build["compiler"] = Clean(compiler);
    if (!b.failure_excerpt.empty()) build["log_excerpt"] = Clean(b.failure_excerpt);
    if (!b.failure_class.empty()) build["comment"] = Clean(b.failure_class);
    out["builds"].push_back(std::move(build));
  }
  // Boots whose build was not recorded still need a build to hang from.
  for (const auto& b : a.boots) {
    if (known_builds.insert(b.build_key).second) {
      out["builds"].push_back({{"id", build_id(b.build_key)},
                               {"checkout_id", checkout_id(b.kernel)},
                               {"origin", origin},
                               {"architecture", b.arch},
                               {"config_name", Clean(b.variant)},
                               {"misc", {{"key", b.build_key}, {"toolchain", b.toolchain}, {"recorded", false}}}});
    }
  }

  for (const auto& b : a.boots) {
    const std::string boot_id = fmt::format("{}-boot{}", prefix, b.id);
    json test = {{"id", boot_id},
                 {"build_id", build_id(b.build_key)},
                 {"origin", origin},
                 {"path", "boot"},
                 {"status", BootStatus(b.outcome)},
                 {"environment", {{"comment", Clean(fmt::format("QEMU {} {} ({})", b.arch, b.accel, b.timing))}}},
                 {"misc", {{"variant", b.variant},
                           {"toolchain", b.toolchain},
                           {"repetition", b.repetition},
                           {"attempt", b.attempt},
                           {"outcome", BootOutcomeName(b.outcome)},
                           {"console_path", b.console_path}}}};
    if (b.started_unix > 0) test["start_time"] = IsoTime(b.started_unix);
    if (b.ended_unix > b.started_unix && b.started_unix > 0) test["duration"] = b.ended_unix - b.started_unix;
    if (!b.evidence.empty()) test["log_excerpt"] = Clean(b.evidence);
    out["tests"].push_back(std::move(test));
    size_t i = 0;
    for (const auto& s : b.samples) {
      if (!std::isfinite(s.value)) continue;
      json number = {{"value", s.value}};
      if (!s.unit.empty()) number["unit"] = Clean(s.unit, 256);
      if (s.unit == "s") number["prefix"] = "metric";
      out["tests"].push_back({{"id", fmt::format("{}-s{}", boot_id, i++)},
                              {"build_id", build_id(b.build_key)},
                              {"origin", origin},
                              {"path", fmt::format("boot.{}.{}", PathPart(s.workload), PathPart(s.metric))},
                              {"status", "DONE"},
                              {"number", number},
                              {"misc", {{"variant", b.variant}, {"labels", s.labels}, {"boot", b.id}}}});
    }
  }

  // Comparisons, attached to the variant's build in this run.
  size_t n = 0;
  for (const auto& d : a.deltas) {
    if (!std::isfinite(d.stats.ratio)) continue;
    std::string key;
    for (const auto& b : a.builds) {
      if (b.arch == d.key.arch && std::find(b.variants.begin(), b.variants.end(), d.variant) != b.variants.end() &&
          (b.kernel == d.key.kernel || d.key.kernel.find("→") != std::string::npos) &&
          (b.toolchain == d.key.toolchain || d.key.toolchain.find("→") != std::string::npos)) {
        key = b.key;
        break;
      }
    }
    if (key.empty()) continue;
    json misc = {{"verdict", VerdictName(d.stats.verdict)},
                 {"reason", d.stats.reason},
                 {"baseline", d.baseline_label},
                 {"variant", d.variant_label},
                 {"labels", json::parse(d.key.labels, nullptr, false)},
                 {"direction", DirectionName(d.stats.direction)},
                 {"baseline_median", d.stats.baseline.median},
                 {"variant_median", d.stats.variant.median}};
    if (d.stats.ci) misc["ci95"] = {d.stats.ci->lo, d.stats.ci->hi};
    if (d.stats.test) misc["p_value"] = d.stats.test->p_value;
    const char* status = d.stats.verdict == Verdict::kRegression ? "FAIL"
                         : d.stats.verdict == Verdict::kInconclusive ? "DONE"
                                                                     : "PASS";
    out["tests"].push_back({{"id", fmt::format("{}-cmp{}", prefix, n++)},
                            {"build_id", build_id(key)},
                            {"origin", origin},
                            {"path", fmt::format("compare.{}.{}", PathPart(d.key.workload), PathPart(d.key.metric))},
                            {"status", status},
                            {"number", {{"value", d.stats.ratio}, {"unit", "ratio"}}},
                            {"misc", misc}});
  }
  return out;
}

}  // namespace rfl::report
