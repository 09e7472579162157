#include "images/agent/plan.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "images/agent/workload_schema.h"

namespace rfl::agent {
namespace {

using nlohmann::json;
using Err = std::unexpected<std::string>;

// Checks that `obj` has only `allowed` keys.
std::expected<void, std::string> OnlyKeys(const json& obj, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : obj.items()) {
    bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
    if (!known) return Err("unknown key '" + key + "'");
  }
  return {};
}

std::string Describe(const ParamProblem& p) {
  if (p.param.empty()) return p.message;
  std::string where = "'" + p.param + "'";
  if (p.index) where += "[" + std::to_string(*p.index) + "]";
  return p.message.starts_with("unknown key") ? p.message : where + " " + p.message;
}

// The typed params from params the schema has normalized (every key present,
// every value checked), so nothing here decides a range or a default.
WorkloadParams Typed(std::string_view name, const json& p) {
  if (name == "rust-samples") return RustSamplesParams{p["expect"].get<std::vector<std::string>>()};
  if (name == "binder") {
    return BinderParams{p["payloads"].get<std::vector<uint64_t>>(), p["iterations"].get<int>(),
                        p["warmup"].get<int>(), p["sched"].get<std::string>(),
                        p["profile_period_ns"].get<uint64_t>()};
  }
  if (name == "block") {
    return BlockParams{p["devices"].get<std::vector<std::string>>(), p["pattern"].get<std::string>(),
                       p["block_size"].get<uint32_t>(),           p["ios"].get<int>(),
                       p["size_mib"].get<uint64_t>(),             p["sched"].get<std::string>(),
                       p["schedulers"].get<std::vector<std::string>>(), p["profile_period_ns"].get<uint64_t>()};
  }
  if (name == "kunit") return KunitParams{p["suites"].get<std::vector<std::string>>()};
  if (name == "command") return CommandParams{p["argv"].get<std::vector<std::string>>(), p["expect_exit"].get<int>()};
  return BootParams{};
}

std::expected<WorkloadParams, std::string> ParseParams(std::string_view name, const json& p) {
  const WorkloadSpec* spec = FindWorkload(name);
  if (!spec) return Err("unknown workload '" + std::string(name) + "'");
  auto normalized = NormalizeParams(*spec, p);
  if (!normalized) return Err(Describe(normalized.error()));
  return Typed(name, *normalized);
}

struct ParamsToJson {
  json operator()(const BootParams&) const { return json::object(); }
  json operator()(const RustSamplesParams& r) const { return {{"expect", r.expect}}; }
  json operator()(const BinderParams& b) const {
    return {{"payloads", b.payloads}, {"iterations", b.iterations}, {"warmup", b.warmup}, {"sched", b.sched},
            {"profile_period_ns", b.profile_period_ns}};
  }
  json operator()(const BlockParams& b) const {
    return {{"devices", b.devices}, {"pattern", b.pattern}, {"block_size", b.block_size},
            {"ios", b.ios}, {"size_mib", b.size_mib}, {"sched", b.sched}, {"schedulers", b.schedulers},
            {"profile_period_ns", b.profile_period_ns}};
  }
  json operator()(const KunitParams& k) const { return {{"suites", k.suites}}; }
  json operator()(const CommandParams& c) const {
    return {{"argv", c.argv}, {"expect_exit", c.expect_exit}};
  }
};

}  // namespace

const std::vector<std::string>& DefaultRustSampleLines() {
  static const std::vector<std::string> kLines =
      FindWorkload("rust-samples")->Param("expect")->default_value.get<std::vector<std::string>>();
  return kLines;
}

const std::vector<std::string>& KnownWorkloads() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v;
    for (const auto& w : WorkloadSchema()) v.push_back(w.name);
    return v;
  }();
  return kNames;
}

std::expected<WorkloadParams, std::string> ParseWorkloadParams(std::string_view name,
                                                               std::string_view params_json) {
  json p = json::parse(params_json, nullptr, false);
  if (p.is_discarded()) return Err("params are not valid JSON");
  return ParseParams(name, p);
}

std::expected<Plan, std::string> ParsePlan(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Err("plan is not valid JSON");
  if (!j.is_object()) return Err("plan must be a JSON object");
  if (auto ok = OnlyKeys(j, {"version", "boot_id", "workloads"}); !ok) return Err("plan: " + ok.error());
  Plan plan;
  auto v = j.find("version");
  if (v == j.end() || !v->is_number_integer()) return Err("plan: missing 'version'");
  if (*v != kPlanVersion) {
    return Err("plan version " + v->dump() + " is not supported (agent speaks " +
               std::to_string(kPlanVersion) + ")");
  }
  if (auto b = j.find("boot_id"); b != j.end()) {
    if (!b->is_string()) return Err("plan: 'boot_id' must be a string");
    plan.boot_id = b->get<std::string>();
  }
  auto w = j.find("workloads");
  if (w == j.end() || !w->is_array()) return Err("plan: 'workloads' must be a list");
  for (size_t i = 0; i < w->size(); ++i) {
    const json& item = (*w)[i];
    std::string where = "plan: workloads[" + std::to_string(i) + "]";
    if (!item.is_object()) return Err(where + " must be an object");
    if (auto ok = OnlyKeys(item, {"name", "timeout_s", "params"}); !ok) return Err(where + ": " + ok.error());
    auto n = item.find("name");
    if (n == item.end() || !n->is_string()) return Err(where + ": missing 'name'");
    PlanWorkload pw;
    pw.name = n->get<std::string>();
    where += " (" + pw.name + ")";
    const WorkloadSpec* spec = FindWorkload(pw.name);
    pw.timeout_s = spec ? spec->default_timeout_s : 60;
    if (auto t = item.find("timeout_s"); t != item.end()) {
      if (!t->is_number_integer() || *t < kMinWorkloadTimeoutS || *t > kMaxWorkloadTimeoutS) {
        return Err(where + ": 'timeout_s' must be between " + std::to_string(kMinWorkloadTimeoutS) + " and " +
                   std::to_string(kMaxWorkloadTimeoutS));
      }
      pw.timeout_s = t->get<int>();
    }
    auto params_it = item.find("params");
    auto params = ParseParams(pw.name, params_it == item.end() ? json::object() : *params_it);
    if (!params) return Err(where + ": " + params.error());
    pw.params = std::move(*params);
    plan.workloads.push_back(std::move(pw));
  }
  return plan;
}

std::string SerializePlan(const Plan& plan) {
  json j;
  j["version"] = plan.version;
  j["boot_id"] = plan.boot_id;
  j["workloads"] = json::array();
  for (const auto& w : plan.workloads) {
    j["workloads"].push_back(
        {{"name", w.name}, {"timeout_s", w.timeout_s}, {"params", std::visit(ParamsToJson{}, w.params)}});
  }
  return j.dump(2) + "\n";
}

}  // namespace rfl::agent
