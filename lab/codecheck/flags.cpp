#include "lab/codecheck/flags.h"

#include <charconv>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

std::optional<uint32_t> ParseCount(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > 4096) return std::nullopt;
  return v;
}

std::unexpected<Error> Bad(std::string_view flag, std::string_view why) {
  return FailAs(Error::Kind::kInput, "'{}': {}", flag, why);
}

}  // namespace

const std::vector<std::string>& KnownFlagForms() {
  static const std::vector<std::string> kForms = {
      "-Zcf-protection=branch",          "-Zfunction-return=thunk-extern", "-Zpatchable-function-entry=N[,M]",
      "-Zbranch-protection=bti,pac-ret", "-Zfixed-x18",
      "-Cjump-tables=n",                 "-Zsanitizer=kcfi",               "-Zsanitizer=shadow-call-stack",
      "-Zretpoline-external-thunk"};
  return kForms;
}

Result<std::unique_ptr<FlagCheck>> MakeFlagCheck(std::string_view flag) {
  std::string f(flag);
  // rustc accepts "-Z cf-protection=…" as two words; one word here.
  if (f == "-Zcf-protection=branch" || f == "-Zcf-protection=full") return MakeCfProtectionCheck(f);
  if (f == "-Zfunction-return=thunk-extern") return MakeFunctionReturnCheck(f);
  if (f == "-Zfixed-x18") return MakeFixedX18Check(f);
  if (f == "-Zsanitizer=kcfi") return MakeKcfiCheck(f);
  if (f == "-Zsanitizer=shadow-call-stack") return MakeShadowCallStackCheck(f);
  if (f == "-Zretpoline-external-thunk") return MakeRetpolineCheck(f);
  // Stable since rustc 1.93 as a codegen option (a boolean: n, no, off,
  // false); the kernel picks the spelling by rustc version.
  if (f == "-Cjump-tables=n" || f == "-Cjump-tables=no" || f == "-Cjump-tables=off" ||
      f == "-Cjump-tables=false" || f == "-Zno-jump-tables") {
    return MakeJumpTablesCheck(f);
  }
  if (constexpr std::string_view p = "-Zpatchable-function-entry="; f.starts_with(p)) {
    std::string_view v = flag.substr(p.size());
    size_t comma = v.find(',');
    auto total = ParseCount(v.substr(0, comma));
    auto prefix = comma == std::string_view::npos ? std::optional<uint32_t>(0) : ParseCount(v.substr(comma + 1));
    if (!total || !prefix || *prefix > *total) {
      return Bad(flag, "expected -Zpatchable-function-entry=N,M with 0 <= M <= N (N NOPs, M of them before the entry)");
    }
    return MakePatchableEntryCheck(f, *total, *prefix);
  }
  if (constexpr std::string_view p = "-Zbranch-protection="; f.starts_with(p)) {
    BranchProtection what;
    std::string_view rest = flag.substr(p.size());
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view part = rest.substr(0, comma);
      if (part == "bti") {
        what.bti = true;
      } else if (part == "pac-ret") {
        what.pac_ret = true;
      } else if (part == "leaf") {
        what.leaf = true;
      } else if (part != "b-key" && part != "pc" && part != "gcs") {
        return Bad(flag, fmt::format("unknown branch-protection part '{}' (bti, pac-ret, leaf, b-key, pc, gcs)", part));
      }
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    if (!what.bti && !what.pac_ret) return Bad(flag, "neither bti nor pac-ret: nothing to check");
    return MakeBranchProtectionCheck(f, what);
  }
  return FailAs(Error::Kind::kInput, "no code check for '{}' (known: {})", flag, fmt::join(KnownFlagForms(), ", "));
}

}  // namespace rfl::codecheck
