#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "lab/report/readiness.h"
#include "lab/report/report.h"
#include "lab/report/summary.h"

namespace rfl::report {
namespace {

using nlohmann::json;
using namespace rfl::results;

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json Time(double unix_seconds) {
  if (unix_seconds <= 0) return nullptr;
  return unix_seconds;
}

json SummaryJson(const Summary& s, const std::vector<double>& values) {
  return json{{"n", s.n},       {"median", Num(s.median)}, {"mad", Num(s.mad)},
              {"min", Num(s.min)}, {"max", Num(s.max)},       {"values", values}};
}

json LabelsJson(const std::string& key) {
  json j = json::parse(key, nullptr, false);
  return j.is_object() ? j : json::object();
}

json CodeChecksJson(const std::vector<CodeCheckRecord>& checks) {
  json out = json::array();
  for (const auto& c : checks) out.push_back(ToJson(c));
  return out;
}

// One comparison (metrics[] and pairs[]).
json DeltaJson(const MetricDelta& d, const VerdictThresholds& thresholds) {
  const auto& s = d.stats;
  json ci = nullptr, test = nullptr;
  if (s.ci) ci = {{"lo", Num(s.ci->lo)}, {"hi", Num(s.ci->hi)}, {"level", 0.95}};
  if (s.test) {
    test = {{"u1", s.test->u1}, {"p", Num(s.test->p_value)}, {"method", MannWhitneyMethodName(s.test->method)}};
  }
  json setup = nullptr;
  if (d.setup_differences) {
    setup = json::array();
    for (const auto& x : *d.setup_differences) {
      setup.push_back({{"attribute", x.name}, {"baseline", x.baseline}, {"variant", x.variant}});
    }
  }
  return {{"arch", d.key.arch},
          {"toolchain", d.key.toolchain},
          {"kernel", d.key.kernel},
          {"workload", d.key.workload},
          {"metric", d.key.metric},
          {"unit", d.key.unit},
          {"labels", LabelsJson(d.key.labels)},
          {"variant", d.variant},
          {"baseline_label", d.baseline_label},
          {"variant_label", d.variant_label},
          {"direction", DirectionName(s.direction)},
          {"baseline_samples", SummaryJson(s.baseline, d.baseline_values)},
          {"variant_samples", SummaryJson(s.variant, d.variant_values)},
          {"ratio", Num(s.ratio)},
          {"ci", ci},
          {"mann_whitney", test},
          {"verdict", VerdictName(s.verdict)},
          {"significant", Significant(s, thresholds)},
          {"inside_noise", SignificantInsideNoise(s, thresholds)},
          {"reason", s.reason},
          {"setup_differences", setup}};
}

}  // namespace

std::optional<Format> ParseFormat(std::string_view s) {
  if (s == "table") return Format::kTable;
  if (s == "json") return Format::kJson;
  if (s == "html") return Format::kHtml;
  if (s == "kcidb") return Format::kKcidb;
  if (s == "readiness") return Format::kReadiness;
  return std::nullopt;
}

json ReportJson(const RunAnalysis& a) {
  json out;
  out["schema"] = "rfl-lab-report/2";
  out["kind"] = a.runs.size() == 2 ? "compare" : "run";
  out["baseline"] = a.baseline;
  out["thresholds"] = {{"noise", a.thresholds.noise}, {"alpha", a.thresholds.alpha}};
  out["runs"] = json::array();
  for (const auto& r : a.runs) {
    json variants = json::array();
    for (const auto& v : r.info.variants) {
      variants.push_back({{"name", v.name},
                          {"expect", ExpectName(v.expect)},
                          {"rustflags", v.rustflags},
                          {"kconfig", v.kconfig}});
    }
    out["runs"].push_back({{"id", r.id},
                           {"scenario", r.info.scenario_name},
                           {"scenario_hash", r.info.scenario_hash},
                           {"scenario_text", r.info.scenario_text},
                           {"lab_version", r.info.lab_version},
                           {"host", r.info.host},
                           {"timing", r.info.timing},
                           {"corner", r.info.corner},
                           {"backend", {{"name", r.info.backend}, {"uri", r.info.backend_uri}}},
                           {"baseline", r.info.baseline},
                           {"thresholds", {{"noise", r.info.noise}, {"alpha", r.info.alpha}}},
                           {"repeat", {{"min", r.info.repeat_min}, {"max", r.info.repeat_max}}},
                           {"status", RunStatusName(r.status)},
                           {"message", r.message},
                           {"started_unix", Time(r.info.started_unix)},
                           {"ended_unix", Time(r.ended_unix)},
                           {"variants", variants}});
  }
  out["outcomes"] = json::array();
  for (const auto& c : a.outcomes) {
    json build = nullptr;
    if (c.build) {
      build = {{"outcome", BuildOutcomeName(*c.build)},
               {"key", c.build_key},
               {"failure_class", c.failure_class},
               {"failure_excerpt", c.failure_excerpt}};
    }
    json workloads = json::object();
    for (const auto& [name, t] : c.workloads) {
      workloads[name] = {{"passed", t.passed}, {"failed", t.failed}, {"skipped", t.skipped}, {"reason", t.reason}};
    }
    out["outcomes"].push_back({{"run", c.run_id},
                               {"arch", c.arch},
                               {"toolchain", c.toolchain},
                               {"kernel", c.kernel},
                               {"kernel_version", c.kernel_version},
                               {"variant", c.variant},
                               {"expect", ExpectName(c.expect)},
                               {"status", c.Status()},
                               {"build", build},
                               {"boots", c.boots},
                               {"passed", c.passed},
                               {"retried", c.retried},
                               {"success_rate", c.boots ? json(c.success_rate()) : json(nullptr)},
                               {"outcomes", c.outcomes},
                               {"workloads", workloads},
                               {"first_failure_evidence", c.first_failure_evidence}});
  }
  out["builds"] = json::array();
  for (const auto& b : a.builds) {
    out["builds"].push_back({{"key", b.key},
                             {"variants", b.variants},
                             {"arch", b.arch},
                             {"toolchain", b.toolchain},
                             {"kernel", b.kernel},
                             {"kernel_version", b.kernel_version},
                             {"source_id", b.source_id},
                             {"outcome", BuildOutcomeName(b.outcome)},
                             {"failure_class", b.failure_class},
                             {"failure_excerpt", b.failure_excerpt},
                             {"rustc_version", b.rustc_version},
                             {"bindgen_version", b.bindgen_version},
                             {"clang_version", b.clang_version},
                             {"effective_flags", b.effective_flags},
                             {"duration_seconds", b.duration_seconds},
                             {"sizes", b.sizes},
                             {"artifact_dir", b.artifact_dir},
                             {"code_checks", CodeChecksJson(b.code_checks)}});
  }
  out["boots"] = json::array();
  for (const auto& b : a.boots) {
    json samples = json::array();
    for (const auto& s : b.samples) {
      samples.push_back({{"workload", s.workload},
                         {"metric", s.metric},
                         {"unit", s.unit},
                         {"value", Num(s.value)},
                         {"labels", s.labels}});
    }
    json attributes = json::array();
    for (const auto& x : b.attributes) {
      attributes.push_back({{"workload", x.workload}, {"labels", x.labels}, {"values", x.values}});
    }
    json test_cases = json::array();
    for (const auto& t : b.test_cases) {
      test_cases.push_back({{"workload", t.workload},
                            {"suite", t.suite},
                            {"name", t.name},
                            {"status", t.status},
                            {"reason", t.reason},
                            {"diagnostics", t.diagnostics}});
    }
    out["boots"].push_back({{"id", b.id},
                            {"build_key", b.build_key},
                            {"variant", b.variant},
                            {"arch", b.arch},
                            {"toolchain", b.toolchain},
                            {"kernel", b.kernel},
                            {"repetition", b.repetition},
                            {"attempt", b.attempt},
                            {"accel", b.accel},
                            {"timing", b.timing},
                            {"outcome", BootOutcomeName(b.outcome)},
                            {"title", b.title},
                            {"evidence", b.evidence},
                            {"console_path", b.console_path},
                            {"worker", b.worker},
                            {"started_unix", Time(b.started_unix)},
                            {"ended_unix", Time(b.ended_unix)},
                            {"samples", samples},
                            {"attributes", attributes},
                            {"test_cases", test_cases}});
  }
  out["metrics"] = json::array();
  for (const auto& d : a.deltas) out["metrics"].push_back(DeltaJson(d, a.thresholds));
  out["pairs"] = json::array();
  for (const auto& d : a.pairs) out["pairs"].push_back(DeltaJson(d, a.thresholds));
  out["sizes"] = json::array();
  for (const auto& z : a.sizes) {
    out["sizes"].push_back({{"arch", z.arch},
                            {"toolchain", z.toolchain},
                            {"kernel", z.kernel},
                            {"variant", z.variant},
                            {"object", z.object},
                            {"section", z.section},
                            {"baseline_bytes", z.baseline_bytes},
                            {"variant_bytes", z.variant_bytes},
                            {"delta_bytes", z.delta()}});
  }
  out["kunit"] = json::array();
  for (const auto& c : a.kunit) {
    json cases = json::array();
    for (const auto& t : c.cases) {
      cases.push_back({{"suite", t.suite},
                       {"name", t.name},
                       {"worst", t.Worst()},
                       {"statuses", t.statuses},
                       {"boots", t.boots},
                       {"reason", t.reason},
                       {"diagnostics", t.diagnostics}});
    }
    out["kunit"].push_back({{"run", c.run_id},
                            {"arch", c.arch},
                            {"toolchain", c.toolchain},
                            {"kernel", c.kernel},
                            {"variant", c.variant},
                            {"cases_by_worst", c.cases_by_worst},
                            {"cases", cases}});
  }
  out["kunit_changes"] = json::array();
  for (const auto& c : a.case_changes) {
    out["kunit_changes"].push_back({{"cell", c.cell},
                                    {"variant", c.variant},
                                    {"baseline", c.baseline},
                                    {"suite", c.suite},
                                    {"name", c.name},
                                    {"before", c.before},
                                    {"after", c.after},
                                    {"regression", c.regression},
                                    {"diagnostics", c.diagnostics}});
  }
  out["code_check_changes"] = json::array();
  for (const auto& c : a.code_check_changes) {
    out["code_check_changes"].push_back({{"cell", c.cell},
                                         {"flag", c.flag},
                                         {"claimed", c.claimed},
                                         {"before", {{"verdict", c.verdict_a}, {"with_signature", c.with_a},
                                                     {"checked", c.checked_a}}},
                                         {"after", {{"verdict", c.verdict_b}, {"with_signature", c.with_b},
                                                    {"checked", c.checked_b}}}});
  }
  // The whole check as the ABI-check stage gave it (docs/abicheck.md).
  out["abi_checks"] = json::array();
  for (const auto& c : a.abi_checks) {
    json j = c.detail.is_object() ? c.detail : json::object();
    j["flag"] = c.flag;
    j["arch"] = c.arch;
    j["toolchain"] = c.toolchain;
    j["finding"] = AbiCheckProblem(c).has_value();
    j["inconclusive"] = c.inconclusive;
    out["abi_checks"].push_back(std::move(j));
  }
  out["readiness"] = json::array();
  for (const auto& r : Readiness(a)) {
    out["readiness"].push_back({{"flag", r.flag},       {"arch", r.arch},   {"toolchain", r.toolchain},
                                {"rustc", r.rustc},     {"kernel", r.kernel}, {"variant", r.variant},
                                {"via", r.via},         {"build", r.build}, {"boots", r.boots},
                                {"code", r.code},       {"abi", r.abi},     {"cost", r.cost},
                                {"size", r.size},       {"ok", r.ok}});
  }
  out["findings"] = {{"regressions", a.findings.regressions},
                     {"unexpected_build_failures", a.findings.unexpected_build_failures},
                     {"code_checks", a.findings.code_checks},
                     {"abi_checks", a.findings.abi_checks},
                     {"test_cases", a.findings.test_cases},
                     {"failed_boots", a.findings.failed_boots}};
  out["has_findings"] = a.findings.Any();
  return out;
}

std::string Render(const RunAnalysis& analysis, Format format, bool color, bool all) {
  switch (format) {
    case Format::kTable: return RenderTable(analysis, color, all);
    case Format::kJson: return ReportJson(analysis).dump(2) + "\n";
    case Format::kHtml: return RenderHtml(analysis);
    case Format::kKcidb: return KcidbJson(analysis).dump(2) + "\n";
    case Format::kReadiness: return RenderReadinessTable(analysis, color);
  }
  return {};
}

}  // namespace rfl::report
