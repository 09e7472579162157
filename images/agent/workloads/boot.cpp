// boot: when the kernel handed over to init, and when the agent started.
// Both init_to_agent ends are printk timestamps: "Run /init as init process"
// and the mark the agent writes to /dev/kmsg as it starts. CLOCK_BOOTTIME
// (agent_start) is another clock: under x86 icount it ran ~2 ms behind the
// printk clock, which made init_to_agent negative.
#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {

Outcome RunBoot(const BootParams&, const AgentContext& ctx, Reporter& r) {
  std::optional<double> run_init, agent_mark;
  for (const auto& rec : ReadKmsg()) {
    // init/main.c: "Run %s as init process"
    if (!run_init && rec.message.starts_with("Run ") && rec.message.find(" as init process") != std::string::npos) {
      run_init = rec.timestamp_s;
    }
    if (!agent_mark && rec.message.find(kKmsgStartMark) != std::string::npos) agent_mark = rec.timestamp_s;
  }
  r.AddSample("agent_start", Unit::kSeconds, ctx.agent_start_s);
  if (!run_init) {
    return Outcome::Failed("no \"Run /init as init process\" line in /dev/kmsg");
  }
  r.AddSample("run_init", Unit::kSeconds, *run_init);
  if (agent_mark) r.AddSample("init_to_agent", Unit::kSeconds, *agent_mark - *run_init);
  return Outcome::Passed();
}

}  // namespace rfl::agent
