#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/report/matrix_grid.h"
#include "lab/report/readiness.h"
#include "lab/report/report.h"
#include "lab/report/summary.h"

namespace rfl::report {
namespace {

using namespace rfl::results;

constexpr const char* kReset = "\033[0m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kDim = "\033[2m";
constexpr const char* kBold = "\033[1m";

// Display width of UTF-8 text (code points; the table uses no wide glyphs).
size_t Width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Rows of cells printed as aligned columns; `colors` per cell (may be empty).
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row, std::vector<std::string> colors = {}) {
    rows_.push_back(std::move(row));
    colors_.push_back(std::move(colors));
  }
  std::string Render(bool color) const {
    std::vector<size_t> w(header_.size(), 0);
    for (size_t i = 0; i < header_.size(); ++i) w[i] = Width(header_[i]);
    for (const auto& r : rows_) {
      for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], Width(r[i]));
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& r, const std::vector<std::string>* c, bool head) {
      out += "  ";
      for (size_t i = 0; i < r.size(); ++i) {
        std::string cell = r[i] + std::string(w[i] - Width(r[i]), ' ');
        const std::string* col = (c && i < c->size() && !(*c)[i].empty()) ? &(*c)[i] : nullptr;
        if (color && head) cell = std::string(kBold) + cell + kReset;
        if (color && col) cell = *col + cell + kReset;
        out += cell;
        if (i + 1 < r.size()) out += "  ";
      }
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += "\n";
    };
    line(header_, nullptr, true);
    for (size_t i = 0; i < rows_.size(); ++i) line(rows_[i], &colors_[i], false);
    return out;
  }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::vector<std::string>> colors_;
};

std::string StatusColor(const std::string& status) {
  if (status == "passed" || status == "built") return kGreen;
  if (status == "expected-failure") return kDim;
  if (status == "not-run") return kYellow;
  return kRed;
}

std::string VerdictColor(Verdict v) {
  switch (v) {
    case Verdict::kRegression: return kRed;
    case Verdict::kImprovement: return kGreen;
    case Verdict::kNoChange: return kDim;
    case Verdict::kInconclusive: return kYellow;
  }
  return {};
}

std::string Date(double unix_seconds) {
  if (unix_seconds <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

// The columns of one comparison; the cell only when the report has several.
std::vector<std::string> DeltaRow(const MetricDelta& d, const VerdictThresholds& t, bool with_cell, bool with_reason,
                                  bool with_setup) {
  const auto& s = d.stats;
  std::vector<std::string> row{d.variant};
  if (with_cell) row.push_back(CellName(d.key));
  row.push_back(MetricName(d.key));
  row.push_back(FormatValue(s.baseline.median, d.key.unit) + " → " + FormatValue(s.variant.median, d.key.unit));
  row.push_back(PercentChange(s.ratio));
  row.push_back(CiPercent(s));
  row.push_back(SpreadPercent(s.baseline) + " / " + SpreadPercent(s.variant));
  row.push_back(s.test ? fmt::format("{:.2g}", s.test->p_value) : "–");
  row.push_back(fmt::format("{}/{}", s.baseline.n, s.variant.n));
  row.push_back(VerdictText(d, t));
  if (with_reason) row.push_back(s.reason);
  if (with_setup) row.push_back(SetupText(d));
  return row;
}

std::vector<std::string> DeltaHeader(bool with_cell, bool with_reason, bool with_setup) {
  std::vector<std::string> h{"variant"};
  if (with_cell) h.push_back("cell");
  for (const char* c : {"metric", "median before → after", "change", "95% CI of change", "MAD % (b / v)", "p", "n",
                        "verdict"}) {
    h.push_back(c);
  }
  if (with_reason) h.push_back("why");
  if (with_setup) h.push_back("setup");
  return h;
}

Table DeltaTable(const std::vector<const MetricDelta*>& deltas, const VerdictThresholds& t, bool with_cell,
                 bool with_reason, bool with_setup) {
  Table table(DeltaHeader(with_cell, with_reason, with_setup));
  for (const MetricDelta* d : deltas) {
    auto row = DeltaRow(*d, t, with_cell, with_reason, with_setup);
    std::vector<std::string> colors(row.size());
    colors[row.size() - (with_reason ? 2 : 1) - (with_setup ? 1 : 0)] = VerdictColor(d->stats.verdict);
    if (with_setup && d->setup_differences && !d->setup_differences->empty()) colors.back() = kYellow;
    colors[with_cell ? 4 : 3] = VerdictColor(d->stats.verdict);
    table.Add(std::move(row), std::move(colors));
  }
  return table;
}

std::string OutcomeText(const OutcomeCell& c) {
  std::string status = c.Status();
  std::string text = status;
  if (c.boots > 0) text = fmt::format("{} {}/{}", status, c.passed, c.boots);
  if (c.retried > 0) text += fmt::format(" ({} retried)", c.retried);
  if (!c.failure_class.empty()) text += " (" + c.failure_class + ")";
  if (c.build == BuildOutcome::kCacheHit) text += ", cached build";
  return text;
}

std::string Definition(const VariantInfo* v) {
  if (!v) return {};
  std::string out;
  for (const auto& f : v->rustflags) out += (out.empty() ? "" : " ") + f;
  for (const auto& [k, val] : v->kconfig) out += (out.empty() ? "" : " ") + fmt::format("CONFIG_{}={}", k, val);
  return out.empty() ? "(scenario defaults)" : out;
}

// KUnit: cases per cell by their worst status, the cases that did not pass
// (by name, as kunit.py lists them), and what changed against the baseline.
std::string KunitText(const RunAnalysis& a, bool many_cells, bool all, bool color) {
  constexpr size_t kListed = 20;  // not-passing cases shown per cell without --all
  std::string out;
  const std::vector<std::string> statuses{"pass", "fail", "crashed", "skip", "todo"};
  std::vector<std::string> header{"variant"};
  if (many_cells) header.push_back("cell");
  header.push_back("cases");
  for (const auto& s : statuses) header.push_back(s);
  Table counts(header);
  std::vector<std::string> listed;
  for (const auto& c : a.kunit) {
    std::string cell = fmt::format("{}{}/{}/{}", a.runs.size() > 1 ? fmt::format("run {} ", c.run_id) : "", c.arch,
                                   c.toolchain, c.kernel);
    std::vector<std::string> row{c.variant};
    if (many_cells) row.push_back(cell);
    row.push_back(std::to_string(c.total()));
    std::vector<std::string> colors(row.size());
    for (const auto& s : statuses) {
      auto it = c.cases_by_worst.find(s);
      int n = it == c.cases_by_worst.end() ? 0 : it->second;
      row.push_back(std::to_string(n));
      colors.push_back(n > 0 && (s == "fail" || s == "crashed") ? kRed : "");
    }
    counts.Add(row, colors);
    size_t shown = 0, not_passing = 0;
    for (const auto& t : c.cases) {
      if (t.Worst() == "pass") continue;
      ++not_passing;
      if (!all && shown == kListed) continue;
      ++shown;
      std::string line = fmt::format("  {} {}{} {}/{} ({})", c.variant, many_cells ? cell + " " : "", t.Worst(),
                                     t.suite, t.name, t.Text());
      if (!t.reason.empty()) line += ": " + t.reason;
      listed.push_back(line);
      if (!t.diagnostics.empty()) {
        std::string first = t.diagnostics.substr(0, t.diagnostics.find('\n'));
        listed.push_back("      " + first);
      }
    }
    if (not_passing > shown) listed.push_back(fmt::format("  … {} more (--all lists them)", not_passing - shown));
  }
  out += "\nKUnit test cases, by their worst status over the boots\n" + counts.Render(color);
  if (!listed.empty()) {
    out += "Not passing:\n";
    for (const auto& l : listed) out += l + "\n";
  }
  if (!a.case_changes.empty()) {
    out += fmt::format("KUnit cases that changed against {}:\n", a.baseline);
    for (const auto& c : a.case_changes) {
      std::string line = fmt::format("  {}{}", c.regression ? "! " : "", c.Text());
      out += (c.regression && color ? kRed + line + kReset : line) + "\n";
      if (c.regression && !c.diagnostics.empty()) {
        out += "      " + c.diagnostics.substr(0, c.diagnostics.find('\n')) + "\n";
      }
    }
  }
  return out;
}

}  // namespace

std::string RenderTable(const RunAnalysis& a, bool color) { return RenderTable(a, color, /*all=*/false); }

std::string RenderTable(const RunAnalysis& a, bool color, bool all) {
  std::string out;
  auto paint = [&](const char* c, const std::string& text) { return color ? c + text + kReset : text; };
  for (const auto& r : a.runs) {
    out += fmt::format("{} run {}: {} {}, timing {}, host {}, lab {}\n", r.info.scenario_name, r.id,
                       RunStatusName(r.status), Date(r.info.started_unix), r.info.timing, r.info.host,
                       r.info.lab_version);
    if (!r.info.corner.empty()) out += fmt::format("  a corner of the scenario: {}\n", r.info.corner);
    // libvirt on the host is the default and goes without saying.
    if (!r.info.backend.empty() && r.info.backend != "libvirt") {
      out += fmt::format("  boots on {} {}\n", r.info.backend, r.info.backend_uri);
    }
    if (!r.message.empty()) out += fmt::format("  {}\n", r.message);
  }
  std::set<std::string> cells;
  for (const auto& c : a.outcomes) cells.insert(fmt::format("{}/{}/{}", c.arch, c.toolchain, c.kernel));
  for (const auto& d : a.deltas) cells.insert(CellName(d.key));
  const bool many_cells = cells.size() > 1;
  out += fmt::format("baseline {} · noise floor ±{:g}% · alpha {:g}{}\n\n", a.baseline, a.thresholds.noise * 100,
                     a.thresholds.alpha, many_cells || cells.empty() ? "" : " · " + *cells.begin());

  // The answer first: verdicts, then what fails the run.
  VerdictCounts counts = CountVerdicts(a);
  out += fmt::format("Verdicts of {} comparisons: {}\n", counts.total(), VerdictCountsText(counts));
  auto findings = a.findings.All();
  if (findings.empty()) {
    out += paint(kGreen, "No findings.") + "\n";
  } else {
    out += paint(kRed, fmt::format("Findings ({}):", findings.size())) + "\n";
    for (const auto& f : findings) out += "  - " + f + "\n";
  }

  auto changed = ChangedDeltas(a);
  auto others = OtherDeltas(a);
  if (!changed.empty()) {
    out += fmt::format("\nChanged, largest effect first ({} = significant but inside the ±{:g}% noise floor)\n",
                       kInsideNoiseMark, a.thresholds.noise * 100);
    out += DeltaTable(changed, a.thresholds, many_cells, false, AnySetupDifference(changed)).Render(color);
  } else if (!a.deltas.empty()) {
    out += "\nNo metric changed significantly.\n";
  }
  if (!others.empty()) {
    if (all) {
      out += fmt::format("\nEvery other comparison ({}), metric order\n", others.size());
      out += DeltaTable(others, a.thresholds, many_cells, true, AnySetupDifference(others)).Render(color);
    } else {
      out += paint(kDim, fmt::format("\n{} other comparisons (no-change, inconclusive): --all lists them.",
                                     others.size())) +
             "\n";
    }
  }

  if (!a.pairs.empty()) {
    std::vector<const MetricDelta*> pairs;
    for (const auto& d : a.pairs) pairs.push_back(&d);
    out += fmt::format("\nRust against C in the same boots (before = {}, after = {}), never a finding\n",
                       a.pairs.front().baseline_label, a.pairs.front().variant_label);
    out += DeltaTable(pairs, a.thresholds, many_cells, false, true).Render(color);
  }

  // Outcomes: one row per variant, one column per cell (run, arch/toolchain/kernel).
  std::vector<std::string> columns;
  std::map<std::pair<std::string, std::string>, const OutcomeCell*> by;
  std::vector<std::string> variants;
  for (const auto& c : a.outcomes) {
    std::string col = fmt::format("{}{}/{}/{}", a.runs.size() > 1 ? fmt::format("run {} ", c.run_id) : "", c.arch,
                                  c.toolchain, c.kernel);
    if (std::find(columns.begin(), columns.end(), col) == columns.end()) columns.push_back(col);
    if (std::find(variants.begin(), variants.end(), c.variant) == variants.end()) variants.push_back(c.variant);
    by[{c.variant, col}] = &c;
  }
  if (!variants.empty()) {
    const bool one_column = columns.size() == 1;
    std::vector<std::string> header{"variant", "expect"};
    if (one_column) {
      header.push_back("outcome");
    } else {
      header.insert(header.end(), columns.begin(), columns.end());
    }
    header.push_back("definition");
    Table outcomes(header);
    const RunSummary& last = a.runs.back();
    for (const auto& v : variants) {
      const VariantInfo* info = nullptr;
      for (const auto& vi : last.info.variants) {
        if (vi.name == v) info = &vi;
      }
      std::vector<std::string> row{v, info ? std::string(ExpectName(info->expect)) : ""};
      std::vector<std::string> colors(2);
      for (const auto& col : columns) {
        auto it = by.find({v, col});
        row.push_back(it == by.end() ? "" : OutcomeText(*it->second));
        colors.push_back(it == by.end() ? "" : StatusColor(it->second->Status()));
      }
      row.push_back(Definition(info));
      outcomes.Add(row, colors);
    }
    out += "\nOutcomes\n" + outcomes.Render(color);
  }

  // Several compilers or kernels: the truth table, kernels × compilers.
  for (const auto& g : MatrixGrids(a.outcomes, a.runs.empty() ? 0 : a.runs.back().id)) {
    std::vector<std::string> header{"kernel"};
    header.insert(header.end(), g.toolchains.begin(), g.toolchains.end());
    Table grid(header);
    std::vector<std::string> compilers{"(compiler)"};
    for (const auto& t : g.toolchains) compilers.push_back(g.rustc.count(t) ? g.rustc.at(t) : "");
    grid.Add(compilers, std::vector<std::string>(compilers.size(), kDim));
    for (const auto& k : g.kernels) {
      std::vector<std::string> row{g.KernelName(k)}, colors{""};
      for (const auto& t : g.toolchains) {
        const OutcomeCell* c = g.At(k, t);
        row.push_back(c ? GridCellText(*c) : "");
        colors.push_back(c ? StatusColor(c->Status()) : "");
      }
      grid.Add(row, colors);
    }
    out += fmt::format("\nCompiler × kernel: {} {}\n", g.arch, g.variant) + grid.Render(color);
  }

  if (!a.kunit.empty()) out += KunitText(a, many_cells, all, color);

  if (std::any_of(a.builds.begin(), a.builds.end(), [](const BuildRecord& b) { return !b.code_checks.empty(); })) {
    // One row per (build, flag): claimed flags, then the controls.
    std::vector<std::string> header{"variant", "flag", "role", "verdict", "functions", "first offender"};
    if (many_cells) header.insert(header.begin() + 1, "cell");
    Table checks(header);
    for (const auto& b : a.builds) {
      for (const auto& c : b.code_checks) {
        bool problem = CodeCheckProblem(c).has_value();
        std::vector<std::string> row{fmt::format("{}", fmt::join(b.variants, ",")), c.flag,
                                     c.claimed ? "claimed" : "control",
                                     c.verdict + (c.expected.empty() ? "" : " (expected " + c.expected + ")"),
                                     fmt::format("{}/{} ({} exempt)", c.with_signature, c.checked, c.exempt),
                                     c.offenders.empty() ? "" : c.offenders.front()};
        if (many_cells) row.insert(row.begin() + 1, fmt::format("{}/{}/{}", b.arch, b.toolchain, b.kernel));
        std::vector<std::string> colors(row.size());
        colors[many_cells ? 4 : 3] = problem ? kRed : (c.claimed && c.verdict == "effective") ? kGreen : "";
        checks.Add(row, colors);
      }
    }
    out += "\nCode checks of the Rust objects (functions: with the flag's signature / judged)\n" + checks.Render(color);
  }
  if (!a.abi_checks.empty()) {
    // One row per flag × arch × toolchain: what rustc did with each mix.
    Table abi({"flag", "arch", "toolchain", "rustc", "target modifier", "crate with / core with", "escape hatch",
               "rustdoc mixed / matched"});
    for (const auto& c : a.abi_checks) {
      bool problem = AbiCheckProblem(c).has_value();
      std::vector<std::string> row{c.flag,
                                   c.arch,
                                   c.toolchain,
                                   c.rustc,
                                   c.known_target_modifier ? "yes" : "no",
                                   fmt::format("{} / {}", c.crate_with_flag, c.core_with_flag),
                                   c.escape_hatch,
                                   fmt::format("{} / {}", c.rustdoc_mismatch, c.rustdoc_matched)};
      std::vector<std::string> colors(row.size());
      colors[5] = problem                                                              ? kRed
                  : c.inconclusive                                                     ? kYellow
                  : c.crate_with_flag == "rejected" && c.core_with_flag == "rejected" ? kGreen
                                                                                       : "";
      abi.Add(row, colors);
    }
    out += "\nABI checks: does rustc refuse to mix crates built with and without the flag?\n" + abi.Render(color);
  }
  if (!a.code_check_changes.empty()) {
    out += fmt::format("\nCode checks that changed against {} (verdict, functions with the signature / judged):\n",
                       a.baseline);
    for (const auto& c : a.code_check_changes) out += "  " + c.Text() + "\n";
  }

  if (!a.sizes.empty()) {
    // One row per (cell, variant, object); sections as columns.
    std::vector<std::string> sections;
    std::map<std::tuple<std::string, std::string, std::string>, std::map<std::string, const SizeDelta*>> rows;
    for (const auto& z : a.sizes) {
      if (std::find(sections.begin(), sections.end(), z.section) == sections.end()) sections.push_back(z.section);
      rows[{fmt::format("{}/{}/{}", z.arch, z.toolchain, z.kernel), z.variant, z.object}][z.section] = &z;
    }
    std::vector<std::string> header{"variant", "object"};
    if (many_cells) header.insert(header.begin() + 1, "cell");
    for (const auto& s : sections) header.push_back(s);
    Table sizes(header);
    for (const auto& [key, by_section] : rows) {
      std::vector<std::string> row{std::get<1>(key), std::get<2>(key)};
      if (many_cells) row.insert(row.begin() + 1, std::get<0>(key));
      std::vector<std::string> colors(row.size());
      for (const auto& s : sections) {
        auto it = by_section.find(s);
        if (it == by_section.end()) {
          row.push_back("");
          colors.push_back("");
          continue;
        }
        const SizeDelta& z = *it->second;
        double pct = z.baseline_bytes ? 100.0 * static_cast<double>(z.delta()) / static_cast<double>(z.baseline_bytes)
                                      : 0.0;
        row.push_back(z.delta() == 0 ? "0" : fmt::format("{:+d} B ({:+.2f}%)", z.delta(), pct));
        colors.push_back(z.delta() > 0 ? kRed : z.delta() < 0 ? kGreen : "");
      }
      sizes.Add(row, colors);
    }
    out += fmt::format("\nCode size against {} (bytes, exact)\n", a.baseline) + sizes.Render(color);
  }
  return out;
}

std::string RenderReadinessTable(const RunAnalysis& a, bool color) {
  auto rows = Readiness(a);
  std::string out;
  const RunSummary* run = a.runs.empty() ? nullptr : &a.runs.back();
  if (run) out += fmt::format("Flag readiness, run {} ({})\n", run->id, run->info.scenario_name);
  if (rows.empty()) {
    return out + "No flags: no variant carries a rustc flag and the scenario asks for no abi_checks.\n";
  }
  size_t ok = std::count_if(rows.begin(), rows.end(), [](const ReadinessRow& r) { return r.ok; });
  out += fmt::format("{} of {} rows with nothing against the flag (built, booted, code effective, ABI enforced or "
                     "not a target modifier)\n",
                     ok, rows.size());
  Table t({"flag", "arch", "rustc", "kernel", "variant", "via", "build", "boots", "code (baseline)", "ABI", "cost",
           "size"});
  for (const auto& r : rows) {
    std::vector<std::string> row{r.flag,  r.arch,  r.rustc.empty() ? r.toolchain : r.rustc,
                                 r.kernel, r.variant.empty() ? "—" : r.variant, r.via,
                                 r.build, r.boots, r.code, r.abi, r.cost, r.size};
    std::vector<std::string> colors(row.size());
    colors[0] = r.ok ? kGreen : kRed;
    t.Add(row, colors);
  }
  out += t.Render(color);
  return out;
}

}  // namespace rfl::report
