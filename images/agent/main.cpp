// rfl-agent: PID 1 of the lab's initramfs. Mounts the pseudo filesystems,
// reads /plan.json, runs each workload in its own process group with its own
// timeout, reports records (protocol.h) on the virtio-serial port
// org.rfllab.agent.0 or, without it, on the console, and restarts the guest
// (reboot(RB_AUTOBOOT); the host runs QEMU with -no-reboot, so a restart ends
// the VM even on kernels without ACPI power-off). It never waits without a
// deadline: a stalled workload is killed and reported failed, and a global
// watchdog restarts the guest if the agent itself stalls.
//
// Not PID 1, `rfl-agent --stall SECONDS` just sleeps: the honest "program
// that cannot finish" the timeout test runs through the command workload
// (the image has no shell or sleep binary).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "images/agent/plan.h"
#include "images/agent/protocol.h"
#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {
namespace {

int g_console_fd = -1;

void ConsoleLine(const std::string& text) {
  if (g_console_fd < 0) return;
  std::string line = "rfl-agent: " + text + "\n";
  WriteAll(g_console_fd, line.data(), line.size(), 5);
}

[[noreturn]] void Restart() {
  sync();
  reboot(RB_AUTOBOOT);
  reboot(RB_POWER_OFF);
  for (;;) pause();
}

void OnWatchdog(int) {
  static const char kMsg[] = "rfl-agent: global watchdog expired, restarting the guest\n";
  if (g_console_fd >= 0) (void)!write(g_console_fd, kMsg, sizeof kMsg - 1);
  sync();
  reboot(RB_AUTOBOOT);
  _exit(1);
}

// Finds the virtio-serial port by name (no udev) and opens its node.
int OpenAgentPort(std::string* why) {
  const std::string cls = "/sys/class/virtio-ports";
  if (!Exists(cls)) {
    *why = "no " + cls + " (no virtio console driver or device)";
    return -1;
  }
  for (const auto& port : ListDir(cls)) {
    auto name = ReadText(cls + "/" + port + "/name");
    if (!name || Trim(*name) != kPortName) continue;
    auto node = EnsureDevNode(port, cls + "/" + port + "/dev", false, 1.0);
    if (!node) {
      *why = "no device node for " + port;
      return -1;
    }
    int fd = open(node->c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) *why = "open " + *node + ": " + ErrnoText();
    return fd;
  }
  *why = std::string("no virtio port named ") + std::string(kPortName);
  return -1;
}

// Sends framed records, numbering them; falls back from the port to the
// console when a write to the port fails or stalls.
class Emitter {
 public:
  Emitter(int port_fd, int console_fd) : port_fd_(port_fd), console_fd_(console_fd) {}
  std::string transport() const { return port_fd_ >= 0 ? "virtio-port" : "console"; }

  void Send(Body body) {
    Record rec{seq_++, std::move(body)};
    std::string line = FrameLine(rec);
    if (port_fd_ >= 0) {
      // The host may connect late: wait up to 30 s for the first record.
      if (WriteAll(port_fd_, line.data(), line.size(), sent_any_ ? 10 : 30)) {
        sent_any_ = true;
        return;
      }
      ConsoleLine("virtio port write failed (" + ErrnoText() + "), falling back to the console");
      close(port_fd_);
      port_fd_ = -1;
    }
    if (console_fd_ >= 0) WriteAll(console_fd_, line.data(), line.size(), 10);
  }

 private:
  int port_fd_;
  int console_fd_;
  uint64_t seq_ = 0;
  bool sent_any_ = false;
};

Outcome Dispatch(const PlanWorkload& w, const AgentContext& ctx, Reporter& r) {
  struct Visitor {
    const AgentContext& ctx;
    Reporter& r;
    Outcome operator()(const BootParams& p) { return RunBoot(p, ctx, r); }
    Outcome operator()(const RustSamplesParams& p) { return RunRustSamples(p, r); }
    Outcome operator()(const BinderParams& p) { return RunBinder(p, r); }
    Outcome operator()(const BlockParams& p) { return RunBlock(p, r); }
    Outcome operator()(const KunitParams& p) { return RunKunit(p, r); }
    Outcome operator()(const CommandParams& p) { return RunCommand(p, r); }
  };
  return std::visit(Visitor{ctx, r}, w.params);
}

void ReapOrphans() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

// Runs one workload in a child process group; forwards its records; returns
// the final result (never without a verdict).
WorkloadResult RunWorkload(const PlanWorkload& w, const AgentContext& ctx, Emitter& emit) {
  WorkloadResult result{w.name, Status::kFailed, {}, 0, {}};
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    result.reason = "pipe: " + ErrnoText();
    return result;
  }
  double start = MonotonicSeconds();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    result.reason = "fork: " + ErrnoText();
    return result;
  }
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGALRM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    close(fds[0]);
    Reporter reporter(w.name, fds[1]);
    Outcome o = Dispatch(w, ctx, reporter);
    reporter.Send(WorkloadResult{w.name, o.status, o.reason, 0, o.output});
    _exit(0);
  }
  setpgid(pid, pid);
  close(fds[1]);

  double deadline = start + w.timeout_s;
  std::string buffer;
  bool have_result = false, timed_out = false, eof = false;
  while (!eof) {
    double left = deadline - MonotonicSeconds();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left * 1000) + 1);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char chunk[65536];
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;
      break;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      auto rec = DecodeJson(std::string_view(buffer).substr(0, nl));
      buffer.erase(0, nl + 1);
      if (!rec) {
        emit.Send(Log{"error", w.name + ": undecodable record from the workload: " + rec.error()});
        continue;
      }
      if (auto* wr = std::get_if<WorkloadResult>(&rec->body)) {
        result = *wr;
        have_result = true;
      } else {
        emit.Send(std::move(rec->body));
      }
    }
  }
  close(fds[0]);

  // Wait for the child itself, still bounded by the deadline.
  int status = 0;
  bool exited = false;
  while (!timed_out) {
    pid_t got = waitpid(pid, &status, WNOHANG);
    if (got == pid) {
      exited = true;
      break;
    }
    if (MonotonicSeconds() >= deadline) {
      timed_out = true;
      break;
    }
    usleep(5000);
  }
  // Whatever is left of the group (a binder server, a command) goes too.
  kill(-pid, SIGKILL);
  if (!exited) {
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ReapOrphans();

  result.duration_s = MonotonicSeconds() - start;
  if (timed_out) {
    result.status = Status::kFailed;
    result.reason = "timed out after " + std::to_string(w.timeout_s) + " s (killed)";
  } else if (!have_result) {
    result.status = Status::kFailed;
    if (WIFSIGNALED(status)) {
      result.reason = "workload process killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                      strsignal(WTERMSIG(status)) + ")";
    } else {
      result.reason = "workload process exited " + std::to_string(WEXITSTATUS(status)) + " without a result";
    }
  }
  result.workload = w.name;
  return result;
}

int Stall(const char* seconds) {
  long s = std::strtol(seconds, nullptr, 10);
  timespec ts{s, 0};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  return 0;
}

int Pid1(double agent_start) {
  // A mark in the kernel log, so the boot workload can time the agent's start
  // with the printk clock, the clock of "Run /init as init process". First
  // thing, through the initramfs's own /dev/kmsg node: the mounts below are
  // not part of the agent's start.
  if (int kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC); kmsg >= 0) {
    std::string mark = std::string(kKmsgStartMark) + "\n";
    (void)!write(kmsg, mark.data(), mark.size());
    close(kmsg);
  }
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> setup_errors;
  auto mount = [&](const char* src, const char* dir, const char* type) {
    if (auto err = Mount(src, dir, type); !err.empty()) setup_errors.push_back(err);
  };
  mount("proc", "/proc", "proc");
  mount("sysfs", "/sys", "sysfs");
  mount("devtmpfs", "/dev", "devtmpfs");
  g_console_fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  mount("debugfs", "/sys/kernel/debug", "debugfs");
  mount("configfs", "/sys/kernel/config", "configfs");
  mount("binder", "/dev/binderfs", "binder");
  ConsoleLine("started (agent " + std::string(kAgentVersion) + ", protocol " + std::to_string(kProtocolVersion) + ")");

  std::string why;
  int port = OpenAgentPort(&why);
  Emitter emit(port, g_console_fd);
  ConsoleLine("records on " + emit.transport() + (port < 0 ? " (" + why + ")" : ""));

  std::optional<Plan> plan;
  std::string plan_error;
  if (auto text = ReadText("/plan.json")) {
    auto parsed = ParsePlan(*text);
    if (parsed) {
      plan = std::move(*parsed);
    } else {
      plan_error = "/plan.json: " + parsed.error();
    }
  } else {
    plan_error = "no /plan.json in the initramfs";
  }

  int total_timeout = 0;
  if (plan) {
    for (const auto& w : plan->workloads) total_timeout += w.timeout_s;
  }
  struct sigaction sa{};
  sa.sa_handler = OnWatchdog;
  sigaction(SIGALRM, &sa, nullptr);
  alarm(static_cast<unsigned>(total_timeout + 60));

  utsname u{};
  uname(&u);
  emit.Send(Hello{std::string(kAgentVersion), kProtocolVersion, plan ? plan->boot_id : "", u.release, u.machine,
                  agent_start, emit.transport()});
  for (const auto& e : setup_errors) emit.Send(Log{"warn", e});

  Done done;
  if (!plan) {
    emit.Send(Log{"error", plan_error});
    ConsoleLine(plan_error);
    done.failed = 1;
  } else {
    AgentContext ctx{agent_start};
    for (const auto& w : plan->workloads) {
      ConsoleLine("running " + w.name + " (timeout " + std::to_string(w.timeout_s) + " s)");
      WorkloadResult r = RunWorkload(w, ctx, emit);
      ConsoleLine(w.name + " " + std::string(StatusName(r.status)) + (r.reason.empty() ? "" : ": " + r.reason));
      switch (r.status) {
        case Status::kPassed: ++done.passed; break;
        case Status::kFailed: ++done.failed; break;
        case Status::kSkipped: ++done.skipped; break;
      }
      emit.Send(std::move(r));
    }
  }
  done.uptime_s = BoottimeSeconds();
  emit.Send(done);
  ConsoleLine("done: " + std::to_string(done.passed) + " passed, " + std::to_string(done.failed) + " failed, " +
              std::to_string(done.skipped) + " skipped; restarting");
  Restart();
}

}  // namespace
}  // namespace rfl::agent

int main(int argc, char** argv) {
  double agent_start = rfl::agent::BoottimeSeconds();
  if (argc == 3 && std::strcmp(argv[1], "--stall") == 0) return rfl::agent::Stall(argv[2]);
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("rfl-agent %s (protocol %d)\n", std::string(rfl::agent::kAgentVersion).c_str(),
                rfl::agent::kProtocolVersion);
    return 0;
  }
  if (getpid() != 1) {
    std::fprintf(stderr, "rfl-agent: runs as PID 1 of the lab's initramfs (or: --stall SECONDS, --version)\n");
    return 2;
  }
  return rfl::agent::Pid1(agent_start);
}
