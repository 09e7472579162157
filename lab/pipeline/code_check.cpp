#include "lab/pipeline/code_check.h"

#include <algorithm>

#include <fmt/format.h>

#include "lab/codecheck/codecheck.h"
#include "lab/codecheck/flags.h"

namespace rfl::pipeline {

std::vector<FlagToCheck> FlagsToCheck(const scenario::Plan& plan, const scenario::BuildSpec& spec,
                                      const std::vector<std::string>& effective) {
  std::vector<FlagToCheck> out;
  auto add = [&](const std::string& flag, bool claimed) {
    if (std::any_of(out.begin(), out.end(), [&](const FlagToCheck& f) { return f.flag == flag; })) return;
    auto check = codecheck::MakeFlagCheck(flag);
    if (!check) return;                                         // no check for it
    if (!claimed && !(*check)->AppliesTo(spec.arch)) return;  // a control that cannot tell anything here
    auto e = spec.expect_code.find(flag);
    out.push_back({flag, claimed, claimed && e != spec.expect_code.end() ? e->second : ""});
  };
  for (const auto& f : effective) add(f, true);
  for (const auto& b : plan.builds) {
    if (b.arch != spec.arch) continue;
    for (const auto& f : b.rustflags) add(f, false);
  }
  return out;
}

std::vector<FlagToCheck> MissingControls(Arch arch, const std::vector<results::CodeCheckRecord>& have,
                                         const std::vector<results::CodeCheckRecord>& claimed) {
  std::vector<FlagToCheck> out;
  for (const auto& c : claimed) {
    if (!c.claimed) continue;
    auto judged = [&](const auto& r) { return r.flag == c.flag; };
    if (std::any_of(have.begin(), have.end(), judged) || std::any_of(out.begin(), out.end(), judged)) continue;
    auto check = codecheck::MakeFlagCheck(c.flag);
    if (!check || !(*check)->AppliesTo(arch)) continue;
    out.push_back({c.flag, false, ""});
  }
  return out;
}

std::vector<results::CodeCheckRecord> CheckBuildCode(const std::vector<FlagToCheck>& flags,
                                                     const kernel::Artifact& artifact) {
  std::vector<results::CodeCheckRecord> out;
  auto objects = kernel::RustObjectCopies(artifact);
  if (flags.empty() || objects.empty()) return out;
  codecheck::CodeCheckRequest request;
  request.inputs = std::move(objects);
  for (const auto& f : flags) request.flags.push_back(f.flag);
  auto report = codecheck::CheckCode(request);
  for (size_t i = 0; i < flags.size(); ++i) {
    results::CodeCheckRecord r;
    r.flag = flags[i].flag;
    r.claimed = flags[i].claimed;
    r.expected = flags[i].expected;
    if (!report) {
      r.verdict = std::string(codecheck::VerdictName(codecheck::Verdict::kNotApplicable));
      r.notes.push_back(fmt::format("the code check could not run: {}", report.error().message));
      out.push_back(std::move(r));
      continue;
    }
    const codecheck::FlagResult& f = report->results[i];
    r.verdict = std::string(codecheck::VerdictName(f.verdict));
    r.objects = static_cast<int64_t>(f.objects);
    r.functions = static_cast<int64_t>(f.functions);
    r.checked = static_cast<int64_t>(f.checked);
    r.with_signature = static_cast<int64_t>(f.with_signature);
    r.exempt = static_cast<int64_t>(f.exempt);
    r.offenders_total = static_cast<int64_t>(f.offenders_total);
    for (const auto& o : f.offenders) r.offenders.push_back(fmt::format("{} ({})", o.function, o.reason));
    r.notes = f.notes;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace rfl::pipeline
