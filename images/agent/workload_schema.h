#pragma once
// The one table of workloads: their parameters (kind, range, choices,
// default), their timeouts, and the Kconfig each needs. Compiled into the
// guest agent (which parses its plan with it) and into the lab (whose
// scenario validator, `rfl-lab boot --workload` and post-build checks use
// it), so a value `validate` accepts is a value the agent accepts, and a
// default is the same default everywhere. docs/scenario.md lists the table.
//
// To add a workload: a row here, a Params struct and its parser in plan.h,
// the workload in workloads/, a line in docs/scenario.md.
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rfl::agent {

enum class ParamKind {
  kInt,         // an integer in [min, max], optionally a power of two
  kIntList,     // a non-empty list of such integers
  kEnum,        // one of `choices`
  kEnumList,    // a non-empty list of distinct `choices`
  kStringList,  // a list of strings
  kArgv,        // a non-empty list of strings, the first an absolute path
};

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::kInt;
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string> choices;
  bool power_of_two = false;
  bool required = false;
  nlohmann::json default_value;  // null when required
  std::string doc;
  bool zero_is_off = false;  // kInt: 0 is accepted besides [min, max] and means "off"
};

// Symbols a workload needs in the kernel: at least one of `any_of` must be
// `y`. With `param` set, the need applies only when that parameter holds
// `value` (a list containing it, or equal to it), or — with `value` empty —
// only while the parameter has its default.
struct KconfigNeed {
  std::vector<std::string> any_of;
  std::string param;
  std::string value;
};

struct WorkloadSpec {
  std::string name;
  std::string doc;
  int default_timeout_s = 60;
  std::vector<ParamSpec> params;
  std::vector<KconfigNeed> needs;
  const ParamSpec* Param(std::string_view name) const;
};

// Workload timeouts, seconds (the `timeout` key of every workload).
inline constexpr int kMinWorkloadTimeoutS = 1;
inline constexpr int kMaxWorkloadTimeoutS = 6 * 3600;

// Every workload, in documentation order.
const std::vector<WorkloadSpec>& WorkloadSchema();
const WorkloadSpec* FindWorkload(std::string_view name);

// What is wrong with a parameter: its name, the list index when one item is
// wrong, and why. `suggest` lists the choices for a hint.
struct ParamProblem {
  std::string param;
  std::optional<size_t> index;
  std::string message;
  std::vector<std::string> suggest;
};

// Checks one parameter value (JSON as the plan carries it). The one rule:
// the validator calls it on each scenario value, the agent on its plan.
std::optional<ParamProblem> CheckParam(const ParamSpec& spec, const nlohmann::json& value);

// A workload's params with every default filled in, or the first problem
// (an unknown key, a wrong value, a missing required parameter).
std::expected<nlohmann::json, ParamProblem> NormalizeParams(const WorkloadSpec& spec, const nlohmann::json& params);

// A need that a kernel (or a scenario's requests) does not meet.
struct UnmetNeed {
  std::vector<std::string> any_of;  // symbols without CONFIG_
  std::string because;              // "" (always), "devices: rnull", "default expect"
  // "CONFIG_BLK_DEV_RUST_NULL (devices: rnull)", "CONFIG_A or CONFIG_B"
  std::string Describe() const;
};

// The needs of this workload with these (normalized) params that `is_y`
// (one symbol, without CONFIG_) does not meet; empty when every need is met.
std::vector<UnmetNeed> UnmetKconfig(const WorkloadSpec& spec, const nlohmann::json& params,
                                    const std::function<bool(std::string_view symbol)>& is_y);

}  // namespace rfl::agent
