// rfl-lab codecheck [--arch A] --flag FLAG... OBJECT_OR_DIR...: does each
// rustc flag leave its signature in the code of these objects? A table per
// flag (or --json); exit 0 when every flag is effective, 1 when one is
// absent or partial, 2 for bad input. The checks are lab/codecheck/.
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "lab/cli/commands.h"
#include "lab/codecheck/codecheck.h"

namespace rfl::cli {

void RegisterCodecheckCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("codecheck", "Check that each Rust flag's code signature is in the given objects");
  struct Options {
    std::vector<std::string> flags;
    std::vector<std::string> inputs;
    std::string arch;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("--flag", opt->flags, "A rustc flag to check, e.g. -Zcf-protection=branch (repeatable)")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("inputs", opt->inputs,
                  "Object files or vmlinux (judged whoever compiled them) and directories (their rustc-made *.o)")
      ->required();
  cmd->add_option("--arch", opt->arch, "Every object must be of this arch (x86_64, arm64, riscv64)");
  cmd->add_flag("--json", opt->json, "Print JSON instead of tables");
  cmd->callback([&ctx, opt] {
    codecheck::CodeCheckRequest req;
    req.flags = opt->flags;
    for (const auto& in : opt->inputs) req.inputs.emplace_back(in);
    if (!opt->arch.empty()) {
      req.arch = ParseArch(opt->arch);
      if (!req.arch) {
        return ctx.Fail(ExitCode::kBadInput,
                        fmt::format("unknown arch '{}' (one of {})", opt->arch, fmt::join(KnownArchNames(), ", ")));
      }
    }
    auto report = codecheck::CheckCode(req);
    if (!report) return ctx.Fail(report.error());
    bool findings = false;
    for (const auto& r : report->results) {
      findings |= r.verdict == codecheck::Verdict::kAbsent || r.verdict == codecheck::Verdict::kPartial;
    }
    ctx.Raise(ExitCodeForFindings(findings));
    if (opt->json) {
      std::cout << codecheck::ToJson(*report).dump(2) << "\n";
      return;
    }
    std::cout << fmt::format("{} object(s), {} function(s), {} instruction(s) decoded", report->objects.size(),
                             report->functions, report->instructions);
    if (report->skipped_objects > 0) std::cout << fmt::format("; {} non-Rust object(s) skipped", report->skipped_objects);
    std::cout << "\n";
    for (const auto& r : report->results) {
      std::cout << fmt::format("\n{}  {}{}\n", r.flag, codecheck::VerdictName(r.verdict),
                               r.arch.empty() ? "" : fmt::format(" ({})", r.arch));
      std::cout << fmt::format("  {:<12} {:>9} {:>9} {:>9} {:>9}\n", "objects", "functions", "checked", "signature",
                               "exempt");
      std::cout << fmt::format("  {:<12} {:>9} {:>9} {:>9} {:>9}\n", r.objects, r.functions, r.checked,
                               r.with_signature, r.exempt);
      if (r.offenders_total > 0) {
        std::cout << fmt::format("  offenders ({} of {}):\n", r.offenders.size(), r.offenders_total);
        for (const auto& o : r.offenders) {
          std::cout << fmt::format("    {}  [{}]  {}\n", o.function, o.object, o.reason);
        }
      }
      for (const auto& note : r.notes) std::cout << fmt::format("  note: {}\n", note);
    }
  });
}

}  // namespace rfl::cli
