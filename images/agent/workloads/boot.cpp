// boot: when the kernel handed over to init, and when the agent started.
#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {

Outcome RunBoot(const BootParams&, const AgentContext& ctx, Reporter& r) {
  std::optional<double> run_init;
  for (const auto& rec : ReadKmsg()) {
    // init/main.c: "Run %s as init process"
    if (rec.message.starts_with("Run ") && rec.message.find(" as init process") != std::string::npos) {
      run_init = rec.timestamp_s;
      break;
    }
  }
  r.AddSample("agent_start", "seconds", ctx.agent_start_s);
  if (!run_init) {
    return Outcome::Failed("no \"Run /init as init process\" line in /dev/kmsg");
  }
  r.AddSample("run_init", "seconds", *run_init);
  r.AddSample("init_to_agent", "seconds", ctx.agent_start_s - *run_init);
  return Outcome::Passed();
}

}  // namespace rfl::agent
