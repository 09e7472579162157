#include "lab/kernel/build_log.h"

#include <regex>

#include <nlohmann/json.hpp>

namespace rfl::kernel {

namespace {

constexpr size_t kMaxExcerpt = 12;

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(start, end - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.push_back(l);
    start = end + 1;
  }
  return out;
}

bool Contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

bool IsLinkErrorLine(std::string_view l) {
  return Contains(l, "ld.lld: error:") || Contains(l, "undefined symbol:") || Contains(l, "undefined reference to") ||
         (Contains(l, "ld: ") && Contains(l, "error"));
}

// rustc diagnostics start at column 0 with "error" ("error: …", "error[E0425]: …");
// clang's carry a file:line:col prefix instead.
bool IsRustcErrorLine(std::string_view l) {
  return l.starts_with("error: ") || l.starts_with("error[E");
}

bool IsMakeFailure(std::string_view l) { return l.starts_with("make") && Contains(l, "] Error ") && Contains(l, "***"); }

}  // namespace

std::string_view FailureClassName(FailureClass c) {
  switch (c) {
    case FailureClass::kKconfigUnmet: return "kconfig-unmet";
    case FailureClass::kRustUnavailable: return "rust-unavailable";
    case FailureClass::kRustcError: return "rustc-error";
    case FailureClass::kBindgenError: return "bindgen-error";
    case FailureClass::kLinkError: return "link-error";
    case FailureClass::kOther: return "other";
  }
  return "other";
}

std::optional<FailureClass> ParseFailureClass(std::string_view s) {
  for (auto c : {FailureClass::kKconfigUnmet, FailureClass::kRustUnavailable, FailureClass::kRustcError,
                 FailureClass::kBindgenError, FailureClass::kLinkError, FailureClass::kOther}) {
    if (FailureClassName(c) == s) return c;
  }
  return std::nullopt;
}

Classification ClassifyBuildLog(std::string_view log) {
  auto lines = Lines(log);
  Classification out;
  auto add = [&](std::string_view l) {
    if (out.excerpt.size() < kMaxExcerpt) out.excerpt.emplace_back(l);
  };

  // 1. The link: "ld.lld: error: undefined symbol: __x86_return_thunk" and
  // the ">>> referenced by" lines that follow it.
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!IsLinkErrorLine(lines[i])) continue;
    out.cls = FailureClass::kLinkError;
    add(lines[i]);
    for (size_t j = i + 1; j < lines.size() && j <= i + 4 && lines[j].starts_with(">>>"); ++j) add(lines[j]);
    // Keep going for more distinct undefined symbols.
    for (size_t k = i + 1; k < lines.size() && out.excerpt.size() < kMaxExcerpt; ++k) {
      if (IsLinkErrorLine(lines[k]) && lines[k] != lines[i]) add(lines[k]);
    }
    return out;
  }

  // 2. bindgen: its own panic, or a failed *_generated.rs target.
  bool bindgen = false;
  for (auto l : lines) {
    if (Contains(l, "Unable to generate bindings") || (Contains(l, "panicked") && Contains(l, "bindgen")) ||
        (IsMakeFailure(l) && Contains(l, "_generated.rs"))) {
      bindgen = true;
      break;
    }
  }
  if (bindgen) {
    out.cls = FailureClass::kBindgenError;
    for (auto l : lines) {
      if (Contains(l, "error:") || Contains(l, "Unable to generate bindings") || Contains(l, "panicked") ||
          (IsMakeFailure(l) && Contains(l, "_generated.rs"))) {
        add(l);
      }
    }
    return out;
  }

  // 3. rustc: "error[E…]: …" / "error: …" with its "  --> file:line:col".
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!IsRustcErrorLine(lines[i])) continue;
    if (Contains(lines[i], "aborting due to")) continue;
    out.cls = FailureClass::kRustcError;
    for (size_t k = i; k < lines.size() && out.excerpt.size() < kMaxExcerpt; ++k) {
      auto l = lines[k];
      if ((IsRustcErrorLine(l) && !Contains(l, "aborting due to")) || l.starts_with("  --> ") ||
          l.starts_with(" --> ") || l.starts_with("   = note:") || l.starts_with("   = help:")) {
        add(l);
      }
      if (IsMakeFailure(l)) {
        add(l);
        break;
      }
    }
    return out;
  }

  // 4. Anything else: compiler errors with a file prefix, make's own lines.
  out.cls = FailureClass::kOther;
  for (auto l : lines) {
    if (Contains(l, "error:") || Contains(l, "Error:") || Contains(l, "*** ") || Contains(l, "fatal")) add(l);
  }
  if (out.excerpt.empty()) {
    size_t from = lines.size() > 8 ? lines.size() - 8 : 0;
    for (size_t i = from; i < lines.size(); ++i) add(lines[i]);
  }
  return out;
}

std::vector<std::string> RustUnavailableMessage(std::string_view output) {
  std::vector<std::string> out;
  for (auto l : Lines(output)) {
    if (!l.starts_with("***")) continue;
    l.remove_prefix(3);
    while (!l.empty() && l.front() == ' ') l.remove_prefix(1);
    if (!l.empty() && out.size() < kMaxExcerpt) out.emplace_back(l);
  }
  if (out.empty()) {
    for (auto l : Lines(output)) {
      if (!l.starts_with("make") && !l.empty() && out.size() < kMaxExcerpt) out.emplace_back(l);
    }
  }
  return out;
}

std::optional<std::string> ProgressStep(std::string_view line) {
  // Quiet kbuild: two spaces, a tag of capitals (optionally "RUSTC L"), spaces, the target.
  static const std::regex re(R"(^  ([A-Z][A-Z0-9_-]*(?: [A-Z]+)?) +(\S.*)$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(line.begin(), line.end(), m, re)) return std::nullopt;
  return m[1].str() + " " + m[2].str();
}

std::vector<std::string> SplitShellWords(std::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'') {
      in_word = true;
      size_t end = s.find('\'', i + 1);
      if (end == std::string_view::npos) end = s.size();
      cur.append(s.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      in_word = true;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$')) ++i;
        cur.push_back(s[i]);
      }
    } else if (c == '\\' && i + 1 < s.size()) {
      in_word = true;
      cur.push_back(s[++i]);
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else if (c == ';' || c == '|' || c == '&') {
      // End of the first command (kbuild appends `; cmd_…` post-steps).
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      words.push_back(std::string(1, c));
    } else {
      in_word = true;
      cur.push_back(c);
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

std::optional<std::vector<std::string>> RustFlagsFromCmd(std::string_view text) {
  // The first line: "savedcmd_<target> := <command>".
  auto nl = text.find('\n');
  std::string_view first = text.substr(0, nl);
  auto assign = first.find(":= ");
  if (assign == std::string_view::npos) return std::nullopt;
  auto words = SplitShellWords(first.substr(assign + 3));
  // Find the rustc invocation (after env assignments like OBJTREE=…).
  size_t i = 0;
  for (; i < words.size(); ++i) {
    const auto& w = words[i];
    auto slash = w.rfind('/');
    std::string_view base = slash == std::string::npos ? std::string_view(w) : std::string_view(w).substr(slash + 1);
    if (base == "rustc" || base.starts_with("rustc-")) break;
  }
  if (i == words.size()) return std::nullopt;
  std::vector<std::string> flags;
  for (++i; i < words.size(); ++i) {
    const auto& w = words[i];
    if (w == ";" || w == "|" || w == "&") break;
    // Options taking a separate value that is not a flag of interest.
    if (w == "--out-dir" || w == "-o" || w == "--emit" || w == "-L" || w == "--extern" || w == "--sysroot" ||
        w == "--crate-name" || w == "--crate-type" || w == "--target" || w == "--cfg" || w == "--check-cfg" ||
        w == "--edition" || w == "-A" || w == "-W" || w == "-D" || w == "-F") {
      ++i;
      continue;
    }
    if (w.starts_with("-Z") || w.starts_with("-C") || w.starts_with("-O") || w.starts_with("-g")) {
      if ((w == "-Z" || w == "-C") && i + 1 < words.size()) {
        flags.push_back(w + words[++i]);
      } else {
        flags.push_back(w);
      }
    }
  }
  return flags;
}

std::vector<std::string> RustFlagsFromTargetSpec(std::string_view text) {
  auto spec = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object() || !spec.contains("features") || !spec["features"].is_string()) return {};
  // "features": "-mmx,+soft-float,+retpoline-external-thunk,…"
  std::string features = spec["features"].get<std::string>();
  std::vector<std::string> out;
  std::string_view rest = features;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    if (rest.substr(0, comma) == "+retpoline-external-thunk") out.push_back("-Zretpoline-external-thunk");
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return out;
}

}  // namespace rfl::kernel
