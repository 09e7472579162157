// command: runs a program from the image, reports its exit status and the
// tail of its output.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {

Outcome RunCommand(const CommandParams& p, Reporter& r) {
  constexpr size_t kKeep = 4096;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Outcome::Failed("pipe: " + ErrnoText());
  double start = MonotonicSeconds();
  pid_t pid = fork();
  if (pid < 0) return Outcome::Failed("fork: " + ErrnoText());
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    std::vector<char*> argv;
    for (const auto& a : p.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string output;
  char buf[4096];
  for (;;) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
    if (output.size() > 2 * kKeep) output.erase(0, output.size() - kKeep);
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output.size() > kKeep) output.erase(0, output.size() - kKeep);
  r.AddSample("duration", Unit::kSeconds, MonotonicSeconds() - start);
  Outcome o;
  if (WIFSIGNALED(status)) {
    o = Outcome::Failed(p.argv[0] + " killed by signal " + std::to_string(WTERMSIG(status)));
  } else if (WEXITSTATUS(status) == 127 && p.expect_exit != 127) {
    o = Outcome::Failed("could not run " + p.argv[0] + " (exit 127: not found or not executable)");
  } else if (WEXITSTATUS(status) != p.expect_exit) {
    o = Outcome::Failed(p.argv[0] + " exited " + std::to_string(WEXITSTATUS(status)) + ", expected " +
                        std::to_string(p.expect_exit));
  } else {
    o = Outcome::Passed("exit " + std::to_string(WEXITSTATUS(status)));
  }
  o.output = std::move(output);
  return o;
}

}  // namespace rfl::agent
