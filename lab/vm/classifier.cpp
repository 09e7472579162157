#include "lab/vm/classifier.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

#include <fmt/format.h>

namespace rfl::vm {

namespace {

// Console-derived classes, strongest first (see the header's precedence).
constexpr std::array<BootOutcome, 5> kCrashPrecedence = {BootOutcome::kRustPanic, BootOutcome::kOops, BootOutcome::kHang,
                                                     BootOutcome::kInitFailed, BootOutcome::kKernelPanic};

constexpr size_t kContextBefore = 3;
constexpr size_t kContextAfter = 8;
constexpr size_t kMaxFindings = 64;

struct Line {
  std::string_view raw;   // as in the console, without the newline / CR
  std::string_view text;  // printk level, timestamp and caller id stripped
  bool timestamped = false;
};

bool Contains(std::string_view s, std::string_view needle) { return s.find(needle) != std::string_view::npos; }

// "[  12.345678] ", "[   51.8][ T5082] ", "<4>[ 1.0] ", "[    C0] " → stripped.
Line Normalize(std::string_view raw) {
  while (!raw.empty() && (raw.back() == '\r' || raw.back() == ' ' || raw.back() == '\t')) raw.remove_suffix(1);
  Line line{raw, raw, false};
  std::string_view t = raw;
  if (t.size() >= 3 && t[0] == '<' && std::isdigit(static_cast<unsigned char>(t[1]))) {
    size_t close = t.find('>');
    if (close != std::string_view::npos && close < 5) t.remove_prefix(close + 1);
  }
  auto strip_bracket = [&](auto accept) {
    if (t.empty() || t[0] != '[') return false;
    size_t close = t.find(']');
    if (close == std::string_view::npos || close > 24) return false;
    std::string_view inner = t.substr(1, close - 1);
    while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
    if (inner.empty() || !accept(inner)) return false;
    t.remove_prefix(close + 1);
    return true;
  };
  auto is_timestamp = [](std::string_view s) {
    bool dot = false;
    for (char c : s) {
      if (c == '.') {
        dot = true;
      } else if (!std::isdigit(static_cast<unsigned char>(c))) {
        return false;
      }
    }
    return dot;
  };
  auto is_caller = [](std::string_view s) {
    if (s[0] != 'T' && s[0] != 'C') return false;
    return s.size() > 1 && std::all_of(s.begin() + 1, s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  if (strip_bracket(is_timestamp)) line.timestamped = true;
  strip_bracket(is_caller);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  line.text = t;
  return line;
}

std::vector<Line> SplitLines(std::string_view console) {
  std::vector<Line> lines;
  size_t start = 0;
  while (start < console.size()) {
    size_t end = console.find('\n', start);
    if (end == std::string_view::npos) end = console.size();
    lines.push_back(Normalize(console.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

bool IsRustPanic(const Line& l) {
  const std::string_view t = l.text;
  if (t.starts_with("RUST PANIC:")) return true;  // kernels that panic() on a Rust panic
  if (!Contains(t, "panicked at")) return false;
  // The kernel's panic handler prints through pr_emerg (prefix rust_kernel:
  // or the crate's); a user-space Rust program says "thread '…' panicked at"
  // and has no kernel timestamp.
  if (Contains(t, "rust_kernel: panicked at")) return true;
  return l.timestamped && !Contains(t, "thread '");
}

bool IsHang(std::string_view t) {
  if (Contains(t, "BUG: soft lockup")) return true;
  if (Contains(t, "detected hard LOCKUP")) return true;
  if (Contains(t, "BUG: workqueue lockup")) return true;
  if (t.starts_with("INFO: task ") && Contains(t, " blocked for more than ")) return true;
  if (Contains(t, "rcu") && (Contains(t, "detected stall") || Contains(t, "detected expedited stall"))) return true;
  return false;
}

// x86 die(): "invalid opcode: 0000 [#1] PREEMPT SMP", "divide error: 0000 [#1]".
bool IsDieLine(std::string_view t) {
  size_t hash = t.find(" [#");
  if (hash == std::string_view::npos || hash < 6) return false;
  size_t colon = t.rfind(": ", hash);
  if (colon == std::string_view::npos) return false;
  std::string_view code = t.substr(colon + 2, hash - colon - 2);
  return code.size() >= 4 && std::all_of(code.begin(), code.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool IsOops(std::string_view t) {
  if (t.starts_with("BUG: ") || t.starts_with("BUG ")) return true;  // KASAN, KFENCE, KCSAN, page faults, …
  if (Contains(t, "kernel BUG at ") || t.starts_with("Kernel BUG")) return true;
  if (t.starts_with("Oops") || Contains(t, "Internal error: Oops")) return true;
  if (t.starts_with("general protection fault")) return true;
  if (t.starts_with("Unable to handle kernel ")) return true;  // arm64, riscv
  if (t.starts_with("UBSAN: ")) return true;
  return IsDieLine(t);
}

constexpr std::string_view kPanicPrefix = "Kernel panic - not syncing:";

bool IsInitFailurePanic(std::string_view t) {
  for (std::string_view m : {"No working init found", "Attempted to kill init", "Requested init ",
                             "VFS: Unable to mount root fs", "No init found"}) {
    if (Contains(t, m)) return true;
  }
  return false;
}

// The first lines of a "cut here" report name it; a bare marker means a
// report whose title we do not know, which is still a kernel report.
bool TitledReportFollows(const std::vector<Line>& lines, size_t i) {
  for (size_t j = i + 1; j < lines.size() && j <= i + 5; ++j) {
    std::string_view t = lines[j].text;
    if (t.starts_with("WARNING:") || IsRustPanic(lines[j]) || IsOops(t) || IsHang(t) || Contains(t, kPanicPrefix)) {
      return true;
    }
  }
  return false;
}

std::string Excerpt(const std::vector<Line>& lines, size_t index, size_t before = kContextBefore,
                    size_t after = kContextAfter) {
  if (lines.empty()) return "";
  size_t first = index >= before ? index - before : 0;
  size_t last = std::min(lines.size() - 1, index + after);
  std::string out;
  for (size_t i = first; i <= last; ++i) {
    out.append(lines[i].raw);
    out += '\n';
  }
  return out;
}

// Last non-empty lines, for outcomes decided outside the console.
std::pair<size_t, std::string> Tail(const std::vector<Line>& lines) {
  size_t last = lines.size();
  while (last > 0 && lines[last - 1].raw.empty()) --last;
  if (last == 0) return {0, ""};
  return {last, Excerpt(lines, last - 1, kContextAfter, 0)};
}

}  // namespace

Classification Classify(const ClassifyInput& input) {
  Classification c;
  std::vector<Line> lines = SplitLines(input.console);

  std::vector<std::pair<std::string, std::regex>> allowed;
  for (const auto& pattern : input.allowed_warnings) {
    try {
      allowed.emplace_back(pattern, std::regex(pattern, std::regex::ECMAScript | std::regex::optimize));
    } catch (const std::regex_error& e) {
      c.notes.push_back(fmt::format("allowed-warning pattern '{}' is not a valid regex ({}); ignored", pattern, e.what()));
    }
  }

  auto add = [&](BootOutcome o, size_t i, std::string_view title) {
    if (c.findings.size() < kMaxFindings) c.findings.push_back(Finding{o, i + 1, std::string(title)});
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    std::string_view t = l.text;
    if (t.empty() || t.starts_with("---[ end ")) continue;
    if (IsRustPanic(l)) {
      add(BootOutcome::kRustPanic, i, t);
    } else if (IsHang(t)) {
      add(BootOutcome::kHang, i, t);
    } else if (IsOops(t)) {
      add(BootOutcome::kOops, i, t);
    } else if (Contains(t, kPanicPrefix)) {
      add(IsInitFailurePanic(t) ? BootOutcome::kInitFailed : BootOutcome::kKernelPanic, i, t);
    } else if (t.starts_with("WARNING:")) {
      // The report text: from its "cut here" marker (if within a few lines)
      // through the line after WARNING:, so a regex can match the message
      // WARN() printed above the WARNING: line or the location on it.
      size_t from = i;
      for (size_t j = i; j > 0 && j + 4 > i; --j) {
        if (Contains(lines[j - 1].text, "[ cut here ]")) {
          from = j - 1;
          break;
        }
      }
      std::string report;
      for (size_t j = from; j <= std::min(i + 1, lines.size() - 1); ++j) {
        report.append(lines[j].text);
        report += '\n';
      }
      Finding f{BootOutcome::kWarning, i + 1, std::string(t)};
      for (const auto& [pattern, re] : allowed) {
        if (std::regex_search(report, re)) {
          f.excused = true;
          f.excused_by = pattern;
          break;
        }
      }
      if (c.findings.size() < kMaxFindings) c.findings.push_back(std::move(f));
    } else if (Contains(t, "[ cut here ]") && !TitledReportFollows(lines, i)) {
      add(BootOutcome::kOops, i, t);
    }
  }

  auto first_of = [&](BootOutcome o) -> const Finding* {
    for (const auto& f : c.findings) {
      if (f.outcome == o && !f.excused) return &f;
    }
    return nullptr;
  };
  auto decide_from = [&](const Finding& f, std::string reason) {
    c.outcome = f.outcome;
    c.line = f.line;
    c.excerpt = Excerpt(lines, f.line - 1);
    c.reason = std::move(reason);
    return c;
  };
  auto decide_tail = [&](BootOutcome o, std::string reason) {
    c.outcome = o;
    std::tie(c.line, c.excerpt) = Tail(lines);
    c.reason = std::move(reason);
    return c;
  };

  if (input.build_failed) {
    c.outcome = BootOutcome::kBuildFailed;
    c.reason = input.build_detail.empty() ? "the kernel did not build" : input.build_detail;
    return c;
  }
  for (BootOutcome o : kCrashPrecedence) {
    if (const Finding* f = first_of(o)) {
      std::string what;
      switch (o) {
        case BootOutcome::kRustPanic: what = "Rust panic"; break;
        case BootOutcome::kOops: what = "kernel Oops/BUG report"; break;
        case BootOutcome::kHang: what = "kernel hang report"; break;
        case BootOutcome::kInitFailed: what = "init failed"; break;
        default: what = "kernel panic"; break;
      }
      return decide_from(*f, fmt::format("{} at console line {}: {}", what, f->line, f->title));
    }
  }
  const bool agent_expected = input.agent.has_value();
  if (input.end == EndReason::kTimeout || input.end == EndReason::kSilent) {
    std::string detail = input.end_detail.empty() ? std::string(EndReasonName(*input.end)) : input.end_detail;
    std::string agent_state;
    if (agent_expected) {
      agent_state = !input.agent->hello_seen ? "; the agent never said hello" : "; the agent said hello but never reported done";
    }
    return decide_tail(BootOutcome::kBootTimeout,
                       fmt::format("the guest did not finish ({}){}; no kernel report on the console", detail, agent_state));
  }
  if (input.end == EndReason::kCrashed) {
    return decide_tail(BootOutcome::kKernelPanic,
                       fmt::format("the hypervisor reported a guest crash ({}) with no report on the console",
                                   input.end_detail.empty() ? "crashed" : input.end_detail));
  }
  if (agent_expected) {
    if (!input.agent->hello_seen) {
      return decide_tail(BootOutcome::kAgentLost, "the guest stopped before the agent said hello");
    }
    if (!input.agent->done_seen) {
      return decide_tail(BootOutcome::kAgentLost, "the agent said hello but stopped before reporting done");
    }
    if (!input.agent->failed_workloads.empty()) {
      c.outcome = BootOutcome::kWorkloadFailed;
      c.reason = fmt::format("workload(s) failed: {}", fmt::join(input.agent->failed_workloads, ", "));
      return c;
    }
  }
  if (const Finding* f = first_of(BootOutcome::kWarning)) {
    return decide_from(*f, fmt::format("kernel warning at console line {}: {}", f->line, f->title));
  }
  c.outcome = BootOutcome::kPassed;
  size_t excused = static_cast<size_t>(std::count_if(c.findings.begin(), c.findings.end(), [](const Finding& f) { return f.excused; }));
  c.reason = fmt::format("{}no kernel report in {} console line(s){}",
                         agent_expected ? "the agent reported done; " : "", lines.size(),
                         excused > 0 ? fmt::format(" ({} allowed warning(s))", excused) : "");
  if (!agent_expected && !input.end) c.reason += "; judged from the console alone";
  return c;
}

}  // namespace rfl::vm
