#include "lab/util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "lab/util/cancel.h"

extern char** environ;

namespace rfl {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string ProcessResult::Describe() const {
  if (timed_out) return fmt::format("timed out after {} s", elapsed.count() / 1000);
  if (term_signal != 0) return fmt::format("killed by signal {} ({})", term_signal, strsignal(term_signal));
  return fmt::format("exit {}", exit_code);
}

Child::Child(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}
Child::Child(Child&& o) noexcept : pid_(o.pid_), out_fd_(o.out_fd_) {
  o.pid_ = -1;
  o.out_fd_ = -1;
}
Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    Terminate();
    Release();
    pid_ = o.pid_;
    out_fd_ = o.out_fd_;
    o.pid_ = -1;
    o.out_fd_ = -1;
  }
  return *this;
}
Child::~Child() {
  Terminate();
  Release();
}

void Child::Release() {
  if (out_fd_ >= 0) close(out_fd_);
  out_fd_ = -1;
}

std::optional<int> Child::WaitFor(milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      // The leader is gone; make sure no grandchild of its group lingers.
      kill(-pid_, SIGKILL);
      pid_ = -1;
      return status;
    }
    if (r < 0 && errno != EINTR) {
      pid_ = -1;
      return std::nullopt;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

void Child::Terminate(milliseconds grace) {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  if (WaitFor(grace)) return;
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    WaitFor(milliseconds(5000));
  }
}

namespace {

std::vector<std::string> BuildEnv(const Command& cmd) {
  std::map<std::string, std::string> env;
  if (!cmd.clear_env) {
    for (char** e = environ; *e != nullptr; ++e) {
      std::string kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (const auto& [k, v] : cmd.env) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

}  // namespace

Result<Child> Spawn(const Command& cmd) {
  if (cmd.argv.empty()) return Fail("empty command");
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return Fail("pipe: {}", std::strerror(errno));
  int in_pipe[2] = {-1, -1};
  if (cmd.stdin_data && pipe2(in_pipe, O_CLOEXEC) != 0) return Fail("pipe: {}", std::strerror(errno));

  // Everything the child needs is prepared before fork (no allocation after).
  std::vector<std::string> env_strings = BuildEnv(cmd);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = cmd.argv;
  std::vector<char*> argv;
  for (auto& s : argv_copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::string cwd = cmd.cwd ? cmd.cwd->string() : std::string();
  // execvpe searches the PATH of the new environment.
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return Fail("pipe: {}", std::strerror(errno));

  pid_t pid = fork();
  if (pid < 0) return Fail("fork: {}", std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    // Default signal dispositions in the child.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    if (in_pipe[0] >= 0) {
      dup2(in_pipe[0], 0);
    } else {
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
    }
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      int e = errno;
      (void)!write(err_pipe[1], &e, sizeof e);
      _exit(127);
    }
    execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    (void)!write(err_pipe[1], &e, sizeof e);
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent: no race with an early kill
  close(pipefd[1]);
  close(err_pipe[1]);
  if (in_pipe[0] >= 0) close(in_pipe[0]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(err_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(err_pipe[0]);
  Child child(pid, pipefd[0]);
  if (n == sizeof child_errno) {
    child.WaitFor(milliseconds(2000));
    if (in_pipe[1] >= 0) close(in_pipe[1]);
    return Fail("cannot run {}: {}{}", cmd.argv[0], std::strerror(child_errno),
                cmd.cwd ? fmt::format(" (in {})", cmd.cwd->string()) : "");
  }
  if (in_pipe[1] >= 0) {
    // Small inputs only (plans, scripts): write all, then close.
    const std::string& data = *cmd.stdin_data;
    size_t off = 0;
    while (off < data.size()) {
      ssize_t w = write(in_pipe[1], data.data() + off, data.size() - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        break;
      }
      off += static_cast<size_t>(w);
    }
    close(in_pipe[1]);
  }
  return child;
}

Result<ProcessResult> RealProcessRunner::Run(const Command& cmd) {
  auto start = Clock::now();
  auto spawned = Spawn(cmd);
  if (!spawned) return std::unexpected(spawned.error());
  Child child = std::move(*spawned);

  std::ofstream log;
  if (cmd.log_file) {
    log.open(*cmd.log_file, std::ios::app | std::ios::binary);
    if (!log) return Fail("cannot open log {}", cmd.log_file->string());
  }
  ProcessResult result;
  std::string pending_line;
  auto deadline = start + cmd.timeout;
  bool eof = false;
  char buf[65536];
  while (!eof) {
    if (cmd.stop.stop_requested()) {
      child.Terminate();
      return FailAs(Error::Kind::kCancelled, "interrupted while running {}", cmd.argv[0]);
    }
    if (Clock::now() >= deadline) {
      child.Terminate();
      result.timed_out = true;
      result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
      return result;
    }
    pollfd pfd{child.output_fd(), POLLIN, 0};
    int pr = poll(&pfd, 1, 100);
    if (pr < 0) {
      if (errno == EINTR) continue;
      return Fail("poll: {}", std::strerror(errno));
    }
    if (pr == 0) continue;
    ssize_t n = read(child.output_fd(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      eof = true;
      break;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    std::string_view chunk(buf, static_cast<size_t>(n));
    if (log) log.write(chunk.data(), static_cast<std::streamsize>(chunk.size())), log.flush();
    result.output.append(chunk);
    if (result.output.size() > cmd.capture_limit * 2) {
      result.output.erase(0, result.output.size() - cmd.capture_limit);
    }
    if (cmd.on_line) {
      pending_line.append(chunk);
      size_t pos;
      while ((pos = pending_line.find('\n')) != std::string::npos) {
        cmd.on_line(std::string_view(pending_line).substr(0, pos));
        pending_line.erase(0, pos + 1);
      }
    }
  }
  if (cmd.on_line && !pending_line.empty()) cmd.on_line(pending_line);
  if (result.output.size() > cmd.capture_limit) {
    result.output.erase(0, result.output.size() - cmd.capture_limit);
  }
  // Output closed: the child is exiting; bound the wait anyway.
  while (true) {
    auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0 || cmd.stop.stop_requested()) {
      child.Terminate();
      if (cmd.stop.stop_requested()) return FailAs(Error::Kind::kCancelled, "interrupted while running {}", cmd.argv[0]);
      result.timed_out = true;
      break;
    }
    if (auto status = child.WaitFor(std::min(remaining, milliseconds(200)))) {
      if (WIFEXITED(*status)) result.exit_code = WEXITSTATUS(*status);
      if (WIFSIGNALED(*status)) result.term_signal = WTERMSIG(*status);
      break;
    }
  }
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return result;
}

ProcessRunner& DefaultRunner() {
  static RealProcessRunner runner;
  return runner;
}

std::optional<fs::path> FindProgram(std::string_view name) {
  if (name.find('/') != std::string_view::npos) {
    if (access(std::string(name).c_str(), X_OK) == 0) return fs::path(name);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    fs::path candidate = fs::path(p.substr(start, end - start)) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace rfl
