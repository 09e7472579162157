// The agent's plan: parsed by the guest, written by the host (lab/image).
#include <gtest/gtest.h>

#include "images/agent/plan.h"
#include "lab/pipeline/boot_job.h"

namespace rfl::agent {
namespace {

TEST(AgentPlan, FullPlanParsesWithDefaultsFilledIn) {
  auto plan = ParsePlan(R"({"version":1,"boot_id":"b-1","workloads":[
    {"name":"boot","timeout_s":10,"params":{}},
    {"name":"rust-samples"},
    {"name":"binder","timeout_s":120,"params":{"payloads":[0,4096],"iterations":500}},
    {"name":"block","params":{"devices":["rnull"],"pattern":"read","block_size":512,"ios":100,"sched":"fifo"}},
    {"name":"kunit","params":{"suites":["rust_*"]}},
    {"name":"command","timeout_s":1,"params":{"argv":["/init","--stall","60"]}}]})");
  ASSERT_TRUE(plan.has_value()) << plan.error();
  EXPECT_EQ(plan->boot_id, "b-1");
  ASSERT_EQ(plan->workloads.size(), 6u);
  EXPECT_EQ(plan->workloads[1].timeout_s, 30) << "the schema's default timeout of rust-samples";
  EXPECT_EQ(std::get<RustSamplesParams>(plan->workloads[1].params).expect, DefaultRustSampleLines());
  const auto& b = std::get<BinderParams>(plan->workloads[2].params);
  EXPECT_EQ(b.payloads, (std::vector<uint64_t>{0, 4096}));
  EXPECT_EQ(b.iterations, 500);
  EXPECT_EQ(b.warmup, 100);
  EXPECT_EQ(b.sched, "fifo") << "the schema's default: SCHED_OTHER is bimodal per boot";
  const auto& blk = std::get<BlockParams>(plan->workloads[3].params);
  EXPECT_EQ(blk.devices, std::vector<std::string>{"rnull"});
  EXPECT_EQ(blk.pattern, "read");
  EXPECT_EQ(blk.block_size, 512u);
  EXPECT_EQ(blk.sched, "fifo");
  EXPECT_EQ(blk.schedulers, std::vector<std::string>{"none"}) << "the equal setup, no I/O scheduler";
  EXPECT_EQ(std::get<KunitParams>(plan->workloads[4].params).suites, std::vector<std::string>{"rust_*"});
  EXPECT_EQ(std::get<CommandParams>(plan->workloads[5].params).argv.size(), 3u);
}

TEST(AgentPlan, SerializeThenParseIsIdentity) {
  auto plan = ParsePlan(R"({"version":1,"boot_id":"x","workloads":[
    {"name":"binder","params":{"payloads":[65535,65536,65537]}},{"name":"block"}]})");
  ASSERT_TRUE(plan.has_value());
  auto again = ParsePlan(SerializePlan(*plan));
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(SerializePlan(*again), SerializePlan(*plan));
  EXPECT_EQ(std::get<BinderParams>(again->workloads[0].params).payloads,
            (std::vector<uint64_t>{65535, 65536, 65537}));
}

TEST(AgentPlan, ErrorsNameTheWorkloadAndField) {
  struct Case {
    const char* json;
    const char* error;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"({"version":2,"workloads":[]})", "plan version 2 is not supported (agent speaks 1)"},
           {R"({"version":1})", "plan: 'workloads' must be a list"},
           {R"({"version":1,"workloads":[{"name":"bindr"}]})", "plan: workloads[0] (bindr): unknown workload 'bindr'"},
           {R"({"version":1,"workloads":[{"name":"binder","params":{"iteration":5}}]})",
            "plan: workloads[0] (binder): unknown key 'iteration'"},
           {R"({"version":1,"workloads":[{"name":"block","params":{"pattern":"write"}}]})",
            "plan: workloads[0] (block): 'pattern' unknown pattern 'write'"},
           {R"({"version":1,"workloads":[{"name":"binder","params":{"sched":"rr"}}]})",
            "plan: workloads[0] (binder): 'sched' unknown sched 'rr'"},
           {R"({"version":1,"workloads":[{"name":"block","params":{"block_size":3000}}]})",
            "plan: workloads[0] (block): 'block_size' 3000 is not a power of two"},
           {R"({"version":1,"workloads":[{"name":"block","params":{"block_size":131072}}]})",
            "plan: workloads[0] (block): 'block_size' 131072 is out of range (512 to 65536)"},
           {R"({"version":1,"workloads":[{"name":"command","params":{}}]})",
            "plan: workloads[0] (command): 'argv' is required"},
           {R"({"version":1,"workloads":[{"name":"boot","timeout_s":0}]})",
            "plan: workloads[0] (boot): 'timeout_s' must be between 1 and 21600"},
           {"not json", "plan is not valid JSON"},
       }) {
    auto plan = ParsePlan(c.json);
    ASSERT_FALSE(plan.has_value()) << c.json;
    EXPECT_EQ(plan.error(), c.error) << c.json;
  }
}

TEST(AgentPlan, HostBuildsPlanFromScenarioWorkloads) {
  std::vector<scenario::Workload> w{
      {"binder", {{"payloads", {0, 4096}}, {"iterations", 10}}, std::chrono::seconds(90)},
      {"command", {{"argv", {"/init", "--version"}}}, std::chrono::seconds(5)},
  };
  auto plan = pipeline::AgentPlanFor(w, "boot-42");
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_EQ(plan->boot_id, "boot-42");
  EXPECT_EQ(plan->workloads[0].timeout_s, 90);
  EXPECT_EQ(std::get<BinderParams>(plan->workloads[0].params).iterations, 10);
  auto bad = pipeline::AgentPlanFor({{"block", {{"devices", {"loop0"}}}, std::chrono::seconds(5)}}, "b");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, Error::Kind::kInput);
  EXPECT_EQ(bad.error().message, "workload 'block': 'devices'[0] unknown devices 'loop0'");
}

}  // namespace
}  // namespace rfl::agent
