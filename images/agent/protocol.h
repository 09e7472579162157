#pragma once
// The agent protocol (docs/agent-protocol.md): what the guest agent tells the
// host. One record per line, each line framed as
//
//   @rfl-agent <crc32 of the JSON, 8 lower-case hex digits> <JSON object>\n
//
// on both transports (the virtio-serial port org.rfllab.agent.0 and the
// console fallback), so one decoder serves both: lines without the prefix are
// kernel text and ignored; a prefixed line whose checksum, JSON or version
// does not check out was mangled (a kernel message interleaved with it) and
// is rejected and counted. Every record carries a sequence number so the host
// can tell a rejected record from a record that was never sent.
//
// Compiled twice: into the static guest agent and into agent_core_host, which
// the lab links to decode what the guest sends. libc + libstdc++ +
// nlohmann-json (header-only) only.
#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rfl::agent {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::string_view kAgentVersion = "0.1.0";
inline constexpr std::string_view kLinePrefix = "@rfl-agent ";
inline constexpr std::string_view kPortName = "org.rfllab.agent.0";
// Longest line the decoder keeps; a longer one is rejected (never sent by the
// agent, so it can only be garbage).
inline constexpr size_t kMaxLineBytes = 1 << 20;

// First record: who is talking.
struct Hello {
  std::string agent_version;
  int protocol_version = kProtocolVersion;
  std::string boot_id;          // copied from the plan
  std::string kernel_release;   // uname -r
  std::string machine;          // uname -m
  double uptime_s = 0;          // CLOCK_BOOTTIME when the agent started
  std::string transport;        // "virtio-port" | "console"
  bool operator==(const Hello&) const = default;
};

// The units a sample may carry: base units, named as Prometheus names them.
// Adding one means giving it a direction on the host (results/statistics.h);
// a unit test walks this list.
enum class Unit { kSeconds, kOpsPerSecond, kCount, kBytes };
std::string_view UnitName(Unit u);  // seconds, ops_per_second, count, bytes
const std::vector<Unit>& AllUnits();

// One measurement. `metric` + `unit` name it (round_trip_p50 + seconds);
// labels come from bounded sets (payload_bytes, device, pattern).
struct Sample {
  std::string workload;
  std::string metric;
  std::string unit;  // base units: seconds, bytes, ops_per_second, count
  double value = 0;
  std::map<std::string, std::string> labels;
  bool operator==(const Sample&) const = default;
};

enum class Status { kPassed, kFailed, kSkipped };
std::string_view StatusName(Status s);  // passed | failed | skipped

// How a workload ended. `reason` explains failed and skipped.
struct WorkloadResult {
  std::string workload;
  Status status = Status::kFailed;
  std::string reason;
  double duration_s = 0;
  std::string output;  // command workload: tail of the program's output
  bool operator==(const WorkloadResult&) const = default;
};

// One KUnit test case (kunit workload): one record per leaf test.
struct TestCase {
  std::string workload;
  std::string suite;   // parent test names joined with '/'
  std::string name;
  std::string status;  // pass | fail | skip | todo | crashed
  std::string reason;  // directive text (SKIP reason) or crash note
  // A failed or crashed case's diagnostic lines (KTAP lines before its
  // result: the assertion KUnit printed), '\n'-joined; empty otherwise.
  std::string diagnostics;
  bool operator==(const TestCase&) const = default;
};

// Free-form diagnostics; never needed to interpret a boot.
struct Log {
  std::string level;  // info | warn | error
  std::string message;
  bool operator==(const Log&) const = default;
};

// Last record before the guest restarts (powers off under -no-reboot).
struct Done {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  double uptime_s = 0;
  bool operator==(const Done&) const = default;
};

// What a workload set up, so two measurements can be checked for parity:
// e.g. one block device's configfs and queue attributes after the agent
// configured it ("configfs/hw_queue_depth" → "256", "queue/scheduler" →
// "[none] mq-deadline kyber"), or the binder ping-pong's transaction flags
// and thread setup. `labels` name the subject as the samples it belongs to
// do (device=rnull, scheduler=none). Sent before the subject's samples.
struct Attributes {
  std::string workload;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> values;
  bool operator==(const Attributes&) const = default;
};

// Where a workload's measured loop spent its time: cpu-clock samples taken
// inside the guest (perf_event_open, one event per online CPU, every
// `period_ns` of CPU time) counted per instruction address. `ips` maps a
// kernel address (lower-case hex, no 0x, as System.map writes it) to its
// samples; "[user]" holds every user-space sample, "other" the kernel
// addresses beyond the 4096 most frequent. The host symbolizes the addresses
// with the kernel's System.map (lab/profile/). `labels` are those of the
// loop's samples. Sent after them.
struct Profile {
  std::string workload;
  std::map<std::string, std::string> labels;
  uint64_t period_ns = 0;
  uint64_t samples = 0;  // the sum of `ips`
  uint64_t lost = 0;     // samples the kernel dropped (PERF_RECORD_LOST)
  std::map<std::string, uint64_t> ips;
  bool operator==(const Profile&) const = default;
};

using Body = std::variant<Hello, Sample, WorkloadResult, TestCase, Log, Done, Attributes, Profile>;

struct Record {
  uint64_t seq = 0;  // 0, 1, 2, … in sending order
  Body body;
  bool operator==(const Record&) const = default;
};

// "hello", "sample", "workload-result", "test-case", "log", "done", "attributes",
// "profile".
std::string_view RecordType(const Body& body);

// CRC-32 (IEEE 802.3, the zlib polynomial) of `data`.
uint32_t Crc32(std::string_view data);

// The JSON object of a record, on one line, no newline.
std::string EncodeJson(const Record& record);
// Parses one JSON object; checks the protocol version and field types.
std::expected<Record, std::string> DecodeJson(std::string_view json);

// A whole framed line: prefix, checksum, JSON, '\n'.
std::string FrameLine(const Record& record);
// Parses one line (without '\n'). Returns nullopt-like error "no-prefix" when
// the line is not an agent line at all; any other error means mangled.
enum class LineError { kNoPrefix, kMangled };
struct LineFailure {
  LineError kind;
  std::string detail;
};
std::expected<Record, LineFailure> ParseLine(std::string_view line);

// Incremental decoder for a byte stream (virtio port or console text). Feed
// bytes as they arrive in any chunking; Take() returns the records completed
// so far. Lines without the prefix are ignored; prefixed lines that fail the
// checksum, JSON or version are rejected and counted.
class RecordDecoder {
 public:
  void Feed(std::string_view bytes);
  // Treats a trailing partial line as complete (end of stream).
  void Finish();
  std::vector<Record> Take();

  int rejected_lines() const { return rejected_; }
  // Sequence numbers skipped between accepted records (records lost or
  // rejected), counted from seq 0.
  uint64_t missing_records() const { return missing_; }
  // The last few rejection reasons, for diagnostics.
  const std::vector<std::string>& rejections() const { return rejections_; }

 private:
  void Line(std::string_view line);
  std::string partial_;
  std::vector<Record> ready_;
  int rejected_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t missing_ = 0;
  std::vector<std::string> rejections_;
};

}  // namespace rfl::agent
