// One workload schema: every parameter of every workload, walked through
// both sides — the scenario validator (host) and the agent's plan parser
// (guest) — must accept and refuse the same values.
#include <gtest/gtest.h>

#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "images/agent/plan.h"
#include "images/agent/workload_schema.h"
#include "images/agent/protocol.h"
#include "lab/results/comparison.h"
#include "lab/scenario/load.h"

namespace rfl::agent {
namespace {
using nlohmann::json;

// Values the schema says are good and bad for one parameter.
std::pair<std::vector<json>, std::vector<json>> Probes(const ParamSpec& p) {
  std::vector<json> good, bad;
  if (!p.default_value.is_null()) good.push_back(p.default_value);
  switch (p.kind) {
    case ParamKind::kInt:
    case ParamKind::kIntList: {
      auto wrap = [&](int64_t v) { return p.kind == ParamKind::kInt ? json(v) : json::array({v}); };
      good.push_back(wrap(p.min));
      good.push_back(wrap(p.max));
      if (p.min > std::numeric_limits<int64_t>::min()) bad.push_back(wrap(p.min - 1));
      bad.push_back(wrap(p.max + 1));
      if (p.power_of_two) bad.push_back(wrap(p.min * 3));
      if (p.kind == ParamKind::kIntList) bad.push_back(json::array());
      bad.push_back(p.kind == ParamKind::kInt ? json("many") : json::array({"many"}));
      break;
    }
    case ParamKind::kEnum:
      for (const auto& c : p.choices) good.push_back(c);
      bad.push_back("nope");
      break;
    case ParamKind::kEnumList:
      for (const auto& c : p.choices) good.push_back(json::array({c}));
      bad.push_back(json::array({"nope"}));
      bad.push_back(json::array());
      bad.push_back(json::array({p.choices[0], p.choices[0]}));
      break;
    case ParamKind::kStringList:
      good.push_back(json::array({"a line", "another"}));
      good.push_back(json::array());
      break;
    case ParamKind::kArgv:
      good.push_back(json::array({"/bin/true", "--flag"}));
      bad.push_back(json::array({"true"}));
      bad.push_back(json::array());
      break;
  }
  return {good, bad};
}

// The other parameters a workload needs besides `p` (command's argv).
json Required(const WorkloadSpec& w, const std::string& except) {
  json out = json::object();
  for (const auto& q : w.params) {
    if (q.required && q.name != except) out[q.name] = json::array({"/bin/true"});
  }
  return out;
}

bool AgentAccepts(const std::string& workload, const json& params) {
  json plan = {{"version", kPlanVersion}, {"workloads", json::array({{{"name", workload}, {"params", params}}})}};
  return ParsePlan(plan.dump()).has_value();
}

std::pair<bool, std::string> ValidatorAccepts(const std::string& workload, const json& params) {
  std::string yaml = fmt::format(
      "name: walk\nkernel: {{source: debian:linux-source-7.3}}\ntoolchains: [host]\narches: [x86_64]\n"
      "variants: {{baseline: {{}}}}\nworkloads:\n  - {}: {}\n",
      workload, params.dump());
  auto loaded = scenario::ParseScenario("walk.yaml", yaml, RFL_LAB_SOURCE_DIR,
                                        scenario::Catalog::FromDataDir(RFL_LAB_SOURCE_DIR));
  return {loaded.scenario.has_value(), loaded.diagnostics.Render()};
}

TEST(WorkloadSchema, EveryParameterIsJudgedTheSameByTheValidatorAndTheAgent) {
  int probes = 0;
  for (const auto& w : WorkloadSchema()) {
    for (const auto& p : w.params) {
      auto [good, bad] = Probes(p);
      for (const auto& [values, want] : {std::pair{good, true}, std::pair{bad, false}}) {
        for (const auto& v : values) {
          json params = Required(w, p.name);
          params[p.name] = v;
          auto [host, diagnostics] = ValidatorAccepts(w.name, params);
          EXPECT_EQ(host, want) << w.name << "." << p.name << " = " << v.dump() << "\n" << diagnostics;
          EXPECT_EQ(AgentAccepts(w.name, params), want) << w.name << "." << p.name << " = " << v.dump();
          ++probes;
        }
      }
    }
  }
  EXPECT_GT(probes, 50);
}

TEST(WorkloadSchema, DefaultsAreTheSameForABareNameOnEverySide) {
  for (const auto& w : WorkloadSchema()) {
    if (w.Param("argv")) continue;  // command has no default program
    auto host = scenario::DefaultWorkload(w.name);
    ASSERT_TRUE(host.has_value()) << w.name;
    auto plan = ParsePlan(json({{"version", kPlanVersion}, {"workloads", json::array({{{"name", w.name}}})}}).dump());
    ASSERT_TRUE(plan.has_value()) << w.name;
    auto agent_side = json::parse(SerializePlan(*plan))["workloads"][0]["params"];
    EXPECT_EQ(host->params, agent_side) << w.name;
    EXPECT_EQ(host->timeout.count(), w.default_timeout_s) << w.name;
  }
}

TEST(WorkloadSchema, KconfigNeedsFollowTheParameters) {
  const WorkloadSpec* block = FindWorkload("block");
  ASSERT_NE(block, nullptr);
  auto only = [](std::set<std::string> on) {
    return [on](std::string_view s) { return on.count(std::string(s)) > 0; };
  };
  json rnull_only = *NormalizeParams(*block, {{"devices", {"rnull"}}});
  EXPECT_TRUE(UnmetKconfig(*block, rnull_only, only({"CONFIGFS_FS", "BLK_DEV_RUST_NULL"})).empty());
  auto unmet = UnmetKconfig(*block, *NormalizeParams(*block, json::object()), only({"CONFIGFS_FS", "BLK_DEV_RUST_NULL"}));
  ASSERT_EQ(unmet.size(), 1u);
  EXPECT_EQ(unmet[0].Describe(), "CONFIG_BLK_DEV_NULL_BLK (devices: null_blk)");
  const WorkloadSpec* samples = FindWorkload("rust-samples");
  EXPECT_EQ(UnmetKconfig(*samples, *NormalizeParams(*samples, json::object()), only({})).size(), 2u);
  EXPECT_TRUE(UnmetKconfig(*samples, *NormalizeParams(*samples, {{"expect", {"my line"}}}), only({})).empty())
      << "own expected lines need no sample";
  const WorkloadSpec* binder = FindWorkload("binder");
  EXPECT_TRUE(UnmetKconfig(*binder, json::object(), only({"ANDROID_BINDERFS"})).empty());
  auto binder_unmet = UnmetKconfig(*binder, json::object(), only({}));
  ASSERT_EQ(binder_unmet.size(), 1u);
  EXPECT_EQ(binder_unmet[0].Describe(), "CONFIG_ANDROID_BINDER_IPC_RUST or CONFIG_ANDROID_BINDERFS");
}

}  // namespace
}  // namespace rfl::agent

namespace rfl::results {
namespace {

// Every unit the agent can put on a sample has a direction on the host; a
// new unit without one fails here (and binder's transactions, in
// ops_per_second, get a verdict instead of "direction unknown").
TEST(UnitDirections, EveryUnitTheAgentEmitsHasADirection) {
  for (agent::Unit u : agent::AllUnits()) {
    EXPECT_TRUE(AgentUnitDirection(agent::UnitName(u)).has_value()) << agent::UnitName(u);
  }
  EXPECT_EQ(MetricDirection("transactions", "ops_per_second"), Direction::kHigherIsBetter);
  EXPECT_EQ(MetricDirection("iops", "ops_per_second"), Direction::kHigherIsBetter);
  EXPECT_EQ(MetricDirection("round_trip_p50", "seconds"), Direction::kLowerIsBetter);
  EXPECT_EQ(MetricDirection("test_cases", "count"), Direction::kUnknown);
}

}  // namespace
}  // namespace rfl::results
