#include "images/agent/plan.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

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

std::expected<std::vector<std::string>, std::string> StringList(const json& obj, const char* key,
                                                                std::vector<std::string> fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_array()) return Err(std::string("'") + key + "' must be a list of strings");
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return Err(std::string("'") + key + "' must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

template <typename T>
std::expected<T, std::string> Integer(const json& obj, const char* key, T fallback, T min, T max) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number_integer()) return Err(std::string("'") + key + "' must be an integer");
  auto v = it->get<int64_t>();
  if (v < static_cast<int64_t>(min) || v > static_cast<int64_t>(max)) {
    return Err(std::string("'") + key + "' must be between " + std::to_string(min) + " and " +
               std::to_string(max));
  }
  return static_cast<T>(v);
}

// An optional string key with two allowed values; `fallback` when absent.
std::expected<std::string, std::string> OneOf(const json& obj, const char* key, const std::string& fallback,
                                              const char* a, const char* b) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_string() || (*it != a && *it != b)) {
    return Err(std::string("'") + key + "' must be \"" + a + "\" or \"" + b + "\"");
  }
  return it->get<std::string>();
}

#define TRY_ASSIGN(dst, expr)                        \
  do {                                               \
    auto tmp_ = (expr);                              \
    if (!tmp_) return Err(std::move(tmp_.error()));  \
    dst = std::move(*tmp_);                          \
  } while (0)

std::expected<WorkloadParams, std::string> ParseParams(std::string_view name, const json& p) {
  if (!p.is_object()) return Err("params must be an object");
  if (name == "boot") {
    if (auto ok = OnlyKeys(p, {}); !ok) return Err(ok.error());
    return BootParams{};
  }
  if (name == "rust-samples") {
    if (auto ok = OnlyKeys(p, {"expect"}); !ok) return Err(ok.error());
    RustSamplesParams r;
    TRY_ASSIGN(r.expect, StringList(p, "expect", DefaultRustSampleLines()));
    return r;
  }
  if (name == "binder") {
    if (auto ok = OnlyKeys(p, {"payloads", "iterations", "warmup", "sched"}); !ok) return Err(ok.error());
    BinderParams b;
    if (auto it = p.find("payloads"); it != p.end()) {
      if (!it->is_array() || it->empty()) return Err("'payloads' must be a non-empty list of byte counts");
      b.payloads.clear();
      for (const auto& v : *it) {
        if (!v.is_number_unsigned() || v.get<uint64_t>() > (1u << 20)) {
          return Err("'payloads' entries must be integers from 0 to 1048576");
        }
        b.payloads.push_back(v.get<uint64_t>());
      }
    }
    TRY_ASSIGN(b.iterations, Integer<int>(p, "iterations", b.iterations, 1, 10'000'000));
    TRY_ASSIGN(b.warmup, Integer<int>(p, "warmup", b.warmup, 0, 10'000'000));
    TRY_ASSIGN(b.sched, OneOf(p, "sched", b.sched, "other", "fifo"));
    return b;
  }
  if (name == "block") {
    if (auto ok = OnlyKeys(p, {"devices", "pattern", "block_size", "ios", "size_mib", "sched"}); !ok) {
      return Err(ok.error());
    }
    BlockParams b;
    TRY_ASSIGN(b.devices, StringList(p, "devices", b.devices));
    for (const auto& d : b.devices) {
      if (d != "rnull" && d != "null_blk") return Err("unknown block device '" + d + "' (rnull, null_blk)");
    }
    TRY_ASSIGN(b.pattern, OneOf(p, "pattern", b.pattern, "randread", "read"));
    TRY_ASSIGN(b.block_size, Integer<uint32_t>(p, "block_size", b.block_size, 512, 65536));
    if ((b.block_size & (b.block_size - 1)) != 0) return Err("'block_size' must be a power of two");
    TRY_ASSIGN(b.ios, Integer<int>(p, "ios", b.ios, 1, 100'000'000));
    TRY_ASSIGN(b.size_mib, Integer<uint64_t>(p, "size_mib", b.size_mib, 1, 1 << 20));
    TRY_ASSIGN(b.sched, OneOf(p, "sched", b.sched, "other", "fifo"));
    return b;
  }
  if (name == "kunit") {
    if (auto ok = OnlyKeys(p, {"suites"}); !ok) return Err(ok.error());
    KunitParams k;
    TRY_ASSIGN(k.suites, StringList(p, "suites", {}));
    return k;
  }
  if (name == "command") {
    if (auto ok = OnlyKeys(p, {"argv", "expect_exit"}); !ok) return Err(ok.error());
    CommandParams c;
    TRY_ASSIGN(c.argv, StringList(p, "argv", {}));
    if (c.argv.empty() || c.argv[0].empty()) return Err("'argv' must name a program");
    TRY_ASSIGN(c.expect_exit, Integer<int>(p, "expect_exit", 0, 0, 255));
    return c;
  }
  return Err("unknown workload '" + std::string(name) + "'");
}

struct ParamsToJson {
  json operator()(const BootParams&) const { return json::object(); }
  json operator()(const RustSamplesParams& r) const { return {{"expect", r.expect}}; }
  json operator()(const BinderParams& b) const {
    return {{"payloads", b.payloads}, {"iterations", b.iterations}, {"warmup", b.warmup}, {"sched", b.sched}};
  }
  json operator()(const BlockParams& b) const {
    return {{"devices", b.devices}, {"pattern", b.pattern}, {"block_size", b.block_size},
            {"ios", b.ios}, {"size_mib", b.size_mib}, {"sched", b.sched}};
  }
  json operator()(const KunitParams& k) const { return {{"suites", k.suites}}; }
  json operator()(const CommandParams& c) const {
    return {{"argv", c.argv}, {"expect_exit", c.expect_exit}};
  }
};

}  // namespace

const std::vector<std::string>& DefaultRustSampleLines() {
  // samples/rust/rust_minimal.rs and rust_print_main.rs print these at init.
  static const std::vector<std::string> kLines = {
      "rust_minimal: Rust minimal sample (init)",
      "rust_print: Rust printing macros sample (init)",
  };
  return kLines;
}

const std::vector<std::string>& KnownWorkloads() {
  static const std::vector<std::string> kNames = {"boot",  "rust-samples", "binder", "block",
                                                  "kunit", "command"};
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
    auto timeout = Integer<int>(item, "timeout_s", 60, 1, 24 * 3600);
    if (!timeout) return Err(where + ": " + timeout.error());
    pw.timeout_s = *timeout;
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
