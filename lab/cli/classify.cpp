// rfl-lab classify CONSOLE_LOG: the outcome class of a saved console log (from
// this lab or any other) and the excerpt that proves it. Exit 0 when the log
// shows a passing boot, 1 when it shows a failure, 2 when it cannot be read.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lab/cli/commands.h"
#include "lab/util/paths.h"
#include "lab/vm/classifier.h"

namespace rfl::cli {

namespace {

nlohmann::json ToJson(const vm::Classification& c, const std::string& file) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : c.findings) {
    nlohmann::json j = {{"class", BootOutcomeName(f.outcome)}, {"line", f.line}, {"title", f.title}};
    if (f.excused) j["excused_by"] = f.excused_by;
    findings.push_back(std::move(j));
  }
  return {{"file", file},
          {"class", BootOutcomeName(c.outcome)},
          {"reason", c.reason},
          {"line", c.line},
          {"excerpt", c.excerpt},
          {"findings", std::move(findings)},
          {"notes", c.notes}};
}

}  // namespace

void RegisterClassifyCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("classify", "Print the outcome class of a saved kernel console log and its evidence");
  struct Options {
    std::string file;
    bool json = false;
    std::vector<std::string> allowed;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("console_log", opt->file, "A kernel console log (serial output, dmesg, a CI log)")->required();
  cmd->add_flag("--json", opt->json, "Print JSON (class, reason, line, excerpt, every finding)");
  cmd->add_option("--allow-warning", opt->allowed, "Regex excusing matching WARNING reports (repeatable)");
  cmd->callback([&ctx, opt] {
    auto text = ReadFile(opt->file);
    if (!text) return ctx.Fail(ExitCode::kBadInput, text.error().message);
    vm::ClassifyInput in;
    in.console = *text;
    in.allowed_warnings = opt->allowed;
    vm::Classification c = vm::Classify(in);
    if (opt->json) {
      std::cout << ToJson(c, opt->file).dump(2) << "\n";
    } else {
      std::cout << fmt::format("{}: {}\n", BootOutcomeName(c.outcome), c.reason);
      for (const auto& note : c.notes) std::cout << fmt::format("note: {}\n", note);
      if (!c.excerpt.empty()) {
        std::cout << fmt::format("--- {} (around line {}) ---\n{}", opt->file, c.line, c.excerpt);
      }
      size_t others = 0;
      for (const auto& f : c.findings) {
        if (f.line != c.line) ++others;
      }
      if (others > 0) std::cout << fmt::format("({} other report line(s); --json lists them)\n", others);
    }
    ctx.Raise(ExitCodeForFindings(c.outcome != BootOutcome::kPassed));
  });
}

}  // namespace rfl::cli
