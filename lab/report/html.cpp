// The HTML report: one self-contained page (inline CSS and SVG, no script,
// no network) built as a pugixml DOM so every text is escaped by the library.
// Per metric: the baseline and variant samples as dots over a box (quartiles,
// median, min–max), and the ratio's bootstrap CI against the noise band.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "lab/report/report.h"

namespace rfl::report {
namespace {

using namespace rfl::results;

constexpr const char* kCss = R"css(
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.passed, .built, .improvement { background: #e3f6e3; }
.failed, .build-failed, .regression, .unexpected-pass { background: #fbe0e0; }
.expected-failure, .no-change { background: #eee; color: #555; }
.inconclusive, .not-run { background: #fff5d6; }
.metric { margin: 1em 0 1.5em; }
.metric h3 { font-size: 1em; margin: 0 0 .2em; }
.reason { color: #555; font-size: .9em; }
pre { background: #f7f7f7; padding: .5em; max-height: 12em; overflow: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
)css";

using Node = pugi::xml_node;

Node El(Node parent, const char* name, std::string_view text = {}) {
  Node n = parent.append_child(name);
  if (!text.empty()) n.text().set(std::string(text).c_str());
  return n;
}

Node Attr(Node n, const char* name, const std::string& value) {
  n.append_attribute(name).set_value(value.c_str());
  return n;
}

std::string F(double v) { return fmt::format("{:.2f}", v); }

double QuantileSorted(const std::vector<double>& s, double q) {
  if (s.empty()) return NAN;
  double h = static_cast<double>(s.size() - 1) * q;
  size_t lo = static_cast<size_t>(std::floor(h));
  size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (h - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

const char* VerdictFill(Verdict v) {
  switch (v) {
    case Verdict::kRegression: return "#c62828";
    case Verdict::kImprovement: return "#2e7d32";
    case Verdict::kNoChange: return "#616161";
    case Verdict::kInconclusive: return "#f9a825";
  }
  return "#616161";
}

// The plot of one metric delta.
void Plot(Node parent, const MetricDelta& d, double noise) {
  constexpr double kW = 680, kLeft = 130, kRight = 45, kH = 165;
  const double plot_w = kW - kLeft - kRight;
  std::vector<double> all = d.baseline_values;
  all.insert(all.end(), d.variant_values.begin(), d.variant_values.end());
  Node svg = El(parent, "svg");
  Attr(svg, "xmlns", "http://www.w3.org/2000/svg");
  Attr(svg, "width", F(kW));
  Attr(svg, "height", F(kH));
  Attr(svg, "viewBox", fmt::format("0 0 {} {}", kW, kH));
  Attr(svg, "class", "plot");
  Attr(svg, "role", "img");
  Attr(svg, "aria-label", d.key.Text());
  if (all.empty()) return;
  auto [mn_it, mx_it] = std::minmax_element(all.begin(), all.end());
  double lo = *mn_it, hi = *mx_it;
  if (hi - lo <= 0) {
    double pad = lo == 0 ? 1 : std::fabs(lo) * 0.01;
    lo -= pad;
    hi += pad;
  } else {
    double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  auto x = [&](double v) { return kLeft + (v - lo) / (hi - lo) * plot_w; };

  // Value axis.
  Node axis = El(svg, "line");
  Attr(axis, "x1", F(kLeft)).append_attribute("y1").set_value("92");
  Attr(axis, "x2", F(kLeft + plot_w)).append_attribute("y2").set_value("92");
  Attr(axis, "stroke", "#999");
  for (int i = 0; i <= 4; ++i) {
    double v = lo + (hi - lo) * i / 4;
    Node t = El(svg, "text", FormatValue(v, d.key.unit));
    Attr(t, "x", F(x(v)));
    Attr(t, "y", "105");
    Attr(t, "text-anchor", "middle");
  }

  struct Row {
    const std::vector<double>* values;
    std::string label;
    double y;
    const char* color;
  };
  const Row rows[] = {{&d.baseline_values, d.baseline_label, 25, "#1565c0"},
                      {&d.variant_values, d.variant_label, 65, VerdictFill(d.stats.verdict)}};
  for (const auto& row : rows) {
    Node label = El(svg, "text", row.label);
    Attr(label, "x", "4");
    Attr(label, "y", F(row.y + 4));
    if (row.values->empty()) continue;
    std::vector<double> s = *row.values;
    std::sort(s.begin(), s.end());
    double q1 = QuantileSorted(s, 0.25), q2 = QuantileSorted(s, 0.5), q3 = QuantileSorted(s, 0.75);
    Node whisker = El(svg, "line");
    Attr(whisker, "x1", F(x(s.front())));
    Attr(whisker, "x2", F(x(s.back())));
    Attr(whisker, "y1", F(row.y));
    Attr(whisker, "y2", F(row.y));
    Attr(whisker, "stroke", "#888");
    Node box = El(svg, "rect");
    Attr(box, "x", F(x(q1)));
    Attr(box, "y", F(row.y - 10));
    Attr(box, "width", F(std::max(1.0, x(q3) - x(q1))));
    Attr(box, "height", "20");
    Attr(box, "fill", row.color);
    Attr(box, "fill-opacity", "0.15");
    Attr(box, "stroke", row.color);
    Node med = El(svg, "path");
    Attr(med, "d", fmt::format("M{} {}V{}", F(x(q2)), F(row.y - 12), F(row.y + 12)));
    Attr(med, "stroke", row.color);
    Attr(med, "stroke-width", "2");
    for (size_t i = 0; i < row.values->size(); ++i) {
      // Deterministic jitter so equal values stay visible as a column.
      double jitter = (static_cast<double>((i * 7919) % 17) / 16.0 - 0.5) * 14;
      Node dot = El(svg, "circle");
      Attr(dot, "cx", F(x((*row.values)[i])));
      Attr(dot, "cy", F(row.y + jitter));
      Attr(dot, "r", "3");
      Attr(dot, "fill", row.color);
      Attr(dot, "fill-opacity", "0.7");
      El(dot, "title", FormatValue((*row.values)[i], d.key.unit));
    }
  }

  // Ratio strip: noise band, 1, the CI and the point estimate.
  const auto& st = d.stats;
  if (!std::isfinite(st.ratio)) return;
  double rlo = std::min({st.ratio, st.ci ? st.ci->lo : st.ratio, 1 - 2 * noise, 0.995});
  double rhi = std::max({st.ratio, st.ci ? st.ci->hi : st.ratio, 1 + 2 * noise, 1.005});
  double rpad = (rhi - rlo) * 0.1;
  rlo -= rpad;
  rhi += rpad;
  auto rx = [&](double r) { return kLeft + (r - rlo) / (rhi - rlo) * plot_w; };
  const double y = 140;
  Node label = El(svg, "text", "ratio (95% CI)");
  Attr(label, "x", "4");
  Attr(label, "y", F(y + 4));
  Node band = El(svg, "rect");
  Attr(band, "class", "noise-band");
  Attr(band, "x", F(rx(1 - noise)));
  Attr(band, "y", F(y - 10));
  Attr(band, "width", F(std::max(1.0, rx(1 + noise) - rx(1 - noise))));
  Attr(band, "height", "20");
  Attr(band, "fill", "#ddd");
  El(band, "title", fmt::format("noise floor 1 ± {:g}", noise));
  Node one = El(svg, "path");
  Attr(one, "d", fmt::format("M{} {}V{}", F(rx(1)), F(y - 12), F(y + 12)));
  Attr(one, "stroke", "#333");
  Attr(one, "stroke-dasharray", "3 2");
  if (st.ci) {
    Node ci = El(svg, "path");
    Attr(ci, "class", "ci");
    Attr(ci, "d", fmt::format("M{} {}H{}", F(rx(st.ci->lo)), F(y), F(std::max(rx(st.ci->hi), rx(st.ci->lo) + 1))));
    Attr(ci, "stroke", VerdictFill(st.verdict));
    Attr(ci, "stroke-width", "5");
    El(ci, "title", fmt::format("95% CI [{:.4f}, {:.4f}]", st.ci->lo, st.ci->hi));
  }
  Node point = El(svg, "circle");
  Attr(point, "class", "ratio");
  Attr(point, "cx", F(rx(st.ratio)));
  Attr(point, "cy", F(y));
  Attr(point, "r", "4");
  Attr(point, "fill", "#000");
  El(point, "title", fmt::format("ratio {:.4f}", st.ratio));
  for (double r : {rlo + rpad, 1.0, rhi - rpad}) {
    Node t = El(svg, "text", fmt::format("{:.3f}", r));
    Attr(t, "x", F(rx(r)));
    Attr(t, "y", F(y + 22));
    Attr(t, "text-anchor", "middle");
  }
}

}  // namespace

std::string RenderHtml(const RunAnalysis& a) {
  pugi::xml_document doc;
  Node html = El(doc, "html");
  Attr(html, "lang", "en");
  Node head = El(html, "head");
  Attr(El(head, "meta"), "charset", "utf-8");
  std::string title = "rfl-lab report";
  if (!a.runs.empty()) {
    title += a.runs.size() == 2 ? fmt::format(": run {} vs run {}", a.runs[0].id, a.runs[1].id)
                                : fmt::format(": {} run {}", a.runs[0].info.scenario_name, a.runs[0].id);
  }
  El(head, "title", title);
  El(head, "style", kCss);
  Node body = El(html, "body");
  El(body, "h1", title);

  Node runs = El(body, "table");
  Node hr = El(runs, "tr");
  for (const char* h : {"run", "scenario", "status", "timing", "host", "lab", "baseline", "noise", "alpha"}) El(hr, "th", h);
  for (const auto& r : a.runs) {
    Node tr = El(runs, "tr");
    El(tr, "td", std::to_string(r.id));
    El(tr, "td", r.info.scenario_name);
    El(tr, "td", std::string(RunStatusName(r.status)) + (r.message.empty() ? "" : ": " + r.message));
    El(tr, "td", r.info.timing);
    El(tr, "td", r.info.host);
    El(tr, "td", r.info.lab_version);
    El(tr, "td", r.info.baseline);
    El(tr, "td", fmt::format("±{:g}%", r.info.noise * 100));
    El(tr, "td", fmt::format("{:g}", r.info.alpha));
  }

  // Findings first: what a CI reader needs.
  El(body, "h2", "Findings");
  auto findings = a.findings.All();
  if (findings.empty()) {
    Attr(El(body, "p", "No regressions, unexpected build failures or failed boots."), "class", "passed");
  } else {
    Node ul = El(body, "ul");
    Attr(ul, "class", "findings");
    for (const auto& f : findings) El(ul, "li", f);
  }

  El(body, "h2", "Outcomes");
  std::vector<std::string> variants;
  for (const auto& c : a.outcomes) {
    if (std::find(variants.begin(), variants.end(), c.variant) == variants.end()) variants.push_back(c.variant);
  }
  std::map<std::tuple<int64_t, std::string, std::string, std::string>, std::map<std::string, const OutcomeCell*>>
      rows;
  for (const auto& c : a.outcomes) rows[{c.run_id, c.arch, c.toolchain, c.kernel}][c.variant] = &c;
  Node matrix = El(body, "table");
  Attr(matrix, "class", "outcomes");
  Node mh = El(matrix, "tr");
  for (const char* h : {"run", "arch", "toolchain", "kernel"}) El(mh, "th", h);
  for (const auto& v : variants) El(mh, "th", v);
  for (const auto& [key, cells] : rows) {
    Node tr = El(matrix, "tr");
    El(tr, "td", std::to_string(std::get<0>(key)));
    El(tr, "td", std::get<1>(key));
    El(tr, "td", std::get<2>(key));
    El(tr, "td", std::get<3>(key));
    for (const auto& v : variants) {
      Node td = El(tr, "td");
      auto it = cells.find(v);
      if (it == cells.end()) continue;
      const OutcomeCell& c = *it->second;
      Attr(td, "class", c.Status());
      std::string text = c.Status();
      if (c.boots) text += fmt::format(" {}/{}", c.passed, c.boots);
      if (c.retried) text += fmt::format(" ({} retried)", c.retried);
      td.text().set(text.c_str());
      std::string tip;
      if (!c.failure_class.empty()) tip += c.failure_class + ": " + c.failure_excerpt;
      if (!c.first_failure_evidence.empty()) tip += c.first_failure_evidence;
      if (!tip.empty()) Attr(td, "title", tip);
    }
  }

  El(body, "h2", "Metrics");
  if (a.deltas.empty()) El(body, "p", "No metric has samples on both sides.");
  for (const auto& d : a.deltas) {
    Node div = El(body, "div");
    Attr(div, "class", std::string("metric ") + std::string(VerdictName(d.stats.verdict)));
    El(div, "h3", fmt::format("{} — {} vs {}: {}", d.key.Text(), d.variant_label, d.baseline_label,
                              VerdictName(d.stats.verdict)));
    const auto& s = d.stats;
    std::string line = fmt::format("median {} → {}", FormatValue(s.baseline.median, d.key.unit),
                                   FormatValue(s.variant.median, d.key.unit));
    if (std::isfinite(s.ratio)) line += fmt::format(", ratio {:.4f}", s.ratio);
    if (s.ci) line += fmt::format(", 95% CI [{:.4f}, {:.4f}]", s.ci->lo, s.ci->hi);
    if (s.test) line += fmt::format(", Mann-Whitney p = {:.3g} ({})", s.test->p_value, MannWhitneyMethodName(s.test->method));
    line += fmt::format(", n = {}/{}, {}", s.baseline.n, s.variant.n, DirectionName(s.direction));
    El(div, "div", line);
    Attr(El(div, "div", s.reason), "class", "reason");
    Plot(div, d, a.thresholds.noise);
  }

  El(body, "h2", "Code size");
  if (a.sizes.empty()) {
    El(body, "p", "No size data (no successful build pair).");
  } else {
    Node t = El(body, "table");
    Attr(t, "class", "sizes");
    Node th = El(t, "tr");
    for (const char* h : {"cell", "variant", "object", "section", "baseline", "variant", "delta", "%"}) El(th, "th", h);
    for (const auto& z : a.sizes) {
      Node tr = El(t, "tr");
      El(tr, "td", fmt::format("{}/{}/{}", z.arch, z.toolchain, z.kernel));
      El(tr, "td", z.variant);
      El(tr, "td", z.object);
      El(tr, "td", z.section);
      Attr(El(tr, "td", std::to_string(z.baseline_bytes)), "class", "num");
      Attr(El(tr, "td", std::to_string(z.variant_bytes)), "class", "num");
      Attr(El(tr, "td", fmt::format("{:+d}", z.delta())), "class", z.delta() > 0 ? "num regression" : "num");
      Attr(El(tr, "td", z.baseline_bytes ? fmt::format("{:+.3f}", 100.0 * static_cast<double>(z.delta()) /
                                                                      static_cast<double>(z.baseline_bytes))
                                         : "–"),
           "class", "num");
    }
  }

  El(body, "h2", "Builds");
  Node bt = El(body, "table");
  Node bh = El(bt, "tr");
  for (const char* h : {"key", "variants", "cell", "outcome", "rustc", "duration", "failure"}) El(bh, "th", h);
  for (const auto& b : a.builds) {
    Node tr = El(bt, "tr");
    El(tr, "td", b.key);
    std::string vs;
    for (const auto& v : b.variants) vs += (vs.empty() ? "" : ", ") + v;
    El(tr, "td", vs);
    El(tr, "td", fmt::format("{}/{}/{}", b.arch, b.toolchain, b.kernel));
    Attr(El(tr, "td", BuildOutcomeName(b.outcome)), "class",
         BuildSucceeded(b.outcome) ? "built" : (b.outcome == BuildOutcome::kExpectedFailure ? "expected-failure" : "build-failed"));
    El(tr, "td", b.rustc_version);
    Attr(El(tr, "td", fmt::format("{:.1f} s", b.duration_seconds)), "class", "num");
    Node fail = El(tr, "td");
    if (!b.failure_excerpt.empty()) El(fail, "pre", b.failure_class + "\n" + b.failure_excerpt);
  }

  std::ostringstream out;
  out << "<!DOCTYPE html>\n";
  doc.save(out, "  ", pugi::format_indent | pugi::format_no_declaration | pugi::format_no_empty_element_tags,
           pugi::encoding_utf8);
  return out.str();
}

}  // namespace rfl::report
