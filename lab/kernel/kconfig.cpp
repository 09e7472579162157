#include "lab/kernel/kconfig.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rfl::kernel {
namespace fs = std::filesystem;

namespace {

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsSymbolChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Identifiers (Kconfig symbols) in a dependency expression, in order, once.
std::vector<std::string> SymbolsIn(std::string_view expr) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < expr.size()) {
    char c = expr[i];
    if (c == '"') {  // a string literal
      size_t end = expr.find('"', i + 1);
      i = end == std::string_view::npos ? expr.size() : end + 1;
      continue;
    }
    if (c == '$') {  // $(function ...) macro: skip to the matching ')'
      int depth = 0;
      for (; i < expr.size(); ++i) {
        if (expr[i] == '(') ++depth;
        if (expr[i] == ')' && --depth == 0) break;
      }
      ++i;
      continue;
    }
    if (IsSymbolChar(c)) {
      size_t j = i;
      while (j < expr.size() && IsSymbolChar(expr[j])) ++j;
      std::string word(expr.substr(i, j - i));
      bool has_upper = std::any_of(word.begin(), word.end(), [](char ch) { return std::isupper(static_cast<unsigned char>(ch)); });
      bool all_digits = std::all_of(word.begin(), word.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
      if (has_upper && !all_digits && word != "y" && word != "n" && word != "m" &&
          std::find(out.begin(), out.end(), word) == out.end()) {
        out.push_back(word);
      }
      i = j;
      continue;
    }
    ++i;
  }
  return out;
}

std::string ValueOf(const ConfigValues& cfg, const std::string& sym) {
  auto it = cfg.find(sym);
  return it == cfg.end() ? "n" : it->second;
}

}  // namespace

ConfigValues ParseConfig(std::string_view text) {
  ConfigValues values;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = TrimView(line);
    if (l.starts_with("CONFIG_")) {
      auto eq = l.find('=');
      if (eq == std::string_view::npos) continue;
      values[std::string(l.substr(7, eq - 7))] = std::string(l.substr(eq + 1));
    } else if (l.starts_with("# CONFIG_") && l.ends_with(" is not set")) {
      auto name = l.substr(9, l.size() - 9 - 11);
      values[std::string(name)] = "n";
    }
  }
  return values;
}

std::vector<Request> MergeRequests(const std::vector<std::pair<std::string, ConfigValues>>& fragments,
                                   const std::map<std::string, std::string>& variant) {
  std::vector<Request> out;
  auto set = [&](const std::string& sym, const std::string& value, const std::string& origin) {
    for (auto& r : out) {
      if (r.symbol == sym) {
        r.value = value;
        r.origin = origin;
        return;
      }
    }
    out.push_back(Request{sym, value, origin});
  };
  for (const auto& [origin, values] : fragments) {
    for (const auto& [sym, value] : values) set(sym, value, origin);
  }
  for (const auto& [sym, value] : variant) {
    std::string name = sym.starts_with("CONFIG_") ? sym.substr(7) : sym;
    set(name, value, "variant");
  }
  return out;
}

std::string RenderRequests(const std::vector<Request>& requests) {
  std::string out = "\n# rfl-lab: fragments and variant symbols\n";
  for (const auto& r : requests) {
    if (r.value == "n") out += fmt::format("# CONFIG_{} is not set\n", r.symbol);
    else out += fmt::format("CONFIG_{}={}\n", r.symbol, r.value);
  }
  return out;
}

bool SameValue(const std::string& asked, const std::optional<std::string>& got) {
  std::string g = got.value_or("n");
  if (asked == g) return true;
  // Hex numbers: Kconfig writes them as given; compare case-insensitively.
  std::string a = asked, b = g;
  std::transform(a.begin(), a.end(), a.begin(), ::tolower);
  std::transform(b.begin(), b.end(), b.begin(), ::tolower);
  if (a.starts_with("0x") && b.starts_with("0x")) return a == b;
  return false;
}

void KconfigIndex::AddText(std::string_view text) {
  // Block stack: if/menu/choice add their conditions to every symbol inside.
  struct Block {
    std::string kind;
    std::vector<std::string> deps;
  };
  std::vector<Block> blocks;
  std::string current;           // symbol being defined ("" outside a config)
  bool current_is_block = false;  // a menu/choice collecting its own "depends on"
  std::istringstream in{std::string(text)};
  std::string raw, line;
  while (std::getline(in, raw)) {
    // Join backslash continuations.
    line += raw;
    if (!line.empty() && line.back() == '\\') {
      line.pop_back();
      line += ' ';
      continue;
    }
    std::string_view l = TrimView(line);
    std::string stmt(l);
    line.clear();
    if (stmt.empty() || stmt.front() == '#') continue;
    auto word_end = stmt.find_first_of(" \t");
    std::string word = stmt.substr(0, word_end);
    std::string rest = word_end == std::string::npos ? "" : std::string(TrimView(std::string_view(stmt).substr(word_end)));
    if (word == "config" || word == "menuconfig") {
      current = rest;
      current_is_block = false;
      auto& deps = depends_[current];
      for (const auto& b : blocks) {
        for (const auto& d : b.deps) {
          if (std::find(deps.begin(), deps.end(), d) == deps.end()) deps.push_back(d);
        }
      }
    } else if (word == "if") {
      blocks.push_back(Block{"if", {rest}});
      current.clear();
    } else if (word == "menu" || word == "choice") {
      blocks.push_back(Block{word, {}});
      current.clear();
      current_is_block = true;
    } else if (word == "endif" || word == "endmenu" || word == "endchoice") {
      if (!blocks.empty()) blocks.pop_back();
      current.clear();
      current_is_block = false;
    } else if (word == "depends" && rest.starts_with("on")) {
      std::string expr(TrimView(std::string_view(rest).substr(2)));
      if (!current.empty()) {
        auto& deps = depends_[current];
        if (std::find(deps.begin(), deps.end(), expr) == deps.end()) deps.push_back(expr);
      } else if (current_is_block && !blocks.empty()) {
        blocks.back().deps.push_back(expr);
      }
    } else if ((word == "select" || word == "imply") && !current.empty()) {
      std::string target = rest.substr(0, rest.find_first_of(" \t"));
      auto& by = selected_by_[target];
      if (std::find(by.begin(), by.end(), current) == by.end()) by.push_back(current);
    } else if (word == "source" || word == "comment" || word == "mainmenu") {
      current.clear();
      current_is_block = false;
    }
  }
}

KconfigIndex KconfigIndex::Scan(const fs::path& source_dir, std::string_view srcarch) {
  KconfigIndex index;
  std::error_code ec;
  fs::recursive_directory_iterator it(source_dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const fs::path& p = it->path();
    if (it->is_directory()) {
      auto rel = p.lexically_relative(source_dir);
      auto first = rel.begin();
      if (first != rel.end()) {
        std::string top = first->string();
        if (top == "Documentation" || top == "tools" || top.starts_with(".")) it.disable_recursion_pending();
        if (top == "arch" && std::distance(rel.begin(), rel.end()) == 2 && rel.filename() != srcarch)
          it.disable_recursion_pending();
      }
      continue;
    }
    if (!p.filename().string().starts_with("Kconfig")) continue;
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    index.AddText(ss.str());
  }
  return index;
}

std::vector<std::string> KconfigIndex::DependsOn(const std::string& symbol) const {
  auto it = depends_.find(symbol);
  return it == depends_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> KconfigIndex::SelectedBy(const std::string& symbol) const {
  auto it = selected_by_.find(symbol);
  return it == selected_by_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<Unmet> VerifyConfig(const std::vector<Request>& requests, const ConfigValues& final_config,
                                const KconfigIndex& index) {
  std::vector<Unmet> out;
  for (const auto& r : requests) {
    auto it = final_config.find(r.symbol);
    std::optional<std::string> got = it == final_config.end() ? std::nullopt : std::optional(it->second);
    if (SameValue(r.value, got)) continue;
    Unmet u{r.symbol, r.value, got.value_or("n"), r.origin, ""};
    if (!index.Defines(r.symbol)) {
      u.reason = "no such symbol in this kernel's Kconfig";
    } else {
      std::vector<std::string> parts;
      for (const auto& expr : index.DependsOn(r.symbol)) {
        std::vector<std::string> vals;
        for (const auto& sym : SymbolsIn(expr)) vals.push_back(fmt::format("{}={}", sym, ValueOf(final_config, sym)));
        parts.push_back(vals.empty() ? fmt::format("depends on {}", expr)
                                     : fmt::format("depends on {} [{}]", expr, fmt::join(vals, " ")));
      }
      auto by = index.SelectedBy(r.symbol);
      if (!by.empty() && r.value != "n") {
        std::vector<std::string> vals;
        for (const auto& sym : by) vals.push_back(fmt::format("{}={}", sym, ValueOf(final_config, sym)));
        parts.push_back(fmt::format("selected by [{}]", fmt::join(vals, " ")));
      }
      u.reason = parts.empty() ? "no dependency in Kconfig explains it (not user-selectable, or a choice)"
                               : fmt::format("{}", fmt::join(parts, "; "));
    }
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<Unmet> TakeAbsentFragmentSymbols(std::vector<Unmet>& unmet, const KconfigIndex& index) {
  std::vector<Unmet> absent;
  std::erase_if(unmet, [&](const Unmet& u) {
    if (u.origin == "variant" || index.Defines(u.symbol)) return false;
    absent.push_back(u);
    return true;
  });
  return absent;
}

std::string DescribeUnmet(const std::vector<Unmet>& unmet) {
  std::string out;
  for (const auto& u : unmet) {
    out += fmt::format("CONFIG_{}: asked {}, got {} (from {}); {}\n", u.symbol, u.asked, u.got, u.origin, u.reason);
  }
  return out;
}

}  // namespace rfl::kernel
