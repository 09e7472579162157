#pragma once
// JSON form of a plan (`rfl-lab plan --json`, stored with every run).
#include <nlohmann/json.hpp>

#include "lab/scenario/plan.h"

namespace rfl::scenario {
nlohmann::json BuildSpecToJson(const BuildSpec& b);
nlohmann::json PlanToJson(const Plan& plan);
}  // namespace rfl::scenario
