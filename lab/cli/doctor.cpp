// rfl-lab doctor [--connect URI] [--reprobe]: can this machine run the lab,
// and with what? The checks live in lab/doctor/checks.h; this prints them.
// Exit 3 when the lab cannot work here, 0 otherwise (warnings included).
#include <iostream>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/doctor/checks.h"

namespace rfl::cli {

void RegisterDoctorCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("doctor", "Check that this machine can run the lab and say what it will use");
  struct Options {
    std::optional<std::string> connect;
    bool reprobe = false;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("--connect", opt->connect, "libvirt URI (default: the embedded driver under the state dir)");
  cmd->add_flag("--reprobe", opt->reprobe, "Probe KVM again instead of using a recent cached verdict");
  cmd->callback([&ctx, opt] {
    doctor::CheckOptions options;
    options.dirs = ctx.Dirs();
    options.uri = opt->connect.value_or(vm::DefaultConnectUri(options.dirs.state));
    options.reprobe = opt->reprobe;
    std::cout << "rfl-lab doctor\n" << std::flush;
    auto opened = vm::OpenLibvirt(options.uri);
    Result<vm::Hypervisor*> hv = opened ? Result<vm::Hypervisor*>(opened->get())
                                        : Result<vm::Hypervisor*>(std::unexpected(opened.error()));
    auto checks = doctor::RunChecks(doctor::RealHost(), hv, options);
    for (const auto& c : checks) std::cout << fmt::format("  {}  {:<18} {}\n", doctor::LevelTag(c.level), c.what, c.detail);
    if (doctor::AnyFailed(checks)) {
      std::cout << "verdict: the lab cannot work here (see FAIL lines)\n";
      ctx.Raise(ExitCode::kLabFailure);
    } else {
      std::cout << "verdict: the lab can work here\n";
    }
  });
}

}  // namespace rfl::cli
