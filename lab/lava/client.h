#pragma once
// LAVA's REST API (v0.2), the part a boot needs: submit a job, read its
// state, page through its log, cancel it, and name the worker behind a
// device. The real client speaks HTTP through libcurl with a token; unit
// tests of the boot loop (lava_hypervisor.h) fake this interface.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lab/util/result.h"

namespace rfl::lava {

struct JobState {
  std::string state;          // Submitted, Scheduling, Scheduled, Running, Canceling, Finished
  std::string health;         // Unknown, Complete, Incomplete, Canceled
  std::string actual_device;  // empty until scheduled
  std::string failure_comment;
  bool finished() const { return state == "Finished"; }
  bool running() const { return state == "Running" || state == "Canceling" || state == "Finished"; }
};

class LavaApi {
 public:
  virtual ~LavaApi() = default;
  // POST /api/v0.2/jobs/ → the job id.
  [[nodiscard]] virtual Result<int64_t> Submit(const std::string& definition) = 0;
  // GET /api/v0.2/jobs/<id>/
  [[nodiscard]] virtual Result<JobState> State(int64_t job) = 0;
  // GET /api/v0.2/jobs/<id>/logs/?start=<entry>: the log's entries from
  // `start` on as YAML text; empty when there are none yet.
  [[nodiscard]] virtual Result<std::string> Logs(int64_t job, size_t start) = 0;
  // GET /api/v0.2/jobs/<id>/cancel/
  [[nodiscard]] virtual Status Cancel(int64_t job) = 0;
  // GET /api/v0.2/devices/<hostname>/ → its worker's hostname.
  [[nodiscard]] virtual Result<std::string> WorkerOf(const std::string& device) = 0;
  // The server's base URL, for messages.
  virtual std::string Url() const = 0;
};

// `url` is the server's base (http://host:port/); the token is sent as
// "Authorization: Token …" (LAVA: Profile → API tokens). Checks the server
// answers /api/v0.2/system/version/ and returns "LAVA <version>" in
// `version`.
[[nodiscard]] Result<std::unique_ptr<LavaApi>> OpenLavaApi(const std::string& url, std::optional<std::string> token,
                                                           std::string* version = nullptr);

// Reads a token file (one line; surrounding whitespace dropped).
[[nodiscard]] Result<std::string> ReadTokenFile(const std::string& path);

}  // namespace rfl::lava
