// KCIDB I/O v5.3 export. One checkout per kernel source label, one build per
// build record, and tests under one tree rooted at `rfl_lab`:
//   - per boot attempt: `rfl_lab.boot` (status from the outcome class, the
//     boot workload's milestones in misc.samples, the title of the kernel
//     report that decided the class in misc.title) and `rfl_lab.<workload>`
//     for every other workload (its samples in misc.samples) — samples are
//     aggregated per boot, not one test each;
//   - per cell (build and variant): `rfl_lab.<workload>.<metric>.<key>_<value>…`
//     with the median over passed boots as `number` and the values in misc;
//   - per comparison: `rfl_lab.compare.<workload>.<metric>.<key>_<value>…`
//     (the ratio as `number`, FAIL on a regression).
// A test id is its scope (boot, or build and variant) plus its path, so two
// tests can only share an id by sharing scope and path: tests/unit/kcidb_test.cpp
// holds the export of the captured quickstart store to unique ids and paths;
// tests/integration/kcidb_schema_test.cpp validates it against the schema.
//
// What the store does not record is left out rather than made up: the exact
// kernel version of builds stored before schema 5 (checkout
// misc.kernel_version is null, with a note; else it and git_commit_name
// "v7.3.4" say it) and a build's start time. A cache hit's duration is the cache lookup, so it goes
// to misc.cache_lookup_seconds, not to `duration`.
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "lab/report/report.h"
#include "lab/results/statistics.h"
#include "lab/results/store.h"

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

// A test path component: [a-zA-Z0-9_-]+, other characters folded into one
// '_' ("rust_minimal: Rust minimal sample (init)" → rust_minimal_Rust_minimal_sample_init).
std::string PathPart(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (ok) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "_" : out;
}

// rfl_lab.<workload>.<metric>.<key>_<value>… (labels in key order).
std::string MetricPath(std::string_view root, const std::string& workload, const std::string& metric,
                       const std::map<std::string, std::string>& labels) {
  std::string path = fmt::format("{}.{}", root, PathPart(workload));
  std::string m = PathPart(metric);
  if (m != PathPart(workload)) path += "." + m;
  for (const auto& [k, v] : labels) path += "." + PathPart(k + "_" + v);
  return path;
}

// A KCIDB `number`: the base unit and how a viewer may prefix it.
json Number(double value, const std::string& unit) {
  json n = {{"value", value}};
  if (unit == "seconds" || unit == "s") {
    n["unit"] = "s";
    n["prefix"] = "metric";
  } else if (unit == "ops_per_second") {
    n["unit"] = "ops/s";
    n["prefix"] = "metric";
  } else if (unit == "bytes") {
    n["unit"] = "B";
    n["prefix"] = "binary";
  } else if (!unit.empty() && unit != "count") {
    n["unit"] = Clean(unit, 256);
  }
  return n;
}

json SampleJson(const Sample& s) {
  return {{"metric", s.metric}, {"unit", s.unit}, {"labels", s.labels},
          {"value", std::isfinite(s.value) ? json(s.value) : json(nullptr)}};
}

// The kernel source spec of each label, from the scenario the run recorded
// (kernel.source: one spec or a list); empty when it cannot be read.
std::map<std::string, std::string> KernelSources(const std::string& scenario_text) {
  std::map<std::string, std::string> out;
  try {
    YAML::Node root = YAML::Load(scenario_text);
    YAML::Node source = root["kernel"] ? root["kernel"]["source"] : YAML::Node();
    std::vector<std::string> specs;
    if (source && source.IsScalar()) specs.push_back(source.as<std::string>());
    if (source && source.IsSequence()) {
      for (const auto& s : source) {
        if (s.IsScalar()) specs.push_back(s.as<std::string>());
      }
    }
    for (const auto& spec : specs) {
      // The label rfl-lab gives a source (scenario::KernelSource::Label).
      auto colon = spec.find(':');
      std::string kind = colon == std::string::npos ? "" : spec.substr(0, colon);
      std::string value = colon == std::string::npos ? spec : spec.substr(colon + 1);
      std::string label = value;
      if (kind == "debian" && value.starts_with("linux-source-")) label = value.substr(13);
      if (kind == "path" || kind == "tarball") label = std::filesystem::path(value).filename().string();
      out[label] = spec;
    }
  } catch (const YAML::Exception&) {
    // An unreadable scenario only costs the checkout its tree name.
  }
  return out;
}

const char* WorkloadStatus(std::string_view status) {
  if (status == "passed") return "PASS";
  if (status == "failed") return "FAIL";
  if (status == "skipped") return "SKIP";
  return "ERROR";
}

// A KTAP status as KCIDB's: a crashed case (the kernel stopped inside it)
// is an ERROR, a TODO or SKIP a SKIP, "no tests" a MISS.
const char* CaseStatus(std::string_view status) {
  if (status == "pass") return "PASS";
  if (status == "fail") return "FAIL";
  if (status == "crashed") return "ERROR";
  if (status == "skip" || status == "todo") return "SKIP";
  return "MISS";
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

  const auto sources = KernelSources(run.info.scenario_text);
  std::set<std::string> kernels;
  for (const auto& b : a.builds) kernels.insert(b.kernel);
  for (const auto& b : a.boots) kernels.insert(b.kernel);
  // The exact version of each kernel label, when every build of it agrees
  // (builds stored before schema 5 have none).
  std::map<std::string, std::pair<std::string, std::string>> exact;  // label → (version, source id)
  std::set<std::string> ambiguous;
  for (const auto& b : a.builds) {
    if (b.kernel_version.empty()) continue;
    auto [it, inserted] = exact.try_emplace(b.kernel, b.kernel_version, b.source_id);
    if (!inserted && it->second.first != b.kernel_version) ambiguous.insert(b.kernel);
  }
  for (const auto& k : ambiguous) exact.erase(k);
  for (const auto& k : kernels) {
    auto source = sources.find(k);
    auto version = exact.find(k);
    json checkout = {{"id", checkout_id(k)},
                     {"origin", origin},
                     {"start_time", IsoTime(run.info.started_unix)},
                     {"valid", true},
                     {"comment", Clean(fmt::format("rfl-lab scenario {} run {}", run.info.scenario_name, run.id))},
                     {"misc",
                      {{"scenario", run.info.scenario_name},
                       {"scenario_hash", run.info.scenario_hash},
                       {"run_id", run.id},
                       {"lab_version", run.info.lab_version},
                       {"kernel_label", k},
                       {"source", source == sources.end() ? json(nullptr) : json(source->second)},
                       {"kernel_version", nullptr}}}};
    if (version != exact.end()) {
      checkout["git_commit_name"] = Clean("v" + version->second.first);
      checkout["misc"]["kernel_version"] = version->second.first;
      checkout["misc"]["source_id"] = version->second.second;
    } else {
      checkout["misc"]["kernel_version_note"] =
          "the exact kernel version (make kernelversion) is not recorded for these builds (a store from before "
          "schema 5); the source spec names the package or tarball it came from";
    }
    if (source != sources.end()) checkout["tree_name"] = Clean(source->second);
    out["checkouts"].push_back(std::move(checkout));
  }

  std::set<std::string> known_builds;
  for (const auto& b : a.builds) {
    known_builds.insert(b.key);
    std::string variants;
    for (const auto& v : b.variants) variants += (variants.empty() ? "" : "+") + v;
    std::string compiler = b.rustc_version;
    if (!b.clang_version.empty()) compiler += (compiler.empty() ? "" : ", ") + b.clang_version;
    const bool cache_hit = b.outcome == BuildOutcome::kCacheHit;
    json build = {{"id", build_id(b.key)},
                  {"checkout_id", checkout_id(b.kernel)},
                  {"origin", origin},
                  {"architecture", b.arch},
                  {"config_name", Clean(variants)},
                  {"status", BuildSucceeded(b.outcome) ? "PASS" : "FAIL"},
                  {"misc", {{"key", b.key},
                            {"variants", b.variants},
                            {"toolchain", b.toolchain},
                            {"outcome", BuildOutcomeName(b.outcome)},
                            {"cache_hit", cache_hit},
                            {"expected_failure", b.outcome == BuildOutcome::kExpectedFailure},
                            {"effective_rustflags", b.effective_flags},
                            {"bindgen", b.bindgen_version},
                            {"sizes", b.sizes},
                            {"start_time_note", "rfl-lab records a build's duration, not its start time"}}}};
    // A cache hit reused an artifact built earlier: what it took here is the
    // lookup, not a build.
    if (cache_hit) {
      build["misc"]["cache_lookup_seconds"] = b.duration_seconds;
      build["comment"] = "cache hit: artifact reused from an earlier build";
    } else {
      build["duration"] = b.duration_seconds;
    }
    if (!compiler.empty()) build["compiler"] = Clean(compiler);
    if (!b.failure_excerpt.empty()) build["log_excerpt"] = Clean(b.failure_excerpt);
    if (!b.failure_class.empty()) build["comment"] = Clean(b.failure_class);
    out["builds"].push_back(std::move(build));
    // The code-check stage: one test per flag judged in the build's Rust
    // objects. A claimed flag passes or fails; a control is information.
    for (const auto& c : b.code_checks) {
      const auto problem = CodeCheckProblem(c);
      const char* status = c.verdict == "not-applicable" ? "SKIP" : !c.claimed ? "DONE" : problem ? "FAIL" : "PASS";
      json test = {{"id", fmt::format("{}-build-{}-codecheck-{}", prefix, b.key, PathPart(c.flag))},
                   {"build_id", build_id(b.key)},
                   {"origin", origin},
                   {"path", "rfl_lab.codecheck." + PathPart(c.flag)},
                   {"status", status},
                   {"misc", ToJson(c)}};
      if (problem) test["comment"] = Clean(*problem, 1024);
      out["tests"].push_back(std::move(test));
    }
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

  // The ABI-check stage (docs/abicheck.md): a check is of a toolchain's rustc
  // for an arch, not of a kernel build, but a KCIDB test needs a build. It
  // hangs from the run's first build of that arch and toolchain (the same
  // compiler); a run without one gets a build record that says so.
  for (const auto& c : a.abi_checks) {
    std::string parent;
    for (const auto& b : a.builds) {
      if (b.arch == c.arch && b.toolchain == c.toolchain) {
        parent = build_id(b.key);
        break;
      }
    }
    if (parent.empty()) {
      if (kernels.empty()) continue;  // no checkout to hang a build from
      const std::string key = fmt::format("abicheck-{}-{}", c.arch, PathPart(c.toolchain));
      parent = build_id(key);
      if (known_builds.insert(key).second) {
        out["builds"].push_back(
            {{"id", parent},
             {"checkout_id", checkout_id(*kernels.begin())},
             {"origin", origin},
             {"architecture", c.arch},
             {"config_name", "abi-check"},
             {"misc",
              {{"key", key},
               {"toolchain", c.toolchain},
               {"recorded", false},
               {"note", "no kernel of this arch and toolchain was built in the run; this record holds its ABI "
                        "checks"}}}});
      }
    }
    const auto problem = AbiCheckProblem(c);
    const char* status = c.inconclusive ? "ERROR" : problem ? "FAIL" : "PASS";
    json misc = c.detail.is_object() ? c.detail : json::object();
    misc["flag"] = c.flag;
    misc["toolchain"] = c.toolchain;
    misc["rustc"] = c.rustc;
    misc["known_target_modifier"] = c.known_target_modifier;
    out["tests"].push_back({{"id", fmt::format("{}-abicheck-{}-{}-{}", prefix, c.arch, PathPart(c.toolchain),
                                               PathPart(c.flag))},
                            {"build_id", parent},
                            {"origin", origin},
                            {"path", "rfl_lab.abicheck." + PathPart(c.flag)},
                            {"status", status},
                            {"comment", Clean(problem ? *problem : AbiCheckSummary(c), 1024)},
                            {"misc", std::move(misc)}});
  }

  // Per boot attempt: the boot, then one test per other workload.
  for (const auto& b : a.boots) {
    const std::string scope = fmt::format("{}-boot{}", prefix, b.id);
    // A boot on a LAVA worker says which one (its wall-clock samples are
    // that worker's, docs/statistics.md).
    json environment = {{"comment", Clean(fmt::format("QEMU {} {} ({}){}", b.arch, b.accel, b.timing,
                                                      b.worker.empty() ? "" : " on LAVA " + b.worker))}};
    if (!b.worker.empty()) environment["misc"] = {{"lava_worker", b.worker}};
    auto add = [&](const std::string& path, const char* status, json misc) {
      misc["boot"] = b.id;
      misc["variant"] = b.variant;
      json test = {{"id", scope + "-" + path},
                   {"build_id", build_id(b.build_key)},
                   {"origin", origin},
                   {"path", path},
                   {"status", status},
                   {"environment", environment},
                   {"misc", std::move(misc)}};
      if (b.started_unix > 0) test["start_time"] = IsoTime(b.started_unix);
      out["tests"].push_back(std::move(test));
      return out["tests"].size() - 1;
    };
    std::map<std::string, json> samples_by_workload;
    for (const auto& s : b.samples) samples_by_workload[s.workload].push_back(SampleJson(s));
    json boot_samples = samples_by_workload.contains("boot") ? samples_by_workload["boot"] : json::array();
    size_t i = add("rfl_lab.boot", BootStatus(b.outcome),
                   {{"toolchain", b.toolchain},
                    {"repetition", b.repetition},
                    {"attempt", b.attempt},
                    {"outcome", BootOutcomeName(b.outcome)},
                    {"console_path", b.console_path},
                    {"samples", boot_samples}});
    if (b.ended_unix > b.started_unix && b.started_unix > 0) out["tests"][i]["duration"] = b.ended_unix - b.started_unix;
    if (!b.evidence.empty()) out["tests"][i]["log_excerpt"] = Clean(b.evidence);
    if (!b.title.empty()) out["tests"][i]["misc"]["title"] = Clean(b.title, 1024);

    std::set<std::string> done;
    for (const auto& w : b.workloads) {
      if (w.name == "boot" || !done.insert(w.name).second) continue;
      json misc = {{"status", w.status}, {"reason", w.reason}};
      auto it = samples_by_workload.find(w.name);
      misc["samples"] = it == samples_by_workload.end() ? json::array() : it->second;
      size_t j = add("rfl_lab." + PathPart(w.name), WorkloadStatus(w.status), std::move(misc));
      if (w.duration_s > 0) out["tests"][j]["duration"] = w.duration_s;
      if (!w.reason.empty()) out["tests"][j]["comment"] = Clean(w.reason, 1024);
    }
    // Every KUnit case its own test (store schema 7), as kunit.py lists
    // them: rfl_lab.<workload>.<suite>.<…>.<name>, the KTAP lines of a
    // failure as log_excerpt. Paths that fold to the same text get a suffix.
    std::set<std::string> case_paths;
    for (const auto& t : b.test_cases) {
      std::string path = "rfl_lab." + PathPart(t.workload);
      size_t from = 0;
      while (from <= t.suite.size() && !t.suite.empty()) {
        size_t slash = t.suite.find('/', from);
        path += "." + PathPart(t.suite.substr(from, slash == std::string::npos ? std::string::npos : slash - from));
        if (slash == std::string::npos) break;
        from = slash + 1;
      }
      path += "." + PathPart(t.name);
      std::string unique = path;
      for (int n = 2; !case_paths.insert(unique).second; ++n) unique = fmt::format("{}_{}", path, n);
      json misc = {{"suite", t.suite}, {"name", t.name}, {"status", t.status}};
      size_t k = add(unique, CaseStatus(t.status), std::move(misc));
      if (!t.reason.empty()) out["tests"][k]["comment"] = Clean(t.reason, 1024);
      if (!t.diagnostics.empty()) out["tests"][k]["log_excerpt"] = Clean(t.diagnostics);
    }
    // Stores without workload records (schema 1): the samples say the
    // workload ran; a passed boot means the agent finished every workload.
    for (const auto& [name, samples] : samples_by_workload) {
      if (name == "boot" || done.contains(name)) continue;
      add("rfl_lab." + PathPart(name), b.outcome == BootOutcome::kPassed ? "PASS" : "DONE",
          {{"samples", samples}});
    }
  }

  // Per cell: the median over passed final attempts, as comparisons see them.
  using SeriesKey = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>;
  // (build key, variant, workload, metric, unit, labels key) → (values, boot ids)
  std::map<SeriesKey, std::pair<std::vector<double>, std::vector<int64_t>>> series;
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string, int>, const BootRecord*> last;
  for (const auto& b : a.boots) {
    auto key = std::make_tuple(b.arch, b.toolchain, b.kernel, b.variant, b.build_key, b.repetition);
    auto it = last.find(key);
    if (it == last.end() || it->second->attempt <= b.attempt) last[key] = &b;
  }
  for (const auto& [key, b] : last) {
    if (b->outcome != BootOutcome::kPassed) continue;
    for (const auto& s : b->samples) {
      if (!std::isfinite(s.value)) continue;
      auto& [values, boots] = series[{b->build_key, b->variant, s.workload, s.metric, s.unit, LabelsKey(s.labels)}];
      values.push_back(s.value);
      boots.push_back(b->id);
    }
  }
  for (const auto& [key, entry] : series) {
    const auto& [build_key, variant, workload, metric, unit, labels] = key;
    const auto& [values, boots] = entry;
    std::string path = MetricPath("rfl_lab", workload, metric, results::LabelsFromKey(labels));
    Summary sum = Summarize(values);
    out["tests"].push_back({{"id", fmt::format("{}-build-{}-{}-{}", prefix, build_key, PathPart(variant), path)},
                            {"build_id", build_id(build_key)},
                            {"origin", origin},
                            {"path", path},
                            {"status", "DONE"},
                            {"number", Number(sum.median, unit)},
                            {"misc", {{"kind", "median"},
                                      {"variant", variant},
                                      {"unit", unit},
                                      {"labels", results::LabelsFromKey(labels)},
                                      {"n", sum.n},
                                      {"mad", sum.mad},
                                      {"values", values},
                                      {"boots", boots}}}});
  }

  // Comparisons, attached to the variant's build in this run.
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
    json misc = {{"kind", "comparison"},
                 {"verdict", VerdictName(d.stats.verdict)},
                 {"reason", d.stats.reason},
                 {"baseline", d.baseline_label},
                 {"variant", d.variant},
                 {"variant_label", d.variant_label},
                 {"labels", json::parse(d.key.labels, nullptr, false)},
                 {"direction", DirectionName(d.stats.direction)},
                 {"baseline_median", d.stats.baseline.median},
                 {"variant_median", d.stats.variant.median}};
    if (d.stats.ci) misc["ci95"] = {d.stats.ci->lo, d.stats.ci->hi};
    if (d.stats.test) misc["p_value"] = d.stats.test->p_value;
    const char* status = d.stats.verdict == Verdict::kRegression ? "FAIL"
                         : d.stats.verdict == Verdict::kInconclusive ? "DONE"
                                                                     : "PASS";
    std::string path = MetricPath("rfl_lab.compare", d.key.workload, d.key.metric, results::LabelsFromKey(d.key.labels));
    out["tests"].push_back({{"id", fmt::format("{}-build-{}-{}-{}", prefix, key, PathPart(d.variant), path)},
                            {"build_id", build_id(key)},
                            {"origin", origin},
                            {"path", path},
                            {"status", status},
                            {"number", {{"value", d.stats.ratio}, {"unit", "ratio"}}},
                            {"misc", misc}});
  }
  return out;
}

}  // namespace rfl::report
