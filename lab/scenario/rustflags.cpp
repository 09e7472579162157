#include "lab/scenario/rustflags.h"

#include <fmt/format.h>

#include "lab/scenario/diagnostics.h"
#include "lab/scenario/input_limits.h"

namespace rfl::scenario {

std::string UnsafeRustflagReason(std::string_view flag) {
  if (flag.empty()) return "it is empty";
  if (flag[0] != '-') return "a flag starts with '-'";
  if (flag.size() < 2) return "'-' alone is not a flag";
  for (size_t i = 0; i < flag.size(); ++i) {
    char c = flag[i];
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_' || c == '=' || c == ',' || c == '.' || c == ':' || c == '+' || c == '/' ||
        c == '-')
      continue;
    switch (c) {
      case ' ':
      case '\t': return "it contains whitespace, so it would become several flags";
      case '\n':
      case '\r': return "it contains a line break";
      case '$': return "'$' would be expanded by make";
      case '`': return "a backquote would run a command in the shell";
      case ';':
      case '|':
      case '&': return fmt::format("'{}' would be interpreted by the shell", c);
      case '#': return "'#' starts a comment in make";
      default: return fmt::format("the character {} is not allowed", DescribeCodePoint(flag, i));
    }
  }
  return {};
}

const std::vector<std::string>& KnownRustflags() {
  static const std::vector<std::string> k = {
      "-Zfixed-x18", "-Zbranch-protection", "-Zuse-sync-unwind", "-Zcf-protection", "-Zno-jump-tables",
      "-Cjump-tables", "-Zfunction-return", "-Zpatchable-function-entry", "-Zretpoline",
      "-Zretpoline-external-thunk", "-Zindirect-branch-cs-prefix", "-Zsanitizer",
      "-Zsanitizer-cfi-normalize-integers", "-Zdwarf-version", "-Cdwarf-version",
      "-Zdirect-access-external-data", "-Zregparm", "-Zreg-struct-return", "-Zmin-function-alignment",
      "-Zfunction-sections", "-Zcrate-attr", "-Copt-level", "-Cdebuginfo", "-Cforce-frame-pointers",
      "-Coverflow-checks", "-Cdebug-assertions", "-Ctarget-cpu", "-Ctarget-feature", "-Ccodegen-units",
      "-Cpanic", "-Crelocation-model", "-Ccode-model", "-Cllvm-args", "-Zemit-stack-sizes", "-Zstack-protector",
  };
  return k;
}

std::string ClosestKnownRustflag(std::string_view flag) {
  std::string_view name = flag.substr(0, flag.find('='));
  for (const auto& k : KnownRustflags()) {
    if (k == name) return {};
  }
  // Only flags of the -Z/-C families are checked; others pass silently.
  if (!(name.starts_with("-Z") || name.starts_with("-C"))) return {};
  std::string best = ClosestMatch(name, KnownRustflags());
  if (best.empty()) return {};
  auto eq = flag.find('=');
  return eq == std::string_view::npos ? best : best + std::string(flag.substr(eq));
}

}  // namespace rfl::scenario
