#pragma once
// Child processes: argument vectors only (never a shell), each child in its
// own process group so a timeout or Ctrl-C kills the whole tree, every child
// reaped, every wait bounded. ProcessRunner is the side-effect boundary: the
// real one forks; unit tests use a fake.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <sys/types.h>

#include "lab/util/cancel.h"
#include "lab/util/result.h"

namespace rfl {

struct Command {
  std::vector<std::string> argv;
  std::optional<std::filesystem::path> cwd;
  std::map<std::string, std::string> env;  // added to (or replacing) the lab's environment
  bool clear_env = false;                  // start from an empty environment (PATH from env)
  std::chrono::milliseconds timeout{std::chrono::hours(2)};
  // Output (stdout and stderr, interleaved) is appended here when set.
  std::optional<std::filesystem::path> log_file;
  // Keep at most this many bytes of output in ProcessResult::output (the tail).
  size_t capture_limit = 1 << 20;
  // Called for each complete output line (live progress).
  std::function<void(std::string_view)> on_line;
  std::optional<std::string> stdin_data;
  // The child is killed (its whole process group) when this stops; by
  // default on Ctrl-C, a run passes its own token (util/cancel.h).
  std::stop_token stop = InterruptToken();
};

struct ProcessResult {
  int exit_code = -1;       // valid when exited normally
  int term_signal = 0;      // non-zero when killed by a signal
  bool timed_out = false;
  std::string output;       // tail of stdout+stderr
  std::chrono::milliseconds elapsed{0};
  bool ok() const { return term_signal == 0 && !timed_out && exit_code == 0; }
  // "exit 2", "killed by signal 9", "timed out after 30 s"
  std::string Describe() const;
};

// A running child. Destroying it kills its process group (TERM, then KILL
// after a grace period) and reaps it.
class Child {
 public:
  Child() = default;
  Child(pid_t pid, int out_fd);
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Output pipe (stdout+stderr), -1 when not captured.
  int output_fd() const { return out_fd_; }

  // Waits up to `timeout` for exit; returns the wait status or nullopt.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);
  // TERM the group, wait `grace`, KILL, reap. Safe to call twice.
  void Terminate(std::chrono::milliseconds grace = std::chrono::seconds(3));

 private:
  void Release();
  pid_t pid_ = -1;
  int out_fd_ = -1;
};

// Starts a child with output to a pipe (Child::output_fd).
Result<Child> Spawn(const Command& cmd);

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs to completion, timeout or cancellation. An error means the command
  // could not start or was cancelled; a failing exit is a ProcessResult.
  [[nodiscard]] virtual Result<ProcessResult> Run(const Command& cmd) = 0;
};

class RealProcessRunner final : public ProcessRunner {
 public:
  [[nodiscard]] Result<ProcessResult> Run(const Command& cmd) override;
};

// The process-wide real runner.
ProcessRunner& DefaultRunner();

// Finds an executable on PATH (or returns the path itself if it has a '/').
std::optional<std::filesystem::path> FindProgram(std::string_view name);

}  // namespace rfl
