#include "images/agent/protocol.h"

#include <array>
#include <charconv>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace rfl::agent {

std::string_view UnitName(Unit u) {
  switch (u) {
    case Unit::kSeconds: return "seconds";
    case Unit::kOpsPerSecond: return "ops_per_second";
    case Unit::kCount: return "count";
    case Unit::kBytes: return "bytes";
  }
  return "?";
}

const std::vector<Unit>& AllUnits() {
  static const std::vector<Unit> all = {Unit::kSeconds, Unit::kOpsPerSecond, Unit::kCount, Unit::kBytes};
  return all;
}
namespace {

using nlohmann::json;

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = MakeCrcTable();

struct ToJson {
  json& j;
  void operator()(const Hello& h) const {
    j["agent_version"] = h.agent_version;
    j["protocol_version"] = h.protocol_version;
    j["boot_id"] = h.boot_id;
    j["kernel_release"] = h.kernel_release;
    j["machine"] = h.machine;
    j["uptime_s"] = h.uptime_s;
    j["transport"] = h.transport;
  }
  void operator()(const Sample& s) const {
    j["workload"] = s.workload;
    j["metric"] = s.metric;
    j["unit"] = s.unit;
    j["value"] = s.value;
    j["labels"] = s.labels;
  }
  void operator()(const WorkloadResult& r) const {
    j["workload"] = r.workload;
    j["status"] = StatusName(r.status);
    j["reason"] = r.reason;
    j["duration_s"] = r.duration_s;
    if (!r.output.empty()) j["output"] = r.output;
  }
  void operator()(const TestCase& t) const {
    j["workload"] = t.workload;
    j["suite"] = t.suite;
    j["name"] = t.name;
    j["status"] = t.status;
    if (!t.reason.empty()) j["reason"] = t.reason;
    if (!t.diagnostics.empty()) j["diagnostics"] = t.diagnostics;
  }
  void operator()(const Log& l) const {
    j["level"] = l.level;
    j["message"] = l.message;
  }
  void operator()(const Attributes& a) const {
    j["workload"] = a.workload;
    j["labels"] = a.labels;
    j["values"] = a.values;
  }
  void operator()(const Profile& p) const {
    j["workload"] = p.workload;
    j["labels"] = p.labels;
    j["period_ns"] = p.period_ns;
    j["samples"] = p.samples;
    j["lost"] = p.lost;
    j["ips"] = p.ips;
  }
  void operator()(const Done& d) const {
    j["passed"] = d.passed;
    j["failed"] = d.failed;
    j["skipped"] = d.skipped;
    j["uptime_s"] = d.uptime_s;
  }
};

// Typed field access that reports the field by name instead of throwing.
class Fields {
 public:
  explicit Fields(const json& j) : j_(j) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::string Str(const char* key, bool required = true) {
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) Missing(key);
      return {};
    }
    if (!it->is_string()) return Bad(key, "a string"), std::string{};
    return it->get<std::string>();
  }
  double Num(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end()) return Missing(key), 0.0;
    if (!it->is_number()) return Bad(key, "a number"), 0.0;
    return it->get<double>();
  }
  int Int(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end()) return Missing(key), 0;
    if (!it->is_number_integer()) return Bad(key, "an integer"), 0;
    return it->get<int>();
  }
  std::map<std::string, std::string> Labels(const char* key) {
    std::map<std::string, std::string> out;
    auto it = j_.find(key);
    if (it == j_.end()) return out;
    if (!it->is_object()) return Bad(key, "an object"), out;
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return Bad(key, "an object of strings"), out;
      out[k] = v.get<std::string>();
    }
    return out;
  }
  uint64_t U64(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end()) return Missing(key), 0;
    if (!it->is_number_unsigned()) return Bad(key, "a non-negative integer"), 0;
    return it->get<uint64_t>();
  }
  std::map<std::string, uint64_t> Counts(const char* key) {
    std::map<std::string, uint64_t> out;
    auto it = j_.find(key);
    if (it == j_.end()) return Missing(key), out;
    if (!it->is_object()) return Bad(key, "an object"), out;
    for (const auto& [k, v] : it->items()) {
      if (!v.is_number_unsigned()) return Bad(key, "an object of non-negative integers"), out;
      out[k] = v.get<uint64_t>();
    }
    return out;
  }

 private:
  void Missing(const char* key) {
    if (error_.empty()) error_ = std::string("missing field '") + key + "'";
  }
  void Bad(const char* key, const char* what) {
    if (error_.empty()) error_ = std::string("field '") + key + "' is not " + what;
  }
  const json& j_;
  std::string error_;
};

std::expected<Status, std::string> ParseStatus(std::string_view s) {
  if (s == "passed") return Status::kPassed;
  if (s == "failed") return Status::kFailed;
  if (s == "skipped") return Status::kSkipped;
  return std::unexpected("unknown status '" + std::string(s) + "'");
}

std::expected<Body, std::string> DecodeBody(std::string_view type, const json& j) {
  Fields f(j);
  Body body;
  if (type == "hello") {
    Hello h;
    h.agent_version = f.Str("agent_version");
    h.protocol_version = f.Int("protocol_version");
    h.boot_id = f.Str("boot_id");
    h.kernel_release = f.Str("kernel_release");
    h.machine = f.Str("machine", false);
    h.uptime_s = f.Num("uptime_s");
    h.transport = f.Str("transport");
    body = std::move(h);
  } else if (type == "sample") {
    Sample s;
    s.workload = f.Str("workload");
    s.metric = f.Str("metric");
    s.unit = f.Str("unit");
    s.value = f.Num("value");
    s.labels = f.Labels("labels");
    body = std::move(s);
  } else if (type == "workload-result") {
    WorkloadResult r;
    r.workload = f.Str("workload");
    std::string status = f.Str("status");
    r.reason = f.Str("reason", false);
    r.duration_s = f.Num("duration_s");
    r.output = f.Str("output", false);
    if (f.ok()) {
      auto st = ParseStatus(status);
      if (!st) return std::unexpected(st.error());
      r.status = *st;
    }
    body = std::move(r);
  } else if (type == "test-case") {
    TestCase t;
    t.workload = f.Str("workload");
    t.suite = f.Str("suite");
    t.name = f.Str("name");
    t.status = f.Str("status");
    t.reason = f.Str("reason", false);
    t.diagnostics = f.Str("diagnostics", false);
    body = std::move(t);
  } else if (type == "log") {
    Log l;
    l.level = f.Str("level");
    l.message = f.Str("message");
    body = std::move(l);
  } else if (type == "done") {
    Done d;
    d.passed = f.Int("passed");
    d.failed = f.Int("failed");
    d.skipped = f.Int("skipped");
    d.uptime_s = f.Num("uptime_s");
    body = std::move(d);
  } else if (type == "attributes") {
    Attributes a;
    a.workload = f.Str("workload");
    a.labels = f.Labels("labels");
    a.values = f.Labels("values");
    body = std::move(a);
  } else if (type == "profile") {
    Profile p;
    p.workload = f.Str("workload");
    p.labels = f.Labels("labels");
    p.period_ns = f.U64("period_ns");
    p.samples = f.U64("samples");
    p.lost = f.U64("lost");
    p.ips = f.Counts("ips");
    body = std::move(p);
  } else {
    return std::unexpected("unknown record type '" + std::string(type) + "'");
  }
  if (!f.ok()) return std::unexpected(std::string(type) + ": " + f.error());
  return body;
}

bool ParseHex32(std::string_view s, uint32_t& out) {
  if (s.size() != 8) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::string_view StatusName(Status s) {
  switch (s) {
    case Status::kPassed: return "passed";
    case Status::kFailed: return "failed";
    case Status::kSkipped: return "skipped";
  }
  return "failed";
}

std::string_view RecordType(const Body& body) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "hello", "sample", "workload-result", "test-case", "log", "done", "attributes", "profile"};
  return kNames[body.index()];
}

uint32_t Crc32(std::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string EncodeJson(const Record& record) {
  json j = json::object();
  j["v"] = kProtocolVersion;
  j["seq"] = record.seq;
  j["type"] = RecordType(record.body);
  std::visit(ToJson{j}, record.body);
  // Replace invalid UTF-8 (kernel text, program output) instead of throwing.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::expected<Record, std::string> DecodeJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::unexpected("not valid JSON");
  if (!j.is_object()) return std::unexpected("not a JSON object");
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer()) return std::unexpected("missing protocol version 'v'");
  if (v->get<int>() != kProtocolVersion) {
    return std::unexpected("protocol version " + std::to_string(v->get<int>()) + ", expected " +
                           std::to_string(kProtocolVersion));
  }
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_unsigned()) return std::unexpected("missing 'seq'");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return std::unexpected("missing 'type'");
  auto body = DecodeBody(type->get<std::string>(), j);
  if (!body) return std::unexpected(body.error());
  return Record{seq->get<uint64_t>(), std::move(*body)};
}

std::string FrameLine(const Record& record) {
  std::string payload = EncodeJson(record);
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", Crc32(payload));
  std::string line;
  line.reserve(kLinePrefix.size() + 10 + payload.size());
  line.append(kLinePrefix).append(crc, 8).append(" ").append(payload).append("\n");
  return line;
}

std::expected<Record, LineFailure> ParseLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  size_t at = line.find(kLinePrefix);
  if (at == std::string_view::npos) return std::unexpected(LineFailure{LineError::kNoPrefix, {}});
  std::string_view rest = line.substr(at + kLinePrefix.size());
  uint32_t want = 0;
  if (rest.size() < 10 || rest[8] != ' ' || !ParseHex32(rest.substr(0, 8), want)) {
    return std::unexpected(LineFailure{LineError::kMangled, "bad checksum field"});
  }
  std::string_view payload = rest.substr(9);
  if (Crc32(payload) != want) {
    // On the console, a kernel message can land between a record and its
    // newline ("…}[    0.386747] workqueue: …"): the record is whole, with
    // text after it. Try the ends of JSON objects from the right; the
    // checksum decides (a few dozen candidates against 2^32 values).
    bool found = false;
    int tries = 0;
    for (size_t end = payload.rfind('}'); end != std::string_view::npos && end > 0 && tries < 64; ++tries) {
      if (Crc32(payload.substr(0, end + 1)) == want) {
        payload = payload.substr(0, end + 1);
        found = true;
        break;
      }
      end = payload.rfind('}', end - 1);
    }
    if (!found) return std::unexpected(LineFailure{LineError::kMangled, "checksum mismatch"});
  }
  auto record = DecodeJson(payload);
  if (!record) return std::unexpected(LineFailure{LineError::kMangled, record.error()});
  return std::move(*record);
}

void RecordDecoder::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      if (partial_.size() + bytes.size() > kMaxLineBytes) {
        // Keep only the tail: the line is garbage anyway and will be rejected.
        partial_.clear();
        partial_.append("\x01overlong");
        return;
      }
      partial_.append(bytes);
      return;
    }
    if (partial_.empty()) {
      Line(bytes.substr(0, nl));
    } else {
      partial_.append(bytes.substr(0, nl));
      Line(partial_);
      partial_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void RecordDecoder::Finish() {
  if (!partial_.empty()) {
    std::string last = std::move(partial_);
    partial_.clear();
    Line(last);
  }
}

std::vector<Record> RecordDecoder::Take() {
  std::vector<Record> out;
  out.swap(ready_);
  return out;
}

void RecordDecoder::Line(std::string_view line) {
  auto record = ParseLine(line);
  if (!record) {
    if (record.error().kind == LineError::kNoPrefix) return;
    ++rejected_;
    if (rejections_.size() >= 16) rejections_.erase(rejections_.begin());
    rejections_.push_back(record.error().detail);
    return;
  }
  if (record->seq > next_seq_) missing_ += record->seq - next_seq_;
  if (record->seq >= next_seq_) next_seq_ = record->seq + 1;
  ready_.push_back(std::move(*record));
}

}  // namespace rfl::agent
