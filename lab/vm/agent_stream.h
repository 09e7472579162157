#pragma once
// What the guest agent said during one boot: records decoded from the
// virtio-serial channel and, when the channel carried none (a kernel without
// VIRTIO_CONSOLE), from the agent's prefixed console fallback lines. Feed it
// from BootRequest::on_agent_line / on_console_line; it keeps the records,
// the time of the hello and done records, and the classifier's summary.
#include <optional>
#include <string_view>
#include <vector>

#include "images/agent/protocol.h"
#include "lab/vm/boot.h"
#include "lab/vm/classifier.h"

namespace rfl::vm {

class AgentStream {
 public:
  void OnChannelLine(std::string_view line, Seconds at);
  void OnConsoleLine(std::string_view line, Seconds at);

  // Records from the channel if it carried any, else from the console.
  const std::vector<agent::Record>& records() const;
  std::string_view transport() const;  // "virtio-port", "console" or "none"
  std::optional<Seconds> hello_at() const;
  std::optional<Seconds> done_at() const;
  int rejected_lines() const;
  uint64_t missing_records() const;

  AgentSummary Summary() const;

 private:
  struct Source {
    agent::RecordDecoder decoder;
    std::vector<agent::Record> records;
    std::optional<Seconds> hello_at;
    std::optional<Seconds> done_at;
    void Line(std::string_view line, Seconds at);
  };
  const Source& Chosen() const { return channel_.records.empty() ? console_ : channel_; }
  Source channel_;
  Source console_;
};

}  // namespace rfl::vm
