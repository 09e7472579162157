#include "lab/lava/job_log.h"

#include <ctime>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace rfl::lava {
namespace {

// "2026-12-01T20:17:23.949298" (UTC) → seconds since the epoch.
double ParseDt(const std::string& dt) {
  std::tm tm{};
  double frac = 0;
  int n = 0;
  if (std::sscanf(dt.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &n) != 6) {
    return 0;
  }
  if (static_cast<size_t>(n) < dt.size() && dt[n] == '.') frac = std::atof(("0" + dt.substr(n)).c_str());
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) + frac;
}

std::string Scalar(const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : std::string(); }

}  // namespace

Result<std::vector<LogEntry>> ParseLogChunk(std::string_view yaml_text) {
  std::vector<LogEntry> out;
  if (yaml_text.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Fail("LAVA's job log is not YAML: {}", e.what());
  }
  if (!root.IsSequence()) return Fail("LAVA's job log is not a list of entries");
  out.reserve(root.size());
  for (const auto& item : root) {
    if (!item.IsMap()) return Fail("LAVA's job log has an entry that is not a mapping");
    LogEntry e;
    e.at = ParseDt(Scalar(item["dt"]));
    e.level = Scalar(item["lvl"]);
    const YAML::Node msg = item["msg"];
    if (msg && msg.IsScalar()) {
      e.text = msg.Scalar();
    } else if (msg && msg.IsMap() && e.level == "results") {
      e.result_case = Scalar(msg["case"]);
      e.result = Scalar(msg["result"]);
      e.error_type = Scalar(msg["error_type"]);
      e.error_msg = Scalar(msg["error_msg"]);
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string GuestLine(std::string_view logged) {
  std::string out;
  out.reserve(logged.size());
  for (size_t i = 0; i < logged.size(); ++i) {
    // Every '"' the guest printed arrives as '\"': drop the backslash LAVA
    // added in front of each quote, and nothing else.
    if (logged[i] == '\\' && i + 1 < logged.size() && logged[i + 1] == '"') continue;
    out += logged[i];
  }
  return out;
}

bool IsGuestOutput(const LogEntry& e) { return e.level == "target" || e.level == "feedback"; }

}  // namespace rfl::lava
