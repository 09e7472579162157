#include "lab/scenario/plan_json.h"

namespace rfl::scenario {
using nlohmann::json;

json BuildSpecToJson(const BuildSpec& b) {
  json fragments = json::array();
  for (const auto& f : b.fragments) fragments.push_back(f.string());
  return json{{"key", b.key},
              {"tree_key", b.tree_key},
              {"source", b.source.spec},
              {"kernel", b.source.Label()},
              {"toolchain", b.toolchain},
              {"arch", ArchName(b.arch)},
              {"config", b.config},
              {"fragments", fragments},
              {"kconfig", b.kconfig},
              {"rustflags", b.rustflags},
              {"variants", b.variants},
              {"expect", ExpectName(b.expect)}};
}

json PlanToJson(const Plan& plan) {
  const Scenario& s = *plan.scenario;
  json builds = json::array();
  for (const auto& b : plan.builds) builds.push_back(BuildSpecToJson(b));
  json boots = json::array();
  for (const auto& b : plan.boots) {
    boots.push_back({{"index", b.index},
                     {"build", b.build_key},
                     {"variant", b.variant},
                     {"kernel", b.source.Label()},
                     {"toolchain", b.toolchain},
                     {"arch", ArchName(b.arch)},
                     {"repetition", b.repetition}});
  }
  json abi_checks = json::array();
  for (const auto& a : plan.abi_checks) {
    abi_checks.push_back({{"toolchain", a.toolchain}, {"arch", ArchName(a.arch)}, {"flag", a.flag}});
  }
  json workloads = json::array();
  for (const auto& w : s.workloads) {
    workloads.push_back({{"name", w.name}, {"timeout_s", w.timeout.count()}, {"params", w.params}});
  }
  return json{{"scenario", s.name},
              {"baseline", s.baseline},
              {"boot",
               {{"accel", AccelName(s.boot.accel)},
                {"timing", TimingName(s.boot.timing)},
                {"memory_bytes", s.boot.memory_bytes},
                {"cpus", s.boot.cpus},
                {"timeout_s", s.boot.timeout.count()}}},
              {"repeat", {{"min", s.repeat.min}, {"max", s.repeat.max}}},
              {"thresholds", {{"noise", s.thresholds.noise}, {"alpha", s.thresholds.alpha}}},
              {"workloads", workloads},
              {"builds", builds},
              {"boots", boots},
              {"abi_checks", abi_checks}};
}

}  // namespace rfl::scenario
