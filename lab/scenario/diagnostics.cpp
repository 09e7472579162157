#include "lab/scenario/diagnostics.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

namespace rfl::scenario {

void Diagnostics::Error(SourcePos pos, int length, std::string message, std::string hint) {
  diags_.push_back({Diagnostic::Severity::kError, pos, std::max(1, length), std::move(message), std::move(hint)});
}

void Diagnostics::Warning(SourcePos pos, int length, std::string message, std::string hint) {
  diags_.push_back({Diagnostic::Severity::kWarning, pos, std::max(1, length), std::move(message), std::move(hint)});
}

bool Diagnostics::HasErrors() const { return ErrorCount() > 0; }

int Diagnostics::ErrorCount() const {
  return static_cast<int>(std::count_if(diags_.begin(), diags_.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  }));
}

std::string Diagnostics::Render() const {
  std::vector<Diagnostic> sorted = diags_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.pos.line, a.pos.col) < std::tie(b.pos.line, b.pos.col);
  });
  std::string out;
  for (const auto& d : sorted) out += RenderOne(d);
  return out;
}

std::string Diagnostics::RenderOne(const Diagnostic& d) const {
  const char* sev = d.severity == Diagnostic::Severity::kError ? "error" : "warning";
  std::string out;
  if (d.pos.line <= 0) {
    out = fmt::format("{}: {}: {}\n", file_, sev, d.message);
  } else {
    out = fmt::format("{}:{}:{}: {}: {}\n", file_, d.pos.line, d.pos.col, sev, d.message);
    std::istringstream in(text_);
    std::string line;
    for (int i = 1; i <= d.pos.line && std::getline(in, line); ++i) {
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string gutter = std::to_string(d.pos.line);
    std::string pad(gutter.size(), ' ');
    out += fmt::format(" {} | {}\n", gutter, line);
    int col = std::max(1, d.pos.col);
    // Underline no further than the end of the line.
    int avail = std::max(1, static_cast<int>(line.size()) - col + 1);
    int len = std::min(d.length, avail);
    // Keep tabs so the caret lines up under the source text.
    std::string lead;
    for (int i = 0; i < col - 1 && i < static_cast<int>(line.size()); ++i) lead += line[i] == '\t' ? '\t' : ' ';
    while (static_cast<int>(lead.size()) < col - 1) lead += ' ';
    out += fmt::format(" {} | {}^{}\n", pad, lead, std::string(static_cast<size_t>(len - 1), '~'));
  }
  if (!d.hint.empty()) out += fmt::format("hint: {}\n", d.hint);
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  // A typo budget of about a third of the word, at least 1, at most 3.
  size_t budget = std::clamp<size_t>(word.size() / 3, 1, 3);
  std::string best;
  size_t best_d = budget + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string SuggestHint(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = ClosestMatch(word, candidates);
  if (!best.empty()) return fmt::format("did you mean '{}'?", best);
  if (candidates.empty()) return {};
  return fmt::format("expected one of: {}", fmt::join(candidates, ", "));
}

}  // namespace rfl::scenario
