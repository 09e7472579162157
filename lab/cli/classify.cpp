// rfl-lab classify CONSOLE_LOG: the outcome class of a saved console log (from
// this lab or any other), its title and the excerpt that proves it. Streams
// the file, so a log of any size is read in bounded memory.
#include "lab/cli/classify.h"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lab/cli/commands.h"
#include "lab/vm/classifier.h"

namespace rfl::cli {

namespace {

// The answer for input that holds no kernel console: not a class of the lab
// (BootOutcome), only of this command, and an input error (exit 2).
constexpr std::string_view kNoConsole = "no-console";

nlohmann::json ToJson(const vm::Classification& c, const std::string& file, std::string_view cls) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : c.findings) {
    nlohmann::json j = {{"class", BootOutcomeName(f.outcome)},
                        {"line", f.line},
                        {"title", f.title},
                        {"text", f.text},
                        {"source", f.source}};
    if (f.consequence) j["consequence"] = true;
    if (f.after_panic) j["after_panic"] = true;
    if (f.excused) j["excused_by"] = f.excused_by;
    findings.push_back(std::move(j));
  }
  return {{"file", file},         {"class", cls},        {"title", c.title},
          {"reason", c.reason},   {"line", c.line},      {"excerpt", c.excerpt},
          {"findings", std::move(findings)}, {"notes", c.notes}, {"console_lines", c.console_lines}};
}

}  // namespace

ExitCode RunClassify(const ClassifyOptions& o, std::ostream& out, std::ostream& err) {
  for (const auto& pattern : o.allowed) {
    if (auto ok = vm::CheckAllowedWarning(pattern); !ok) {
      err << MessagePrefix("classify") << "error: " << ok.error().message << "\n";
      return ExitCode::kBadInput;
    }
  }
  vm::ClassifyInput signals;
  signals.allowed_warnings = o.allowed;
  auto result = vm::ClassifyFile(o.file, signals);
  if (!result) {
    err << MessagePrefix("classify") << "error: " << result.error().message << "\n";
    return result.error().kind == Error::Kind::kCancelled ? ExitCode::kInterrupted : ExitCode::kBadInput;
  }
  vm::Classification c = std::move(*result);
  std::string cls(BootOutcomeName(c.outcome));
  ExitCode code = ExitCodeForFindings(c.outcome != BootOutcome::kPassed);
  if (c.kernel_lines == 0) {
    cls = kNoConsole;
    c.reason = c.console_lines == 0 ? "the file is empty: there is no console to judge"
                                    : fmt::format("no kernel output in {} line(s): no printk timestamp or level, "
                                                  "no boot banner, no kernel report",
                                                  c.console_lines);
    c.excerpt.clear();
    c.line = 0;
    code = ExitCode::kBadInput;
  }
  if (o.json) {
    // Consoles carry invalid UTF-8 (line noise, binary output): replaced by U+FFFD.
    out << ToJson(c, o.file, cls).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return code;
  }
  out << fmt::format("{}: {}\n", cls, c.reason);
  if (!c.title.empty()) out << fmt::format("title: {}\n", c.title);
  for (const auto& note : c.notes) out << fmt::format("note: {}\n", note);
  if (!c.excerpt.empty()) out << fmt::format("--- {} (around line {}) ---\n{}", o.file, c.line, c.excerpt);
  size_t others = 0;
  for (const auto& f : c.findings) {
    if (f.line != c.line) ++others;
  }
  if (others > 0) out << fmt::format("({} other report line(s); --json lists them)\n", others);
  return code;
}

void RegisterClassifyCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("classify", "Print the outcome class of a saved kernel console log and its evidence");
  auto opt = std::make_shared<ClassifyOptions>();
  cmd->add_option("console_log", opt->file, "A kernel console log (serial output, dmesg, a CI log)")->required();
  cmd->add_flag("--json", opt->json, "Print JSON (class, title, reason, line, excerpt, every finding)");
  cmd->add_option("--allow-warning", opt->allowed, "RE2 pattern excusing matching WARNING reports (repeatable)");
  cmd->callback([&ctx, opt] { ctx.Raise(RunClassify(*opt, std::cout, std::cerr)); });
}

}  // namespace rfl::cli
