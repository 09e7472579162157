#include "lab/vm/agent_stream.h"

#include <string>
#include <variant>

#include <fmt/format.h>

namespace rfl::vm {

void AgentStream::Source::Line(std::string_view line, Seconds at) {
  std::string framed(line);
  framed += '\n';
  decoder.Feed(framed);
  for (auto& r : decoder.Take()) {
    if (std::holds_alternative<agent::Hello>(r.body) && !hello_at) hello_at = at;
    if (std::holds_alternative<agent::Done>(r.body) && !done_at) done_at = at;
    records.push_back(std::move(r));
  }
}

void AgentStream::OnChannelLine(std::string_view line, Seconds at) { channel_.Line(line, at); }

void AgentStream::OnConsoleLine(std::string_view line, Seconds at) {
  // Kernel messages can share the line's start; the decoder finds the prefix
  // only at the start, so cut anything before it.
  size_t p = line.find(agent::kLinePrefix);
  if (p == std::string_view::npos) return;
  console_.Line(line.substr(p), at);
}

const std::vector<agent::Record>& AgentStream::records() const { return Chosen().records; }

std::string_view AgentStream::transport() const {
  if (!channel_.records.empty()) return "virtio-port";
  if (!console_.records.empty()) return "console";
  return "none";
}

std::optional<Seconds> AgentStream::hello_at() const { return Chosen().hello_at; }
std::optional<Seconds> AgentStream::done_at() const { return Chosen().done_at; }
int AgentStream::rejected_lines() const { return channel_.decoder.rejected_lines() + console_.decoder.rejected_lines(); }
uint64_t AgentStream::missing_records() const { return Chosen().decoder.missing_records(); }

AgentSummary AgentStream::Summary() const {
  AgentSummary s;
  for (const auto& r : records()) {
    if (std::holds_alternative<agent::Hello>(r.body)) s.hello_seen = true;
    if (std::holds_alternative<agent::Done>(r.body)) s.done_seen = true;
    if (const auto* w = std::get_if<agent::WorkloadResult>(&r.body); w && w->status == agent::Status::kFailed) {
      s.failed_workloads.push_back(w->reason.empty() ? w->workload : fmt::format("{} ({})", w->workload, w->reason));
    }
  }
  return s;
}

}  // namespace rfl::vm
