#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "lab/report/report.h"

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

}  // namespace

std::string RenderTable(const RunAnalysis& a, bool color) {
  std::string out;
  for (const auto& r : a.runs) {
    out += fmt::format("run {}  {}  {}  {}  timing {}  host {}  lab {}\n", r.id, r.info.scenario_name,
                       RunStatusName(r.status), Date(r.info.started_unix), r.info.timing, r.info.host,
                       r.info.lab_version);
    if (!r.message.empty()) out += fmt::format("  {}\n", r.message);
  }
  out += fmt::format("baseline: {}   noise floor: ±{:g}%   alpha: {:g}\n\n", a.baseline, a.thresholds.noise * 100,
                     a.thresholds.alpha);

  // Outcome matrix: one row per (run, arch, toolchain, kernel), one column per variant.
  std::vector<std::string> variants;
  for (const auto& c : a.outcomes) {
    if (std::find(variants.begin(), variants.end(), c.variant) == variants.end()) variants.push_back(c.variant);
  }
  std::map<std::tuple<int64_t, std::string, std::string, std::string>, std::map<std::string, const OutcomeCell*>>
      rows;
  for (const auto& c : a.outcomes) rows[{c.run_id, c.arch, c.toolchain, c.kernel}][c.variant] = &c;
  std::vector<std::string> header{"arch", "toolchain", "kernel"};
  if (a.runs.size() > 1) header.insert(header.begin(), "run");
  for (const auto& v : variants) header.push_back(v);
  Table outcomes(header);
  for (const auto& [key, cells] : rows) {
    std::vector<std::string> row{std::get<1>(key), std::get<2>(key), std::get<3>(key)};
    std::vector<std::string> colors(3);
    if (a.runs.size() > 1) {
      row.insert(row.begin(), std::to_string(std::get<0>(key)));
      colors.push_back({});
    }
    for (const auto& v : variants) {
      auto it = cells.find(v);
      if (it == cells.end()) {
        row.push_back("");
        colors.push_back({});
        continue;
      }
      const OutcomeCell& c = *it->second;
      std::string status = c.Status();
      std::string text = status;
      if (c.boots > 0) text = fmt::format("{} {}/{}", status, c.passed, c.boots);
      if (c.retried > 0) text += fmt::format(" ({} retried)", c.retried);
      row.push_back(text);
      colors.push_back(StatusColor(status));
    }
    outcomes.Add(row, colors);
  }
  out += "Outcomes\n" + outcomes.Render(color);

  if (!a.deltas.empty()) {
    Table deltas({"metric", "labels", "cell", "variant", "baseline", "variant", "ratio", "95% CI", "p", "n",
                  "verdict"});
    for (const auto& d : a.deltas) {
      const auto& s = d.stats;
      std::string labels = d.key.labels == "{}" ? "" : d.key.labels;
      std::string ci = s.ci ? fmt::format("[{:.4f}, {:.4f}]", s.ci->lo, s.ci->hi) : "–";
      std::string p = s.test ? fmt::format("{:.3g}", s.test->p_value) : "–";
      std::string ratio = std::isfinite(s.ratio) ? fmt::format("{:.4f}", s.ratio) : "–";
      std::vector<std::string> colors(11);
      colors[10] = VerdictColor(s.verdict);
      deltas.Add({d.key.workload + "." + d.key.metric, labels,
                  fmt::format("{}/{}/{}", d.key.arch, d.key.toolchain, d.key.kernel), d.variant,
                  FormatValue(s.baseline.median, d.key.unit), FormatValue(s.variant.median, d.key.unit), ratio, ci,
                  p, fmt::format("{}/{}", s.baseline.n, s.variant.n), std::string(VerdictName(s.verdict))},
                 colors);
    }
    out += "\nMetrics (median variant / median baseline)\n" + deltas.Render(color);
  }

  if (!a.sizes.empty()) {
    Table sizes({"cell", "variant", "object", "section", "baseline", "variant", "delta"});
    for (const auto& z : a.sizes) {
      std::vector<std::string> colors(7);
      if (z.delta() > 0) colors[6] = kRed;
      if (z.delta() < 0) colors[6] = kGreen;
      double pct = z.baseline_bytes ? 100.0 * static_cast<double>(z.delta()) / static_cast<double>(z.baseline_bytes)
                                    : 0.0;
      sizes.Add({fmt::format("{}/{}/{}", z.arch, z.toolchain, z.kernel), z.variant, z.object, z.section,
                 std::to_string(z.baseline_bytes), std::to_string(z.variant_bytes),
                 fmt::format("{:+d} B ({:+.2f}%)", z.delta(), pct)},
                colors);
    }
    out += "\nCode size (bytes, exact)\n" + sizes.Render(color);
  }

  auto findings = a.findings.All();
  if (findings.empty()) {
    out += fmt::format("\n{}No findings.{}\n", color ? kGreen : "", color ? kReset : "");
  } else {
    out += fmt::format("\n{}Findings ({}):{}\n", color ? kRed : "", findings.size(), color ? kReset : "");
    for (const auto& f : findings) out += "  - " + f + "\n";
  }
  return out;
}

}  // namespace rfl::report
