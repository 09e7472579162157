#include "images/agent/ktap.h"

#include <cctype>
#include <cstdlib>
#include <deque>
#include <optional>

namespace rfl::agent {
namespace {

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}
std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}
bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

// "KTAP version N" / "TAP version N" (whole trimmed line).
std::optional<std::pair<bool, int>> VersionLine(std::string_view line) {
  line = TrimRight(TrimLeft(line));
  bool ktap = line.starts_with("KTAP version ");
  if (!ktap && !line.starts_with("TAP version ")) return std::nullopt;
  std::string_view n = line.substr(ktap ? 13 : 12);
  if (!AllDigits(n)) return std::nullopt;
  return std::pair{ktap, std::atoi(std::string(n).c_str())};
}

std::optional<std::string> HeaderLine(std::string_view line) {
  line = TrimLeft(line);
  if (!line.starts_with("# Subtest: ")) return std::nullopt;
  return std::string(TrimRight(line.substr(11)));
}

std::optional<int> PlanLine(std::string_view line) {
  line = TrimLeft(line);
  if (!line.starts_with("1..")) return std::nullopt;
  line.remove_prefix(3);
  size_t n = 0;
  while (n < line.size() && std::isdigit(static_cast<unsigned char>(line[n]))) ++n;
  if (n == 0) return std::nullopt;
  return std::atoi(std::string(line.substr(0, n)).c_str());
}

struct ResultLine {
  bool ok = false;
  int number = 0;
  std::string name;
  std::string directive;  // text after "# ", empty if none
};

// ^\s*(ok|not ok) ([0-9]+)\s*(- )?([^#]*)( # .*)?$
std::optional<ResultLine> ParseResultLine(std::string_view line) {
  line = TrimRight(TrimLeft(line));
  ResultLine r;
  if (line.starts_with("ok ")) {
    r.ok = true;
    line.remove_prefix(3);
  } else if (line.starts_with("not ok ")) {
    line.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  size_t n = 0;
  while (n < line.size() && std::isdigit(static_cast<unsigned char>(line[n]))) ++n;
  if (n == 0 || (n < line.size() && line[n] != ' ')) return std::nullopt;
  r.number = std::atoi(std::string(line.substr(0, n)).c_str());
  line = TrimLeft(line.substr(n));
  if (line.starts_with("- ")) line.remove_prefix(2);
  size_t hash = line.find('#');
  std::string_view name = line.substr(0, hash);
  if (hash != std::string_view::npos) {
    // The directive must be " # …" ("ok 3 # SKIP" has an empty name); a '#'
    // inside the name makes the line a diagnostic, as in kunit_tool.
    if (hash > 0 && line[hash - 1] != ' ') return std::nullopt;
    r.directive = std::string(TrimLeft(line.substr(hash + 1)));
  }
  r.name = std::string(TrimRight(name));
  return r;
}

bool IsSpecial(std::string_view line) {
  return VersionLine(line) || HeaderLine(line) || PlanLine(line) || ParseResultLine(line);
}

bool IsEndMarker(std::string_view line) {
  return line.find("List of all partitions:") != std::string_view::npos ||
         line.find("Kernel panic - not syncing: VFS:") != std::string_view::npos ||
         line.find("reboot: System halted") != std::string_view::npos;
}

class Parser {
 public:
  explicit Parser(std::deque<std::string> lines) : lines_(std::move(lines)) {}

  KtapTest ParseTest(int expected_num, std::vector<std::string> log, bool is_subtest) {
    KtapTest test;
    test.log = std::move(log);
    Append(test.log, Diagnostics());
    bool parent = false;
    if (!is_subtest) {
      test.name = "main";
      ParseVersion();
      Append(test.log, Diagnostics());
      ParsePlan(test);
      parent = true;
    } else {
      bool version = ParseVersion();
      bool header = ParseHeader(test);
      Append(test.log, Diagnostics());
      ParsePlan(test);
      parent = version || header;
    }

    int num = 1;
    while (parent && (test.expected_count < 0 || num <= test.expected_count)) {
      size_t before = lines_.size();
      auto sub_log = Diagnostics();
      if (lines_.empty() || (is_subtest && PeekNameMatch(test))) {
        if (test.expected_count >= 0 && num <= test.expected_count) {
          Error(test, "missing expected subtest!");
          KtapTest crashed;
          crashed.log = std::move(sub_log);
          test.subtests.push_back(std::move(crashed));
        } else {
          Append(test.log, std::move(sub_log));
          break;
        }
      } else {
        test.subtests.push_back(ParseTest(num, std::move(sub_log), true));
        if (lines_.size() == before) {
          // Nothing consumed: a line no rule accepts here. Keep it as a
          // diagnostic so parsing always moves forward.
          test.log.push_back(lines_.front());
          lines_.pop_front();
        }
      }
      ++num;
    }

    if (is_subtest) {
      Append(test.log, Diagnostics());
      if (!test.name.empty() && !PeekNameMatch(test)) {
        Error(test, "missing subtest result line!");
      } else if (lines_.empty()) {
        test.status = KtapStatus::kNoTests;
        Error(test, "No more test results!");
      } else {
        ParseResult(test, expected_num);
      }
    }
    if (parent && test.subtests.empty() &&
        (test.status == KtapStatus::kCrashed || test.status == KtapStatus::kPass)) {
      test.status = KtapStatus::kNoTests;
      Error(test, "0 tests run!");
    }
    // A parent whose result says ok but whose subtests crashed is crashed.
    if (!test.subtests.empty() && test.status == KtapStatus::kPass) {
      for (const auto& s : test.subtests) {
        if (s.status == KtapStatus::kCrashed) test.status = KtapStatus::kCrashed;
      }
    }
    return test;
  }

  std::vector<std::string> errors;

 private:
  static void Append(std::vector<std::string>& to, std::vector<std::string> from) {
    for (auto& l : from) to.push_back(std::move(l));
  }
  void Error(const KtapTest& test, std::string message) {
    errors.push_back((test.name.empty() ? std::string("<unnamed>") : test.name) + ": " + message);
  }
  std::vector<std::string> Diagnostics() {
    std::vector<std::string> out;
    while (!lines_.empty() && !IsSpecial(lines_.front())) {
      out.push_back(lines_.front());
      lines_.pop_front();
    }
    return out;
  }
  bool ParseVersion() {
    if (lines_.empty() || !VersionLine(lines_.front())) return false;
    lines_.pop_front();
    return true;
  }
  bool ParseHeader(KtapTest& test) {
    if (lines_.empty()) return false;
    auto name = HeaderLine(lines_.front());
    if (!name) return false;
    test.name = *name;
    lines_.pop_front();
    return true;
  }
  void ParsePlan(KtapTest& test) {
    if (lines_.empty()) return;
    auto n = PlanLine(lines_.front());
    if (!n) return;
    test.expected_count = *n;
    lines_.pop_front();
  }
  bool PeekNameMatch(const KtapTest& test) const {
    if (lines_.empty()) return false;
    auto r = ParseResultLine(lines_.front());
    return r && r->name == test.name;
  }
  void ParseResult(KtapTest& test, int expected_num) {
    auto r = ParseResultLine(lines_.front());
    if (!r) return;
    lines_.pop_front();
    test.name = r->name;
    test.number = r->number;
    test.directive = r->directive;
    if (r->number != expected_num) {
      Error(test, "Expected test number " + std::to_string(expected_num) + " but found " +
                      std::to_string(r->number));
    }
    if (StartsWithNoCase(r->directive, "SKIP")) {
      test.status = KtapStatus::kSkip;
    } else if (StartsWithNoCase(r->directive, "TODO")) {
      test.status = KtapStatus::kTodo;
    } else {
      test.status = r->ok ? KtapStatus::kPass : KtapStatus::kFail;
    }
  }

  std::deque<std::string> lines_;
};

bool HasFailingLeaf(const KtapTest& t) {
  if (t.subtests.empty()) return t.status == KtapStatus::kFail || t.status == KtapStatus::kCrashed;
  for (const auto& s : t.subtests) {
    if (HasFailingLeaf(s)) return true;
  }
  return false;
}

// A parent that reports "not ok" although none of its cases failed (a suite
// init or exit failure) is a failure of its own, as kunit_tool counts it.
bool FailsOnItsOwn(const KtapTest& t) {
  return !t.subtests.empty() && t.status == KtapStatus::kFail && !HasFailingLeaf(t);
}

void Add(KtapStatus status, KtapCounts& c) {
  switch (status) {
    case KtapStatus::kPass: ++c.passed; break;
    case KtapStatus::kFail: ++c.failed; break;
    case KtapStatus::kSkip: ++c.skipped; break;
    case KtapStatus::kTodo: ++c.todo; break;
    case KtapStatus::kCrashed: ++c.crashed; break;
    case KtapStatus::kNoTests: ++c.no_tests; break;
  }
}

void Count(const KtapTest& t, KtapCounts& c) {
  if (t.subtests.empty()) {
    Add(t.status, c);
    return;
  }
  for (const auto& s : t.subtests) Count(s, c);
  if (FailsOnItsOwn(t)) Add(KtapStatus::kFail, c);
}

void Leaves(const KtapTest& t, const std::string& path, std::vector<KtapCase>& out) {
  for (const auto& s : t.subtests) {
    if (s.subtests.empty()) {
      KtapCase c{path, s.name, s.status, s.directive, {}};
      if (s.status == KtapStatus::kFail || s.status == KtapStatus::kCrashed) {
        size_t from = s.log.size() > kMaxCaseLog ? s.log.size() - kMaxCaseLog : 0;
        c.log.assign(s.log.begin() + static_cast<std::ptrdiff_t>(from), s.log.end());
      }
      out.push_back(std::move(c));
      continue;
    }
    Leaves(s, path.empty() ? s.name : path + "/" + s.name, out);
    if (FailsOnItsOwn(s)) out.push_back(KtapCase{path, s.name, KtapStatus::kFail, s.directive, {}});
  }
}

}  // namespace

std::string_view KtapStatusName(KtapStatus s) {
  switch (s) {
    case KtapStatus::kPass: return "pass";
    case KtapStatus::kFail: return "fail";
    case KtapStatus::kSkip: return "skip";
    case KtapStatus::kTodo: return "todo";
    case KtapStatus::kCrashed: return "crashed";
    case KtapStatus::kNoTests: return "no-tests";
  }
  return "crashed";
}

KtapResult ParseKtap(std::string_view text) {
  KtapResult result;
  std::deque<std::string> lines;
  size_t prefix_len = 0;
  bool started = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = TrimRight(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!started) {
      for (std::string_view marker : {std::string_view("KTAP version "), std::string_view("TAP version ")}) {
        size_t at = line.find(marker);
        if (at == std::string_view::npos) continue;
        // "TAP version" also occurs inside "KTAP version"; the version line
        // itself must parse.
        auto v = VersionLine(line.substr(at));
        if (!v) continue;
        if (marker.starts_with("TAP") && at > 0 && line[at - 1] == 'K') continue;
        prefix_len = at;
        started = true;
        result.found = true;
        result.ktap = v->first;
        result.version = v->second;
        break;
      }
      if (started) lines.emplace_back(line.substr(prefix_len));
      continue;
    }
    if (IsEndMarker(line)) break;
    lines.emplace_back(line.size() >= prefix_len ? line.substr(prefix_len) : std::string_view{});
  }
  if (!started) {
    result.errors.push_back("main: could not find any KTAP output");
    result.main.name = "main";
    result.main.status = KtapStatus::kNoTests;
    return result;
  }
  Parser parser(std::move(lines));
  result.main = parser.ParseTest(0, {}, false);
  result.errors = std::move(parser.errors);
  Count(result.main, result.counts);
  // kunit_tool's TestCounts.get_status(): crashed wins over failed; a run of
  // only skipped cases is skipped; no-tests placeholders do not count.
  const KtapCounts& c = result.counts;
  if (c.passed + c.failed + c.skipped + c.todo + c.crashed == 0) {
    result.status = KtapStatus::kNoTests;
  } else if (c.crashed > 0) {
    result.status = KtapStatus::kCrashed;
  } else if (c.failed > 0) {
    result.status = KtapStatus::kFail;
  } else if (c.passed + c.todo > 0) {
    result.status = KtapStatus::kPass;
  } else {
    result.status = KtapStatus::kSkip;
  }
  return result;
}

std::vector<KtapCase> LeafCases(const KtapResult& result) {
  std::vector<KtapCase> out;
  Leaves(result.main, "", out);
  return out;
}

}  // namespace rfl::agent
