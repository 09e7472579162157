#include "lab/results/comparison.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/results/store.h"

namespace rfl::results {
namespace {

using CellKey = std::tuple<std::string, std::string, std::string, std::string>;  // arch, toolchain, kernel, variant


Expect ExpectOf(const RunData& run, const std::string& variant) {
  const VariantInfo* v = run.FindVariant(variant);
  return v ? v->expect : Expect::kPass;
}

std::string CellText(const std::string& arch, const std::string& toolchain, const std::string& kernel,
                     const std::string& variant) {
  return fmt::format("{}/{}/{} {}", arch, toolchain, kernel, variant);
}

// Samples of passed final attempts, by (metric key, variant). `rename` maps
// toolchain and kernel values (to drop an axis in cross-run compares).
using SampleMap = std::map<std::pair<MetricKey, std::string>, std::vector<double>>;

struct AxisRename {
  std::optional<std::string> toolchain;
  std::optional<std::string> kernel;
};

SampleMap CollectSamples(const RunData& run, const AxisRename& rename = {}) {
  SampleMap out;
  for (const BootRecord* b : FinalAttempts(run)) {
    if (b->outcome != BootOutcome::kPassed) continue;
    for (const auto& s : b->samples) {
      MetricKey key{b->arch,   rename.toolchain.value_or(b->toolchain), rename.kernel.value_or(b->kernel),
                    s.workload, s.metric, s.unit, LabelsKey(s.labels)};
      out[{key, b->variant}].push_back(s.value);
    }
  }
  return out;
}

// The attributes the workload set up for one (metric key, variant): those of
// the first passed final attempt that reported them.
using AttributeIndex = std::map<std::pair<MetricKey, std::string>, std::map<std::string, std::string>>;

// Metric keys whose labels match an attribute set's, for every sample the
// attribute set belongs to.
AttributeIndex CollectAttributes(const RunData& run, const AxisRename& rename = {}) {
  AttributeIndex out;
  for (const BootRecord* b : FinalAttempts(run)) {
    if (b->outcome != BootOutcome::kPassed) continue;
    for (const auto& s : b->samples) {
      const AttributeSet* a = FindAttributes(*b, s.workload, s.labels);
      if (!a) continue;
      MetricKey key{b->arch,   rename.toolchain.value_or(b->toolchain), rename.kernel.value_or(b->kernel),
                    s.workload, s.metric, s.unit, LabelsKey(s.labels)};
      out.try_emplace({key, b->variant}, a->values);
    }
  }
  return out;
}

std::optional<std::vector<AttributeDifference>> SetupDifferences(const AttributeIndex& ia,
                                                                 const std::pair<MetricKey, std::string>& a,
                                                                 const AttributeIndex& ib,
                                                                 const std::pair<MetricKey, std::string>& b) {
  auto x = ia.find(a), y = ib.find(b);
  if (x == ia.end() || y == ib.end()) return std::nullopt;
  return CommonDifferences(x->second, y->second);
}

// Measured by the host's clock (boot/host_agent_ready_seconds, …), not inside
// the guest.
bool IsHostClockMetric(const MetricKey& key) { return key.metric.starts_with("host_"); }

MetricDelta MakeDelta(const MetricKey& key, const std::string& variant, std::string baseline_label,
                      std::string variant_label, std::vector<double> base, std::vector<double> var,
                      VerdictThresholds thresholds, bool icount) {
  MetricDelta d;
  d.key = key;
  d.variant = variant;
  d.baseline_label = std::move(baseline_label);
  d.variant_label = std::move(variant_label);
  d.baseline_values = std::move(base);
  d.variant_values = std::move(var);
  d.stats = CompareSamples(d.baseline_values, d.variant_values, MetricDirection(key.metric, key.unit), thresholds,
                           SeedFromKey(key.Text() + "|" + variant));
  if (icount && IsHostClockMetric(key)) {
    // icount makes guest time count instructions; the host's clock still
    // follows the host's load, so a difference here says nothing about the
    // kernel. Shown, never a verdict, and no reason to add boots.
    d.stats.verdict = Verdict::kInconclusive;
    d.stats.reason = "host-clock metric under icount timing: follows the host's load, not the kernel";
    d.stats.more_samples_may_help = false;
  }
  if (d.baseline_values.empty()) {
    d.stats.reason = "no baseline samples";
    d.stats.more_samples_may_help = false;
  } else if (d.variant_values.empty()) {
    d.stats.reason = "no variant samples";
    d.stats.more_samples_may_help = false;
  }
  return d;
}

// Rust and C implementations of one device, measured in the same boots.
constexpr std::pair<std::string_view, std::string_view> kDriverPairs[] = {{"null_blk", "rnull"}};

std::vector<MetricDelta> DriverPairs(const SampleMap& samples, const AttributeIndex& attrs,
                                     VerdictThresholds thresholds, bool icount) {
  std::vector<MetricDelta> out;
  for (const auto& [kv, c_values] : samples) {
    const auto& [c_key, variant] = kv;
    auto labels = LabelsFromKey(c_key.labels);
    for (const auto& [c_device, rust_device] : kDriverPairs) {
      auto it = labels.find("device");
      if (it == labels.end() || it->second != c_device) continue;
      MetricKey rust_key = c_key;
      it->second = std::string(rust_device);
      rust_key.labels = LabelsKey(labels);
      auto rust = samples.find({rust_key, variant});
      if (rust == samples.end()) continue;
      labels.erase("device");
      MetricKey pair_key = c_key;
      pair_key.labels = LabelsKey(labels);
      out.push_back(MakeDelta(pair_key, variant, std::string(c_device), std::string(rust_device), c_values,
                              rust->second, thresholds, icount));
      out.back().setup_differences = SetupDifferences(attrs, kv, attrs, {rust_key, variant});
    }
  }
  return out;
}

void AddCaseRegressions(const std::vector<CaseChange>& changes, Findings& f) {
  for (const auto& c : changes) {
    if (c.regression) f.test_cases.push_back(c.Text());
  }
}

void AddRunFindings(const RunData& run, Findings& f) {
  for (const auto& c : run.abi_checks) {
    if (auto problem = AbiCheckProblem(c)) f.abi_checks.push_back(fmt::format("{}/{}: {}", c.arch, c.toolchain, *problem));
  }
  for (const auto& b : run.builds) {
    for (const auto& variant : b.variants) {
      Expect e = ExpectOf(run, variant);
      std::string cell = CellText(b.arch, b.toolchain, b.kernel, variant);
      if (b.outcome == BuildOutcome::kFailed && e != Expect::kBuildFailure) {
        f.unexpected_build_failures.push_back(
            fmt::format("{}: build failed ({})", cell, b.failure_class.empty() ? "unclassified" : b.failure_class));
      } else if (BuildSucceeded(b.outcome) && e == Expect::kBuildFailure) {
        f.unexpected_build_failures.push_back(fmt::format("{}: built, but the scenario expects a build failure", cell));
      }
    }
    for (const auto& c : b.code_checks) {
      if (auto problem = CodeCheckProblem(c)) {
        std::string cell = CellText(b.arch, b.toolchain, b.kernel, fmt::format("{}", fmt::join(b.variants, ",")));
        f.code_checks.push_back(fmt::format("{}: {}", cell, *problem));
      }
    }
  }
  for (const BootRecord* b : FinalAttempts(run)) {
    Expect e = ExpectOf(run, b->variant);
    std::string cell = CellText(b->arch, b->toolchain, b->kernel, b->variant);
    if (b->outcome == BootOutcome::kBuildFailed) continue;  // counted with the build
    if (b->outcome != BootOutcome::kPassed && e != Expect::kBootFailure) {
      f.failed_boots.push_back(fmt::format("{} rep {}: {}{}{}", cell, b->repetition, BootOutcomeName(b->outcome),
                                           b->title.empty() ? "" : " \"" + b->title + "\"",
                                           b->attempt > 0 ? " (after a retry)" : ""));
    } else if (b->outcome == BootOutcome::kPassed && e == Expect::kBootFailure) {
      f.failed_boots.push_back(
          fmt::format("{} rep {}: passed, but the scenario expects a boot failure", cell, b->repetition));
    }
  }
}

void AddRegressions(const std::vector<MetricDelta>& deltas, Findings& f) {
  for (const auto& d : deltas) {
    if (d.stats.verdict == Verdict::kRegression) {
      f.regressions.push_back(fmt::format("{} {} vs {}: {}", d.key.Text(), d.variant_label, d.baseline_label,
                                          d.stats.reason));
    }
  }
}

const BuildRecord* FindBuildOf(const RunData& run, const std::string& arch, const std::string& toolchain,
                               const std::string& kernel, const std::string& variant) {
  for (const auto& b : run.builds) {
    if (b.arch == arch && b.toolchain == toolchain && b.kernel == kernel &&
        std::find(b.variants.begin(), b.variants.end(), variant) != b.variants.end()) {
      return &b;
    }
  }
  return nullptr;
}

void AddCodeCheckChanges(const BuildRecord& a, const BuildRecord& b, const std::string& cell,
                         std::vector<CodeCheckChange>& out) {
  for (const auto& cb : b.code_checks) {
    auto ca = std::find_if(a.code_checks.begin(), a.code_checks.end(),
                           [&](const CodeCheckRecord& c) { return c.flag == cb.flag; });
    if (ca == a.code_checks.end() || ca->verdict == cb.verdict) continue;
    out.push_back({cell, cb.flag, cb.claimed, ca->verdict, cb.verdict, ca->with_signature, ca->checked,
                   cb.with_signature, cb.checked});
  }
}

void AddSizeDeltas(const BuildRecord& base, const BuildRecord& var, const std::string& arch,
                   const std::string& toolchain, const std::string& kernel, const std::string& variant,
                   std::vector<SizeDelta>& out) {
  if (!BuildSucceeded(base.outcome) || !BuildSucceeded(var.outcome)) return;
  std::set<std::pair<std::string, std::string>> sections;
  for (const auto* b : {&base, &var}) {
    for (const auto& [object, secs] : b->sizes) {
      for (const auto& [section, bytes] : secs) sections.insert({object, section});
    }
  }
  auto bytes_of = [](const BuildRecord& b, const std::string& object, const std::string& section) -> int64_t {
    auto o = b.sizes.find(object);
    if (o == b.sizes.end()) return 0;
    auto s = o->second.find(section);
    return s == o->second.end() ? 0 : s->second;
  };
  for (const auto& [object, section] : sections) {
    out.push_back(SizeDelta{arch, toolchain, kernel, variant, object, section, bytes_of(base, object, section),
                            bytes_of(var, object, section)});
  }
}

std::set<std::string> Values(const RunData& run, std::string BootRecord::*boot_field,
                             std::string BuildRecord::*build_field) {
  std::set<std::string> out;
  for (const auto& b : run.boots) out.insert(b.*boot_field);
  for (const auto& b : run.builds) out.insert(b.*build_field);
  return out;
}

}  // namespace

// The last attempt of each (cell, repetition): the boot that counts.
std::vector<const BootRecord*> FinalAttempts(const RunData& run) {
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string, int>, const BootRecord*> last;
  for (const auto& b : run.boots) {
    auto key = std::make_tuple(b.arch, b.toolchain, b.kernel, b.variant, b.build_key, b.repetition);
    auto it = last.find(key);
    if (it == last.end() || it->second->attempt <= b.attempt) last[key] = &b;
  }
  std::vector<const BootRecord*> out;
  for (const auto& [key, boot] : last) out.push_back(boot);
  std::sort(out.begin(), out.end(), [](const BootRecord* a, const BootRecord* b) { return a->id < b->id; });
  return out;
}

std::string MetricKey::Text() const {
  std::string labels_text;
  if (labels != "{}" && !labels.empty()) labels_text = labels;
  return fmt::format("{}/{}/{} {}.{}{}", arch, toolchain, kernel, workload, metric, labels_text);
}

std::string OutcomeCell::Status() const {
  if (build && !BuildSucceeded(*build)) {
    return (*build == BuildOutcome::kExpectedFailure || expect == Expect::kBuildFailure) ? "expected-failure"
                                                                                                : "build-failed";
  }
  if (boots == 0) return build ? "built" : "not-run";
  if (passed == boots) return expect == Expect::kBootFailure ? "unexpected-pass" : "passed";
  return expect == Expect::kBootFailure ? "expected-failure" : "failed";
}

std::vector<std::string> Findings::All() const {
  std::vector<std::string> out;
  for (const auto& s : unexpected_build_failures) out.push_back("build: " + s);
  for (const auto& s : code_checks) out.push_back("code: " + s);
  for (const auto& s : abi_checks) out.push_back("abi: " + s);
  for (const auto& s : failed_boots) out.push_back("boot: " + s);
  for (const auto& s : test_cases) out.push_back("kunit: " + s);
  for (const auto& s : regressions) out.push_back("regression: " + s);
  return out;
}

std::vector<OutcomeCell> OutcomeMatrix(const RunData& run) {
  std::map<CellKey, OutcomeCell> cells;
  auto cell = [&](const std::string& arch, const std::string& toolchain, const std::string& kernel,
                  const std::string& variant) -> OutcomeCell& {
    auto [it, inserted] = cells.try_emplace(CellKey{arch, toolchain, kernel, variant});
    if (inserted) {
      it->second.run_id = run.run.id;
      it->second.arch = arch;
      it->second.toolchain = toolchain;
      it->second.kernel = kernel;
      it->second.variant = variant;
      it->second.expect = ExpectOf(run, variant);
    }
    return it->second;
  };
  for (const auto& b : run.builds) {
    for (const auto& v : b.variants) {
      OutcomeCell& c = cell(b.arch, b.toolchain, b.kernel, v);
      c.build = b.outcome;
      c.build_key = b.key;
      c.failure_class = b.failure_class;
      c.failure_excerpt = b.failure_excerpt;
      c.rustc_version = b.rustc_version;
      c.kernel_version = b.kernel_version;
    }
  }
  for (const BootRecord* b : FinalAttempts(run)) {
    OutcomeCell& c = cell(b->arch, b->toolchain, b->kernel, b->variant);
    if (b->outcome == BootOutcome::kBuildFailed) continue;
    ++c.boots;
    if (b->outcome == BootOutcome::kPassed) ++c.passed;
    if (b->attempt > 0) ++c.retried;
    ++c.outcomes[std::string(BootOutcomeName(b->outcome))];
    if (b->outcome != BootOutcome::kPassed && c.first_failure_evidence.empty()) c.first_failure_evidence = b->evidence;
    for (const auto& w : b->workloads) {
      WorkloadTally& t = c.workloads[w.name];
      int& n = w.status == "passed" ? t.passed : w.status == "skipped" ? t.skipped : t.failed;
      ++n;
      if (w.status != "passed" && t.reason.empty()) t.reason = w.reason;
    }
  }
  // Order: variants in scenario order within each (arch, toolchain, kernel).
  std::vector<OutcomeCell> out;
  for (auto& [key, c] : cells) out.push_back(std::move(c));
  auto position = [&](const std::string& variant) {
    const auto& vs = run.run.info.variants;
    for (size_t i = 0; i < vs.size(); ++i) {
      if (vs[i].name == variant) return i;
    }
    return vs.size();
  };
  std::stable_sort(out.begin(), out.end(), [&](const OutcomeCell& a, const OutcomeCell& b) {
    return std::tie(a.arch, a.toolchain, a.kernel) < std::tie(b.arch, b.toolchain, b.kernel) ||
           (std::tie(a.arch, a.toolchain, a.kernel) == std::tie(b.arch, b.toolchain, b.kernel) &&
            position(a.variant) < position(b.variant));
  });
  return out;
}

// The workers (LAVA's "<worker>/<device>") whose boots gave a cell's samples;
// local boots have none.
using WorkerIndex = std::map<std::tuple<std::string, std::string, std::string, std::string>, std::set<std::string>>;

WorkerIndex CollectWorkers(const RunData& run) {
  WorkerIndex out;
  for (const BootRecord* b : FinalAttempts(run)) {
    if (!b->worker.empty()) out[{b->arch, b->toolchain, b->kernel, b->variant}].insert(b->worker);
  }
  return out;
}

// Under wall timing a sample is the worker's time: samples from different
// workers (machines, or devices on one) are not comparable, so no verdict.
void RefuseMixedWorkers(MetricDelta& d, const WorkerIndex& workers, const std::string& baseline) {
  std::set<std::string> all;
  for (const std::string* v : std::initializer_list<const std::string*>{&baseline, &d.variant}) {
    auto it = workers.find({d.key.arch, d.key.toolchain, d.key.kernel, *v});
    if (it != workers.end()) all.insert(it->second.begin(), it->second.end());
  }
  if (all.size() < 2) return;
  d.stats.verdict = Verdict::kInconclusive;
  d.stats.reason = fmt::format(
      "wall-clock samples from {} workers ({}): not comparable; use timing: icount, or pin one device "
      "(--lava-tag)",
      all.size(), fmt::join(all, ", "));
  d.stats.more_samples_may_help = false;
}

std::string CodeCheckChange::Text() const {
  return fmt::format("{}: {} ({}) {} ({}/{}) → {} ({}/{})", cell, flag, claimed ? "claimed" : "control", verdict_a,
                     with_a, checked_a, verdict_b, with_b, checked_b);
}

RunAnalysis AnalyzeRun(const RunData& run) {
  RunAnalysis a;
  a.runs.push_back(run.run);
  a.baseline = run.run.info.baseline;
  if (a.baseline.empty() && !run.run.info.variants.empty()) a.baseline = run.run.info.variants.front().name;
  a.thresholds = VerdictThresholds{run.run.info.noise, run.run.info.alpha};
  a.outcomes = OutcomeMatrix(run);
  a.builds = run.builds;
  a.boots = run.boots;
  a.abi_checks = run.abi_checks;

  SampleMap samples = CollectSamples(run);
  AttributeIndex attrs = CollectAttributes(run);
  WorkerIndex workers = CollectWorkers(run);
  std::set<MetricKey> keys;
  for (const auto& [kv, values] : samples) keys.insert(kv.first);
  for (const auto& key : keys) {
    auto base = samples.find({key, a.baseline});
    for (const auto& v : run.run.info.variants) {
      if (v.name == a.baseline) continue;
      auto var = samples.find({key, v.name});
      if (var == samples.end()) continue;
      a.deltas.push_back(MakeDelta(key, v.name, a.baseline, v.name,
                                   base == samples.end() ? std::vector<double>{} : base->second, var->second,
                                   a.thresholds, run.run.info.timing == "icount"));
      a.deltas.back().setup_differences = SetupDifferences(attrs, {key, a.baseline}, attrs, {key, v.name});
      if (run.run.info.timing == "wall") RefuseMixedWorkers(a.deltas.back(), workers, a.baseline);
    }
  }
  a.pairs = DriverPairs(samples, attrs, a.thresholds, run.run.info.timing == "icount");
  for (const auto& c : a.outcomes) {
    if (c.variant == a.baseline) continue;
    const BuildRecord* base = FindBuildOf(run, c.arch, c.toolchain, c.kernel, a.baseline);
    const BuildRecord* var = FindBuildOf(run, c.arch, c.toolchain, c.kernel, c.variant);
    if (base && var) AddSizeDeltas(*base, *var, c.arch, c.toolchain, c.kernel, c.variant, a.sizes);
  }
  a.kunit = KunitCells(run);
  a.case_changes = CaseChanges(run, a.baseline);
  AddRunFindings(run, a.findings);
  AddRegressions(a.deltas, a.findings);
  AddCaseRegressions(a.case_changes, a.findings);
  return a;
}

RunAnalysis CompareRuns(const RunData& a, const RunData& b) {
  RunAnalysis out;
  out.runs = {a.run, b.run};
  out.baseline = fmt::format("run {}", a.run.id);
  out.thresholds = VerdictThresholds{b.run.info.noise, b.run.info.alpha};
  out.outcomes = OutcomeMatrix(a);
  for (auto& c : OutcomeMatrix(b)) out.outcomes.push_back(std::move(c));
  out.builds = b.builds;
  out.boots = b.boots;
  out.abi_checks = b.abi_checks;

  // Drop an axis both runs hold one (different) value of: it is the subject.
  AxisRename ra, rb;
  auto drop = [](const std::set<std::string>& va, const std::set<std::string>& vb, std::optional<std::string>& na,
                 std::optional<std::string>& nb) {
    if (va.size() == 1 && vb.size() == 1 && *va.begin() != *vb.begin()) {
      na = nb = *va.begin() + "→" + *vb.begin();
    }
  };
  drop(Values(a, &BootRecord::toolchain, &BuildRecord::toolchain),
       Values(b, &BootRecord::toolchain, &BuildRecord::toolchain), ra.toolchain, rb.toolchain);
  drop(Values(a, &BootRecord::kernel, &BuildRecord::kernel), Values(b, &BootRecord::kernel, &BuildRecord::kernel),
       ra.kernel, rb.kernel);

  SampleMap sa = CollectSamples(a, ra), sb = CollectSamples(b, rb);
  AttributeIndex aa = CollectAttributes(a, ra), ab = CollectAttributes(b, rb);
  std::set<std::pair<MetricKey, std::string>> keys;
  for (const auto& [k, v] : sa) keys.insert(k);
  for (const auto& [k, v] : sb) keys.insert(k);
  const std::string label_a = fmt::format("run {}", a.run.id), label_b = fmt::format("run {}", b.run.id);
  for (const auto& k : keys) {
    auto ia = sa.find(k);
    auto ib = sb.find(k);
    out.deltas.push_back(MakeDelta(k.first, k.second, label_a + " " + k.second, label_b + " " + k.second,
                                   ia == sa.end() ? std::vector<double>{} : ia->second,
                                   ib == sb.end() ? std::vector<double>{} : ib->second, out.thresholds,
                                   a.run.info.timing == "icount" || b.run.info.timing == "icount"));
    out.deltas.back().setup_differences = SetupDifferences(aa, k, ab, k);
  }
  for (const auto& bb : b.builds) {
    for (const auto& variant : bb.variants) {
      const BuildRecord* ba = FindBuildOf(a, bb.arch, ra.toolchain ? *Values(a, &BootRecord::toolchain,
                                                                             &BuildRecord::toolchain).begin()
                                                                     : bb.toolchain,
                                          ra.kernel ? *Values(a, &BootRecord::kernel, &BuildRecord::kernel).begin()
                                                    : bb.kernel,
                                          variant);
      if (ba) {
        AddSizeDeltas(*ba, bb, bb.arch, rb.toolchain.value_or(bb.toolchain), rb.kernel.value_or(bb.kernel), variant,
                      out.sizes);
        AddCodeCheckChanges(*ba, bb, CellText(bb.arch, rb.toolchain.value_or(bb.toolchain),
                                              rb.kernel.value_or(bb.kernel), variant),
                            out.code_check_changes);
      }
    }
  }
  out.kunit = KunitCells(a);
  for (auto& c : KunitCells(b)) out.kunit.push_back(std::move(c));
  auto cell_of = [](const AxisRename& r) {
    return [r](const BootRecord& x) {
      return CaseCell{x.arch, r.toolchain.value_or(x.toolchain), r.kernel.value_or(x.kernel)};
    };
  };
  out.case_changes = CaseChanges(a, b, cell_of(ra), cell_of(rb));
  AddRunFindings(b, out.findings);
  AddRegressions(out.deltas, out.findings);
  AddCaseRegressions(out.case_changes, out.findings);
  return out;
}


RepetitionAdvice NeedMoreRepetitions(const RunData& run, int min, int max) {
  RepetitionAdvice advice;
  // Repetitions finished by every cell that is supposed to boot.
  std::map<CellKey, std::set<int>> reps;
  for (const auto& c : OutcomeMatrix(run)) {
    if (c.build && !BuildSucceeded(*c.build)) continue;
    if (c.expect != Expect::kPass) continue;
    reps[{c.arch, c.toolchain, c.kernel, c.variant}];
  }
  for (const BootRecord* b : FinalAttempts(run)) {
    auto it = reps.find({b->arch, b->toolchain, b->kernel, b->variant});
    if (it != reps.end()) it->second.insert(b->repetition);
  }
  if (reps.empty()) {
    advice.reason = "nothing left to boot";
    return advice;
  }
  advice.completed = max;
  for (const auto& [cell, r] : reps) advice.completed = std::min(advice.completed, static_cast<int>(r.size()));
  if (advice.completed < min) {
    advice.more = true;
    advice.reason = fmt::format("{} of at least {} repetitions done", advice.completed, min);
    return advice;
  }
  for (const auto& d : AnalyzeRun(run).deltas) {
    if (d.stats.verdict == Verdict::kInconclusive && d.stats.more_samples_may_help) {
      advice.inconclusive.push_back(d.key.Text() + " " + d.variant);
    }
  }
  if (advice.completed >= max) {
    advice.reason = advice.inconclusive.empty()
                        ? fmt::format("{} repetitions done", advice.completed)
                        : fmt::format("reached the cap of {} repetitions with {} verdicts still inconclusive", max,
                                      advice.inconclusive.size());
    return advice;
  }
  advice.more = !advice.inconclusive.empty();
  advice.reason = advice.more ? fmt::format("{} verdicts inconclusive after {} repetitions",
                                            advice.inconclusive.size(), advice.completed)
                              : fmt::format("every verdict settled after {} repetitions", advice.completed);
  return advice;
}

std::vector<std::string> ToolchainDrift(const RunData& a, const RunData& b) {
  // toolchain name → the distinct rustc version lines of a run's builds.
  auto versions = [](const RunData& run) {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& build : run.builds) {
      if (!build.rustc_version.empty()) out[build.toolchain].insert(build.rustc_version);
    }
    return out;
  };
  auto va = versions(a), vb = versions(b);
  std::vector<std::string> drift;
  for (const auto& [name, in_a] : va) {
    auto it = vb.find(name);
    if (it == vb.end() || it->second == in_a) continue;
    drift.push_back(fmt::format("toolchain {} is {} in run {} but {} in run {}: the runs differ in compiler, not only "
                                "in what you meant to compare",
                                name, fmt::join(in_a, " / "), a.run.id, fmt::join(it->second, " / "), b.run.id));
  }
  return drift;
}

}  // namespace rfl::results
