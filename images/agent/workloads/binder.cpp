// binder: a synchronous ping-pong on the raw binder uapi (no libbinder).
// The server process becomes the context manager (handle 0) and replies to
// every BR_TRANSACTION with an empty BC_REPLY, freeing the request buffer;
// the client sends BC_TRANSACTION to handle 0 with the payload, reads until
// BR_REPLY, and frees the reply buffer in its next write (as libbinder does).
// Each round trip is timed with CLOCK_MONOTONIC. Works on C and Rust binder:
// both speak the same uapi.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/android/binder.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "images/agent/percentile.h"
#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {
namespace {

// Binder refuses mappings over 4 MiB.
constexpr size_t kMapSize = 4u << 20;

class BinderFd {
 public:
  ~BinderFd() {
    if (map_ != MAP_FAILED && map_ != nullptr) munmap(map_, kMapSize);
    if (fd_ >= 0) close(fd_);
  }
  // "" on success, else why not.
  std::string Open(const std::string& path) {
    fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) return "open " + path + ": " + ErrnoText();
    binder_version version{};
    if (ioctl(fd_, BINDER_VERSION, &version) != 0) return "BINDER_VERSION: " + ErrnoText();
    if (version.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION) {
      return "binder protocol version " + std::to_string(version.protocol_version) + ", expected " +
             std::to_string(BINDER_CURRENT_PROTOCOL_VERSION);
    }
    map_ = mmap(nullptr, kMapSize, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (map_ == MAP_FAILED) return "mmap: " + ErrnoText();
    return {};
  }
  // One BINDER_WRITE_READ: writes `out`, then reads into `in` (resized to
  // what the driver returned). "" on success.
  std::string WriteRead(const std::vector<uint8_t>& out, std::vector<uint8_t>* in) {
    binder_write_read bwr{};
    bwr.write_buffer = reinterpret_cast<binder_uintptr_t>(out.data());
    bwr.write_size = out.size();
    if (in) {
      in->resize(4096);
      bwr.read_buffer = reinterpret_cast<binder_uintptr_t>(in->data());
      bwr.read_size = in->size();
    }
    for (;;) {
      if (ioctl(fd_, BINDER_WRITE_READ, &bwr) == 0) break;
      if (errno == EINTR || errno == EAGAIN) continue;
      return std::string("BINDER_WRITE_READ: ") + ErrnoText();
    }
    if (in) in->resize(bwr.read_consumed);
    return {};
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  void* map_ = MAP_FAILED;
};

template <typename T>
void Put(std::vector<uint8_t>& out, const T& value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

// Walks the BR_ commands in a read buffer; `on` gets (cmd, payload ptr) and
// returns false to stop. Payload sizes come from the ioctl encoding, so
// commands this code does not care about are skipped safely.
template <typename F>
std::string ForEachReturn(const std::vector<uint8_t>& in, F&& on) {
  size_t pos = 0;
  while (pos + sizeof(uint32_t) <= in.size()) {
    uint32_t cmd;
    std::memcpy(&cmd, in.data() + pos, sizeof cmd);
    pos += sizeof cmd;
    size_t size = _IOC_SIZE(cmd);
    if (pos + size > in.size()) return "truncated binder return " + std::to_string(cmd);
    if (!on(cmd, in.data() + pos)) return {};
    pos += size;
  }
  return {};
}

[[noreturn]] void Server(const std::string& path, int ready_fd) {
  BinderFd b;
  if (auto err = b.Open(path); !err.empty()) _exit(10);
  int32_t unused = 0;
  if (ioctl(b.fd(), BINDER_SET_CONTEXT_MGR, &unused) != 0) _exit(11);
  std::vector<uint8_t> out;
  Put<uint32_t>(out, BC_ENTER_LOOPER);
  if (!b.WriteRead(out, nullptr).empty()) _exit(12);
  char one = 1;
  if (write(ready_fd, &one, 1) != 1) _exit(13);
  close(ready_fd);
  out.clear();
  std::vector<uint8_t> in;
  for (;;) {
    if (!b.WriteRead(out, &in).empty()) _exit(14);
    out.clear();
    std::string err = ForEachReturn(in, [&](uint32_t cmd, const uint8_t* payload) {
      if (cmd == BR_TRANSACTION || cmd == BR_TRANSACTION_SEC_CTX) {
        binder_transaction_data tr;
        std::memcpy(&tr, payload, sizeof tr);
        Put<uint32_t>(out, BC_FREE_BUFFER);
        Put<binder_uintptr_t>(out, tr.data.ptr.buffer);
        binder_transaction_data reply{};
        Put<uint32_t>(out, BC_REPLY);
        Put(out, reply);
      }
      return true;
    });
    if (!err.empty()) _exit(15);
  }
}

// What both drivers are asked to do, for the host's parity check: the same
// for C and Rust binder by construction (one code path here), recorded so a
// comparison can show it, and with the scheduling policy read back.
std::map<std::string, std::string> SetupAttributes(const std::string& path, uint64_t payload) {
  int policy = sched_getscheduler(0);
  std::map<std::string, std::string> a;
  a["device"] = path;
  a["mmap_bytes"] = std::to_string(kMapSize);
  a["transaction/code"] = "1";
  a["transaction/flags"] = "0";
  a["transaction/data_bytes"] = std::to_string(payload);
  a["transaction/offsets_bytes"] = "0";
  a["server"] = "context manager, one looper thread (BC_ENTER_LOOPER); frees the request, replies empty";
  a["client"] = "one thread; frees each reply buffer in its next write";
  a["sched/policy"] = policy == SCHED_FIFO ? "fifo" : policy == SCHED_OTHER ? "other" : std::to_string(policy);
  return a;
}

struct PayloadResult {
  std::vector<double> round_trips;
  double elapsed_s = 0;
};

}  // namespace

Outcome RunBinder(const BinderParams& p, Reporter& r) {
  ReportClockResolution(r);
  std::string path;
  for (const char* candidate : {"/dev/binderfs/binder", "/dev/binder"}) {
    if (Exists(candidate)) {
      path = candidate;
      break;
    }
  }
  if (path.empty()) {
    return Outcome::Skipped("no binder device (/dev/binderfs/binder): kernel without ANDROID_BINDER_IPC[_RUST]?");
  }
  // Before the fork: the server inherits the policy.
  if (auto err = SetSchedPolicy(p.sched); !err.empty()) return Outcome::Failed(err);
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return Outcome::Failed("pipe: " + ErrnoText());
  pid_t server = fork();
  if (server < 0) return Outcome::Failed("fork: " + ErrnoText());
  if (server == 0) {
    close(ready[0]);
    Server(path, ready[1]);
  }
  close(ready[1]);
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{server};

  pollfd pfd{ready[0], POLLIN, 0};
  char byte = 0;
  if (poll(&pfd, 1, 10'000) != 1 || read(ready[0], &byte, 1) != 1) {
    int status = 0;
    std::string why = "server did not become context manager";
    if (waitpid(server, &status, WNOHANG) == server && WIFEXITED(status)) {
      static const char* kSteps[] = {"open/version/mmap", "BINDER_SET_CONTEXT_MGR", "BC_ENTER_LOOPER"};
      int code = WEXITSTATUS(status);
      if (code >= 10 && code <= 12) why += std::string(" (") + kSteps[code - 10] + " failed)";
    }
    close(ready[0]);
    return Outcome::Failed(why);
  }
  close(ready[0]);

  BinderFd client;
  if (auto err = client.Open(path); !err.empty()) return Outcome::Failed("client: " + err);

  std::optional<binder_uintptr_t> pending_free;
  std::vector<uint8_t> out, in;
  int total = 0;
  for (uint64_t size : p.payloads) {
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131u);
    // One round trip: BC_TRANSACTION until BR_REPLY; its time in `seconds`.
    // "" on success.
    auto round_trip = [&](double& seconds) -> std::string {
      out.clear();
      if (pending_free) {
        Put<uint32_t>(out, BC_FREE_BUFFER);
        Put<binder_uintptr_t>(out, *pending_free);
        pending_free.reset();
      }
      binder_transaction_data tr{};
      tr.target.handle = 0;
      tr.code = 1;  // FIRST_CALL_TRANSACTION
      tr.flags = 0;
      tr.data_size = data.size();
      tr.offsets_size = 0;
      tr.data.ptr.buffer = reinterpret_cast<binder_uintptr_t>(data.data());
      tr.data.ptr.offsets = 0;
      Put<uint32_t>(out, BC_TRANSACTION);
      Put(out, tr);

      double t0 = MonotonicSeconds();
      bool complete = false, replied = false;
      std::string failure;
      while (!replied && failure.empty()) {
        if (auto err = client.WriteRead(out, &in); !err.empty()) {
          failure = err;
          break;
        }
        out.clear();
        std::string err = ForEachReturn(in, [&](uint32_t cmd, const uint8_t* payload) {
          switch (cmd) {
            case BR_TRANSACTION_COMPLETE: complete = true; break;
            case BR_REPLY: {
              binder_transaction_data reply;
              std::memcpy(&reply, payload, sizeof reply);
              pending_free = reply.data.ptr.buffer;
              replied = true;
              break;
            }
            case BR_DEAD_REPLY: failure = "BR_DEAD_REPLY (no context manager?)"; return false;
            case BR_FAILED_REPLY: failure = "BR_FAILED_REPLY"; return false;
            case BR_ERROR: {
              int32_t code;
              std::memcpy(&code, payload, sizeof code);
              failure = "BR_ERROR " + std::to_string(code);
              return false;
            }
            default: break;  // BR_NOOP, BR_SPAWN_LOOPER, …
          }
          return true;
        });
        if (!err.empty()) failure = err;
      }
      seconds = MonotonicSeconds() - t0;
      if (!failure.empty()) return failure;
      if (!complete) return "BR_REPLY without BR_TRANSACTION_COMPLETE";
      return {};
    };
    auto failed = [&](const char* phase, int i, const std::string& why) {
      return Outcome::Failed("payload " + std::to_string(size) + " B, " + phase + "transaction " +
                             std::to_string(i) + ": " + why);
    };

    PayloadResult result;
    result.round_trips.reserve(static_cast<size_t>(p.iterations));
    double measure_start = 0;
    for (int i = 0; i < p.warmup + p.iterations; ++i) {
      if (i == p.warmup) measure_start = MonotonicSeconds();
      double seconds = 0;
      if (auto err = round_trip(seconds); !err.empty()) return failed("", i, err);
      if (i >= p.warmup) result.round_trips.push_back(seconds);
    }
    result.elapsed_s = MonotonicSeconds() - measure_start;
    total += p.iterations;
    Summary s = Summarize(result.round_trips);
    std::map<std::string, std::string> labels{{"payload_bytes", std::to_string(size)}};
    r.AddAttributes(labels, SetupAttributes(path, size));
    r.AddSample("round_trip_p50", Unit::kSeconds, s.p50, labels);
    r.AddSample("round_trip_p90", Unit::kSeconds, s.p90, labels);
    r.AddSample("round_trip_p99", Unit::kSeconds, s.p99, labels);
    r.AddSample("round_trip_mean", Unit::kSeconds, s.mean, labels);
    r.AddSample("transactions", Unit::kOpsPerSecond, static_cast<double>(s.count) / result.elapsed_s, labels);
    if (p.profile_period_ns > 0) {
      // A second pass of the same round trips under the sampler, after the
      // measured one: sampling costs ~1,900 guest instructions a sample, so
      // it must not touch the samples above (images/agent/profile.h).
      KernelProfiler profiler;
      for (const auto& w : profiler.Start(p.profile_period_ns)) r.AddLog("warn", "profile: " + w);
      for (int i = 0; i < p.iterations; ++i) {
        double seconds = 0;
        if (auto err = round_trip(seconds); !err.empty()) return failed("profiled ", i, err);
        profiler.Tick();  // the dephasing spin, outside every round trip
      }
      if (profiler.running()) r.AddProfile(labels, profiler.Stop());
    }
  }
  if (pending_free) {
    out.clear();
    Put<uint32_t>(out, BC_FREE_BUFFER);
    Put<binder_uintptr_t>(out, *pending_free);
    (void)client.WriteRead(out, nullptr);
  }
  return Outcome::Passed(std::to_string(total) + " transactions over " + std::to_string(p.payloads.size()) +
                         " payload sizes");
}

}  // namespace rfl::agent
