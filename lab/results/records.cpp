#include "lab/results/records.h"

#include <array>
#include <chrono>
#include <utility>

namespace rfl::results {
namespace {

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
  for (const auto& [value, name] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<RunStatus, std::string_view>, 4> kRunStatus{{
    {RunStatus::kRunning, "running"},
    {RunStatus::kCompleted, "completed"},
    {RunStatus::kInterrupted, "interrupted"},
    {RunStatus::kFailed, "failed"},
}};

constexpr std::array<std::pair<BuildOutcome, std::string_view>, 4> kBuildOutcome{{
    {BuildOutcome::kBuilt, "built"},
    {BuildOutcome::kCacheHit, "cache-hit"},
    {BuildOutcome::kFailed, "failed"},
    {BuildOutcome::kExpectedFailure, "expected-failure"},
}};

}  // namespace

std::string_view RunStatusName(RunStatus s) { return NameOf(kRunStatus, s); }
std::optional<RunStatus> ParseRunStatus(std::string_view s) { return Parse(kRunStatus, s); }
std::string_view BuildOutcomeName(BuildOutcome o) { return NameOf(kBuildOutcome, o); }
std::optional<BuildOutcome> ParseBuildOutcome(std::string_view s) { return Parse(kBuildOutcome, s); }

const VariantInfo* RunData::FindVariant(std::string_view name) const {
  for (const auto& v : run.info.variants) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

double NowUnix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace rfl::results
