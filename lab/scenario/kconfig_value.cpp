#include "lab/scenario/kconfig_value.h"

#include <fmt/format.h>

#include "lab/scenario/input_limits.h"

namespace rfl::scenario {

std::string UnsafeKconfigStringReason(std::string_view contents) {
  for (size_t i = 0; i < contents.size(); ++i) {
    char c = contents[i];
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '$': return "'$' would be expanded by make (e.g. $(shell ...) runs a command)";
      case '`': return "a backquote would run a command in the shell";
      case ';':
      case '|':
      case '&': return fmt::format("'{}' would be interpreted by the shell", c);
      case '<':
      case '>': return fmt::format("'{}' would redirect a shell command", c);
      case '#': return "'#' starts a comment in make, so the value would be cut";
      case '"':
      case '\'':
      case '\\': return fmt::format("the character {} would change the quoting", c == '\\' ? "'\\'" : fmt::format("'{}'", c));
      case '\n':
      case '\r': return "it contains a line break";
      default: break;
    }
    if (u < 32 || u == 127) return fmt::format("it contains the control character \\x{:02x}", u);
    if (u > 126) return fmt::format("it contains {}, which is not ASCII", DescribeCodePoint(contents, i));
  }
  return {};
}

namespace {

bool IsNumber(std::string_view v) {
  if (v.starts_with("-")) v.remove_prefix(1);
  if (v.starts_with("0x") || v.starts_with("0X")) {
    v.remove_prefix(2);
    if (v.empty()) return false;
    return v.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
  }
  return !v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<UnsafeConfigLine> UnsafeConfigLines(std::string_view text) {
  std::vector<UnsafeConfigLine> out;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    ++line_no;
    size_t indent = line.find_first_not_of(" \t");
    if (indent != std::string_view::npos && line.substr(indent).starts_with("CONFIG_")) {
      std::string_view l = TrimRight(line.substr(indent));
      size_t eq = l.find('=');
      if (eq != std::string_view::npos) {
        std::string_view value = l.substr(eq + 1);
        std::string reason;
        if (value == "y" || value == "n" || value == "m" || value.empty() || IsNumber(value)) {
          reason.clear();
        } else if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
          reason = UnsafeKconfigStringReason(value.substr(1, value.size() - 2));
        } else {
          reason = UnsafeKconfigStringReason(value);
        }
        if (!reason.empty()) {
          out.push_back(UnsafeConfigLine{line_no, static_cast<int>(indent + eq + 2),
                                         std::string(l.substr(7, eq - 7)), std::move(reason)});
        }
      }
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::string DescribeUnsafeConfigLines(const std::vector<UnsafeConfigLine>& lines, std::string_view origin) {
  std::string out;
  for (const auto& l : lines) {
    out += fmt::format("{}:{}:{}: CONFIG_{}: {}\n", origin, l.line, l.col, l.symbol, l.reason);
  }
  return out;
}

}  // namespace rfl::scenario
