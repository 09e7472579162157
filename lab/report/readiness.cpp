#include "lab/report/readiness.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/report/summary.h"

namespace rfl::report {
namespace {

using namespace rfl::results;

const BuildRecord* FindBuild(const RunAnalysis& a, const std::string& key) {
  for (const auto& b : a.builds) {
    if (b.key == key) return &b;
  }
  return nullptr;
}

const CodeCheckRecord* FindCheck(const BuildRecord* b, const std::string& flag) {
  if (!b) return nullptr;
  for (const auto& c : b->code_checks) {
    if (c.flag == flag) return &c;
  }
  return nullptr;
}

// "1.96.0" from the first line of `rustc -vV`, "rustc 1.96.0 (…)" (what a
// build record keeps; toolchain::RustcRelease reads the whole output).
std::string ReleaseOfVersionLine(const std::string& version_line) {
  auto p = version_line.find(' ');
  if (p == std::string::npos) return version_line;
  auto e = version_line.find(' ', p + 1);
  return version_line.substr(p + 1, e == std::string::npos ? std::string::npos : e - p - 1);
}

std::string AbiText(const AbiCheckRecord& c) {
  if (AbiCheckProblem(c)) return "NOT enforced: " + AbiCheckSummary(c);
  if (c.crate_with_flag == "unknown-flag") return "unknown to this rustc";
  if (c.inconclusive) return "inconclusive";
  if (c.known_target_modifier) return "enforced (rejected both ways, escape hatch " + c.escape_hatch + ")";
  if (c.crate_with_flag == "rejected" || c.core_with_flag == "rejected") return "rejected, but not a known target modifier";
  return "not a target modifier (mix accepted)";
}

bool AbiOk(const AbiCheckRecord& c) {
  return !AbiCheckProblem(c) && !c.inconclusive && c.crate_with_flag != "unknown-flag";
}

std::string BuildText(const OutcomeCell& cell) {
  if (!cell.build) return "not built";
  switch (*cell.build) {
    case BuildOutcome::kBuilt:
    case BuildOutcome::kCacheHit: return "built";
    case BuildOutcome::kExpectedFailure: return "expected failure";
    case BuildOutcome::kFailed:
      return cell.failure_class.empty() ? "failed" : fmt::format("failed ({})", cell.failure_class);
  }
  return "";
}

std::string BootsText(const OutcomeCell& cell) {
  if (cell.boots == 0) return "not booted";
  std::string out = fmt::format("{}/{} passed", cell.passed, cell.boots);
  if (cell.passed < cell.boots) {
    std::vector<std::string> other;
    for (const auto& [name, n] : cell.outcomes) {
      if (name != "passed") other.push_back(fmt::format("{} {}", n, name));
    }
    out += fmt::format(" ({})", fmt::join(other, ", "));
  }
  return out;
}


// The largest significant change of the variant against the baseline in
// its cell, or how many metrics did not change.
std::string CostText(const RunAnalysis& a, const OutcomeCell& cell) {
  const MetricDelta* worst = nullptr;
  int metrics = 0, changed = 0;
  for (const auto& d : a.deltas) {
    if (d.variant != cell.variant || d.key.arch != cell.arch || d.key.toolchain != cell.toolchain ||
        d.key.kernel != cell.kernel) {
      continue;
    }
    ++metrics;
    auto v = d.stats.verdict;
    if (v != Verdict::kRegression && v != Verdict::kImprovement) continue;
    ++changed;
    if (!worst || std::abs(d.stats.ratio - 1) > std::abs(worst->stats.ratio - 1)) worst = &d;
  }
  if (metrics == 0) return "";
  if (!worst) return fmt::format("no change ({} metrics)", metrics);
  return fmt::format("{} {} {} ({}; {} of {} metrics changed)", PercentChange(worst->stats.ratio),
                     MetricName(worst->key), CiPercent(worst->stats), VerdictName(worst->stats.verdict), changed,
                     metrics);
}

std::string SizeText(const RunAnalysis& a, const OutcomeCell& cell) {
  std::string out;
  for (const auto& z : a.sizes) {
    if (z.variant != cell.variant || z.arch != cell.arch || z.toolchain != cell.toolchain || z.kernel != cell.kernel ||
        z.section != "text" || z.baseline_bytes <= 0) {
      continue;
    }
    out += fmt::format("{}{} .text {}", out.empty() ? "" : ", ", z.object,
                       PercentChange(static_cast<double>(z.variant_bytes) / static_cast<double>(z.baseline_bytes)));
  }
  return out;
}

}  // namespace

std::vector<ReadinessRow> Readiness(const RunAnalysis& a) {
  std::vector<ReadinessRow> rows;
  const RunSummary* run = a.runs.empty() ? nullptr : &a.runs.back();
  std::set<std::tuple<std::string, std::string, std::string>> abi_used;  // flag, arch, toolchain
  auto abi_for = [&](const std::string& flag, const std::string& arch, const std::string& tc) -> const AbiCheckRecord* {
    for (const auto& c : a.abi_checks) {
      if (c.flag == flag && c.arch == arch && c.toolchain == tc) return &c;
    }
    return nullptr;
  };
  // The baseline's build in each cell, for the control verdicts.
  std::map<std::tuple<std::string, std::string, std::string>, const OutcomeCell*> baseline_cells;
  for (const auto& cell : a.outcomes) {
    if (cell.variant == a.baseline) baseline_cells[{cell.arch, cell.toolchain, cell.kernel}] = &cell;
  }
  for (const auto& cell : a.outcomes) {
    if (cell.variant == a.baseline || (run && cell.run_id != run->id && a.runs.size() > 1)) continue;
    const BuildRecord* build = FindBuild(a, cell.build_key);
    const VariantInfo* info = nullptr;
    if (run) {
      for (const auto& v : run->info.variants) {
        if (v.name == cell.variant) info = &v;
      }
    }
    std::vector<std::string> flags;
    if (info) flags = info->rustflags;
    if (build) {
      for (const auto& c : build->code_checks) {
        if (c.claimed && std::find(flags.begin(), flags.end(), c.flag) == flags.end()) flags.push_back(c.flag);
      }
    }
    auto base = baseline_cells.find({cell.arch, cell.toolchain, cell.kernel});
    const BuildRecord* base_build =
        base == baseline_cells.end() ? nullptr : FindBuild(a, base->second->build_key);
    for (const auto& flag : flags) {
      ReadinessRow r;
      r.flag = flag;
      r.arch = cell.arch;
      r.toolchain = cell.toolchain;
      r.rustc = ReleaseOfVersionLine(cell.rustc_version);
      r.kernel = cell.kernel_version.empty() ? cell.kernel : cell.kernel_version;
      r.variant = cell.variant;
      r.via = info && std::find(info->rustflags.begin(), info->rustflags.end(), flag) != info->rustflags.end()
                  ? "rustflags"
                  : "Kconfig";
      r.build = BuildText(cell);
      r.boots = cell.expect == Expect::kBuildFailure ? "" : BootsText(cell);
      bool code_ok = true;
      if (const CodeCheckRecord* c = FindCheck(build, flag)) {
        r.code = fmt::format("{} {}/{}", c->verdict, c->with_signature, c->checked);
        if (const CodeCheckRecord* control = FindCheck(base_build, flag)) {
          r.code += fmt::format(", baseline {}", control->verdict);
          code_ok = control->verdict == "absent" || control->verdict == "not-applicable";
        }
        code_ok = code_ok && (c->verdict == "effective" || CodeCheckProblem(*c) == std::nullopt);
      } else {
        r.code = build && BuildSucceeded(build->outcome) ? "no code check" : "";
      }
      const AbiCheckRecord* abi = abi_for(flag, cell.arch, cell.toolchain);
      if (abi) {
        r.abi = AbiText(*abi);
        if (r.rustc.empty()) r.rustc = abi->rustc;  // a failed build has no version of its own
        abi_used.insert({flag, cell.arch, cell.toolchain});
      } else {
        r.abi = "not checked";
      }
      r.cost = CostText(a, cell);
      r.size = SizeText(a, cell);
      bool builds_ok = cell.build && BuildSucceeded(*cell.build);
      // A variant expected to fail (the negative case: a flag without what
      // it needs) is evidence when it fails the way it should.
      bool as_expected = false;
      switch (cell.expect) {
        case Expect::kPass: as_expected = builds_ok && cell.boots > 0 && cell.passed == cell.boots && code_ok; break;
        case Expect::kBuildFailure: as_expected = cell.build == BuildOutcome::kExpectedFailure; break;
        case Expect::kBootFailure: as_expected = builds_ok && cell.boots > 0 && cell.passed == 0; break;
      }
      r.ok = as_expected && (!abi || AbiOk(*abi));
      rows.push_back(std::move(r));
    }
  }
  for (const auto& c : a.abi_checks) {
    if (abi_used.count({c.flag, c.arch, c.toolchain})) continue;
    ReadinessRow r;
    r.flag = c.flag;
    r.arch = c.arch;
    r.toolchain = c.toolchain;
    r.rustc = c.rustc;
    r.abi = AbiText(c);
    r.ok = AbiOk(c);
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const ReadinessRow& x, const ReadinessRow& y) {
    return std::tie(x.flag, x.arch, x.toolchain, x.kernel) < std::tie(y.flag, y.arch, y.toolchain, y.kernel);
  });
  return rows;
}

}  // namespace rfl::report
