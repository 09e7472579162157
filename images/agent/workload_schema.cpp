#include "images/agent/workload_schema.h"

#include "images/agent/block_setup.h"

#include <algorithm>

namespace rfl::agent {
namespace {

using nlohmann::json;

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

bool IsPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

// profile_period_ns: 0 switches profiling off; a period shorter than 1 µs
// would spend the guest in its sampling interrupt.
ParamSpec ProfilePeriodParam() {
  return {"profile_period_ns", ParamKind::kInt, 1000, 100'000'000, {}, false, false, 0,
          "kernel profile of the measured loop: cpu-clock sampling period, ns (0: off, else 1000 or more)", true};
}

std::optional<ParamProblem> CheckInt(const ParamSpec& spec, const json& v, std::optional<size_t> index) {
  if (!v.is_number_integer()) return ParamProblem{spec.name, index, "must be an integer", {}};
  // Unsigned values beyond int64 are out of every range here.
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return ParamProblem{spec.name, index,
                        "must be between " + std::to_string(spec.min) + " and " + std::to_string(spec.max), {}};
  }
  int64_t x = v.get<int64_t>();
  if (spec.zero_is_off && x == 0) return std::nullopt;
  if (x < spec.min || x > spec.max) {
    return ParamProblem{spec.name, index,
                        std::to_string(x) + " is out of range (" + (spec.zero_is_off ? "0 for off, or " : "") +
                            std::to_string(spec.min) + " to " + std::to_string(spec.max) + ")",
                        {}};
  }
  if (spec.power_of_two && !IsPowerOfTwo(x)) {
    return ParamProblem{spec.name, index, std::to_string(x) + " is not a power of two", {}};
  }
  return std::nullopt;
}

std::optional<ParamProblem> CheckChoice(const ParamSpec& spec, const json& v, std::optional<size_t> index) {
  if (!v.is_string()) return ParamProblem{spec.name, index, "must be one of: " + Join(spec.choices, ", "), {}};
  const auto& s = v.get_ref<const std::string&>();
  if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
    return ParamProblem{spec.name, index, "unknown " + spec.name + " '" + s + "'", spec.choices};
  }
  return std::nullopt;
}

// One shared table. Ranges are what the agent can run; defaults are what a
// scenario's bare `- NAME` gets (docs/scenario.md).
std::vector<WorkloadSpec> MakeSchema() {
  std::vector<WorkloadSpec> s;
  s.push_back({"boot", "time to init and to the agent; clock resolution", 30, {}, {}});
  s.push_back({"rust-samples",
               "Rust sample modules printed their init lines",
               30,
               {{"expect", ParamKind::kStringList, 0, 0, {}, false, false,
                 json::array({"rust_minimal: Rust minimal sample (init)",
                              "rust_print: Rust printing macros sample (init)"}),
                 "lines that must appear in the kernel log"}},
               // samples/rust/: the default lines come from these two samples.
               {{{"SAMPLE_RUST_MINIMAL"}, "expect", ""}, {{"SAMPLE_RUST_PRINT"}, "expect", ""}}});
  s.push_back({"binder",
               "ping-pong round trips over binderfs (raw uapi)",
               300,
               {{"payloads", ParamKind::kIntList, 0, 1 << 20, {}, false, false, json::array({0, 4096}),
                 "transaction payload sizes, bytes"},
                {"iterations", ParamKind::kInt, 1, 10'000'000, {}, false, false, 2000, "measured round trips"},
                {"warmup", ParamKind::kInt, 0, 1'000'000, {}, false, false, 100, "round trips before measuring"},
                {"sched", ParamKind::kEnum, 0, 0, {"other", "fifo"}, false, false, "fifo",
                 "SCHED_FIFO (reproducible) or SCHED_OTHER for client and server"},
                ProfilePeriodParam()},
               // Rust binder registers its own binder filesystem; the C driver needs binderfs.
               {{{"ANDROID_BINDER_IPC_RUST", "ANDROID_BINDERFS"}, "", ""}}});
  s.push_back({"block",
               "O_DIRECT reads on rnull and null_blk",
               300,
               {{"devices", ParamKind::kEnumList, 0, 0, {"rnull", "null_blk"}, false, false,
                 json::array({"rnull", "null_blk"}), "devices to create and read"},
                {"pattern", ParamKind::kEnum, 0, 0, {"randread", "read"}, false, false, "randread", "access pattern"},
                {"block_size", ParamKind::kInt, 512, 65536, {}, true, false, 4096, "bytes per read"},
                {"ios", ParamKind::kInt, 1, 100'000'000, {}, false, false, 20000, "measured reads"},
                {"size_mib", ParamKind::kInt, 1, 1 << 20, {}, false, false, 1024, "device capacity, MiB"},
                {"sched", ParamKind::kEnum, 0, 0, {"other", "fifo"}, false, false, "fifo",
                 "SCHED_FIFO (reproducible) or SCHED_OTHER for the reader"},
                {"schedulers", ParamKind::kEnumList, 0, 0, BlockSchedulerChoices(), false, false,
                 json::array({"none"}),
                 "I/O scheduler set on both devices (equal setup), or driver-default: each driver's own"},
                ProfilePeriodParam()},
               {{{"CONFIGFS_FS"}, "", ""},
                {{"BLK_DEV_RUST_NULL"}, "devices", "rnull"},
                {{"BLK_DEV_NULL_BLK"}, "devices", "null_blk"},
                {{"MQ_IOSCHED_DEADLINE"}, "schedulers", "mq-deadline"},
                {{"MQ_IOSCHED_KYBER"}, "schedulers", "kyber"}}});
  s.push_back({"kunit",
               "KTAP results of the KUnit suites run at boot",
               300,
               {{"suites", ParamKind::kStringList, 0, 0, {}, false, false, json::array(), "suite globs; empty: all"}},
               {{{"KUNIT"}, "", ""}}});
  s.push_back({"command",
               "a program in the image, its exit status and output",
               60,
               {{"argv", ParamKind::kArgv, 0, 0, {}, false, true, json(), "program and arguments"},
                {"expect_exit", ParamKind::kInt, 0, 255, {}, false, false, 0, "expected exit status"}},
               {}});
  return s;
}

}  // namespace

const ParamSpec* WorkloadSpec::Param(std::string_view n) const {
  for (const auto& p : params) {
    if (p.name == n) return &p;
  }
  return nullptr;
}

const std::vector<WorkloadSpec>& WorkloadSchema() {
  static const std::vector<WorkloadSpec> schema = MakeSchema();
  return schema;
}

const WorkloadSpec* FindWorkload(std::string_view name) {
  for (const auto& w : WorkloadSchema()) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

std::optional<ParamProblem> CheckParam(const ParamSpec& spec, const json& value) {
  switch (spec.kind) {
    case ParamKind::kInt: return CheckInt(spec, value, std::nullopt);
    case ParamKind::kEnum: return CheckChoice(spec, value, std::nullopt);
    case ParamKind::kIntList:
    case ParamKind::kEnumList:
    case ParamKind::kStringList:
    case ParamKind::kArgv: {
      if (!value.is_array()) return ParamProblem{spec.name, std::nullopt, "must be a list", {}};
      if (value.empty() && spec.kind != ParamKind::kStringList) {
        return ParamProblem{spec.name, std::nullopt, "is empty", {}};
      }
      for (size_t i = 0; i < value.size(); ++i) {
        const json& item = value[i];
        if (spec.kind == ParamKind::kIntList) {
          if (auto p = CheckInt(spec, item, i)) return p;
        } else if (spec.kind == ParamKind::kEnumList) {
          if (auto p = CheckChoice(spec, item, i)) return p;
          for (size_t j = 0; j < i; ++j) {
            if (value[j] == item) {
              return ParamProblem{spec.name, i, "'" + item.get<std::string>() + "' is listed twice", {}};
            }
          }
        } else if (!item.is_string()) {
          return ParamProblem{spec.name, i, "must be a string", {}};
        }
      }
      if (spec.kind == ParamKind::kArgv) {
        const auto& first = value[0].get_ref<const std::string&>();
        if (first.empty() || first[0] != '/') {
          return ParamProblem{spec.name, 0, "must start with an absolute path in the guest", {}};
        }
      }
      return std::nullopt;
    }
  }
  return ParamProblem{spec.name, std::nullopt, "unknown parameter kind", {}};
}

std::expected<json, ParamProblem> NormalizeParams(const WorkloadSpec& spec, const json& params) {
  if (!params.is_object()) return std::unexpected(ParamProblem{"", std::nullopt, "params must be an object", {}});
  json out = json::object();
  for (const auto& [key, value] : params.items()) {
    const ParamSpec* p = spec.Param(key);
    if (!p) {
      std::vector<std::string> names;
      for (const auto& q : spec.params) names.push_back(q.name);
      return std::unexpected(ParamProblem{key, std::nullopt, "unknown key '" + key + "'", names});
    }
    if (auto problem = CheckParam(*p, value)) return std::unexpected(*problem);
    out[key] = value;
  }
  for (const auto& p : spec.params) {
    if (out.contains(p.name)) continue;
    if (p.required) return std::unexpected(ParamProblem{p.name, std::nullopt, "is required", {}});
    out[p.name] = p.default_value;
  }
  return out;
}

std::string UnmetNeed::Describe() const {
  std::string out;
  for (const auto& sym : any_of) out += (out.empty() ? "CONFIG_" : " or CONFIG_") + sym;
  if (!because.empty()) out += " (" + because + ")";
  return out;
}

std::vector<UnmetNeed> UnmetKconfig(const WorkloadSpec& spec, const json& params,
                                    const std::function<bool(std::string_view)>& is_y) {
  std::vector<UnmetNeed> unmet;
  for (const auto& need : spec.needs) {
    std::string because;
    if (!need.param.empty()) {
      const ParamSpec* p = spec.Param(need.param);
      json value = params.contains(need.param) ? params[need.param] : (p ? p->default_value : json());
      if (need.value.empty()) {
        if (!p || value != p->default_value) continue;  // only while the default holds
        because = "default " + need.param;
      } else {
        bool holds = value.is_array() ? std::find(value.begin(), value.end(), json(need.value)) != value.end()
                                      : value == json(need.value);
        if (!holds) continue;
        because = need.param + ": " + need.value;
      }
    }
    if (std::any_of(need.any_of.begin(), need.any_of.end(), [&](const std::string& s) { return is_y(s); })) continue;
    unmet.push_back(UnmetNeed{need.any_of, because});
  }
  return unmet;
}

}  // namespace rfl::agent
